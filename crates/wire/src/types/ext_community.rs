//! BGP extended communities (RFC 4360), kept as their 8 octets; `kind()` gives the typed view
//! of the ones BGP VPNs use, and anything else stays as bytes so it is passed on unchanged.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use crate::text::{parse_admin_number, serialize_display, AdminNumber, TextError};
use crate::types::MacAddress;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtendedCommunity(pub [u8; 8]);

/// A route target (RFC 4360 §4, RFC 5668): an extended community of subtype 0x02 in one of the
/// three administrator forms. Kept apart from other communities because the route table
/// indexes routes by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteTarget(pub [u8; 8]);

/// RFC 9012 / IANA "BGP Tunnel Encapsulation Attribute Tunnel Types".
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct TunnelType(pub u16);

impl TunnelType {
    pub const L2TPV3: TunnelType = TunnelType(1);
    pub const GRE: TunnelType = TunnelType(2);
    pub const IP_IN_IP: TunnelType = TunnelType(7);
    pub const VXLAN: TunnelType = TunnelType(8);
    pub const NVGRE: TunnelType = TunnelType(9);
    pub const MPLS: TunnelType = TunnelType(10);
    pub const MPLS_IN_GRE: TunnelType = TunnelType(11);
    pub const VXLAN_GPE: TunnelType = TunnelType(12);
    pub const MPLS_IN_UDP: TunnelType = TunnelType(13);
    pub const GENEVE: TunnelType = TunnelType(19);

    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::L2TPV3 => "l2tpv3",
            Self::GRE => "gre",
            Self::IP_IN_IP => "ipip",
            Self::VXLAN => "vxlan",
            Self::NVGRE => "nvgre",
            Self::MPLS => "mpls",
            Self::MPLS_IN_GRE => "mpls-in-gre",
            Self::VXLAN_GPE => "vxlan-gpe",
            Self::MPLS_IN_UDP => "mpls-in-udp",
            Self::GENEVE => "geneve",
            _ => return None,
        })
    }
}

impl fmt::Display for TunnelType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "tunnel-type-{}", self.0),
        }
    }
}

impl FromStr for TunnelType {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let known = [
            Self::L2TPV3,
            Self::GRE,
            Self::IP_IN_IP,
            Self::VXLAN,
            Self::NVGRE,
            Self::MPLS,
            Self::MPLS_IN_GRE,
            Self::VXLAN_GPE,
            Self::MPLS_IN_UDP,
            Self::GENEVE,
        ];
        let lower = s.to_ascii_lowercase();
        known
            .into_iter()
            .find(|t| t.name() == Some(lower.as_str()))
            .ok_or_else(|| TextError::new("encapsulation", s, "unknown tunnel type"))
    }
}

/// Which of the three administrator forms a route target, route origin or redirect uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminValue {
    As2 { asn: u16, number: u32 },
    Ipv4 { addr: Ipv4Addr, number: u16 },
    As4 { asn: u32, number: u16 },
}

impl fmt::Display for AdminValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminValue::As2 { asn, number } => write!(f, "{asn}:{number}"),
            AdminValue::Ipv4 { addr, number } => write!(f, "{addr}:{number}"),
            AdminValue::As4 { asn, number } => write!(f, "{asn}:{number}"),
        }
    }
}

/// The typed view of an extended community.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExtCommunityKind {
    RouteTarget(AdminValue),
    RouteOrigin(AdminValue),
    /// RFC 9012 §4.1 encapsulation extended community.
    Encapsulation(TunnelType),
    /// RFC 9012 §4.3 color extended community.
    Color {
        flags: u16,
        color: u32,
    },
    /// RFC 7432 §7.7 MAC mobility.
    MacMobility {
        sticky: bool,
        sequence: u32,
    },
    /// RFC 7432 §7.5 ESI label.
    EsiLabel {
        single_active: bool,
        label: u32,
    },
    /// RFC 7432 §7.6 ES-import route target.
    EsImport(MacAddress),
    /// RFC 9135 §8.1 router's MAC.
    RouterMac(MacAddress),
    /// RFC 7432 §7.8 default gateway.
    DefaultGateway,
    /// RFC 8955 §7.3 traffic-rate-bytes (bytes per second, IEEE float).
    TrafficRateBytes {
        asn: u16,
        rate: f32,
    },
    /// RFC 8955 §7.3 traffic-rate-packets.
    TrafficRatePackets {
        asn: u16,
        rate: f32,
    },
    /// RFC 8955 §7.4 traffic-action: sample and terminal bits.
    TrafficAction {
        sample: bool,
        terminal: bool,
    },
    /// RFC 8955 §7.5 / RFC 7674 redirect to VRF (a route target), in its three forms.
    Redirect(AdminValue),
    /// RFC 8955 §7.6 traffic-marking (DSCP).
    TrafficMarking {
        dscp: u8,
    },
    /// draft-fm-bess-service-chaining consistent hash sort order, as the original sends it.
    ConsistentHashSortOrder(u32),
    Other,
}

const SUB_RT: u8 = 0x02;
const SUB_RO: u8 = 0x03;

impl ExtendedCommunity {
    /// Whether the community may be passed to other ASes (bit 0x40 of the type is clear).
    pub fn is_transitive(&self) -> bool {
        self.0[0] & 0x40 == 0
    }

    fn admin_value(&self) -> Option<AdminValue> {
        let b = &self.0;
        Some(match b[0] & 0x3f {
            0x00 => AdminValue::As2 {
                asn: u16::from_be_bytes([b[2], b[3]]),
                number: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            },
            0x01 => AdminValue::Ipv4 {
                addr: Ipv4Addr::new(b[2], b[3], b[4], b[5]),
                number: u16::from_be_bytes([b[6], b[7]]),
            },
            0x02 => AdminValue::As4 {
                asn: u32::from_be_bytes([b[2], b[3], b[4], b[5]]),
                number: u16::from_be_bytes([b[6], b[7]]),
            },
            _ => return None,
        })
    }

    pub fn kind(&self) -> ExtCommunityKind {
        use ExtCommunityKind as K;
        let b = &self.0;
        let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mac_at =
            |i: usize| MacAddress([b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5]]);
        match (b[0], b[1]) {
            (0x00..=0x02, SUB_RT) => self.admin_value().map_or(K::Other, K::RouteTarget),
            (0x00..=0x02, SUB_RO) => self.admin_value().map_or(K::Other, K::RouteOrigin),
            (0x03, 0x0c) => K::Encapsulation(TunnelType(u16_at(6))),
            (0x03, 0x0b) => K::Color {
                flags: u16_at(2),
                color: u32_at(4),
            },
            (0x03, 0x0d) => K::DefaultGateway,
            (0x03, 0x14) => K::ConsistentHashSortOrder(u32_at(2)),
            (0x06, 0x00) => K::MacMobility {
                sticky: b[2] & 1 == 1,
                sequence: u32_at(4),
            },
            (0x06, 0x01) => K::EsiLabel {
                single_active: b[2] & 1 == 1,
                label: u32::from_be_bytes([0, b[5], b[6], b[7]]),
            },
            (0x06, 0x02) => K::EsImport(mac_at(2)),
            (0x06, 0x03) => K::RouterMac(mac_at(2)),
            (0x80, 0x06) => K::TrafficRateBytes {
                asn: u16_at(2),
                rate: f32::from_bits(u32_at(4)),
            },
            (0x80, 0x0c) => K::TrafficRatePackets {
                asn: u16_at(2),
                rate: f32::from_bits(u32_at(4)),
            },
            (0x80, 0x07) => K::TrafficAction {
                sample: b[7] & 0x02 != 0,
                terminal: b[7] & 0x01 != 0,
            },
            (0x80, 0x08) => K::Redirect(AdminValue::As2 {
                asn: u16_at(2),
                number: u32_at(4),
            }),
            (0x81, 0x08) => K::Redirect(AdminValue::Ipv4 {
                addr: Ipv4Addr::from(u32_at(2)),
                number: u16_at(6),
            }),
            (0x82, 0x08) => K::Redirect(AdminValue::As4 {
                asn: u32_at(2),
                number: u16_at(6),
            }),
            (0x80, 0x09) => K::TrafficMarking { dscp: b[7] & 0x3f },
            _ => K::Other,
        }
    }

    /// The route target this community is, if it is one.
    pub fn route_target(&self) -> Option<RouteTarget> {
        (self.0[0] <= 0x02 && self.0[1] == SUB_RT).then_some(RouteTarget(self.0))
    }

    fn with_admin(type_low: u8, subtype: u8, value: AdminValue) -> Self {
        let mut b = [0u8; 8];
        b[1] = subtype;
        match value {
            AdminValue::As2 { asn, number } => {
                b[0] = type_low;
                b[2..4].copy_from_slice(&asn.to_be_bytes());
                b[4..8].copy_from_slice(&number.to_be_bytes());
            }
            AdminValue::Ipv4 { addr, number } => {
                b[0] = type_low | 0x01;
                b[2..6].copy_from_slice(&addr.octets());
                b[6..8].copy_from_slice(&number.to_be_bytes());
            }
            AdminValue::As4 { asn, number } => {
                b[0] = type_low | 0x02;
                b[2..6].copy_from_slice(&asn.to_be_bytes());
                b[6..8].copy_from_slice(&number.to_be_bytes());
            }
        }
        ExtendedCommunity(b)
    }

    pub fn route_origin(value: AdminValue) -> Self {
        Self::with_admin(0x00, SUB_RO, value)
    }

    pub fn encapsulation(tunnel: TunnelType) -> Self {
        let t = tunnel.0.to_be_bytes();
        ExtendedCommunity([0x03, 0x0c, 0, 0, 0, 0, t[0], t[1]])
    }

    pub fn router_mac(mac: MacAddress) -> Self {
        let m = mac.0;
        ExtendedCommunity([0x06, 0x03, m[0], m[1], m[2], m[3], m[4], m[5]])
    }

    pub fn es_import(mac: MacAddress) -> Self {
        let m = mac.0;
        ExtendedCommunity([0x06, 0x02, m[0], m[1], m[2], m[3], m[4], m[5]])
    }

    pub fn mac_mobility(sticky: bool, sequence: u32) -> Self {
        let s = sequence.to_be_bytes();
        ExtendedCommunity([0x06, 0x00, sticky as u8, 0, s[0], s[1], s[2], s[3]])
    }

    pub fn esi_label(single_active: bool, label: u32) -> Self {
        let l = label.to_be_bytes();
        ExtendedCommunity([0x06, 0x01, single_active as u8, 0, 0, l[1], l[2], l[3]])
    }

    pub fn default_gateway() -> Self {
        ExtendedCommunity([0x03, 0x0d, 0, 0, 0, 0, 0, 0])
    }

    pub fn traffic_rate_bytes(asn: u16, rate: f32) -> Self {
        let a = asn.to_be_bytes();
        let r = rate.to_bits().to_be_bytes();
        ExtendedCommunity([0x80, 0x06, a[0], a[1], r[0], r[1], r[2], r[3]])
    }

    pub fn traffic_action(sample: bool, terminal: bool) -> Self {
        ExtendedCommunity([
            0x80,
            0x07,
            0,
            0,
            0,
            0,
            0,
            ((sample as u8) << 1) | terminal as u8,
        ])
    }

    /// Redirect to the VRF that imports `target` (RFC 8955 §7.5, RFC 7674 for 4-octet AS).
    pub fn redirect(target: AdminValue) -> Self {
        let mut c = Self::with_admin(0x80, 0x08, target);
        c.0[0] = match target {
            AdminValue::As2 { .. } => 0x80,
            AdminValue::Ipv4 { .. } => 0x81,
            AdminValue::As4 { .. } => 0x82,
        };
        c
    }

    pub fn traffic_marking(dscp: u8) -> Self {
        ExtendedCommunity([0x80, 0x09, 0, 0, 0, 0, 0, dscp & 0x3f])
    }

    pub fn consistent_hash_sort_order(order: u32) -> Self {
        let o = order.to_be_bytes();
        ExtendedCommunity([0x03, 0x14, o[0], o[1], o[2], o[3], 0, 0])
    }
}

impl From<RouteTarget> for ExtendedCommunity {
    fn from(rt: RouteTarget) -> Self {
        ExtendedCommunity(rt.0)
    }
}

impl fmt::Display for ExtendedCommunity {
    /// The forms exabgp and the original bagpipe-bgp print (`target:65000:1`, `encap:VXLAN`...).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ExtCommunityKind as K;
        match self.kind() {
            K::RouteTarget(v) => write!(f, "target:{v}"),
            K::RouteOrigin(v) => write!(f, "origin:{v}"),
            K::Encapsulation(t) => write!(f, "encap:{}", t.to_string().to_ascii_uppercase()),
            K::Color { color, .. } => write!(f, "color:{color}"),
            K::MacMobility { sticky, sequence } => {
                write!(
                    f,
                    "mac-mobility:{sequence}{}",
                    if sticky { ":sticky" } else { "" }
                )
            }
            K::EsiLabel {
                single_active,
                label,
            } => {
                write!(
                    f,
                    "esi-label:{label}{}",
                    if single_active { ":single-active" } else { "" }
                )
            }
            K::EsImport(mac) => write!(f, "es-import:{mac}"),
            K::RouterMac(mac) => write!(f, "router-mac:{mac}"),
            K::DefaultGateway => f.write_str("default-gateway"),
            K::TrafficRateBytes { asn, rate } => write!(f, "rate-limit:{asn}:{rate}"),
            K::TrafficRatePackets { asn, rate } => write!(f, "rate-limit-packets:{asn}:{rate}"),
            K::TrafficAction { sample, terminal } => {
                write!(f, "traffic-action:sample={sample},terminal={terminal}")
            }
            K::Redirect(v) => write!(f, "redirect:{v}"),
            K::TrafficMarking { dscp } => write!(f, "mark:{dscp}"),
            K::ConsistentHashSortOrder(o) => write!(f, "consistentHashSortOrder:{o}"),
            K::Other => {
                f.write_str("0x")?;
                self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl fmt::Debug for ExtendedCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

serialize_display!(ExtendedCommunity);

impl RouteTarget {
    pub fn new(value: AdminValue) -> Self {
        RouteTarget(ExtendedCommunity::with_admin(0x00, SUB_RT, value).0)
    }

    pub fn value(&self) -> AdminValue {
        ExtendedCommunity(self.0)
            .admin_value()
            .expect("a RouteTarget always has an admin form")
    }

    pub fn as_community(&self) -> ExtendedCommunity {
        ExtendedCommunity(self.0)
    }
}

impl fmt::Display for RouteTarget {
    /// The bare `ADMIN:NUMBER` form (`65000:100`); the looking glass adds `target:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value(), f)
    }
}

impl fmt::Debug for RouteTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RT({self})")
    }
}

impl FromStr for RouteTarget {
    type Err = TextError;

    /// `65000:100`, `192.0.2.1:7`, `4200000001:7`, optionally prefixed by `target:`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let body = s.trim().strip_prefix("target:").unwrap_or(s.trim());
        let value = match parse_admin_number("route target", body)? {
            AdminNumber::As2(asn, number) => AdminValue::As2 { asn, number },
            AdminNumber::Ipv4(addr, number) => AdminValue::Ipv4 { addr, number },
            AdminNumber::As4(asn, number) => AdminValue::As4 { asn, number },
        };
        Ok(RouteTarget::new(value))
    }
}

serialize_display!(RouteTarget);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_targets_of_three_forms() {
        for (text, bytes) in [
            ("65000:100", [0x00, 0x02, 0xfd, 0xe8, 0, 0, 0, 100]),
            ("192.0.2.1:7", [0x01, 0x02, 192, 0, 2, 1, 0, 7]),
            ("4200000001:7", [0x02, 0x02, 0xfa, 0x56, 0xea, 0x01, 0, 7]),
        ] {
            let rt: RouteTarget = text.parse().unwrap();
            assert_eq!(rt.0, bytes, "{text}");
            assert_eq!(rt.to_string(), text);
            assert_eq!(ExtendedCommunity(bytes).route_target(), Some(rt));
            assert_eq!(rt.as_community().to_string(), format!("target:{text}"));
        }
        assert_eq!(
            "target:64512:512"
                .parse::<RouteTarget>()
                .unwrap()
                .to_string(),
            "64512:512"
        );
    }

    #[test]
    fn typed_views_round_trip() {
        use ExtCommunityKind as K;
        let mac: MacAddress = "52:54:00:aa:bb:01".parse().unwrap();
        let cases = [
            (
                ExtendedCommunity::encapsulation(TunnelType::VXLAN),
                K::Encapsulation(TunnelType::VXLAN),
            ),
            (ExtendedCommunity::router_mac(mac), K::RouterMac(mac)),
            (ExtendedCommunity::es_import(mac), K::EsImport(mac)),
            (
                ExtendedCommunity::mac_mobility(true, 7),
                K::MacMobility {
                    sticky: true,
                    sequence: 7,
                },
            ),
            (
                ExtendedCommunity::esi_label(true, 3),
                K::EsiLabel {
                    single_active: true,
                    label: 3,
                },
            ),
            (ExtendedCommunity::default_gateway(), K::DefaultGateway),
            (
                ExtendedCommunity::traffic_rate_bytes(65000, 1000.0),
                K::TrafficRateBytes {
                    asn: 65000,
                    rate: 1000.0,
                },
            ),
            (
                ExtendedCommunity::traffic_action(true, false),
                K::TrafficAction {
                    sample: true,
                    terminal: false,
                },
            ),
            (
                ExtendedCommunity::traffic_marking(46),
                K::TrafficMarking { dscp: 46 },
            ),
            (
                ExtendedCommunity::consistent_hash_sort_order(9),
                K::ConsistentHashSortOrder(9),
            ),
        ];
        for (c, k) in cases {
            assert_eq!(c.kind(), k);
        }
        for v in [
            AdminValue::As2 {
                asn: 65000,
                number: 1,
            },
            AdminValue::Ipv4 {
                addr: Ipv4Addr::new(192, 0, 2, 1),
                number: 1,
            },
            AdminValue::As4 {
                asn: 4200000001,
                number: 1,
            },
        ] {
            assert_eq!(ExtendedCommunity::redirect(v).kind(), K::Redirect(v));
            assert_eq!(ExtendedCommunity::route_origin(v).kind(), K::RouteOrigin(v));
        }
    }
}
