//! Differential tests against an independent decoder (rustbgpd-wire) on what both codecs know:
//! IPv4 unicast, VPNv4/VPNv6 and E-VPN MAC/IP routes with the common path attributes. The same
//! bytes must decode to the same facts in both.

use std::net::{IpAddr, Ipv4Addr};

use bagpipe_wire::attr::{AsPath, AttrValue, Community, Origin, PathAttribute, SegmentType};
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{EvpnRoute, Nlri, PathNlri, VpnPrefix};
use bagpipe_wire::{
    CodecContext, Esi, Family, IpPrefix, Label, MacAddress, Message, RouteDistinguisher,
};
use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use rustbgpd_wire as other;

/// The facts compared: one line each, sorted.
fn ours(bytes: &[u8], ctx: &CodecContext) -> Vec<String> {
    let d = Message::decode(bytes, ctx).expect("we decode what we encoded");
    let Message::Update(u) = d.message else {
        panic!("not an UPDATE")
    };
    let mut facts = Vec::new();
    for (family, nh, n) in u.announced() {
        facts.push(format!(
            "nh {family} {}",
            nh.map_or("-".into(), |a| a.to_string())
        ));
        facts.push(match &n.nlri {
            Nlri::Unicast { prefix } => format!("unicast {prefix}"),
            Nlri::Vpn(v) => format!(
                "vpn {} {} {:?}",
                v.rd,
                v.prefix,
                v.labels.iter().map(|l| l.mpls_value()).collect::<Vec<_>>()
            ),
            Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
                rd, mac, ip, label, ..
            }) => {
                format!("evpn2 {rd} {mac} {ip:?} {}", label.raw())
            }
            other => panic!("not generated: {other:?}"),
        });
    }
    for a in &u.attributes {
        match &a.value {
            AttrValue::Origin(o) => facts.push(format!("origin {o:?}")),
            AttrValue::AsPath(p) => facts.extend(
                p.segments
                    .iter()
                    .map(|s| format!("segment {} {:?}", s.kind == SegmentType::Set, s.asns)),
            ),
            AttrValue::Med(m) => facts.push(format!("med {m}")),
            AttrValue::LocalPref(l) => facts.push(format!("local-pref {l}")),
            AttrValue::Communities(c) => facts.push(format!(
                "communities {:?}",
                c.iter().map(|c| c.0).collect::<Vec<_>>()
            )),
            _ => {}
        }
    }
    facts.sort();
    facts
}

fn theirs(bytes: &[u8]) -> Vec<String> {
    let mut buf = Bytes::copy_from_slice(bytes);
    let m = other::decode_message(&mut buf, 4096).expect("rustbgpd-wire decodes it");
    let other::Message::Update(um) = m else {
        panic!("rustbgpd-wire: not an UPDATE")
    };
    let p = um.parse(true, false, &[]).expect("rustbgpd-wire parses it");
    let mut facts = Vec::new();
    let classic_nh = p.attributes.iter().find_map(|a| match a {
        other::PathAttribute::NextHop(a) => Some(*a),
        _ => None,
    });
    for e in &p.announced {
        let nh = classic_nh.map_or("-".into(), |a| a.to_string());
        facts.push(format!("nh ipv4/unicast {nh}"));
        facts.push(format!("unicast {}", e.prefix));
    }
    for a in &p.attributes {
        match a {
            other::PathAttribute::Origin(o) => facts.push(format!("origin {o:?}")),
            other::PathAttribute::AsPath(path) => {
                facts.extend(path.segments.iter().map(|s| match s {
                    other::AsPathSegment::AsSet(v) => format!("segment true {v:?}"),
                    other::AsPathSegment::AsSequence(v) => format!("segment false {v:?}"),
                }))
            }
            other::PathAttribute::Med(m) => facts.push(format!("med {m}")),
            other::PathAttribute::LocalPref(l) => facts.push(format!("local-pref {l}")),
            other::PathAttribute::Communities(c) => facts.push(format!("communities {c:?}")),
            other::PathAttribute::MpReachNlri(r) => {
                let family = if r.evpn_announced.is_empty() {
                    if matches!(r.next_hop, IpAddr::V4(_))
                        && r.vpn_announced
                            .iter()
                            .all(|v| v.nlri.prefix.to_string().contains('.'))
                    {
                        "ipv4/mpls-vpn"
                    } else {
                        "ipv6/mpls-vpn"
                    }
                } else {
                    "l2vpn/evpn"
                };
                for v in &r.vpn_announced {
                    let fam = if v.nlri.prefix.to_string().contains(':') {
                        "ipv6/mpls-vpn"
                    } else {
                        family
                    };
                    facts.push(format!("nh {fam} {}", r.next_hop));
                    let labels: Vec<u32> = v.nlri.labels.iter().map(|l| l.label).collect();
                    facts.push(format!(
                        "vpn {} {} {labels:?}",
                        v.nlri.route_distinguisher, v.nlri.prefix
                    ));
                }
                for e in &r.evpn_announced {
                    facts.push(format!("nh l2vpn/evpn {}", r.next_hop));
                    match e {
                        other::EvpnRoute::MacIp(m) => facts.push(format!(
                            "evpn2 {} {} {:?} {}",
                            m.rd, m.mac, m.ip, m.label1.0
                        )),
                        other => facts.push(format!("unexpected {other:?}")),
                    }
                }
            }
            _ => {}
        }
    }
    facts.sort();
    facts
}

fn rd() -> impl Strategy<Value = RouteDistinguisher> {
    prop_oneof![
        (any::<u16>(), any::<u32>()).prop_map(|(a, n)| RouteDistinguisher::as2(a, n)),
        (any::<u32>(), any::<u16>())
            .prop_map(|(a, n)| RouteDistinguisher::ipv4(Ipv4Addr::from(a), n)),
        (65536u32.., any::<u16>()).prop_map(|(a, n)| RouteDistinguisher::as4(a, n)),
    ]
}

fn routes() -> impl Strategy<Value = (Family, Vec<PathNlri>)> {
    let v4 = (any::<u32>(), 0u8..=32)
        .prop_map(|(a, l)| IpPrefix::new(Ipv4Addr::from(a).into(), l).unwrap());
    let v6 = (any::<u128>(), 0u8..=128)
        .prop_map(|(a, l)| IpPrefix::new(std::net::Ipv6Addr::from(a).into(), l).unwrap());
    let label = 16u32..0x10_0000;
    let vpn = |p: BoxedStrategy<IpPrefix>| {
        vec((rd(), label.clone(), p), 1..8).prop_map(|v| {
            v.into_iter()
                .map(|(rd, l, p)| Nlri::Vpn(VpnPrefix::new(rd, Label::mpls(l, true), p)).into())
                .collect::<Vec<PathNlri>>()
        })
    };
    let ip = proptest::option::of(prop_oneof![
        any::<u32>().prop_map(|a| IpAddr::V4(a.into())),
        any::<u128>().prop_map(|a| IpAddr::V6(a.into()))
    ]);
    let evpn = vec((rd(), any::<[u8; 6]>(), ip, 0u32..=0xff_ffff), 1..8).prop_map(|v| {
        v.into_iter()
            .map(|(rd, mac, ip, vni)| {
                Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
                    rd,
                    esi: Esi::ZERO,
                    etag: 0,
                    mac: MacAddress(mac),
                    ip,
                    label: Label::vni(vni),
                    label2: None,
                })
                .into()
            })
            .collect::<Vec<PathNlri>>()
    });
    let unicast = vec(v4.clone(), 1..8).prop_map(|v| {
        v.into_iter()
            .map(|prefix| Nlri::Unicast { prefix }.into())
            .collect()
    });
    prop_oneof![
        unicast.prop_map(|n| (Family::IPV4_UNICAST, n)),
        vpn(v4.boxed()).prop_map(|n| (Family::VPNV4, n)),
        vpn(v6.boxed()).prop_map(|n| (Family::VPNV6, n)),
        evpn.prop_map(|n| (Family::EVPN, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn both_decoders_agree(
        (family, nlri) in routes(),
        origin in prop_oneof![Just(Origin::Igp), Just(Origin::Egp), Just(Origin::Incomplete)],
        path in vec((any::<bool>(), vec(1u32.., 1..5)), 1..3),
        med in proptest::option::of(any::<u32>()),
        local_pref in proptest::option::of(any::<u32>()),
        communities in vec(any::<u32>(), 0..4),
        nh in any::<u32>(),
    ) {
        let mut attrs = vec![
            PathAttribute::new(AttrValue::Origin(origin)),
            PathAttribute::new(AttrValue::AsPath(AsPath {
                segments: path
                    .into_iter()
                    .map(|(set, asns)| bagpipe_wire::attr::Segment {
                        kind: if set { SegmentType::Set } else { SegmentType::Sequence },
                        asns,
                    })
                    .collect(),
            })),
        ];
        attrs.extend(med.map(|m| PathAttribute::new(AttrValue::Med(m))));
        attrs.extend(local_pref.map(|l| PathAttribute::new(AttrValue::LocalPref(l))));
        if !communities.is_empty() {
            attrs.push(PathAttribute::new(AttrValue::Communities(
                communities.into_iter().map(Community).collect(),
            )));
        }
        let next_hop = if family == Family::VPNV6 {
            IpAddr::V6(std::net::Ipv6Addr::from(u128::from(nh) | 0x2001_0db8 << 96))
        } else {
            IpAddr::V4(Ipv4Addr::from(nh))
        };
        let ctx = CodecContext { four_octet_as: true, ..CodecContext::default() };
        let m = Message::Update(Update::announce(family, Some(next_hop), attrs, nlri));
        let bytes = m.to_bytes(&ctx).expect("encodes");
        let facts = ours(&bytes, &ctx);
        prop_assert!(facts.iter().any(|f| f.starts_with("nh ")), "no route decoded: {facts:?}");
        prop_assert_eq!(facts, theirs(&bytes), "{}", bagpipe_wire::hex::Hex(&bytes));
    }
}
