//! The address text forms the original accepted through Python's `netaddr`: MAC addresses
//! in all the EUI-48 spellings, and `ip_address` as an address with an optional prefix
//! length (or netmask) whose host bits are kept.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use bagpipe_wire::{IpPrefix, MacAddress};

/// An endpoint address with the length of its subnet: `10.77.0.2/24` names the host
/// 10.77.0.2 *and* says that it sits in a /24 (the VRF learns the subnet length from it,
/// and advertises the /24 when `advertise_subnet` is set). Unlike [`IpPrefix`], the host
/// bits are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpWithLength {
    pub addr: IpAddr,
    pub len: u8,
}

impl IpWithLength {
    /// The host route of the address: /32 or /128.
    pub fn host_prefix(&self) -> IpPrefix {
        IpPrefix::host(self.addr)
    }

    /// The subnet the address sits in (host bits cleared).
    pub fn subnet(&self) -> IpPrefix {
        IpPrefix::new(self.addr, self.len).expect("length checked when parsed")
    }

    fn max_len(addr: IpAddr) -> u8 {
        if addr.is_ipv4() {
            32
        } else {
            128
        }
    }
}

impl fmt::Display for IpWithLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Debug for IpWithLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for IpWithLength {
    type Err = String;

    /// `10.0.0.1` (a host: /32), `10.0.0.1/24`, `10.0.0.1/255.255.255.0`, `2001:db8::1/64`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| format!("invalid IP address {s:?}: {why}");
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| bad("not an IPv4 or IPv6 address"))?;
        let max = Self::max_len(addr);
        let len = match len {
            None => max,
            Some(l) => match l.parse::<u8>() {
                Ok(l) if l <= max => l,
                Ok(_) => return Err(bad("prefix length out of range")),
                Err(_) if addr.is_ipv4() => netmask_length(l)
                    .ok_or_else(|| bad("expected a prefix length or a netmask after '/'"))?,
                Err(_) => return Err(bad("expected a prefix length after '/'")),
            },
        };
        Ok(IpWithLength { addr, len })
    }
}

/// The length of a contiguous IPv4 netmask (`255.255.255.0` → 24).
fn netmask_length(mask: &str) -> Option<u8> {
    let bits = u32::from(mask.parse::<Ipv4Addr>().ok()?);
    let len = bits.leading_ones();
    (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

/// A prefix where host bits beyond the length are tolerated and cleared (the original
/// handed such strings to FlowSpec and route encoders that masked them).
pub(crate) fn parse_prefix(s: &str) -> Result<IpPrefix, String> {
    let p: IpWithLength = s.parse()?;
    Ok(p.subnet())
}

/// A MAC address in any EUI-48 spelling that `netaddr` accepts: `52:54:00:aa:bb:01`,
/// `52-54-00-AA-BB-01`, `5254.00aa.bb01`, `525400aabb01`, `525400:aabb01`, `525400-aabb01`.
pub(crate) fn parse_mac(s: &str) -> Result<MacAddress, String> {
    let bad = || format!("invalid MAC address {s:?}: expected six octets like 52:54:00:aa:bb:01");
    if let Ok(mac) = s.parse::<MacAddress>() {
        return Ok(mac);
    }
    // The other spellings are hex digits in groups; once the separators are gone, twelve
    // digits remain.
    let groups: Vec<&str> = s.split(['.', ':', '-']).collect();
    let shape_ok = match groups.len() {
        1 => groups[0].len() == 12,
        2 => groups.iter().all(|g| g.len() == 6),
        3 => s.contains('.') && groups.iter().all(|g| g.len() == 4),
        _ => false,
    };
    let digits: String = groups.concat();
    if !shape_ok || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut octets = [0u8; 6];
    for (i, octet) in octets.iter_mut().enumerate() {
        *octet = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(MacAddress(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_with_length_keeps_host_bits_and_length() {
        let ip: IpWithLength = "10.77.0.2/24".parse().unwrap();
        assert_eq!(ip.addr, "10.77.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(ip.len, 24);
        assert_eq!(ip.to_string(), "10.77.0.2/24");
        assert_eq!(ip.subnet().to_string(), "10.77.0.0/24");
        assert_eq!(ip.host_prefix().to_string(), "10.77.0.2/32");
    }

    #[test]
    fn ip_without_length_is_a_host() {
        assert_eq!("10.78.0.1".parse::<IpWithLength>().unwrap().len, 32);
        assert_eq!("2001:db8::1".parse::<IpWithLength>().unwrap().len, 128);
        let v6: IpWithLength = "2001:db8::1/64".parse().unwrap();
        assert_eq!(v6.subnet().to_string(), "2001:db8::/64");
    }

    #[test]
    fn ip_with_netmask() {
        assert_eq!(
            "192.0.2.1/255.255.255.0".parse::<IpWithLength>().unwrap(),
            "192.0.2.1/24".parse().unwrap()
        );
        assert!("192.0.2.1/255.0.255.0".parse::<IpWithLength>().is_err());
    }

    #[test]
    fn bad_ips_are_refused() {
        // The original's own unit test uses "257.303.1."
        for bad in [
            "257.303.1.",
            "",
            "10.0.0.1/33",
            "2001:db8::1/129",
            "10.0.0.1/",
            "2001:db8::1/ffff::",
            "host",
        ] {
            assert!(bad.parse::<IpWithLength>().is_err(), "{bad}");
        }
    }

    #[test]
    fn prefix_masks_host_bits() {
        assert_eq!(
            parse_prefix("10.0.0.1/24").unwrap().to_string(),
            "10.0.0.0/24"
        );
        assert_eq!(parse_prefix("0.0.0.0/0").unwrap().to_string(), "0.0.0.0/0");
    }

    #[test]
    fn mac_spellings() {
        let want = MacAddress([0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01]);
        for s in [
            "52:54:00:aa:bb:01",
            "52-54-00-AA-BB-01",
            "5254.00aa.bb01",
            "525400aabb01",
            "525400:aabb01",
            "525400-aabb01",
            "52:54:0:aa:bb:1",
        ] {
            assert_eq!(parse_mac(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn bad_macs_are_refused() {
        // "gg:gg:gg:gg:gg:gg" is the original's own unit test case; the 8-octet EUI-64 form
        // netaddr would take is no MAC address.
        for bad in [
            "gg:gg:gg:gg:gg:gg",
            "",
            "52:54:00:aa:bb",
            "52:54:00:aa:bb:01:02:03",
            "5254.00aa.bb0",
            "525400aabb0g",
            "5254:00aa:bb01",
        ] {
            assert!(parse_mac(bad).is_err(), "{bad}");
        }
    }
}
