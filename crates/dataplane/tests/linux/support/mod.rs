//! Test topology for the Linux drivers: namespaces, a driver per node, probes.

pub mod fabric;
pub mod netns;
pub mod node;
pub mod probes;
pub mod snapshot;

/// Whether this process may create namespaces; tests print SKIPPED and return when not.
pub fn can_use_netns() -> bool {
    let root = unsafe { libc::geteuid() } == 0;
    let ip = std::process::Command::new("ip").arg("-V").output().is_ok();
    if !root || !ip {
        println!("SKIPPED: the Linux driver tests need root and iproute2 (`ip`)");
    }
    root && ip
}
