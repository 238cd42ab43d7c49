//! Parses report files and prints each finding as one JSON line, then a
//! summary line per file: `cargo run -p ctem-ingest --example ingest -- FILE…`.

use std::path::Path;

fn main() {
    let mut failed = false;
    for arg in std::env::args().skip(1) {
        let result = ctem_ingest::parse_path(Path::new(&arg), &mut |f| {
            match serde_json::to_string(&f) {
                Ok(line) => println!("{line}"),
                Err(e) => eprintln!("cannot print finding: {e}"),
            }
            Ok(())
        });
        match result {
            Ok(s) => eprintln!(
                "{arg}: format {}, tool {}, {} findings, {} skipped, {} assets",
                s.format,
                s.tool,
                s.findings,
                s.skipped,
                s.scanned_assets.len()
            ),
            Err(e) => {
                failed = true;
                eprintln!("error: {e}");
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
