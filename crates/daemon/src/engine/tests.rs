//! The engine on its own, without sockets: a route table, a VPN manager and dummy dataplane
//! drivers, driven through the same methods its loop calls.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bagpipe_dataplane::{spawn_driver, DummyDriver};
use bagpipe_rib::{Peer, TableConfig};
use bagpipe_vpn::request::AttachRequest;
use bagpipe_vpn::VpnConfig;
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{Nlri, VpnPrefix};
use bagpipe_wire::{ExtendedCommunity, Label, RouteTarget, TunnelType};
use serde_json::json;

use super::*;

const LOCAL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

fn engine() -> Engine {
    let rib = RouteTable::new(TableConfig {
        local_asn: 64512,
        router_id: LOCAL,
        cluster_id: None,
        next_hop: IpAddr::V4(LOCAL),
    });
    let vpn = VpnManager::new(VpnConfig {
        local_address: IpAddr::V4(LOCAL),
        rd_admin: LOCAL,
        ipvpn_encapsulation: bagpipe_dataplane::Encapsulation::Mpls,
    });
    Engine::new(
        rib,
        vpn,
        spawn_driver(DummyDriver::new()),
        spawn_driver(DummyDriver::new()),
        Arc::new(Config::builtin()),
        LogRing::new(10),
    )
}

/// A peer's UPDATE of `n` VPNv4 routes (11.x.y.0/24) carrying route target 64512:20.
fn routes(n: u32) -> Update {
    let rt: RouteTarget = "64512:20".parse().unwrap();
    let attrs = AttributeSet::new(
        Some("127.0.0.2".parse().unwrap()),
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
            PathAttribute::new(AttrValue::ExtendedCommunities(vec![
                ExtendedCommunity::from(rt),
                ExtendedCommunity::encapsulation(TunnelType::MPLS),
            ])),
        ],
    );
    let nlri = (0..n)
        .map(|i| {
            Nlri::Vpn(VpnPrefix::new(
                "64512:7".parse().unwrap(),
                Label::mpls(100, true),
                format!("11.{}.{}.0/24", i / 256, i % 256).parse().unwrap(),
            ))
            .into()
        })
        .collect();
    Update::announce(
        bagpipe_wire::Family::VPNV4,
        attrs.next_hop,
        attrs.attributes,
        nlri,
    )
}

/// Routes from the peer in the dummy IP VPN driver's state of the VRF.
async fn peer_routes_in_dataplane(driver: &DriverHandle<VrfState>) -> usize {
    let described = driver.describe().await.unwrap();
    described["driver"]["instances"]["1"]["routes"]
        .as_object()
        .map_or(0, |r| r.keys().filter(|k| k.starts_with("11.")).count())
}

#[tokio::test]
async fn removals_still_queued_reach_the_dataplane_before_stopping() {
    let mut engine = engine();
    let request = AttachRequest::from_json(&json!({"vpn_instance_id": "vrf", "vpn_type": "ipvpn",
        "import_rt": ["64512:20"], "export_rt": ["64512:20"], "local_port": {"linuxif": "tap1"},
        "mac_address": "52:54:00:00:00:01", "ip_address": "10.0.0.1/24", "gateway_ip": "10.0.0.254"}))
    .unwrap();
    let attached = engine.vpn.attach(&mut engine.rib, &request);
    engine.apply_vpn(attached).await.unwrap();
    let peer_ip = Ipv4Addr::new(127, 0, 0, 2);
    let peer = engine
        .rib
        .add_peer(Peer::new(IpAddr::V4(peer_ip), 64512, peer_ip, false));
    engine.rib.peer_up(peer, vec![Family::VPNV4], peer_ip, None);
    let n = DEFER_REMOVALS_FROM as u32 + 2_000;
    let out = engine.rib.receive(peer, &routes(n), false);
    engine.dispatch(out).await;
    let ipvpn = engine.ipvpn.clone();
    ipvpn.flush().await.unwrap();
    assert_eq!(peer_routes_in_dataplane(&ipvpn).await, n as usize);

    // The peer goes: its removals are queued, and the daemon stops before delivering them.
    let out = engine.rib.peer_down(peer, false);
    engine.defer_removals(out).await;
    assert_eq!(engine.backlog.len(), n as usize, "queued, not delivered");
    engine.stop().await;
    assert_eq!(peer_routes_in_dataplane(&ipvpn).await, 0);
}
