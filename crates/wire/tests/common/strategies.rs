//! proptest strategies for every message kind the codec knows, with a session context that
//! agrees with them (4-octet AS or not, add-path families).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bagpipe_wire::attr::{
    Aggregator, AsPath, AttrValue, Community, LargeCommunity, MpReach, MpUnreach, NextHop, Origin,
    PathAttribute, PmsiTunnel, Segment, SegmentType, SubTlv, Tunnel,
};
use bagpipe_wire::message::{
    AddPathMode, Capability, ExtendedNextHop, GracefulRestart, GracefulRestartFamily, Notification,
    Open, OptionalParameter, RefreshSubtype, RouteRefresh, Update,
};
use bagpipe_wire::nlri::{
    BitmaskOp, EvpnRoute, FlowComponent, FlowPrefix, FlowSpecRule, Nlri, NumericOp, PathNlri,
    RtcNlri, VpnPrefix,
};
use bagpipe_wire::{
    CodecContext, Esi, ExtendedCommunity, Family, IpPrefix, Label, LabelStack, MacAddress, Message,
    RouteDistinguisher, TunnelType,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::subsequence;

pub fn context() -> impl Strategy<Value = CodecContext> {
    (
        any::<bool>(),
        any::<bool>(),
        subsequence(Family::KNOWN.to_vec(), 0..=Family::KNOWN.len()),
    )
        .prop_map(|(four_octet_as, extended_message, add_path)| CodecContext {
            four_octet_as,
            extended_message,
            add_path,
        })
}

/// A context and a message that can be encoded in it.
pub fn message_in_context() -> impl Strategy<Value = (CodecContext, Message)> {
    context().prop_flat_map(|ctx| {
        let m = message(&ctx);
        (Just(ctx), m)
    })
}

pub fn message(ctx: &CodecContext) -> BoxedStrategy<Message> {
    prop_oneof![
        open().prop_map(Message::Open),
        update(ctx).prop_map(Message::Update),
        notification().prop_map(Message::Notification),
        Just(Message::Keepalive),
        route_refresh().prop_map(Message::RouteRefresh),
    ]
    .boxed()
}

fn ipv4() -> impl Strategy<Value = Ipv4Addr> + Clone {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn ipv6() -> impl Strategy<Value = Ipv6Addr> + Clone {
    any::<u128>().prop_map(Ipv6Addr::from)
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![ipv4().prop_map(IpAddr::V4), ipv6().prop_map(IpAddr::V6)]
}

fn family() -> impl Strategy<Value = Family> {
    prop_oneof![
        proptest::sample::select(Family::KNOWN.to_vec()),
        (any::<u16>(), any::<u8>()).prop_map(|(a, s)| Family::new(a, s)),
    ]
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

// ------------------------------------------------------------------------------- OPEN

fn capability() -> impl Strategy<Value = Capability> {
    prop_oneof![
        family().prop_map(|family| Capability::Multiprotocol { family }),
        Just(Capability::RouteRefresh),
        Just(Capability::EnhancedRouteRefresh),
        Just(Capability::ExtendedMessage),
        vec((family(), any::<u16>()), 0..4).prop_map(|e| Capability::ExtendedNextHop {
            entries: e
                .into_iter()
                .map(|(family, next_hop_afi)| ExtendedNextHop {
                    family,
                    next_hop_afi
                })
                .collect()
        }),
        (
            any::<bool>(),
            any::<bool>(),
            0..=0x0fffu16,
            vec((family(), any::<bool>()), 0..4)
        )
            .prop_map(|(restarting, notification, restart_time, f)| {
                Capability::GracefulRestart(GracefulRestart {
                    restarting,
                    notification,
                    restart_time,
                    families: f
                        .into_iter()
                        .map(|(family, forwarding_preserved)| GracefulRestartFamily {
                            family,
                            forwarding_preserved,
                        })
                        .collect(),
                })
            }),
        any::<u32>().prop_map(|asn| Capability::FourOctetAs { asn }),
        vec(
            (
                family(),
                proptest::sample::select(vec![
                    AddPathMode::Receive,
                    AddPathMode::Send,
                    AddPathMode::Both
                ])
            ),
            0..4
        )
        .prop_map(|families| Capability::AddPath { families }),
        // Codes this codec does not type, with and without a well-known name.
        (
            proptest::sample::select(vec![
                (73u8, Some("fqdn")),
                (9, Some("bgp-role")),
                (99, None)
            ]),
            bytes(12)
        )
            .prop_map(|((code, known_as), data)| Capability::Unknown {
                code,
                known_as,
                data
            }),
    ]
}

pub fn open() -> impl Strategy<Value = Open> {
    let param = prop_oneof![
        4 => vec(capability(), 0..6).prop_map(OptionalParameter::Capabilities),
        1 => ((3u8..=254), bytes(8)).prop_map(|(param_type, data)| OptionalParameter::Unknown {
            param_type,
            data
        }),
    ];
    // Up to 60 parameters, so that RFC 9072 extended lengths are exercised too.
    (
        any::<u16>(),
        any::<u16>(),
        ipv4(),
        prop_oneof![vec(param.clone(), 0..4), vec(param, 40..60)],
    )
        .prop_map(|(my_as, hold_time, bgp_id, params)| Open {
            version: 4,
            my_as,
            hold_time,
            bgp_id,
            params,
        })
}

// ------------------------------------------------------------------------------- others

pub fn notification() -> impl Strategy<Value = Notification> {
    (any::<u8>(), any::<u8>(), bytes(64)).prop_map(|(c, s, d)| Notification::new(c, s, d))
}

pub fn route_refresh() -> impl Strategy<Value = RouteRefresh> {
    let subtype = prop_oneof![
        Just(RefreshSubtype::Request),
        Just(RefreshSubtype::BeginOfRefresh),
        Just(RefreshSubtype::EndOfRefresh),
        (3u8..=255).prop_map(RefreshSubtype::Reserved),
    ];
    (family(), subtype).prop_map(|(family, subtype)| RouteRefresh { family, subtype })
}

// ------------------------------------------------------------------------------- NLRI

fn prefix_v4() -> impl Strategy<Value = IpPrefix> {
    (ipv4(), 0..=32u8).prop_map(|(a, l)| IpPrefix::new(IpAddr::V4(a), l).expect("length <= 32"))
}

fn prefix_v6() -> impl Strategy<Value = IpPrefix> {
    (ipv6(), 0..=128u8).prop_map(|(a, l)| IpPrefix::new(IpAddr::V6(a), l).expect("length <= 128"))
}

fn rd() -> impl Strategy<Value = RouteDistinguisher> {
    prop_oneof![
        (any::<u16>(), any::<u32>()).prop_map(|(a, n)| RouteDistinguisher::as2(a, n)),
        (ipv4(), any::<u16>()).prop_map(|(a, n)| RouteDistinguisher::ipv4(a, n)),
        (any::<u32>(), any::<u16>()).prop_map(|(a, n)| RouteDistinguisher::as4(a, n)),
        any::<[u8; 8]>().prop_map(RouteDistinguisher),
    ]
}

fn label() -> impl Strategy<Value = Label> {
    (0u32..=0xff_ffff).prop_map(Label::from_raw)
}

/// Up to `max` MPLS labels, bottom-of-stack on the last only. Upper entries avoid the values
/// a withdrawal reads as "no label stack" (RFC 8277 §2.4).
fn label_stack(max: usize) -> impl Strategy<Value = LabelStack> {
    (vec(16u32..0x8_0000, 0..max), 0u32..=0xf_ffff).prop_map(|(upper, bottom)| {
        let mut s: LabelStack = upper.into_iter().map(|v| Label::mpls(v, false)).collect();
        s.push(Label::mpls(bottom, true));
        s
    })
}

fn evpn_route() -> impl Strategy<Value = EvpnRoute> {
    let esi = any::<[u8; 10]>().prop_map(Esi);
    let mac = any::<[u8; 6]>().prop_map(MacAddress);
    prop_oneof![
        (rd(), esi.clone(), any::<u32>(), label()).prop_map(|(rd, esi, etag, label)| {
            EvpnRoute::EthernetAutoDiscovery {
                rd,
                esi,
                etag,
                label,
            }
        }),
        (
            rd(),
            esi.clone(),
            any::<u32>(),
            mac,
            proptest::option::of(ip()),
            label(),
            proptest::option::of(label())
        )
            .prop_map(|(rd, esi, etag, mac, ip, label, label2)| {
                EvpnRoute::MacIpAdvertisement {
                    rd,
                    esi,
                    etag,
                    mac,
                    ip,
                    label,
                    label2,
                }
            }),
        (rd(), any::<u32>(), ip()).prop_map(|(rd, etag, originator)| {
            EvpnRoute::InclusiveMulticast {
                rd,
                etag,
                originator,
            }
        }),
        (rd(), esi.clone(), ip()).prop_map(|(rd, esi, originator)| EvpnRoute::EthernetSegment {
            rd,
            esi,
            originator
        }),
        (
            rd(),
            esi,
            any::<u32>(),
            prop_oneof![
                (prefix_v4(), ipv4().prop_map(IpAddr::V4)),
                (prefix_v6(), ipv6().prop_map(IpAddr::V6))
            ],
            label()
        )
            .prop_map(|(rd, esi, etag, (prefix, gateway), label)| {
                EvpnRoute::IpPrefix {
                    rd,
                    esi,
                    etag,
                    prefix,
                    gateway,
                    label,
                }
            }),
        (prop_oneof![Just(0u8), 6u8..=255], bytes(40))
            .prop_map(|(code, data)| EvpnRoute::Unknown { code, data }),
    ]
}

fn rtc() -> impl Strategy<Value = RtcNlri> {
    prop_oneof![
        Just(RtcNlri::DEFAULT),
        (any::<[u8; 12]>(), 32u8..=96)
            .prop_map(|(k, l)| RtcNlri::from_prefix(k, l).expect("length <= 96")),
    ]
}

fn numeric_ops() -> impl Strategy<Value = Vec<NumericOp>> {
    vec(
        (
            any::<[bool; 4]>(),
            proptest::sample::select(vec![1u8, 2, 4, 8]),
            any::<u64>(),
        )
            .prop_map(|([and, lt, gt, eq], width, v)| NumericOp {
                and,
                lt,
                gt,
                eq,
                value: truncate(v, width),
                width,
            }),
        1..4,
    )
}

fn bitmask_ops() -> impl Strategy<Value = Vec<BitmaskOp>> {
    vec(
        (
            any::<[bool; 3]>(),
            proptest::sample::select(vec![1u8, 2, 4, 8]),
            any::<u64>(),
        )
            .prop_map(|([and, not, matches], width, v)| BitmaskOp {
                and,
                not,
                matches,
                value: truncate(v, width),
                width,
            }),
        1..4,
    )
}

fn truncate(v: u64, width: u8) -> u64 {
    if width == 8 {
        v
    } else {
        v & ((1u64 << (8 * width)) - 1)
    }
}

/// An IPv6 FlowSpec prefix: the bits before `offset` are not carried, so they are zero.
fn flow_prefix_v6() -> impl Strategy<Value = FlowPrefix> {
    (any::<u128>(), 0..=128u8)
        .prop_flat_map(|(a, len)| (Just(a), Just(len), 0..=len))
        .prop_map(|(a, len, offset)| {
            let a = a.checked_shl(offset.into()).unwrap_or(0) >> offset;
            FlowPrefix {
                prefix: IpPrefix::new(IpAddr::V6(Ipv6Addr::from(a)), len).expect("length"),
                offset,
            }
        })
}

fn flowspec(family: Family) -> impl Strategy<Value = FlowSpecRule> {
    let v4 = family.afi == 1;
    let max_code = if v4 { 12 } else { 13 };
    let prefix = move || -> BoxedStrategy<FlowPrefix> {
        if v4 {
            prefix_v4()
                .prop_map(|prefix| FlowPrefix { prefix, offset: 0 })
                .boxed()
        } else {
            flow_prefix_v6().boxed()
        }
    };
    let codes = subsequence((1..=max_code).collect::<Vec<u8>>(), 1..=4);
    let component = move |code: u8| -> BoxedStrategy<FlowComponent> {
        match code {
            1 => prefix().prop_map(FlowComponent::DestinationPrefix).boxed(),
            2 => prefix().prop_map(FlowComponent::SourcePrefix).boxed(),
            9 | 12 => bitmask_ops()
                .prop_map(move |ops| FlowComponent::Bitmask { code, ops })
                .boxed(),
            _ => numeric_ops()
                .prop_map(move |ops| FlowComponent::Numeric { code, ops })
                .boxed(),
        }
    };
    let vpn = family.safi == 134;
    (codes, proptest::option::of(rd()))
        .prop_flat_map(move |(codes, rd)| {
            let comps: Vec<_> = codes.into_iter().map(component).collect();
            (comps, Just(rd))
        })
        .prop_map(move |(components, rd)| FlowSpecRule {
            afi: family.afi,
            rd: if vpn {
                Some(rd.unwrap_or_default())
            } else {
                None
            },
            components,
        })
}

pub fn nlri(family: Family) -> BoxedStrategy<Nlri> {
    match family {
        Family::IPV4_UNICAST => prefix_v4()
            .prop_map(|prefix| Nlri::Unicast { prefix })
            .boxed(),
        Family::IPV6_UNICAST => prefix_v6()
            .prop_map(|prefix| Nlri::Unicast { prefix })
            .boxed(),
        Family::VPNV4 | Family::VPNV6 => {
            // The NLRI length is one octet of bits: three labels, an RD and an IPv6 prefix
            // can exceed 255, so VPNv6 gets at most two labels.
            let (p, max_labels) = if family == Family::VPNV4 {
                (prefix_v4().boxed(), 3)
            } else {
                (prefix_v6().boxed(), 2)
            };
            (rd(), label_stack(max_labels), p)
                .prop_map(|(rd, labels, prefix)| Nlri::Vpn(VpnPrefix { rd, labels, prefix }))
                .boxed()
        }
        Family::EVPN => evpn_route().prop_map(Nlri::Evpn).boxed(),
        Family::RTC => rtc().prop_map(Nlri::Rtc).boxed(),
        _ => flowspec(family).prop_map(Nlri::FlowSpec).boxed(),
    }
}

/// Up to `max` NLRI of `family`, with path identifiers when `ctx` has add-path for it.
pub fn path_nlri(family: Family, ctx: &CodecContext, max: usize) -> BoxedStrategy<Vec<PathNlri>> {
    let add_path = ctx.add_path(family);
    vec((nlri(family), any::<u32>()), 0..=max)
        .prop_map(move |v| {
            v.into_iter()
                .map(|(nlri, id)| PathNlri {
                    path_id: add_path.then_some(id),
                    nlri,
                })
                .collect()
        })
        .boxed()
}

// ------------------------------------------------------------------------------- attributes

fn as_path(four_octet: bool) -> impl Strategy<Value = AsPath> {
    let asn = if four_octet {
        any::<u32>().boxed()
    } else {
        (0..=u16::MAX as u32).boxed()
    };
    let kind = proptest::sample::select(vec![
        SegmentType::Set,
        SegmentType::Sequence,
        SegmentType::ConfedSequence,
        SegmentType::ConfedSet,
    ]);
    vec((kind, vec(asn, 1..6)), 0..4).prop_map(|segs| AsPath {
        segments: segs
            .into_iter()
            .map(|(kind, asns)| Segment { kind, asns })
            .collect(),
    })
}

fn aggregator(four_octet: bool) -> impl Strategy<Value = Aggregator> {
    let asn = if four_octet {
        any::<u32>().boxed()
    } else {
        (0..=u16::MAX as u32).boxed()
    };
    (asn, ipv4()).prop_map(|(asn, addr)| Aggregator { asn, addr })
}

fn tunnels() -> impl Strategy<Value = Vec<Tunnel>> {
    let sub = (any::<u8>(), bytes(20)).prop_map(|(kind, value)| SubTlv { kind, value });
    let tunnel_type = prop_oneof![
        Just(TunnelType::VXLAN),
        Just(TunnelType::MPLS_IN_GRE),
        any::<u16>().prop_map(TunnelType)
    ];
    vec(
        (tunnel_type, vec(sub, 0..3)).prop_map(|(tunnel_type, sub_tlvs)| Tunnel {
            tunnel_type,
            sub_tlvs,
        }),
        1..3,
    )
}

/// Every attribute kind but MP_REACH_NLRI / MP_UNREACH_NLRI and the mandatory ones.
fn other_attributes(four_octet: bool) -> impl Strategy<Value = Vec<AttrValue>> {
    let community = any::<u32>().prop_map(Community);
    let large = any::<[u32; 3]>().prop_map(|[global, local1, local2]| LargeCommunity {
        global,
        local1,
        local2,
    });
    (
        (
            any::<u32>().prop_map(AttrValue::Med),
            any::<u32>().prop_map(AttrValue::LocalPref),
            Just(AttrValue::AtomicAggregate),
            aggregator(four_octet).prop_map(AttrValue::Aggregator),
            vec(community, 1..5).prop_map(AttrValue::Communities),
            ipv4().prop_map(AttrValue::OriginatorId),
            vec(ipv4(), 1..4).prop_map(AttrValue::ClusterList),
        ),
        (
            vec(any::<[u8; 8]>().prop_map(ExtendedCommunity), 1..5)
                .prop_map(AttrValue::ExtendedCommunities),
            as_path(true).prop_map(AttrValue::As4Path),
            aggregator(true).prop_map(AttrValue::As4Aggregator),
            (any::<u8>(), any::<u8>(), label(), bytes(16)).prop_map(|(flags, t, label, id)| {
                AttrValue::PmsiTunnel(PmsiTunnel {
                    flags,
                    tunnel_type: t,
                    label,
                    tunnel_id: id,
                })
            }),
            tunnels().prop_map(AttrValue::TunnelEncapsulation),
            vec(large, 1..4).prop_map(AttrValue::LargeCommunities),
            (40u8..=100, bytes(20)).prop_map(|(code, data)| AttrValue::Unknown { code, data }),
        ),
        any::<u16>(),
    )
        .prop_map(|((a, b, c, d, e, f, g), (h, i, j, k, l, m, n), pick)| {
            [a, b, c, d, e, f, g, h, i, j, k, l, m, n]
                .into_iter()
                .enumerate()
                .filter(|(i, _)| pick & (1 << i) != 0)
                .map(|(_, v)| v)
                .collect()
        })
}

/// A next hop of a form `family` can carry (RFC 7606 §7.11).
fn next_hop(family: Family) -> BoxedStrategy<NextHop> {
    let ll = proptest::option::of(ipv6());
    let v4 = ipv4().prop_map(|addr| NextHop::Ipv4 { addr });
    let v6 = (ipv6(), ll.clone()).prop_map(|(addr, link_local)| NextHop::Ipv6 { addr, link_local });
    let vpn6 = (ipv6(), ll).prop_map(|(addr, link_local)| NextHop::VpnIpv6 { addr, link_local });
    match family {
        Family::IPV6_UNICAST => v6.boxed(),
        Family::VPNV4 => {
            prop_oneof![ipv4().prop_map(|addr| NextHop::VpnIpv4 { addr }), vpn6].boxed()
        }
        Family::VPNV6 => vpn6.boxed(),
        f if f.safi == 133 || f.safi == 134 => prop_oneof![Just(NextHop::None), v4].boxed(),
        _ => prop_oneof![v4, v6].boxed(),
    }
}

fn mp_reach(ctx: &CodecContext) -> BoxedStrategy<AttrValue> {
    let ctx = ctx.clone();
    let known = proptest::sample::select(Family::KNOWN.to_vec()).prop_flat_map(move |family| {
        (next_hop(family), path_nlri(family, &ctx, 5)).prop_map(move |(next_hop, nlri)| {
            AttrValue::MpReach(MpReach {
                family,
                next_hop,
                nlri,
                opaque: Vec::new(),
            })
        })
    });
    // A family the codec does not decode: its NLRI are kept as bytes.
    let unknown = (ipv4(), bytes(30)).prop_map(|(addr, opaque)| {
        AttrValue::MpReach(MpReach {
            family: Family::new(1, 4),
            next_hop: NextHop::Ipv4 { addr },
            nlri: Vec::new(),
            opaque,
        })
    });
    prop_oneof![4 => known, 1 => unknown].boxed()
}

fn mp_unreach(ctx: &CodecContext) -> BoxedStrategy<AttrValue> {
    let ctx = ctx.clone();
    proptest::sample::select(Family::KNOWN.to_vec())
        .prop_flat_map(move |family| {
            path_nlri(family, &ctx, 5).prop_map(move |withdrawn| {
                AttrValue::MpUnreach(MpUnreach {
                    family,
                    withdrawn,
                    opaque: Vec::new(),
                })
            })
        })
        .boxed()
}

/// Flags as a sender may set them: the required optional/transitive bits, plus the partial bit
/// on optional transitive attributes and the extended-length bit where it is not needed.
fn with_flags(value: AttrValue, partial: bool, extended: bool) -> PathAttribute {
    let mut a = PathAttribute::new(value);
    if partial && a.is_optional() && a.is_transitive() {
        a.flags |= 0x20;
    }
    let mp = matches!(a.value, AttrValue::MpReach(_) | AttrValue::MpUnreach(_));
    if extended && !mp {
        a.flags |= 0x10;
    }
    a
}

pub fn update(ctx: &CodecContext) -> BoxedStrategy<Update> {
    let four = ctx.four_octet_as;
    let announce = (
        path_nlri(Family::IPV4_UNICAST, ctx, 4),
        path_nlri(Family::IPV4_UNICAST, ctx, 4),
        (
            proptest::sample::select(vec![Origin::Igp, Origin::Egp, Origin::Incomplete]),
            as_path(four),
            ipv4(),
        ),
        other_attributes(four),
        proptest::option::of(mp_reach(ctx)),
        proptest::option::of(mp_unreach(ctx)),
        vec(any::<(bool, bool)>(), 20),
        any::<u64>(),
    )
        .prop_map(
            |(withdrawn, nlri, (origin, path, nh), others, reach, unreach, flags, seed)| {
                let mut values = vec![
                    AttrValue::Origin(origin),
                    AttrValue::AsPath(path),
                    AttrValue::NextHop(nh),
                ];
                values.extend(others);
                values.extend(reach);
                values.extend(unreach);
                let mut attributes: Vec<PathAttribute> = values
                    .into_iter()
                    .zip(flags)
                    .map(|(v, (p, e))| with_flags(v, p, e))
                    .collect();
                shuffle(&mut attributes, seed);
                Update {
                    withdrawn,
                    attributes,
                    nlri,
                }
            },
        );
    let ctx2 = ctx.clone();
    let withdraw = proptest::sample::select(Family::KNOWN.to_vec())
        .prop_flat_map(move |f| path_nlri(f, &ctx2, 6).prop_map(move |n| Update::withdraw(f, n)));
    let eor = proptest::sample::select(Family::KNOWN.to_vec()).prop_map(Update::end_of_rib);
    prop_oneof![6 => announce, 2 => withdraw, 1 => eor].boxed()
}

/// Attribute order is free on the wire; a seeded Fisher-Yates keeps the case reproducible.
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.swap(i, (seed >> 33) as usize % (i + 1));
    }
}
