//! Decode and encode throughput of packed UPDATEs, in NLRI per second on one core.
//!
//!   CARGO_TARGET_DIR=/work/target-wire cargo bench -p bagpipe-wire --bench throughput
//!
//! Each UPDATE is filled to the 4096-octet limit with VPNv4 routes (one label, a /24) or E-VPN
//! type 2 MAC/IP routes (an IPv4 address, one VNI), as a route reflector sends them after a
//! session comes up. Target: at least 5 million NLRI/s decoded.

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bagpipe_wire::attr::{AsPath, AttrValue, Origin, PathAttribute};
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{EvpnRoute, Nlri, PathNlri, VpnPrefix};
use bagpipe_wire::{
    CodecContext, Esi, ExtendedCommunity, Family, IpPrefix, Label, MacAddress, Message,
    RouteDistinguisher, TunnelType, MAX_MESSAGE_LEN,
};

/// How long each measurement runs.
const RUN: Duration = Duration::from_secs(2);

fn attributes() -> Vec<PathAttribute> {
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::sequence(vec![]))),
        PathAttribute::new(AttrValue::LocalPref(100)),
        PathAttribute::new(AttrValue::ExtendedCommunities(vec![
            "65000:100"
                .parse::<bagpipe_wire::RouteTarget>()
                .expect("route target")
                .into(),
            ExtendedCommunity::encapsulation(TunnelType::VXLAN),
        ])),
    ]
}

fn vpnv4(i: u32) -> Nlri {
    let b = i.to_be_bytes();
    Nlri::Vpn(VpnPrefix::new(
        RouteDistinguisher::as2(65000, i % 64),
        Label::mpls(16 + i % 1000, true),
        IpPrefix::new(Ipv4Addr::new(10, b[1], b[2], b[3]).into(), 24).expect("/24"),
    ))
}

fn evpn_type2(i: u32) -> Nlri {
    let b = i.to_be_bytes();
    Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
        rd: RouteDistinguisher::ipv4(Ipv4Addr::new(192, 0, 2, 1), 7),
        esi: Esi::ZERO,
        etag: 0,
        mac: MacAddress([0x52, 0x54, 0, b[1], b[2], b[3]]),
        ip: Some(Ipv4Addr::new(10, b[1], b[2], b[3]).into()),
        label: Label::vni(1000 + i % 64),
        label2: None,
    })
}

/// An UPDATE of `family` holding as many routes from `route` as fit in 4096 octets.
fn packed(family: Family, route: fn(u32) -> Nlri, ctx: &CodecContext) -> (Vec<u8>, usize) {
    let mut nlri: Vec<PathNlri> = Vec::new();
    let mut last = Vec::new();
    for i in 0.. {
        nlri.push(route(i).into());
        let m = Message::Update(Update::announce(
            family,
            Some(Ipv4Addr::new(192, 0, 2, 1).into()),
            attributes(),
            nlri.clone(),
        ));
        match m.to_bytes(ctx) {
            Ok(b) if b.len() <= MAX_MESSAGE_LEN => last = b,
            _ => break,
        }
    }
    (last, nlri.len() - 1)
}

/// Runs `f` repeatedly for `RUN` and returns calls per second.
fn rate(mut f: impl FnMut()) -> f64 {
    for _ in 0..100 {
        f();
    }
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < RUN {
        for _ in 0..64 {
            f();
        }
        calls += 64;
    }
    calls as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let ctx = CodecContext {
        four_octet_as: true,
        ..CodecContext::default()
    };
    for (name, family, route) in [
        ("VPNv4", Family::VPNV4, vpnv4 as fn(u32) -> Nlri),
        ("E-VPN type 2", Family::EVPN, evpn_type2),
    ] {
        let (bytes, count) = packed(family, route, &ctx);
        let message = Message::decode(&bytes, &ctx).expect("decodes").message;
        let decode = rate(|| {
            black_box(Message::decode(black_box(&bytes), &ctx).expect("decodes"));
        });
        let mut out = Vec::with_capacity(MAX_MESSAGE_LEN);
        let encode = rate(|| {
            out.clear();
            black_box(&message).encode(&ctx, &mut out).expect("encodes");
            black_box(&out);
        });
        println!(
            "{name:<13} {count:>4} NLRI in {:>4} octets: decode {:>6.2} M NLRI/s, encode {:>6.2} M NLRI/s",
            bytes.len(),
            decode * count as f64 / 1e6,
            encode * count as f64 / 1e6,
        );
    }
}
