//! Encode → decode is the identity for hand-built messages of every kind.

use std::net::{IpAddr, Ipv4Addr};

use bagpipe_wire::attr::{
    AsPath, AttrValue, Community, LargeCommunity, Origin, PathAttribute, PmsiTunnel, SubTlv, Tunnel,
};
use bagpipe_wire::message::{
    AddPathMode, Capability, GracefulRestart, GracefulRestartFamily, Notification, Open,
    RouteRefresh, Update,
};
use bagpipe_wire::nlri::{
    natural_width, EvpnRoute, FlowComponent, FlowPrefix, FlowSpecRule, Nlri, NumericOp, PathNlri,
    RtcNlri, VpnPrefix,
};
use bagpipe_wire::{
    CodecContext, Esi, ExtendedCommunity, Family, Label, Message, RouteTarget, TunnelType,
};

fn ctx() -> CodecContext {
    CodecContext {
        four_octet_as: true,
        extended_message: false,
        add_path: vec![],
    }
}

fn round_trip(m: &Message, ctx: &CodecContext) {
    let bytes = m.to_bytes(ctx).expect("encodes");
    let d = Message::decode(&bytes, ctx)
        .unwrap_or_else(|e| panic!("decode failed: {e}\n{}", bagpipe_wire::hex::Hex(&bytes)));
    assert!(d.issues.is_empty(), "{:?}", d.issues);
    assert_eq!(&d.message, m);
    assert_eq!(d.message.to_bytes(ctx).unwrap(), bytes);
}

fn base_attrs(rt: &str) -> Vec<PathAttribute> {
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::sequence(vec![64512, 4200000001]))),
        PathAttribute::new(AttrValue::LocalPref(100)),
        PathAttribute::new(AttrValue::ExtendedCommunities(vec![
            rt.parse::<RouteTarget>().unwrap().into(),
            ExtendedCommunity::encapsulation(TunnelType::VXLAN),
        ])),
    ]
}

#[test]
fn open_with_every_capability() {
    let caps = vec![
        Capability::Multiprotocol {
            family: Family::EVPN,
        },
        Capability::Multiprotocol {
            family: Family::VPNV4,
        },
        Capability::RouteRefresh,
        Capability::EnhancedRouteRefresh,
        Capability::ExtendedMessage,
        Capability::GracefulRestart(GracefulRestart {
            restarting: true,
            notification: false,
            restart_time: 120,
            families: vec![GracefulRestartFamily {
                family: Family::EVPN,
                forwarding_preserved: true,
            }],
        }),
        Capability::AddPath {
            families: vec![(Family::VPNV4, AddPathMode::Receive)],
        },
        Capability::Unknown {
            code: 73,
            known_as: Some("fqdn"),
            data: vec![1, b'a', 0],
        },
    ];
    let open = Open::new(4200000001, 90, Ipv4Addr::new(192, 0, 2, 1), caps);
    assert_eq!(open.asn(), 4200000001);
    assert_eq!(open.my_as, 23456);
    round_trip(&Message::Open(open), &CodecContext::initial());
}

#[test]
fn other_messages() {
    for m in [
        Message::Keepalive,
        Message::Notification(Notification::new(6, 2, b"bye".to_vec())),
        Message::RouteRefresh(RouteRefresh::request(Family::EVPN)),
    ] {
        round_trip(&m, &ctx());
    }
}

#[test]
fn evpn_routes_of_every_type() {
    let rd = "192.0.2.1:7".parse().unwrap();
    let esi = Esi([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let routes = vec![
        EvpnRoute::EthernetAutoDiscovery {
            rd,
            esi,
            etag: 1,
            label: Label::vni(10),
        },
        EvpnRoute::MacIpAdvertisement {
            rd,
            esi: Esi::ZERO,
            etag: 0,
            mac: "52:54:00:aa:bb:01".parse().unwrap(),
            ip: None,
            label: Label::vni(100),
            label2: None,
        },
        EvpnRoute::MacIpAdvertisement {
            rd,
            esi,
            etag: 0,
            mac: "52:54:00:aa:bb:02".parse().unwrap(),
            ip: Some("10.0.0.2".parse().unwrap()),
            label: Label::vni(100),
            label2: Some(Label::vni(200)),
        },
        EvpnRoute::MacIpAdvertisement {
            rd,
            esi,
            etag: 0,
            mac: "52:54:00:aa:bb:03".parse().unwrap(),
            ip: Some("2001:db8::3".parse().unwrap()),
            label: Label::vni(100),
            label2: None,
        },
        EvpnRoute::InclusiveMulticast {
            rd,
            etag: 0,
            originator: "192.0.2.1".parse().unwrap(),
        },
        EvpnRoute::EthernetSegment {
            rd,
            esi,
            originator: "2001:db8::1".parse().unwrap(),
        },
        EvpnRoute::IpPrefix {
            rd,
            esi: Esi::ZERO,
            etag: 0,
            prefix: "10.1.0.0/16".parse().unwrap(),
            gateway: "0.0.0.0".parse().unwrap(),
            label: Label::vni(5000),
        },
        EvpnRoute::IpPrefix {
            rd,
            esi: Esi::ZERO,
            etag: 0,
            prefix: "2001:db8:1::/48".parse().unwrap(),
            gateway: "::".parse().unwrap(),
            label: Label::vni(5000),
        },
        EvpnRoute::Unknown {
            code: 11,
            data: vec![1, 2, 3],
        },
    ];
    let nlri: Vec<PathNlri> = routes.into_iter().map(|r| Nlri::Evpn(r).into()).collect();
    let mut attrs = base_attrs("65000:100");
    attrs.push(PathAttribute::new(AttrValue::PmsiTunnel(
        PmsiTunnel::ingress_replication(Label::vni(100), "192.0.2.1".parse().unwrap()),
    )));
    let up = Update::announce(
        Family::EVPN,
        Some("192.0.2.1".parse().unwrap()),
        attrs,
        nlri.clone(),
    );
    round_trip(&Message::Update(up), &ctx());
    round_trip(
        &Message::Update(Update::withdraw(Family::EVPN, nlri)),
        &ctx(),
    );
}

#[test]
fn vpn_unicast_rtc_and_add_path() {
    let add_path = CodecContext {
        add_path: vec![Family::VPNV4, Family::IPV4_UNICAST, Family::RTC],
        ..ctx()
    };
    for c in [ctx(), add_path] {
        let path_id = if c.add_path.is_empty() { None } else { Some(7) };
        let vpn: Vec<PathNlri> = ["65000:2", "192.0.2.1:7", "4200000001:7"]
            .iter()
            .enumerate()
            .map(|(i, rd)| PathNlri {
                path_id,
                nlri: Nlri::Vpn(VpnPrefix::new(
                    rd.parse().unwrap(),
                    Label::mpls(16 + i as u32, true),
                    format!("10.{i}.0.0/24").parse().unwrap(),
                )),
            })
            .collect();
        round_trip(
            &Message::Update(Update::announce(
                Family::VPNV4,
                Some("192.0.2.1".parse().unwrap()),
                base_attrs("65000:1"),
                vpn.clone(),
            )),
            &c,
        );
        round_trip(&Message::Update(Update::withdraw(Family::VPNV4, vpn)), &c);
        let v6 = vec![PathNlri::from(Nlri::Vpn(VpnPrefix::new(
            "65000:2".parse().unwrap(),
            Label::mpls(99, true),
            "2001:db8::/64".parse().unwrap(),
        )))];
        round_trip(
            &Message::Update(Update::announce(
                Family::VPNV6,
                Some("2001:db8::1".parse().unwrap()),
                base_attrs("65000:1"),
                v6,
            )),
            &c,
        );

        let uni: Vec<PathNlri> = ["10.0.0.0/8", "192.0.2.0/24", "0.0.0.0/0"]
            .iter()
            .map(|p| PathNlri {
                path_id,
                nlri: Nlri::Unicast {
                    prefix: p.parse().unwrap(),
                },
            })
            .collect();
        let mut attrs = base_attrs("65000:1");
        attrs.push(PathAttribute::new(AttrValue::Med(5)));
        attrs.push(PathAttribute::new(AttrValue::Communities(vec![Community(
            65000 << 16 | 1,
        )])));
        attrs.push(PathAttribute::new(AttrValue::LargeCommunities(vec![
            LargeCommunity {
                global: 65000,
                local1: 1,
                local2: 2,
            },
        ])));
        attrs.push(PathAttribute::new(AttrValue::OriginatorId(Ipv4Addr::new(
            1, 2, 3, 4,
        ))));
        attrs.push(PathAttribute::new(AttrValue::ClusterList(vec![
            Ipv4Addr::new(5, 6, 7, 8),
        ])));
        round_trip(
            &Message::Update(Update::announce(
                Family::IPV4_UNICAST,
                Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9))),
                attrs,
                uni.clone(),
            )),
            &c,
        );
        round_trip(
            &Message::Update(Update::withdraw(Family::IPV4_UNICAST, uni)),
            &c,
        );

        let rtc = vec![
            PathNlri {
                path_id,
                nlri: Nlri::Rtc(RtcNlri::DEFAULT),
            },
            PathNlri {
                path_id,
                nlri: Nlri::Rtc(RtcNlri::new(64512, "65000:100".parse().unwrap())),
            },
        ];
        round_trip(
            &Message::Update(Update::announce(
                Family::RTC,
                Some("192.0.2.1".parse().unwrap()),
                base_attrs("65000:1")[..2].to_vec(),
                rtc,
            )),
            &c,
        );
    }
}

#[test]
fn flowspec_and_tunnel_encapsulation() {
    let op = |lt, gt, eq, and, value| NumericOp {
        and,
        lt,
        gt,
        eq,
        value,
        width: natural_width(value),
    };
    let rule = FlowSpecRule {
        afi: 1,
        rd: Some("65000:9".parse().unwrap()),
        components: vec![
            FlowComponent::DestinationPrefix(FlowPrefix {
                prefix: "10.0.0.0/24".parse().unwrap(),
                offset: 0,
            }),
            FlowComponent::Numeric {
                code: 3,
                ops: vec![
                    op(false, false, true, false, 6),
                    op(false, false, true, false, 17),
                ],
            },
            FlowComponent::Numeric {
                code: 5,
                ops: vec![
                    op(false, true, true, false, 80),
                    op(true, false, true, true, 8080),
                ],
            },
        ],
    };
    let rule6 = FlowSpecRule {
        afi: 2,
        rd: None,
        components: vec![
            FlowComponent::DestinationPrefix(FlowPrefix {
                prefix: "2001:db8::/32".parse().unwrap(),
                offset: 0,
            }),
            FlowComponent::SourcePrefix(FlowPrefix {
                prefix: "::1234:5678:0:0/96".parse().unwrap(),
                offset: 64,
            }),
            FlowComponent::Numeric {
                code: 13,
                ops: vec![op(false, false, true, false, 0xabcde)],
            },
        ],
    };
    let mut attrs = base_attrs("65000:1");
    attrs.push(PathAttribute::new(AttrValue::ExtendedCommunities(vec![
        ExtendedCommunity::traffic_rate_bytes(0, 0.0),
    ])));
    attrs.retain(|a| a.code() != 16);
    attrs.push(PathAttribute::new(AttrValue::TunnelEncapsulation(vec![
        Tunnel {
            tunnel_type: TunnelType::VXLAN,
            sub_tlvs: vec![
                SubTlv::vxlan(100, Some("52:54:00:aa:bb:01".parse().unwrap())),
                SubTlv::udp_destination_port(4789),
            ],
        },
    ])));
    round_trip(
        &Message::Update(Update::announce(
            Family::VPN_FLOWSPEC4,
            None,
            attrs.clone(),
            vec![Nlri::FlowSpec(rule).into()],
        )),
        &ctx(),
    );
    round_trip(
        &Message::Update(Update::announce(
            Family::FLOWSPEC6,
            None,
            attrs,
            vec![Nlri::FlowSpec(rule6).into()],
        )),
        &ctx(),
    );
}

#[test]
fn end_of_rib_markers() {
    for f in [Family::IPV4_UNICAST, Family::EVPN, Family::RTC] {
        let m = Update::end_of_rib(f);
        assert_eq!(m.is_end_of_rib(), Some(f));
        round_trip(&Message::Update(m), &ctx());
    }
}

#[test]
fn two_octet_session_uses_as_trans() {
    let two = CodecContext::initial();
    let up = Update::announce(
        Family::EVPN,
        Some("192.0.2.1".parse().unwrap()),
        base_attrs("65000:1"),
        vec![],
    );
    let bytes = Message::Update(up).to_bytes(&two).unwrap();
    let d = Message::decode(&bytes, &two).unwrap();
    let Message::Update(u) = d.message else {
        panic!()
    };
    assert_eq!(u.as_path().unwrap().to_string(), "64512 23456");
}
