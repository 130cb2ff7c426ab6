//! Address families as a trait (STYLE.md habit 6): each says what identifies a route (its key,
//! RFC-defined: e.g. an E-VPN MAC/IP route is keyed by RD, tag, MAC and IP, its labels and ESI
//! being route data) and what else the NLRI carries, so that the route table is written once
//! and stores each family's routes compactly.

use std::fmt;
use std::hash::Hash;
use std::net::IpAddr;

use bagpipe_wire::nlri::{EvpnRoute, FlowSpecRule, Nlri, RtcNlri, VpnPrefix};
use bagpipe_wire::{
    Esi, Family, IpPrefix, Ipv4Prefix, Ipv6Prefix, Label, LabelStack, MacAddress,
    RouteDistinguisher,
};
use serde::Serialize;

pub trait AddressFamily: 'static {
    type Key: Clone + Eq + Hash + fmt::Debug;
    type Data: Clone + Eq + fmt::Debug;

    /// Splits an NLRI of this family into key and data; `None` if it is of another family.
    fn split(nlri: &Nlri) -> Option<(Self::Key, Self::Data)>;
    fn join(key: &Self::Key, data: &Self::Data) -> Nlri;
    /// The family-independent form of a key.
    fn erase(key: &Self::Key) -> RouteKey;
    fn family_of(key: &Self::Key) -> Family;
    /// Whether routes of this family are selected by route targets (VPN families), so that
    /// RT Constraint filters them.
    const USES_ROUTE_TARGETS: bool;
}

/// A route's key in any family: what the outbox coalesces on and the looking glass shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum RouteKey {
    Ipv4(Ipv4Prefix),
    Ipv6(Ipv6Prefix),
    Vpn4(VpnKey<Ipv4Prefix>),
    Vpn6(VpnKey<Ipv6Prefix>),
    Evpn(EvpnKey),
    Rtc(RtcNlri),
    Flow(FlowSpecRule),
}

impl RouteKey {
    /// The key of the route an NLRI is (`None` for a kind of NLRI the table does not keep).
    pub fn of(nlri: &Nlri) -> Option<RouteKey> {
        fn erased<F: AddressFamily>(nlri: &Nlri) -> Option<RouteKey> {
            F::split(nlri).map(|(key, _)| F::erase(&key))
        }
        match nlri {
            Nlri::Unicast { .. } => {
                erased::<Ipv4Unicast>(nlri).or_else(|| erased::<Ipv6Unicast>(nlri))
            }
            Nlri::Vpn(_) => erased::<Vpnv4>(nlri).or_else(|| erased::<Vpnv6>(nlri)),
            Nlri::Evpn(_) => erased::<Evpn>(nlri),
            Nlri::Rtc(_) => erased::<Rtc>(nlri),
            Nlri::FlowSpec(_) => erased::<FlowSpec>(nlri),
        }
    }
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteKey::Ipv4(p) => p.fmt(f),
            RouteKey::Ipv6(p) => p.fmt(f),
            RouteKey::Vpn4(k) => write!(f, "{}:{}", k.rd, k.prefix),
            RouteKey::Vpn6(k) => write!(f, "{}:{}", k.rd, k.prefix),
            RouteKey::Evpn(k) => k.fmt(f),
            RouteKey::Rtc(r) => r.fmt(f),
            RouteKey::Flow(r) => r.fmt(f),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct VpnKey<P> {
    pub rd: RouteDistinguisher,
    pub prefix: P,
}

/// E-VPN route keys (RFC 7432 §7.1–7.4, RFC 9136 §3.2): only these fields identify a route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "route_type", rename_all = "kebab-case")]
pub enum EvpnKey {
    EthernetAutoDiscovery {
        rd: RouteDistinguisher,
        esi: Esi,
        etag: u32,
    },
    MacIp {
        rd: RouteDistinguisher,
        etag: u32,
        mac: MacAddress,
        ip: Option<IpAddr>,
    },
    InclusiveMulticast {
        rd: RouteDistinguisher,
        etag: u32,
        originator: IpAddr,
    },
    EthernetSegment {
        rd: RouteDistinguisher,
        esi: Esi,
        originator: IpAddr,
    },
    IpPrefix {
        rd: RouteDistinguisher,
        etag: u32,
        prefix: IpPrefix,
    },
    Unknown {
        code: u8,
        data: Box<[u8]>,
    },
}

impl fmt::Display for EvpnKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvpnKey::EthernetAutoDiscovery { rd, esi, etag } => {
                write!(f, "type1:{rd}:{esi}:{etag}")
            }
            EvpnKey::MacIp { rd, etag, mac, ip } => {
                write!(f, "type2:{rd}:{etag}:{mac}")?;
                if let Some(ip) = ip {
                    write!(f, ":{ip}")?;
                }
                Ok(())
            }
            EvpnKey::InclusiveMulticast {
                rd,
                etag,
                originator,
            } => write!(f, "type3:{rd}:{etag}:{originator}"),
            EvpnKey::EthernetSegment {
                rd,
                esi,
                originator,
            } => write!(f, "type4:{rd}:{esi}:{originator}"),
            EvpnKey::IpPrefix { rd, etag, prefix } => write!(f, "type5:{rd}:{etag}:{prefix}"),
            EvpnKey::Unknown { code, .. } => write!(f, "type{code}"),
        }
    }
}

/// The non-key fields of E-VPN routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvpnData {
    Label(Label),
    MacIp {
        esi: Esi,
        label: Label,
        label2: Option<Label>,
    },
    None,
    Prefix {
        esi: Esi,
        gateway: IpAddr,
        label: Label,
    },
}

pub struct Ipv4Unicast;
pub struct Ipv6Unicast;
pub struct Vpnv4;
pub struct Vpnv6;
pub struct Evpn;
pub struct Rtc;
/// FlowSpec of both AFIs, plain and VPN: the rule itself says which.
pub struct FlowSpec;

/// Unicast families: the key is the prefix, of one IP version.
macro_rules! unicast_family {
    ($t:ty, $prefix:ty, $variant:ident, $erased:ident, $family:expr) => {
        impl AddressFamily for $t {
            type Key = $prefix;
            type Data = ();
            const USES_ROUTE_TARGETS: bool = false;

            fn split(nlri: &Nlri) -> Option<($prefix, ())> {
                match nlri {
                    Nlri::Unicast {
                        prefix: IpPrefix::$variant(p),
                    } => Some((*p, ())),
                    _ => None,
                }
            }

            fn join(key: &$prefix, _: &()) -> Nlri {
                Nlri::Unicast {
                    prefix: IpPrefix::$variant(*key),
                }
            }

            fn erase(key: &$prefix) -> RouteKey {
                RouteKey::$erased(*key)
            }

            fn family_of(_: &$prefix) -> Family {
                $family
            }
        }
    };
}

unicast_family!(Ipv4Unicast, Ipv4Prefix, V4, Ipv4, Family::IPV4_UNICAST);
unicast_family!(Ipv6Unicast, Ipv6Prefix, V6, Ipv6, Family::IPV6_UNICAST);

/// Without the Multiple Labels capability (RFC 8277 §2.1, which we do not advertise) a VPN
/// NLRI carries exactly one label, so one is stored.
fn first_label(labels: &LabelStack) -> Label {
    labels.first().copied().unwrap_or(Label::WITHDRAWN)
}

/// VPN families: the key is the RD and the prefix, of one IP version; the label is data.
macro_rules! vpn_family {
    ($t:ty, $prefix:ty, $variant:ident, $erased:ident, $family:expr) => {
        impl AddressFamily for $t {
            type Key = VpnKey<$prefix>;
            type Data = Label;
            const USES_ROUTE_TARGETS: bool = true;

            fn split(nlri: &Nlri) -> Option<(Self::Key, Label)> {
                match nlri {
                    Nlri::Vpn(VpnPrefix {
                        rd,
                        labels,
                        prefix: IpPrefix::$variant(p),
                    }) => Some((
                        VpnKey {
                            rd: *rd,
                            prefix: *p,
                        },
                        first_label(labels),
                    )),
                    _ => None,
                }
            }

            fn join(key: &Self::Key, label: &Label) -> Nlri {
                Nlri::Vpn(VpnPrefix::new(
                    key.rd,
                    *label,
                    IpPrefix::$variant(key.prefix),
                ))
            }

            fn erase(key: &Self::Key) -> RouteKey {
                RouteKey::$erased(*key)
            }

            fn family_of(_: &Self::Key) -> Family {
                $family
            }
        }
    };
}

vpn_family!(Vpnv4, Ipv4Prefix, V4, Vpn4, Family::VPNV4);
vpn_family!(Vpnv6, Ipv6Prefix, V6, Vpn6, Family::VPNV6);

impl AddressFamily for Evpn {
    type Key = EvpnKey;
    type Data = EvpnData;
    const USES_ROUTE_TARGETS: bool = true;

    fn split(nlri: &Nlri) -> Option<(EvpnKey, EvpnData)> {
        let Nlri::Evpn(r) = nlri else { return None };
        Some(match r.clone() {
            EvpnRoute::EthernetAutoDiscovery {
                rd,
                esi,
                etag,
                label,
            } => (
                EvpnKey::EthernetAutoDiscovery { rd, esi, etag },
                EvpnData::Label(label),
            ),
            EvpnRoute::MacIpAdvertisement {
                rd,
                esi,
                etag,
                mac,
                ip,
                label,
                label2,
            } => (
                EvpnKey::MacIp { rd, etag, mac, ip },
                EvpnData::MacIp { esi, label, label2 },
            ),
            EvpnRoute::InclusiveMulticast {
                rd,
                etag,
                originator,
            } => (
                EvpnKey::InclusiveMulticast {
                    rd,
                    etag,
                    originator,
                },
                EvpnData::None,
            ),
            EvpnRoute::EthernetSegment {
                rd,
                esi,
                originator,
            } => (
                EvpnKey::EthernetSegment {
                    rd,
                    esi,
                    originator,
                },
                EvpnData::None,
            ),
            EvpnRoute::IpPrefix {
                rd,
                esi,
                etag,
                prefix,
                gateway,
                label,
            } => (
                EvpnKey::IpPrefix { rd, etag, prefix },
                EvpnData::Prefix {
                    esi,
                    gateway,
                    label,
                },
            ),
            EvpnRoute::Unknown { code, data } => (
                EvpnKey::Unknown {
                    code,
                    data: data.into_boxed_slice(),
                },
                EvpnData::None,
            ),
        })
    }

    fn join(key: &EvpnKey, data: &EvpnData) -> Nlri {
        let zero = Label::from_raw(0);
        let route = match (key.clone(), data.clone()) {
            (EvpnKey::EthernetAutoDiscovery { rd, esi, etag }, d) => {
                let label = if let EvpnData::Label(l) = d { l } else { zero };
                EvpnRoute::EthernetAutoDiscovery {
                    rd,
                    esi,
                    etag,
                    label,
                }
            }
            (EvpnKey::MacIp { rd, etag, mac, ip }, d) => {
                let (esi, label, label2) = if let EvpnData::MacIp { esi, label, label2 } = d {
                    (esi, label, label2)
                } else {
                    (Esi::ZERO, zero, None)
                };
                EvpnRoute::MacIpAdvertisement {
                    rd,
                    esi,
                    etag,
                    mac,
                    ip,
                    label,
                    label2,
                }
            }
            (
                EvpnKey::InclusiveMulticast {
                    rd,
                    etag,
                    originator,
                },
                _,
            ) => EvpnRoute::InclusiveMulticast {
                rd,
                etag,
                originator,
            },
            (
                EvpnKey::EthernetSegment {
                    rd,
                    esi,
                    originator,
                },
                _,
            ) => EvpnRoute::EthernetSegment {
                rd,
                esi,
                originator,
            },
            (EvpnKey::IpPrefix { rd, etag, prefix }, d) => {
                let unspecified = if prefix.is_ipv4() {
                    IpAddr::from([0u8; 4])
                } else {
                    IpAddr::from([0u8; 16])
                };
                let (esi, gateway, label) = if let EvpnData::Prefix {
                    esi,
                    gateway,
                    label,
                } = d
                {
                    (esi, gateway, label)
                } else {
                    (Esi::ZERO, unspecified, zero)
                };
                EvpnRoute::IpPrefix {
                    rd,
                    esi,
                    etag,
                    prefix,
                    gateway,
                    label,
                }
            }
            (EvpnKey::Unknown { code, data }, _) => EvpnRoute::Unknown {
                code,
                data: data.into_vec(),
            },
        };
        Nlri::Evpn(route)
    }

    fn erase(key: &EvpnKey) -> RouteKey {
        RouteKey::Evpn(key.clone())
    }

    fn family_of(_: &EvpnKey) -> Family {
        Family::EVPN
    }
}

impl AddressFamily for Rtc {
    type Key = RtcNlri;
    type Data = ();
    const USES_ROUTE_TARGETS: bool = false;

    fn split(nlri: &Nlri) -> Option<(RtcNlri, ())> {
        match nlri {
            Nlri::Rtc(r) => Some((*r, ())),
            _ => None,
        }
    }

    fn join(key: &RtcNlri, _: &()) -> Nlri {
        Nlri::Rtc(*key)
    }

    fn erase(key: &RtcNlri) -> RouteKey {
        RouteKey::Rtc(*key)
    }

    fn family_of(_: &RtcNlri) -> Family {
        Family::RTC
    }
}

impl AddressFamily for FlowSpec {
    type Key = FlowSpecRule;
    type Data = ();
    // Plain FlowSpec has no RD and no RT semantics; VPN FlowSpec does. Rules of both kinds
    // share this table, so RT Constraint is decided per route (see `export`).
    const USES_ROUTE_TARGETS: bool = true;

    fn split(nlri: &Nlri) -> Option<(FlowSpecRule, ())> {
        match nlri {
            Nlri::FlowSpec(r) => Some((r.clone(), ())),
            _ => None,
        }
    }

    fn join(key: &FlowSpecRule, _: &()) -> Nlri {
        Nlri::FlowSpec(key.clone())
    }

    fn erase(key: &FlowSpecRule) -> RouteKey {
        RouteKey::Flow(key.clone())
    }

    fn family_of(key: &FlowSpecRule) -> Family {
        key.family()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evpn_labels_and_esi_are_data_not_key() {
        let rd: RouteDistinguisher = "65000:1".parse().unwrap();
        let mac: MacAddress = "52:54:00:00:00:01".parse().unwrap();
        let a = Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
            rd,
            esi: Esi::ZERO,
            etag: 0,
            mac,
            ip: None,
            label: Label::vni(10),
            label2: None,
        });
        let b = Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
            rd,
            esi: Esi([1; 10]),
            etag: 0,
            mac,
            ip: None,
            label: Label::vni(20),
            label2: None,
        });
        let (ka, da) = Evpn::split(&a).unwrap();
        let (kb, db) = Evpn::split(&b).unwrap();
        assert_eq!(ka, kb);
        assert_ne!(da, db);
        assert_eq!(Evpn::join(&kb, &db), b);
    }

    #[test]
    fn vpn_round_trip_and_key_size() {
        let n = Nlri::Vpn(VpnPrefix::new(
            "65000:2".parse().unwrap(),
            Label::mpls(200, true),
            "10.2.0.0/24".parse().unwrap(),
        ));
        let (k, d) = Vpnv4::split(&n).unwrap();
        assert_eq!(Vpnv4::join(&k, &d), n);
        assert!(Vpnv6::split(&n).is_none());
        // RD (8) and an IPv4 prefix (5): the key of a million VPNv4 routes stays small.
        assert_eq!(std::mem::size_of::<VpnKey<Ipv4Prefix>>(), 13);
    }

    #[test]
    fn the_key_of_an_nlri_leaves_its_data_out() {
        let vpn = |rd: &str, label: u32, prefix: &str| {
            Nlri::Vpn(VpnPrefix::new(
                rd.parse().unwrap(),
                Label::mpls(label, true),
                prefix.parse().unwrap(),
            ))
        };
        let key = RouteKey::of(&vpn("65000:2", 200, "10.2.0.0/24")).unwrap();
        assert_eq!(key.to_string(), "65000:2:10.2.0.0/24");
        assert_eq!(
            RouteKey::of(&vpn("65000:2", 300, "10.2.0.0/24")),
            Some(key.clone())
        );
        assert_ne!(
            RouteKey::of(&vpn("65000:3", 200, "10.2.0.0/24")),
            Some(key.clone())
        );
        assert!(matches!(
            RouteKey::of(&vpn("65000:2", 200, "2001:db8::/64")),
            Some(RouteKey::Vpn6(_))
        ));
        let unicast = Nlri::Unicast {
            prefix: "10.2.0.0/24".parse().unwrap(),
        };
        assert!(matches!(RouteKey::of(&unicast), Some(RouteKey::Ipv4(_))));
    }
}
