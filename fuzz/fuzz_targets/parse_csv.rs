//! Fuzz target: arbitrary bytes through every CSV-family report parser and
//! format detection; any panic is a bug. `cargo fuzz run parse_csv`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ctem_fuzz::run(ctem_fuzz::CSV, data);
});
