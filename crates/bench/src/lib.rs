//! Benchmark commands for bagpipe-rs (not tests: they print figures, see the README):
//!
//! - `bench-ingest` (issue 3): a BGP load generator on our codec feeds N pre-packed VPNv4 and
//!   E-VPN type 2 routes over one iBGP session to our daemon and to reference speakers (GoBGP,
//!   BIRD, FRR), and reports time to a full table and resident memory per route;
//! - `bench-attach` (issue 4): REST attach rate, latency and errors against two daemons and a
//!   route reflector, ours and the original bagpipe-bgp, plus memory and start-up time, and
//!   the same clients against a server that does nothing (the machine's floor).
//!
//! Addresses 127.0.50.0/24–127.0.59.0/24 and ports 21000–21999 (CONTRIBUTING.md).

pub mod affinity;
pub mod contention;
pub mod feed;
pub mod generator;
pub mod http;
pub mod nodes;
pub mod noop_server;
pub mod process;
pub mod receivers;
pub mod report;
