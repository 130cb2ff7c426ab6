//! `readvertise`: node 1 hosts a service function's VRF that readvertises what it receives
//! with 64512:3 toward 64512:4; node 0 has the destination (a VRF exporting 64512:3), node 2
//! a VRF importing 64512:4, whose traffic to the destination must now go through node 1's
//! ports. MPLS encapsulation, so that labels are per port.

mod common;

use std::net::IpAddr;

use bagpipe_dataplane::Encapsulation;
use bagpipe_vpn::readvertise;
use bagpipe_vpn::vrf::VrfImports;
use bagpipe_wire::nlri::{Nlri, VpnPrefix};
use bagpipe_wire::{ExtendedCommunity, Label};
use common::{address, router_attrs, rt, targets_of, Net};
use serde_json::{json, Value};

fn port(vrf: &str, import: &str, export: &str, tap: &str, n: u8) -> Value {
    json!({"vpn_instance_id": vrf, "vpn_type": "ipvpn", "import_rt": import, "export_rt": export,
           "local_port": tap, "mac_address": format!("52:54:00:00:00:{n:02x}"),
           "ip_address": format!("10.{n}.0.5/24"), "gateway_ip": format!("10.{n}.0.1")})
}

/// A port of node 1's service function VRF.
fn sf_port(tap: &str, n: u8, extra: Value) -> Value {
    let mut body = port("sf", "64512:1", "64512:1", tap, n);
    body["readvertise"] = json!({"from_rt": ["64512:3"], "to_rt": ["64512:4"]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn net() -> Net {
    let mut net = Net::new(3, Encapsulation::Mpls);
    net.attach(2, port("client", "64512:4", "64512:9", "tapc", 30));
    net.attach(
        1,
        sf_port("tapsf1", 20, json!({"lb_consistent_hash_order": 7})),
    );
    net
}

fn destination() -> Value {
    port("dest", "64512:8", "64512:3", "tapd", 10)
}

fn sf_imports(net: &Net) -> &VrfImports {
    match &net.instance(1, "sf").imports {
        bagpipe_vpn::instance::Imports::Vrf(i) => i,
        _ => unreachable!(),
    }
}

#[test]
fn received_routes_go_out_again_through_each_port_and_are_withdrawn_with_their_source() {
    let mut net = net();
    net.attach(0, destination());
    let prefix = "10.10.0.5/32".parse().unwrap();
    // Node 1 readvertises the destination with its own next hop, the port's label and RD,
    // toward 64512:4 only, recording where the route came from.
    let sf = net.instance(1, "sf");
    let ep = sf.endpoints.values().next().unwrap();
    let label = sf.macs.values().next().unwrap().label;
    let readv: Vec<_> = net
        .advertised(1)
        .into_iter()
        .filter(|(n, _)| matches!(n, Nlri::Vpn(v) if v.prefix == prefix))
        .collect();
    assert_eq!(readv.len(), 1, "{readv:?}");
    let (nlri, attrs) = &readv[0];
    assert_eq!(
        nlri,
        &Nlri::Vpn(VpnPrefix::new(ep.rd, Label::mpls(label, true), prefix))
    );
    assert_eq!(attrs.next_hop, Some(IpAddr::V4(address(1))));
    assert_eq!(targets_of(attrs), ["64512:4"]);
    let comms: Vec<String> = attrs
        .ext_communities()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(
        comms.contains(&"consistentHashSortOrder:7".to_string()),
        "{comms:?}"
    );
    let record = ExtendedCommunity([0x00, 0x13, 0xfc, 0x00, 0, 0, 0, 3]);
    assert!(attrs.ext_communities().contains(&record), "{comms:?}");
    // Node 1 does not import it (no 64512:1): nothing in its dataplane.
    assert!(!net.vrf(1, "sf").routes.contains_key(&prefix));
    let sources = readvertise::sources(net.instance(1, "sf"), sf_imports(&net));
    assert_eq!(sources.len(), 1);
    // The client's traffic to the destination goes to node 1's port.
    let hops = &net.vrf(2, "client").routes[&prefix];
    assert_eq!(hops.len(), 1);
    assert_eq!(hops[0].pe, IpAddr::V4(address(1)));
    assert_eq!(hops[0].label, label);
    // The destination goes: so does the readvertisement.
    net.detach(
        0,
        json!({"vpn_instance_id": "dest", "vpn_type": "ipvpn", "local_port": "tapd",
                         "mac_address": "52:54:00:00:00:0a", "ip_address": "10.10.0.5"}),
    );
    assert!(!net.vrf(2, "client").routes.contains_key(&prefix));
    assert!(readvertise::sources(net.instance(1, "sf"), sf_imports(&net)).is_empty());
    assert!(net
        .advertised(1)
        .iter()
        .all(|(n, _)| !matches!(n, Nlri::Vpn(v) if v.prefix == prefix)));
}

#[test]
fn a_new_port_gets_the_readvertised_routes_sorted_by_its_hash_order() {
    let mut net = net();
    net.attach(0, destination());
    net.attach(
        1,
        sf_port("tapsf2", 21, json!({"lb_consistent_hash_order": 3})),
    );
    // A port that only sends traffic attracts none.
    net.attach(1, sf_port("tapsf3", 22, json!({"direction": "from-port"})));
    let label_of = |net: &Net, tap: &str| {
        let sf = net.instance(1, "sf");
        let ep = sf.endpoints.on_port(tap).next().unwrap();
        sf.macs[&ep.mac].label
    };
    let hops = &net.vrf(2, "client").routes[&"10.10.0.5/32".parse().unwrap()];
    let labels: Vec<u32> = hops.iter().map(|h| h.label).collect();
    assert_eq!(labels, [label_of(&net, "tapsf2"), label_of(&net, "tapsf1")]);
    // Unplugging a port withdraws its readvertisements only.
    net.detach(
        1,
        json!({"vpn_instance_id": "sf", "vpn_type": "ipvpn", "local_port": "tapsf2",
                         "mac_address": "52:54:00:00:00:15", "ip_address": "10.21.0.5"}),
    );
    let hops = &net.vrf(2, "client").routes[&"10.10.0.5/32".parse().unwrap()];
    assert_eq!(hops.len(), 1);
    assert_eq!(hops[0].label, label_of(&net, "tapsf1"));
}

#[test]
fn a_route_both_imported_and_readvertised_does_both() {
    let mut net = net();
    // Exported with 64512:1 (imported by the SF VRF) and 64512:3 (readvertised).
    let mut dest = destination();
    dest["export_rt"] = json!(["64512:1", "64512:3"]);
    net.attach(0, dest);
    let prefix = "10.10.0.5/32".parse().unwrap();
    assert_eq!(
        net.vrf(1, "sf").routes[&prefix][0].pe,
        IpAddr::V4(address(0))
    );
    assert_eq!(
        net.vrf(2, "client").routes[&prefix][0].pe,
        IpAddr::V4(address(1))
    );
}

#[test]
fn routes_already_readvertised_toward_our_targets_are_not_readvertised_again() {
    let mut net = net();
    let prefix = "10.77.0.0/24".parse().unwrap();
    let nlri = |rd: &str| {
        Nlri::Vpn(VpnPrefix::new(
            rd.parse().unwrap(),
            Label::mpls(100, true),
            prefix,
        ))
    };
    let nh = Some(IpAddr::from([10, 0, 0, 100]));
    // Carries a record of 64512:4: it went through a VRF readvertising toward it already.
    let looped = ExtendedCommunity([0x00, 0x13, 0xfc, 0x00, 0, 0, 0, 4]);
    net.router(
        1,
        nlri("64512:100"),
        Some(router_attrs(nh, &["64512:3"], vec![looped])),
    );
    assert!(readvertise::sources(net.instance(1, "sf"), sf_imports(&net)).is_empty());
    assert!(!net.vrf(2, "client").routes.contains_key(&prefix));
    // Another record does not stop it; it is kept, and ours added.
    let other = ExtendedCommunity([0x00, 0x13, 0xfc, 0x00, 0, 0, 0, 2]);
    net.router(
        1,
        nlri("64512:101"),
        Some(router_attrs(nh, &["64512:3"], vec![other])),
    );
    let (_, attrs) = net
        .advertised(1)
        .into_iter()
        .find(|(n, _)| matches!(n, Nlri::Vpn(v) if v.prefix == prefix))
        .expect("readvertised");
    let records: Vec<u32> = attrs
        .ext_communities()
        .iter()
        .filter(|c| c.0[1] == 0x13)
        .map(|c| u32::from_be_bytes([c.0[4], c.0[5], c.0[6], c.0[7]]))
        .collect();
    assert_eq!(records, [2, 3]);
}

#[test]
fn readvertise_given_on_a_later_attach_is_taken() {
    let mut net = Net::new(3, Encapsulation::Mpls);
    net.attach(2, port("client", "64512:4", "64512:9", "tapc", 30));
    net.attach(1, port("sf", "64512:1", "64512:1", "tapsf1", 20));
    net.attach(0, destination());
    let prefix = "10.10.0.5/32".parse().unwrap();
    assert!(!net.vrf(2, "client").routes.contains_key(&prefix));
    net.attach(1, sf_port("tapsf1", 20, json!({})));
    assert!(net.vrf(2, "client").routes.contains_key(&prefix));
    let subs = &net.instance(1, "sf").subscriptions;
    assert!(subs.contains(&(bagpipe_wire::Family::VPNV4, rt("64512:3"))));
}

#[test]
fn a_destination_on_the_service_functions_node_is_readvertised_too() {
    let mut net = net();
    net.attach(1, destination());
    let prefix = "10.10.0.5/32".parse().unwrap();
    assert_eq!(
        net.vrf(2, "client").routes[&prefix][0].pe,
        IpAddr::V4(address(1))
    );
    // The destination VRF's own node does not tunnel to itself.
    let mut both = sf_port("tapsf1", 20, json!({}));
    both["import_rt"] = json!(["64512:1", "64512:3"]);
    net.attach(1, both);
    assert!(!net.vrf(1, "sf").routes.contains_key(&prefix));
}

/// Found by the model test: a prefix readvertised under the RD of an endpoint whose own
/// subnet route is that very prefix is one route for the route table. It stays the
/// endpoint's: the readvertised route going (its source withdrawn) does not take the
/// endpoint's route along.
#[test]
fn a_readvertised_prefix_equal_to_a_local_subnet_leaves_the_local_route() {
    let mut net = Net::new(2, Encapsulation::Vxlan);
    let body = |vrf: &str, mac: u8, ip: &str, export: &str, subnet: bool| {
        json!({"vpn_instance_id": vrf, "vpn_type": "ipvpn", "import_rt": ["64512:1"], "export_rt": [export],
               "local_port": {"linuxif": "tap0"}, "mac_address": format!("52:54:00:00:00:{mac:02x}"),
               "ip_address": ip, "gateway_ip": "10.1.0.254", "advertise_subnet": subnet})
    };
    net.attach(1, body("v2", 2, "10.1.0.1/24", "64512:1", true));
    net.attach(0, body("v1", 0, "10.1.0.1/24", "64512:2", true));
    let mut readvertising = body("v2", 0, "10.1.0.2/24", "64512:1", false);
    readvertising["readvertise"] = json!({"from_rt": ["64512:2"], "to_rt": ["64512:1"]});
    net.attach(1, readvertising);
    let subnet = |net: &Net| {
        let inst = net.instance(1, "v2");
        let route = inst
            .endpoints
            .values()
            .find_map(|ep| ep.route.clone().filter(|_| ep.advertise_subnet))
            .expect("the subnet route");
        let routes = net
            .advertised(1)
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>();
        (routes.contains(&route), route)
    };
    assert!(subnet(&net).0, "advertised before");
    // Node 0's route goes: node 1 readvertises nothing more, and keeps its own route.
    net.detach(
        0,
        json!({"vpn_instance_id": "v1", "vpn_type": "ipvpn", "local_port": {"linuxif": "tap0"},
                         "mac_address": "52:54:00:00:00:00", "ip_address": "10.1.0.1/24"}),
    );
    let (advertised, route) = subnet(&net);
    assert!(
        advertised,
        "{route:?} withdrawn with the readvertised route"
    );
}
