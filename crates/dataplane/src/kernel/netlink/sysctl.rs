//! The per-device settings that have no netlink message of their own.
//!
//! `/proc/sys/net` shows the network namespace of the thread that opens it, which is the one
//! the driver's socket was opened in (see `NetlinkKernel::open`).

use std::fs;

use super::Errno;

/// Proxy ARP on a routed port, answering at once: the VMs behind it resolve any address the
/// VRF routes elsewhere (the same subnet on another node included) to this node.
pub(super) fn set_proxy_arp(dev: &str, on: bool) -> Result<(), Errno> {
    let value = if on { "1" } else { "0" };
    write(&format!("/proc/sys/net/ipv4/conf/{dev}/proxy_arp"), value)?;
    if on {
        // The default makes the kernel wait up to 0.8 s before answering a proxied request.
        write(&format!("/proc/sys/net/ipv4/neigh/{dev}/proxy_delay"), "0")?;
    }
    Ok(())
}

fn write(path: &str, value: &str) -> Result<(), Errno> {
    fs::write(path, value).map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EIO)))
}

pub(super) fn enable_forwarding() -> Result<(), Errno> {
    write("/proc/sys/net/ipv4/ip_forward", "1")?;
    write("/proc/sys/net/ipv6/conf/all/forwarding", "1")
}
