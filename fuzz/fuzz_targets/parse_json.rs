//! Fuzz target: arbitrary bytes through every JSON-family report parser and
//! format detection; any panic is a bug. `cargo fuzz run parse_json`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ctem_fuzz::run(ctem_fuzz::JSON, data);
});
