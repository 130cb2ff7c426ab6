//! Prints a node of bagpipe-bgp's looking glass; see `bagpipe-looking-glass --help`.

fn main() -> std::process::ExitCode {
    bagpipe_cli::looking_glass::main()
}
