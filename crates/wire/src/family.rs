//! Address families (AFI/SAFI pairs, RFC 4760) and their names as exabgp and the original
//! bagpipe-bgp print them (`l2vpn/evpn`, `ipv4/mpls-vpn`...).

use std::fmt;
use std::str::FromStr;

use crate::text::{serialize_display, TextError};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Family {
    pub afi: u16,
    pub safi: u8,
}

pub const AFI_IPV4: u16 = 1;
pub const AFI_IPV6: u16 = 2;
pub const AFI_L2VPN: u16 = 25;

pub const SAFI_UNICAST: u8 = 1;
pub const SAFI_EVPN: u8 = 70;
pub const SAFI_MPLS_VPN: u8 = 128;
pub const SAFI_RTC: u8 = 132;
pub const SAFI_FLOWSPEC: u8 = 133;
pub const SAFI_FLOWSPEC_VPN: u8 = 134;

impl Family {
    pub const IPV4_UNICAST: Family = Family::new(AFI_IPV4, SAFI_UNICAST);
    pub const IPV6_UNICAST: Family = Family::new(AFI_IPV6, SAFI_UNICAST);
    pub const VPNV4: Family = Family::new(AFI_IPV4, SAFI_MPLS_VPN);
    pub const VPNV6: Family = Family::new(AFI_IPV6, SAFI_MPLS_VPN);
    pub const EVPN: Family = Family::new(AFI_L2VPN, SAFI_EVPN);
    pub const RTC: Family = Family::new(AFI_IPV4, SAFI_RTC);
    pub const FLOWSPEC4: Family = Family::new(AFI_IPV4, SAFI_FLOWSPEC);
    pub const FLOWSPEC6: Family = Family::new(AFI_IPV6, SAFI_FLOWSPEC);
    pub const VPN_FLOWSPEC4: Family = Family::new(AFI_IPV4, SAFI_FLOWSPEC_VPN);
    pub const VPN_FLOWSPEC6: Family = Family::new(AFI_IPV6, SAFI_FLOWSPEC_VPN);

    /// Every family whose NLRI this codec decodes into typed values.
    pub const KNOWN: [Family; 10] = [
        Family::IPV4_UNICAST,
        Family::IPV6_UNICAST,
        Family::VPNV4,
        Family::VPNV6,
        Family::EVPN,
        Family::RTC,
        Family::FLOWSPEC4,
        Family::FLOWSPEC6,
        Family::VPN_FLOWSPEC4,
        Family::VPN_FLOWSPEC6,
    ];

    pub const fn new(afi: u16, safi: u8) -> Self {
        Family { afi, safi }
    }

    /// The exabgp-style name of the family, for the ones we decode and the others of the
    /// IANA registry that peers commonly advertise.
    pub fn name(&self) -> Option<&'static str> {
        Some(match (self.afi, self.safi) {
            (AFI_IPV4, SAFI_UNICAST) => "ipv4/unicast",
            (AFI_IPV6, SAFI_UNICAST) => "ipv6/unicast",
            (AFI_IPV4, SAFI_MPLS_VPN) => "ipv4/mpls-vpn",
            (AFI_IPV6, SAFI_MPLS_VPN) => "ipv6/mpls-vpn",
            (AFI_L2VPN, SAFI_EVPN) => "l2vpn/evpn",
            (AFI_IPV4, SAFI_RTC) => "ipv4/rtc",
            (AFI_IPV4, SAFI_FLOWSPEC) => "ipv4/flow",
            (AFI_IPV6, SAFI_FLOWSPEC) => "ipv6/flow",
            (AFI_IPV4, SAFI_FLOWSPEC_VPN) => "ipv4/flow-vpn",
            (AFI_IPV6, SAFI_FLOWSPEC_VPN) => "ipv6/flow-vpn",
            (AFI_IPV4, 2) => "ipv4/multicast",
            (AFI_IPV6, 2) => "ipv6/multicast",
            (AFI_IPV4, 4) => "ipv4/mpls",
            (AFI_IPV6, 4) => "ipv6/mpls",
            (AFI_IPV4, 5) => "ipv4/mcast-vpn",
            (AFI_IPV6, 5) => "ipv6/mcast-vpn",
            (AFI_IPV4, 85) => "ipv4/mup",
            (AFI_IPV6, 85) => "ipv6/mup",
            (AFI_L2VPN, 65) => "l2vpn/vpls",
            (16388, 71) => "ls/ls",
            (16388, 72) => "ls/ls-vpn",
            _ => return None,
        })
    }

    /// Whether this codec decodes the family's NLRI into typed values.
    pub fn is_known(&self) -> bool {
        Family::KNOWN.contains(self)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "afi-{}/safi-{}", self.afi, self.safi),
        }
    }
}

impl fmt::Debug for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Family {
    type Err = TextError;

    /// The names above, plus the GoBGP names operators also know (`l2vpn-evpn`,
    /// `l3vpn-ipv4-unicast`, `rtc`, ...).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        if let Some(f) = Family::KNOWN
            .into_iter()
            .find(|f| f.name() == Some(lower.as_str()))
        {
            return Ok(f);
        }
        Ok(match lower.as_str() {
            "ipv4" | "ipv4-unicast" => Family::IPV4_UNICAST,
            "ipv6" | "ipv6-unicast" => Family::IPV6_UNICAST,
            "vpnv4" | "l3vpn-ipv4-unicast" | "ipv4-vpn" => Family::VPNV4,
            "vpnv6" | "l3vpn-ipv6-unicast" | "ipv6-vpn" => Family::VPNV6,
            "evpn" | "l2vpn-evpn" => Family::EVPN,
            "rtc" | "rt-constraint" => Family::RTC,
            "ipv4-flowspec" | "flowspec4" => Family::FLOWSPEC4,
            "ipv6-flowspec" | "flowspec6" => Family::FLOWSPEC6,
            "l3vpn-ipv4-flowspec" | "ipv4-l3vpn-flowspec" | "vpn-flowspec" => Family::VPN_FLOWSPEC4,
            "l3vpn-ipv6-flowspec" | "ipv6-l3vpn-flowspec" => Family::VPN_FLOWSPEC6,
            _ => return Err(TextError::new("address family", s, "unknown family name")),
        })
    }
}

serialize_display!(Family);
