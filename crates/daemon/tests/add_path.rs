//! Add-path (RFC 7911): a peer that sends several paths of one VPN route gets them all kept
//! (each path identifier is a path of its own), and a VRF importing the route uses the equal
//! ones together (ECMP); withdrawing one path leaves the other.

mod support;

use std::net::Ipv4Addr;
use std::time::Duration;

use bagpipe_testbed::wait::wait_for;
use bagpipe_wire::message::{AddPathMode, Capability, Message, Update};
use bagpipe_wire::nlri::PathNlri;
use bagpipe_wire::{CodecContext, Family, RouteDistinguisher};
use serde_json::json;
use support::daemon_with_peer;
use support::messages::VpnRoute;
use support::scripted::ScriptedListener;

const T: Duration = Duration::from_secs(10);

/// Path `path_id` of the route to 10.61.0.0/24 (RD 64512:9, label 300, target 64512:61).
fn path(path_id: u32, next_hop: &str) -> Update {
    let route = VpnRoute {
        rd: RouteDistinguisher::as2(64512, 9),
        label: 300,
        rt: "64512:61".parse().unwrap(),
        path_id: Some(path_id),
    };
    route.update("10.61.0.0/24", next_hop)
}

#[test]
fn every_path_of_an_add_path_peer_is_kept_and_used_together() {
    let (p_addr, a_addr) = ("127.0.23.210", "127.0.23.211");
    let port = 19310;
    let listener = ScriptedListener::bind(p_addr, port);
    let a = daemon_with_peer(a_addr, 19311, p_addr, port, "ipv4/mpls-vpn", "");
    a.attach(&json!({"vpn_instance_id": "vrf61", "vpn_type": "ipvpn", "import_rt": "64512:61", "export_rt": "64512:62",
                    "local_port": {"linuxif": "tap61"}, "mac_address": "52:54:00:00:61:01", "ip_address": "10.62.0.1/24",
                    "gateway_ip": "10.62.0.254"}));
    let mut p = listener.accept(T);
    let ours = p.establish_with(
        64512,
        90,
        Ipv4Addr::new(127, 0, 23, 210),
        &[Family::VPNV4],
        vec![Capability::AddPath {
            families: vec![(Family::VPNV4, AddPathMode::Send)],
        }],
    );
    // Our daemon offered to receive paths with identifiers.
    let offers = ours.capabilities().any(|c| {
        matches!(c, Capability::AddPath { families } if families.contains(&(Family::VPNV4, AddPathMode::Receive)))
    });
    assert!(offers, "no add-path receive in {ours:?}");
    let send_ctx = CodecContext {
        add_path: vec![Family::VPNV4],
        ..p.context().clone()
    };
    let send = |p: &mut support::scripted::ScriptedPeer, m: Message| {
        p.send_raw(&m.to_bytes(&send_ctx).unwrap())
    };
    send(&mut p, Message::Update(path(1, "127.0.23.221")));
    send(&mut p, Message::Update(path(2, "127.0.23.222")));

    let vrf = a.lg("vpns/instances/vrf61")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    let hops = wait_for(T, "two next hops in the VRF", || {
        let routes = &a.dataplane_instance("ipvpn", vrf)["routes"]["10.61.0.0/24"];
        let pes: Vec<String> = routes
            .as_array()?
            .iter()
            .filter_map(|h| h["pe"].as_str().map(String::from))
            .collect();
        (pes.len() == 2).then_some(pes)
    });
    assert!(
        hops.contains(&"127.0.23.221".to_string()) && hops.contains(&"127.0.23.222".to_string()),
        "{hops:?}"
    );
    assert_eq!(a.peer(p_addr)["received_routes_count"], 2);

    // Withdrawing path 1 leaves path 2.
    let withdraw = Update::withdraw(
        Family::VPNV4,
        vec![PathNlri {
            path_id: Some(1),
            ..path(1, "127.0.23.221").mp_reach().unwrap().nlri[0].clone()
        }],
    );
    send(&mut p, Message::Update(withdraw));
    wait_for(T, "one next hop left", || {
        let routes = &a.dataplane_instance("ipvpn", vrf)["routes"]["10.61.0.0/24"];
        (routes.as_array()?.len() == 1 && routes[0]["pe"] == "127.0.23.222").then_some(())
    });
}
