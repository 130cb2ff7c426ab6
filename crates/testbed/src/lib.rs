//! What the tests and benchmarks run their subjects in, shared by the crates that have
//! integration tests and by the benchmarks (never by production code):
//!
//! - programs started with their output in a log file and always stopped ([`process`]), and
//!   polling until something is true ([`wait`]);
//! - `bagpipe-bgp` under test with its REST API and looking glass ([`daemon`]), GoBGP as its
//!   peer or reflector ([`gobgp`]), HTTP from here or from inside a namespace ([`http`]);
//! - test beds in Linux network namespaces: compute nodes joined by an underlay bridge and
//!   VMs plugged into them ([`fabric`], [`vms`]), namespaces that are always deleted
//!   ([`netns`]), what a person would check by hand done with raw sockets — ping, ARP, a
//!   capture, loss over time ([`probes`]) — the kernel state of a namespace as comparable
//!   text ([`snapshot`]), and entries of others that a cleanup must leave ([`foreign`]).
//!
//! The test beds need root and iproute2 (`ip`, `bridge`): call [`can_use_netns`] first.
//! Namespace names start with the prefix of the calling crate (CONTRIBUTING.md).

pub mod daemon;
pub mod fabric;
pub mod foreign;
pub mod gobgp;
pub mod http;
pub mod netns;
pub mod probes;
pub mod process;
pub mod snapshot;
pub mod vms;
pub mod wait;

/// Whether this process may create namespaces; tests print SKIPPED and return when not.
pub fn can_use_netns() -> bool {
    let root = unsafe { libc::geteuid() } == 0;
    let ip = std::process::Command::new("ip").arg("-V").output().is_ok();
    if !root || !ip {
        println!("SKIPPED: these tests need root and iproute2 (`ip`) to build network namespaces");
    }
    root && ip
}
