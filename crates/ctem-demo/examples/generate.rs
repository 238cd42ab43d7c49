//! Writes the demo estate into a directory and prints what it wrote:
//! `cargo run -p ctem-demo --example generate -- DIR [FINDINGS] [SEED]`.

use ctem_demo::{DemoOptions, generate};
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "demo".to_string()));
    let mut opts = DemoOptions::default();
    if let Some(n) = args.next().and_then(|s| s.parse().ok()) {
        opts.findings = n;
    }
    if let Some(s) = args.next().and_then(|s| s.parse().ok()) {
        opts.seed = s;
    }
    let m = generate(&opts, &dir)?;
    println!(
        "{} findings on {} assets in {}",
        m.findings_written,
        m.assets,
        dir.display()
    );
    println!("{:?}", m.shape);
    println!("{:?}", m.expected);
    Ok(())
}
