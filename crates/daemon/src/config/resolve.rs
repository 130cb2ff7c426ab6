//! Turning the names a configuration may hold into addresses: `local_address = eth0` takes
//! the first IPv4 address of `eth0` (oslo.config's `InterfaceAddress` type of the original),
//! and host options (`[API] host = localhost`, `[BGP] peers`) accept host names.
//!
//! Reading a configuration goes through the [`AddressResolver`] trait so that tests can
//! read files that name interfaces and hosts of another machine.

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

pub trait AddressResolver {
    /// The first IPv4 address of the interface `name`.
    fn interface_address(&self, name: &str) -> Result<IpAddr, String>;
    /// The addresses of host `name` (from `/etc/hosts` or DNS), IPv4 first.
    fn host_addresses(&self, name: &str) -> Result<Vec<IpAddr>, String>;
}

/// The machine's interfaces (getifaddrs) and name resolution (getaddrinfo).
pub struct SystemResolver;

impl AddressResolver for SystemResolver {
    fn interface_address(&self, name: &str) -> Result<IpAddr, String> {
        let mut exists = false;
        let mut found = None;
        for_each_interface_address(|ifname, addr| {
            if ifname == name {
                exists = true;
                if let (None, Some(IpAddr::V4(v4))) = (found, addr) {
                    found = Some(IpAddr::V4(v4));
                }
            }
        })?;
        match (found, exists) {
            (Some(addr), _) => Ok(addr),
            (None, true) => Err(format!("no IPv4 address found on interface {name}")),
            (None, false) => Err(format!("interface {name} does not exist")),
        }
    }

    fn host_addresses(&self, name: &str) -> Result<Vec<IpAddr>, String> {
        let mut addrs: Vec<IpAddr> = (name, 0)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve host {name}: {e}"))?
            .map(|sa| sa.ip())
            .collect();
        addrs.sort_by_key(|a| a.is_ipv6());
        addrs.dedup();
        Ok(addrs)
    }
}

/// Calls `f(interface name, address)` for every address of every interface; the address
/// is `None` for the link-layer entries, which every existing interface has, so that "no
/// IPv4 address" and "no such interface" can be told apart.
fn for_each_interface_address(mut f: impl FnMut(&str, Option<IpAddr>)) -> Result<(), String> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list that we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(format!(
            "cannot list interfaces: {}",
            std::io::Error::last_os_error()
        ));
    }
    let mut cursor = head;
    while !cursor.is_null() {
        // SAFETY: `cursor` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cursor };
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }.to_string_lossy();
        f(&name, sockaddr_ip(ifa.ifa_addr));
        cursor = ifa.ifa_next;
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(())
}

fn sockaddr_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: a non-null ifa_addr points to a sockaddr whose family says its real type.
    unsafe {
        match i32::from((*sa).sa_family) {
            libc::AF_INET => {
                let sin = &*(sa as *const libc::sockaddr_in);
                Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    sin.sin_addr.s_addr,
                ))))
            }
            libc::AF_INET6 => {
                let sin6 = &*(sa as *const libc::sockaddr_in6);
                Some(IpAddr::V6(sin6.sin6_addr.s6_addr.into()))
            }
            _ => None,
        }
    }
}

/// An address option: an IP address, or else the name of an interface whose first IPv4
/// address is taken.
pub(crate) fn interface_address(
    resolver: &dyn AddressResolver,
) -> impl FnOnce(&str) -> Result<IpAddr, String> + '_ {
    move |s| match s.parse::<IpAddr>() {
        Ok(addr) => Ok(addr),
        Err(_) => resolver.interface_address(s),
    }
}

/// A host option: an IP address, or else a host name, resolved to its first address.
pub(crate) fn host_address(
    resolver: &dyn AddressResolver,
) -> impl Fn(&str) -> Result<IpAddr, String> + '_ {
    move |s| match s.parse::<IpAddr>() {
        Ok(addr) => Ok(addr),
        Err(_) => resolver
            .host_addresses(s)?
            .into_iter()
            .next()
            .ok_or_else(|| format!("host {s} has no address")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_interface_has_127_0_0_1() {
        // The original's own unit test: InterfaceAddress("lo") is 127.0.0.1.
        assert_eq!(
            SystemResolver.interface_address("lo"),
            Ok(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(
            SystemResolver.interface_address("non_existing_interface"),
            Err("interface non_existing_interface does not exist".to_owned())
        );
    }

    #[test]
    fn localhost_resolves_to_ipv4_first() {
        let addrs = SystemResolver.host_addresses("localhost").unwrap();
        assert_eq!(addrs.first(), Some(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }

    #[test]
    fn literal_addresses_need_no_lookup() {
        struct Nothing;
        impl AddressResolver for Nothing {
            fn interface_address(&self, name: &str) -> Result<IpAddr, String> {
                Err(format!("no {name}"))
            }
            fn host_addresses(&self, name: &str) -> Result<Vec<IpAddr>, String> {
                Err(format!("no {name}"))
            }
        }
        assert_eq!(
            interface_address(&Nothing)("192.0.2.1"),
            Ok("192.0.2.1".parse().unwrap())
        );
        assert_eq!(
            host_address(&Nothing)("2001:db8::1"),
            Ok("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            interface_address(&Nothing)("eth0"),
            Err("no eth0".to_owned())
        );
    }
}
