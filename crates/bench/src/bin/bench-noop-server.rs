//! The attach benchmark's server that does nothing ([`NoopServer`]), as a process of its own
//! as the daemons it is compared with are: in the benchmark's process, with its clients, the
//! scheduler placed it beside them more often than it does a separate daemon, and its rate
//! was not a floor for a daemon any more. Runs until killed.
//!
//!   bench-noop-server ADDRESS:PORT THREADS

use std::net::SocketAddr;

use anyhow::Context;
use bagpipe_bench::noop_server::NoopServer;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench-noop-server ADDRESS:PORT THREADS";
    let addr: SocketAddr = args.next().context(usage)?.parse().context(usage)?;
    let threads: usize = args.next().context(usage)?.parse().context(usage)?;
    let _server = NoopServer::start(addr, threads).context("no-op server")?;
    println!("no-op server on {addr}, {threads} threads");
    loop {
        std::thread::park();
    }
}
