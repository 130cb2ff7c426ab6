//! E-VPN-to-IP-VPN stitching: an IP VPN attachment whose local port is an existing E-VPN
//! instance (`local_port.evpn.id`).

mod common;

use std::net::IpAddr;

use bagpipe_dataplane::{Encapsulation, EvpnGatewayPort};
use common::Net;
use serde_json::{json, Value};

fn evpn_port(id: &str, tap: &str, n: u8) -> Value {
    json!({"vpn_instance_id": id, "vpn_type": "evpn", "import_rt": "64512:1", "export_rt": "64512:1",
           "local_port": tap, "mac_address": format!("52:54:00:00:00:{n:02x}"),
           "ip_address": format!("10.1.0.{n}/24")})
}

/// The VM `n` of the E-VPN `evi`, plugged into VRF `vrf` through the E-VPN.
fn stitched(vrf: &str, evi: &str, n: u8) -> Value {
    json!({"vpn_instance_id": vrf, "vpn_type": "ipvpn", "import_rt": "64512:2", "export_rt": "64512:2",
           "local_port": {"evpn": {"id": evi}}, "mac_address": format!("52:54:00:00:00:{n:02x}"),
           "ip_address": format!("10.1.0.{n}/24"), "gateway_ip": "10.1.0.1"})
}

fn detach_stitched(vrf: &str, evi: &str, n: u8) -> Value {
    json!({"vpn_instance_id": vrf, "vpn_type": "ipvpn", "local_port": {"evpn": {"id": evi}},
           "mac_address": format!("52:54:00:00:00:{n:02x}"), "ip_address": format!("10.1.0.{n}")})
}

fn detach_evpn(tap: &str, n: u8) -> Value {
    json!({"vpn_instance_id": "net1", "vpn_type": "evpn", "local_port": tap,
           "mac_address": format!("52:54:00:00:00:{n:02x}")})
}

#[test]
fn the_vrf_gets_a_port_in_the_evpn_and_loses_it_with_its_last_endpoint() {
    let mut net = Net::new(2, Encapsulation::Vxlan);
    net.attach(0, evpn_port("net1", "tap5", 5));
    net.attach(0, stitched("vrf1", "net1", 5));
    net.attach(0, stitched("vrf1", "net1", 6));
    // Named after the E-VPN instance, as the dataplane names what it owns.
    let evi_id = net.instance(0, "net1").id;
    let (evpn_if, ipvpn_if) = (format!("bpve-{evi_id}"), format!("bpvi-{evi_id}"));
    assert_eq!(
        net.evi(0, "net1").gateway_port,
        Some(EvpnGatewayPort {
            ifname: evpn_if.clone(),
            veth_peer: Some(ipvpn_if.clone()),
            gateway_ip: Some("10.1.0.1".parse().unwrap()),
        })
    );
    // Both VMs are endpoints of the VRF's port; their routes go to node 1.
    let vrf = net.vrf(0, "vrf1");
    assert_eq!(vrf.local_ports.keys().collect::<Vec<_>>(), [&ipvpn_if]);
    assert_eq!(vrf.local_ports[&ipvpn_if].addresses.len(), 2);
    let routes: Vec<String> = net
        .advertised(0)
        .iter()
        .filter(|(n, _)| n.family() == bagpipe_wire::Family::VPNV4)
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(routes.len(), 2, "{routes:?}");
    // The E-VPN's own port goes: the instance stays, the VRF still uses it.
    net.detach(0, detach_evpn("tap5", 5));
    assert!(net.evi(0, "net1").gateway_port.is_some());
    // One VM goes: still stitched.
    net.detach(0, detach_stitched("vrf1", "net1", 5));
    assert!(net.evi(0, "net1").gateway_port.is_some());
    // The last one: the VRF goes, and the E-VPN instance, which nothing needs now.
    net.detach(0, detach_stitched("vrf1", "net1", 6));
    assert!(net.nodes[0].vpn.instance("vrf1").is_none());
    assert!(net.nodes[0].vpn.instance("net1").is_none());
    assert!(net.nodes[0].evpn.is_empty() && net.nodes[0].ipvpn.is_empty());
}

#[test]
fn an_evpn_keeping_its_ports_loses_only_the_gateway_port() {
    let mut net = Net::new(1, Encapsulation::Vxlan);
    net.attach(0, evpn_port("net1", "tap5", 5));
    net.attach(0, stitched("vrf1", "net1", 5));
    net.detach(0, detach_stitched("vrf1", "net1", 5));
    assert_eq!(net.evi(0, "net1").gateway_port, None);
    assert!(net.instance(0, "net1").stitch.is_none());
    // It can be plugged into another VRF now.
    net.attach(0, stitched("vrf2", "net1", 5));
    assert_eq!(net.instance(0, "net1").stitch.as_ref().unwrap().vrf, "vrf2");
}

#[test]
fn an_ovs_port_already_in_the_evpn_is_used_as_it_is() {
    let mut net = Net::new(1, Encapsulation::Vxlan);
    net.attach(0, evpn_port("net1", "tap5", 5));
    let mut body = stitched("vrf1", "net1", 5);
    body["local_port"] = json!({"evpn": {"id": "net1", "ovs_port_name": "patch-evpn"},
                                "ovs": {"plugged": true, "port_name": "patch-vrf"}});
    net.attach(0, body);
    let gw = net.evi(0, "net1").gateway_port.clone().unwrap();
    assert_eq!(gw.ifname, "patch-evpn");
    assert_eq!(gw.veth_peer, None);
    assert!(net.vrf(0, "vrf1").local_ports.contains_key("patch-vrf"));
}

#[test]
fn refusals_name_the_evpn_field() {
    let mut net = Net::new(1, Encapsulation::Vxlan);
    let refused = |net: &mut Net, body: Value, why: &str| {
        let err = net.try_attach(0, body).unwrap_err();
        assert_eq!(err.field, "local_port.evpn.id", "{err}");
        assert!(err.reason.contains(why), "{err}");
    };
    refused(
        &mut net,
        stitched("vrf1", "net1", 5),
        "no E-VPN instance net1",
    );
    assert!(
        net.nodes[0].vpn.instance("vrf1").is_none(),
        "nothing created"
    );
    net.attach(0, evpn_port("net1", "tap5", 5));
    net.attach(0, evpn_port("net2", "tap6", 6));
    net.attach(0, stitched("vrf1", "net1", 5));
    // An IP VPN instance is not an E-VPN.
    refused(&mut net, stitched("vrf2", "vrf1", 7), "not evpn");
    // One E-VPN per VRF, one VRF per E-VPN.
    refused(
        &mut net,
        stitched("vrf1", "net2", 7),
        "already plugged into IP VPN instance vrf1",
    );
    refused(
        &mut net,
        stitched("vrf2", "net1", 7),
        "already plugged into IP VPN instance vrf1",
    );
    assert!(net.nodes[0].vpn.instance("vrf2").is_none());
    // The same stitching again is fine.
    net.attach(0, stitched("vrf1", "net1", 5));
    assert_eq!(
        net.vrf(0, "vrf1")
            .local_ports
            .values()
            .next()
            .unwrap()
            .gateway_ips[..],
        [IpAddr::from([10, 1, 0, 1])]
    );
}
