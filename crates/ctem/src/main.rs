//! The `ctem` binary: see `ctem --help`.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(ctem::main_with_args(std::env::args_os()))
}
