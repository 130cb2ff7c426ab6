//! Route distinguishers (RFC 4364 §4.2), kept as their 8 wire octets so that a VPN route key
//! stays small; the typed view and the text form are derived from the octets.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use crate::text::{parse_admin_number, serialize_display, AdminNumber, TextError};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RouteDistinguisher(pub [u8; 8]);

/// The typed view of a route distinguisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdKind {
    /// Type 0: 2-octet AS administrator, 4-octet number.
    As2 { asn: u16, number: u32 },
    /// Type 1: IPv4 address administrator, 2-octet number.
    Ipv4 { addr: Ipv4Addr, number: u16 },
    /// Type 2: 4-octet AS administrator, 2-octet number.
    As4 { asn: u32, number: u16 },
    /// Any other type, shown as raw octets.
    Other { rd_type: u16 },
}

impl RouteDistinguisher {
    pub fn as2(asn: u16, number: u32) -> Self {
        let mut b = [0u8; 8];
        b[2..4].copy_from_slice(&asn.to_be_bytes());
        b[4..8].copy_from_slice(&number.to_be_bytes());
        RouteDistinguisher(b)
    }

    pub fn ipv4(addr: Ipv4Addr, number: u16) -> Self {
        let mut b = [0u8; 8];
        b[1] = 1;
        b[2..6].copy_from_slice(&addr.octets());
        b[6..8].copy_from_slice(&number.to_be_bytes());
        RouteDistinguisher(b)
    }

    pub fn as4(asn: u32, number: u16) -> Self {
        let mut b = [0u8; 8];
        b[1] = 2;
        b[2..6].copy_from_slice(&asn.to_be_bytes());
        b[6..8].copy_from_slice(&number.to_be_bytes());
        RouteDistinguisher(b)
    }

    pub fn kind(&self) -> RdKind {
        let b = &self.0;
        match u16::from_be_bytes([b[0], b[1]]) {
            0 => RdKind::As2 {
                asn: u16::from_be_bytes([b[2], b[3]]),
                number: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            },
            1 => RdKind::Ipv4 {
                addr: Ipv4Addr::new(b[2], b[3], b[4], b[5]),
                number: u16::from_be_bytes([b[6], b[7]]),
            },
            2 => RdKind::As4 {
                asn: u32::from_be_bytes([b[2], b[3], b[4], b[5]]),
                number: u16::from_be_bytes([b[6], b[7]]),
            },
            rd_type => RdKind::Other { rd_type },
        }
    }
}

impl fmt::Display for RouteDistinguisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            RdKind::As2 { asn, number } => write!(f, "{asn}:{number}"),
            RdKind::Ipv4 { addr, number } => write!(f, "{addr}:{number}"),
            RdKind::As4 { asn, number } => write!(f, "{asn}:{number}"),
            RdKind::Other { .. } => {
                f.write_str("0x")?;
                self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl fmt::Debug for RouteDistinguisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RD({self})")
    }
}

impl FromStr for RouteDistinguisher {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match parse_admin_number("route distinguisher", s)? {
            AdminNumber::As2(asn, n) => RouteDistinguisher::as2(asn, n),
            AdminNumber::Ipv4(ip, n) => RouteDistinguisher::ipv4(ip, n),
            AdminNumber::As4(asn, n) => RouteDistinguisher::as4(asn, n),
        })
    }
}

serialize_display!(RouteDistinguisher);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_types_round_trip_through_text() {
        for (text, kind) in [
            (
                "65000:2",
                RdKind::As2 {
                    asn: 65000,
                    number: 2,
                },
            ),
            (
                "192.0.2.1:7",
                RdKind::Ipv4 {
                    addr: Ipv4Addr::new(192, 0, 2, 1),
                    number: 7,
                },
            ),
            (
                "4200000001:7",
                RdKind::As4 {
                    asn: 4200000001,
                    number: 7,
                },
            ),
        ] {
            let rd: RouteDistinguisher = text.parse().unwrap();
            assert_eq!(rd.kind(), kind);
            assert_eq!(rd.to_string(), text);
        }
    }

    #[test]
    fn rejects_out_of_range_numbers() {
        assert!("192.0.2.1:70000".parse::<RouteDistinguisher>().is_err());
        assert!("4200000001:70000".parse::<RouteDistinguisher>().is_err());
        assert!("65000".parse::<RouteDistinguisher>().is_err());
        assert!("x:1".parse::<RouteDistinguisher>().is_err());
    }
}
