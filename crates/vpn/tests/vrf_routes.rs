//! IP VPN routes between nodes: ECMP across ports sorted by their consistent hash order,
//! LOCAL_PREF, route target changes on re-attach, VPNv6 endpoints, `direction`, `fallback`.

mod common;

use std::net::IpAddr;

use bagpipe_dataplane::{Encapsulation, VrfFallback};
use bagpipe_rib::Advert;
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::{Family, IpPrefix};
use common::{address, rt, targets_of, Net};
use serde_json::{json, Value};

fn port(import: &str, export: &str, tap: &str, mac: u8, ip: &str) -> Value {
    json!({"vpn_instance_id": "vrf", "vpn_type": "ipvpn", "import_rt": import, "export_rt": export,
           "local_port": tap, "mac_address": format!("52:54:00:00:00:{mac:02x}"),
           "ip_address": ip, "gateway_ip": "10.0.1.1"})
}

fn with(mut body: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn prefix(s: &str) -> IpPrefix {
    s.parse().unwrap()
}

/// Node 0 imports 64512:1; nodes 1 and 2 both serve 10.0.1.100 (an anycast address).
fn anycast(order1: u32, order2: u32, lp2: Option<u32>) -> Net {
    let mut net = Net::new(3, Encapsulation::Mpls);
    net.attach(0, port("64512:1", "64512:1", "tap0", 1, "10.0.1.10/24"));
    let server = |order: u32| {
        with(
            port("64512:1", "64512:1", "tapx", 9, "10.0.1.100/24"),
            json!({"lb_consistent_hash_order": order}),
        )
    };
    net.attach(1, server(order1));
    let mut second = server(order2);
    if let Some(lp) = lp2 {
        second["local_pref"] = json!(lp);
    }
    net.attach(2, second);
    net
}

#[test]
fn equal_routes_of_several_ports_are_ecmp_sorted_by_consistent_hash_order() {
    let net = anycast(7, 3, None);
    let hops = &net.vrf(0, "vrf").routes[&prefix("10.0.1.100/32")];
    let pes: Vec<IpAddr> = hops.iter().map(|h| h.pe).collect();
    assert_eq!(pes, [IpAddr::V4(address(2)), IpAddr::V4(address(1))]);
    let net = anycast(1, 3, None);
    let hops = &net.vrf(0, "vrf").routes[&prefix("10.0.1.100/32")];
    assert_eq!(hops[0].pe, IpAddr::V4(address(1)));
}

#[test]
fn a_higher_local_pref_wins_and_zero_means_the_default() {
    let net = anycast(7, 3, Some(200));
    let hops = &net.vrf(0, "vrf").routes[&prefix("10.0.1.100/32")];
    assert_eq!(hops.len(), 1);
    assert_eq!(hops[0].pe, IpAddr::V4(address(2)));
    // local_pref 0 is advertised as 100, as the original: an ECMP pair again.
    let net = anycast(7, 3, Some(0));
    assert_eq!(net.vrf(0, "vrf").routes[&prefix("10.0.1.100/32")].len(), 2);
    let lp = net
        .advertised(2)
        .iter()
        .find_map(|(_, a)| a.local_pref())
        .unwrap();
    assert_eq!(lp, 100);
}

#[test]
fn re_attaching_with_other_route_targets_updates_imports_and_exports() {
    let mut net = Net::new(2, Encapsulation::Mpls);
    net.attach(0, port("64512:1", "64512:1", "tap0", 1, "10.0.1.10/24"));
    net.attach(1, port("64512:1", "64512:1", "tap1", 2, "10.0.1.20/24"));
    let remote = prefix("10.0.1.20/32");
    assert!(net.vrf(0, "vrf").routes.contains_key(&remote));
    // Node 1 exports 64512:2 instead: re-advertised with it, so node 0 loses it.
    net.attach(1, port("64512:1", "64512:2", "tap1", 2, "10.0.1.20/24"));
    let (_, attrs) = net
        .advertised(1)
        .into_iter()
        .find(|(n, _)| matches!(n, Nlri::Vpn(_)))
        .unwrap();
    assert_eq!(targets_of(&attrs), ["64512:2"]);
    assert!(!net.vrf(0, "vrf").routes.contains_key(&remote));
    // Node 0 imports 64512:2 as well (another port's attach says so): back.
    net.attach(
        0,
        port("64512:1, 64512:2", "64512:1", "tap0b", 3, "10.0.1.11/24"),
    );
    assert!(net.vrf(0, "vrf").routes.contains_key(&remote));
    let subs = &net.instance(0, "vrf").subscriptions;
    assert!(subs.contains(&(Family::VPNV4, rt("64512:2"))));
    assert!(subs.contains(&(Family::VPN_FLOWSPEC4, rt("64512:2"))));
    // And only 64512:2: the 64512:1 subscriptions go, routes still covered by 64512:2 stay.
    net.attach(0, port("64512:2", "64512:1", "tap0b", 3, "10.0.1.11/24"));
    assert!(!net
        .instance(0, "vrf")
        .subscriptions
        .iter()
        .any(|(_, t)| *t == rt("64512:1")));
    assert!(net.vrf(0, "vrf").routes.contains_key(&remote));
}

#[test]
fn ipv6_endpoints_are_vpnv6_routes() {
    let mut net = Net::new(2, Encapsulation::Vxlan);
    net.attach(0, port("64512:1", "64512:1", "tap0", 1, "fd00:1::10/64"));
    net.attach(1, port("64512:1", "64512:1", "tap1", 2, "fd00:1::20/64"));
    let (nlri, _) = net.advertised(1).into_iter().next().unwrap();
    assert_eq!(nlri.family(), Family::VPNV6);
    let hops = &net.vrf(0, "vrf").routes[&prefix("fd00:1::20/128")];
    assert_eq!(hops[0].pe, IpAddr::V4(address(1)));
    let local = &net.vrf(0, "vrf").local_ports["tap0"];
    assert_eq!(local.addresses[0].prefix_len, 64);
    // With advertise_subnet, the /64 under the endpoint's RD.
    net.attach(
        1,
        with(
            port("64512:1", "64512:1", "tap1", 2, "fd00:1::20/64"),
            json!({"advertise_subnet": true}),
        ),
    );
    assert!(net
        .vrf(0, "vrf")
        .routes
        .contains_key(&prefix("fd00:1::/64")));
    assert!(!net
        .vrf(0, "vrf")
        .routes
        .contains_key(&prefix("fd00:1::20/128")));
}

#[test]
fn from_port_advertises_nothing_and_to_port_advertises() {
    let mut net = Net::new(2, Encapsulation::Mpls);
    net.attach(0, port("64512:1", "64512:1", "tap0", 1, "10.0.1.10/24"));
    net.attach(
        1,
        with(
            port("64512:1", "64512:1", "tap1", 2, "10.0.1.20/24"),
            json!({"direction": "from-port"}),
        ),
    );
    assert!(net.advertised(1).is_empty());
    assert!(!net.nodes[1]
        .sent
        .iter()
        .any(|a| matches!(a, Advert::Announce { .. })));
    // Still a port of the VRF: its traffic enters the VPN.
    assert!(net.vrf(1, "vrf").local_ports.contains_key("tap1"));
    net.attach(
        1,
        with(
            port("64512:1", "64512:1", "tap2", 3, "10.0.1.30/24"),
            json!({"direction": "to-port"}),
        ),
    );
    assert!(net
        .vrf(0, "vrf")
        .routes
        .contains_key(&prefix("10.0.1.30/32")));
    assert!(!net
        .vrf(0, "vrf")
        .routes
        .contains_key(&prefix("10.0.1.20/32")));
    // Changing the direction of an endpoint on re-attach withdraws or advertises its route.
    net.attach(
        1,
        with(
            port("64512:1", "64512:1", "tap2", 3, "10.0.1.30/24"),
            json!({"direction": "from-port"}),
        ),
    );
    assert!(!net
        .vrf(0, "vrf")
        .routes
        .contains_key(&prefix("10.0.1.30/32")));
}

#[test]
fn fallback_reaches_the_dataplane_and_stays_until_replaced() {
    let mut net = Net::new(1, Encapsulation::Mpls);
    let fallback = json!({"src_mac": "00:00:5e:2a:10:00", "dst_mac": "fa:16:3e:00:00:01",
                          "ovs_port_name": "patch-router"});
    net.attach(
        0,
        with(
            port("64512:1", "64512:1", "tap0", 1, "10.0.1.10/24"),
            json!({ "fallback": fallback }),
        ),
    );
    let want = VrfFallback {
        src_mac: Some("00:00:5e:2a:10:00".parse().unwrap()),
        dst_mac: Some("fa:16:3e:00:00:01".parse().unwrap()),
        ovs_port_name: Some("patch-router".into()),
        ovs_port_number: None,
    };
    assert_eq!(net.vrf(0, "vrf").fallback, Some(want.clone()));
    // An attach without fallback keeps it (the original only ever replaced it).
    net.attach(0, port("64512:1", "64512:1", "tap1", 2, "10.0.1.11/24"));
    assert_eq!(net.vrf(0, "vrf").fallback, Some(want));
    net.attach(
        0,
        with(
            port("64512:1", "64512:1", "tap1", 2, "10.0.1.11/24"),
            json!({"fallback": {"src_mac": "00:00:5e:2a:10:00", "dst_mac": "fa:16:3e:00:00:02",
                                "ovs_port_number": 6}}),
        ),
    );
    let got = net.vrf(0, "vrf").fallback.clone().unwrap();
    assert_eq!(got.ovs_port_number, Some(6));
    assert_eq!(got.ovs_port_name, None);
}

#[test]
fn an_ipv4_mapped_next_hop_of_a_vpnv6_route_is_the_ipv4_pe() {
    let mut net = Net::new(1, Encapsulation::Mpls);
    net.attach(0, port("64512:1", "64512:1", "tap0", 1, "fd00:1::10/64"));
    let nlri = Nlri::Vpn(bagpipe_wire::nlri::VpnPrefix::new(
        "64512:7".parse().unwrap(),
        bagpipe_wire::Label::mpls(300, true),
        prefix("fd00:7::/64"),
    ));
    let mapped = IpAddr::V6(common::ROUTER.to_ipv6_mapped());
    let encap = bagpipe_wire::ExtendedCommunity::encapsulation(bagpipe_wire::TunnelType::MPLS);
    net.router(
        0,
        nlri,
        Some(common::router_attrs(
            Some(mapped),
            &["64512:1"],
            vec![encap],
        )),
    );
    let hops = &net.vrf(0, "vrf").routes[&prefix("fd00:7::/64")];
    assert_eq!(hops[0].pe, IpAddr::V4(common::ROUTER));
    assert_eq!(hops[0].label, 300);
}

#[test]
fn ports_of_one_remote_vxlan_vrf_are_one_next_hop() {
    let mut net = Net::new(2, Encapsulation::Vxlan);
    net.attach(0, port("64512:1", "64512:1", "tap0", 1, "10.0.1.10/24"));
    // Two ports of node 1 serve the same subnet: two routes (two RDs), one VNI, one PE.
    for (tap, mac, ip) in [("tap1", 2, "10.0.1.20/24"), ("tap2", 3, "10.0.1.30/24")] {
        net.attach(
            1,
            with(
                port("64512:1", "64512:1", tap, mac, ip),
                json!({"advertise_subnet": true}),
            ),
        );
    }
    assert_eq!(net.vrf(0, "vrf").routes[&prefix("10.0.1.0/24")].len(), 1);
}
