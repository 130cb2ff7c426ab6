//! Test beds in Linux network namespaces, shared by the dataplane and daemon tests (a
//! dev-dependency only): compute nodes joined by an underlay bridge and VMs plugged into
//! them ([`fabric`]), namespaces that are always deleted ([`netns`]), programs and HTTP
//! clients inside a namespace ([`process`], [`http`]), what a person would check by hand
//! done with raw sockets — ping, ARP, a capture, loss over time ([`probes`]) — and the
//! kernel state of a namespace as comparable text ([`snapshot`]).
//!
//! Everything needs root and iproute2 (`ip`, `bridge`): call [`can_use_netns`] first.
//! Namespace names start with the prefix of the calling crate (CONTRIBUTING.md).

pub mod fabric;
pub mod http;
pub mod netns;
pub mod probes;
pub mod process;
pub mod snapshot;

/// Whether this process may create namespaces; tests print SKIPPED and return when not.
pub fn can_use_netns() -> bool {
    let root = unsafe { libc::geteuid() } == 0;
    let ip = std::process::Command::new("ip").arg("-V").output().is_ok();
    if !root || !ip {
        println!("SKIPPED: these tests need root and iproute2 (`ip`) to build network namespaces");
    }
    root && ip
}
