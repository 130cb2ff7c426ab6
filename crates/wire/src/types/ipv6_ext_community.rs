//! IPv6-address-specific extended communities (RFC 5701, attribute 25): route targets and
//! origins with an IPv6 administrator, and FlowSpec redirect to an IPv6-administered VRF
//! (RFC 8956 §3.2). Kept as their 20 octets; `kind()` is the typed view.

use std::fmt;
use std::net::Ipv6Addr;

use crate::text::serialize_display;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6ExtendedCommunity(pub [u8; 20]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ipv6ExtCommunityKind {
    RouteTarget {
        addr: Ipv6Addr,
        number: u16,
    },
    RouteOrigin {
        addr: Ipv6Addr,
        number: u16,
    },
    /// FlowSpec redirect to the VRF of this route target; GoBGP and ExaBGP send it with type
    /// 0x80 / subtype 0x0b, IANA lists 0x00 / 0x0d: both are read.
    Redirect {
        addr: Ipv6Addr,
        number: u16,
    },
    Other,
}

impl Ipv6ExtendedCommunity {
    fn addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(<[u8; 16]>::try_from(&self.0[2..18]).expect("16 octets"))
    }

    fn number(&self) -> u16 {
        u16::from_be_bytes([self.0[18], self.0[19]])
    }

    pub fn kind(&self) -> Ipv6ExtCommunityKind {
        let (addr, number) = (self.addr(), self.number());
        match (self.0[0], self.0[1]) {
            (0x00, 0x02) => Ipv6ExtCommunityKind::RouteTarget { addr, number },
            (0x00, 0x03) => Ipv6ExtCommunityKind::RouteOrigin { addr, number },
            (0x80, 0x0b) | (0x00, 0x0d) => Ipv6ExtCommunityKind::Redirect { addr, number },
            _ => Ipv6ExtCommunityKind::Other,
        }
    }

    /// A FlowSpec redirect, in the form GoBGP and ExaBGP understand.
    pub fn redirect(addr: Ipv6Addr, number: u16) -> Self {
        let mut b = [0u8; 20];
        b[0] = 0x80;
        b[1] = 0x0b;
        b[2..18].copy_from_slice(&addr.octets());
        b[18..].copy_from_slice(&number.to_be_bytes());
        Ipv6ExtendedCommunity(b)
    }
}

impl fmt::Display for Ipv6ExtendedCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            Ipv6ExtCommunityKind::RouteTarget { addr, number } => {
                write!(f, "target:[{addr}]:{number}")
            }
            Ipv6ExtCommunityKind::RouteOrigin { addr, number } => {
                write!(f, "origin:[{addr}]:{number}")
            }
            Ipv6ExtCommunityKind::Redirect { addr, number } => {
                write!(f, "redirect:[{addr}]:{number}")
            }
            Ipv6ExtCommunityKind::Other => {
                f.write_str("0x")?;
                self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl fmt::Debug for Ipv6ExtendedCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

serialize_display!(Ipv6ExtendedCommunity);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_reads_both_codes() {
        let addr: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let c = Ipv6ExtendedCommunity::redirect(addr, 9);
        assert_eq!(c.kind(), Ipv6ExtCommunityKind::Redirect { addr, number: 9 });
        let mut iana = c;
        iana.0[0] = 0;
        iana.0[1] = 0x0d;
        assert_eq!(
            iana.kind(),
            Ipv6ExtCommunityKind::Redirect { addr, number: 9 }
        );
        assert_eq!(c.to_string(), "redirect:[2001:db8::1]:9");
    }
}
