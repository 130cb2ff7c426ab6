//! Decodes BGP messages given as hex or as a raw stream into JSON lines; see
//! `bagpipe-bgp-decode --help`.

fn main() {
    std::process::exit(bagpipe_cli::decode::main());
}
