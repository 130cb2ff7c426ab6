//! IPv4 and IPv6 prefixes (`10.0.0.0/24`, `2001:db8::/32`), always stored with host bits clear.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::text::{serialize_display, TextError};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Prefix {
    addr: Ipv4Addr,
    len: u8,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6Prefix {
    addr: Ipv6Addr,
    len: u8,
}

/// An IPv4 or IPv6 prefix.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpPrefix {
    V4(Ipv4Prefix),
    V6(Ipv6Prefix),
}

impl Ipv4Prefix {
    /// Returns `None` when `len` exceeds 32; host bits of `addr` are cleared.
    pub fn new(addr: Ipv4Addr, len: u8) -> Option<Self> {
        (len <= 32).then(|| {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            Ipv4Prefix {
                addr: Ipv4Addr::from(u32::from(addr) & mask),
                len,
            }
        })
    }

    pub fn host(addr: Ipv4Addr) -> Self {
        Ipv4Prefix { addr, len: 32 }
    }

    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    pub fn length(&self) -> u8 {
        self.len
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        Ipv4Prefix::new(ip, self.len) == Some(*self)
    }
}

impl Ipv6Prefix {
    /// Returns `None` when `len` exceeds 128; host bits of `addr` are cleared.
    pub fn new(addr: Ipv6Addr, len: u8) -> Option<Self> {
        (len <= 128).then(|| {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            Ipv6Prefix {
                addr: Ipv6Addr::from(u128::from(addr) & mask),
                len,
            }
        })
    }

    pub fn host(addr: Ipv6Addr) -> Self {
        Ipv6Prefix { addr, len: 128 }
    }

    pub fn addr(&self) -> Ipv6Addr {
        self.addr
    }

    pub fn length(&self) -> u8 {
        self.len
    }

    pub fn contains(&self, ip: Ipv6Addr) -> bool {
        Ipv6Prefix::new(ip, self.len) == Some(*self)
    }
}

impl IpPrefix {
    pub fn new(addr: IpAddr, len: u8) -> Option<Self> {
        match addr {
            IpAddr::V4(a) => Ipv4Prefix::new(a, len).map(IpPrefix::V4),
            IpAddr::V6(a) => Ipv6Prefix::new(a, len).map(IpPrefix::V6),
        }
    }

    /// The /32 or /128 prefix of one address.
    pub fn host(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => IpPrefix::V4(Ipv4Prefix::host(a)),
            IpAddr::V6(a) => IpPrefix::V6(Ipv6Prefix::host(a)),
        }
    }

    pub fn addr(&self) -> IpAddr {
        match self {
            IpPrefix::V4(p) => IpAddr::V4(p.addr),
            IpPrefix::V6(p) => IpAddr::V6(p.addr),
        }
    }

    pub fn length(&self) -> u8 {
        match self {
            IpPrefix::V4(p) => p.len,
            IpPrefix::V6(p) => p.len,
        }
    }

    pub fn is_ipv4(&self) -> bool {
        matches!(self, IpPrefix::V4(_))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (IpPrefix::V4(p), IpAddr::V4(a)) => p.contains(a),
            (IpPrefix::V6(p), IpAddr::V6(a)) => p.contains(a),
            _ => false,
        }
    }

    /// The address octets that the NLRI encoding carries: `ceil(len / 8)` of them.
    pub fn significant_octets(&self) -> usize {
        self.length().div_ceil(8) as usize
    }
}

impl From<Ipv4Prefix> for IpPrefix {
    fn from(p: Ipv4Prefix) -> Self {
        IpPrefix::V4(p)
    }
}

impl From<Ipv6Prefix> for IpPrefix {
    fn from(p: Ipv6Prefix) -> Self {
        IpPrefix::V6(p)
    }
}

impl fmt::Display for Ipv4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Display for Ipv6Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpPrefix::V4(p) => p.fmt(f),
            IpPrefix::V6(p) => p.fmt(f),
        }
    }
}

macro_rules! debug_as_display {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
        serialize_display!($t);
    )*};
}
debug_as_display!(Ipv4Prefix, Ipv6Prefix, IpPrefix);

impl FromStr for IpPrefix {
    type Err = TextError;

    /// `a.b.c.d/len` or `x::y/len`; a bare address is a host prefix. Host bits must be clear.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| TextError::new("prefix", s, "not an IPv4 or IPv6 address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match len {
            None => max,
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| TextError::new("prefix", s, "prefix length out of range"))?,
        };
        let prefix = IpPrefix::new(addr, len).expect("length checked");
        if prefix.addr() != addr {
            return Err(TextError::new(
                "prefix",
                s,
                "host bits set beyond the prefix length",
            ));
        }
        Ok(prefix)
    }
}

impl FromStr for Ipv4Prefix {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse()? {
            IpPrefix::V4(p) => Ok(p),
            IpPrefix::V6(_) => Err(TextError::new("IPv4 prefix", s, "an IPv6 prefix was given")),
        }
    }
}

impl FromStr for Ipv6Prefix {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse()? {
            IpPrefix::V6(p) => Ok(p),
            IpPrefix::V4(_) => Err(TextError::new("IPv6 prefix", s, "an IPv4 prefix was given")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let p: IpPrefix = "10.0.0.0/24".parse().unwrap();
        assert_eq!(p.to_string(), "10.0.0.0/24");
        assert_eq!(p.significant_octets(), 3);
        assert!(p.contains("10.0.0.77".parse().unwrap()));
        assert_eq!("10.0.0.1".parse::<IpPrefix>().unwrap().length(), 32);
        assert_eq!(
            "2001:db8::/32".parse::<IpPrefix>().unwrap().to_string(),
            "2001:db8::/32"
        );
        assert!("10.0.0.1/24".parse::<IpPrefix>().is_err());
        assert!("10.0.0.0/33".parse::<IpPrefix>().is_err());
    }

    #[test]
    fn new_masks_host_bits() {
        let p = Ipv4Prefix::new(Ipv4Addr::new(10, 1, 2, 3), 16).unwrap();
        assert_eq!(p.addr(), Ipv4Addr::new(10, 1, 0, 0));
        assert!(Ipv4Prefix::new(Ipv4Addr::UNSPECIFIED, 33).is_none());
    }
}
