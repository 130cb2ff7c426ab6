//! Draws the route targets imported and exported by bagpipe-bgp VPN instances as a
//! Graphviz graph; see `bagpipe-impex2dot --help`.

fn main() -> std::process::ExitCode {
    bagpipe_cli::impex2dot::main()
}
