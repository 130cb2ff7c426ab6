//! Attaches or detaches a local port to a VPN instance of bagpipe-bgp; see
//! `bagpipe-rest-attach --help`.

fn main() -> std::process::ExitCode {
    bagpipe_cli::rest_attach::main()
}
