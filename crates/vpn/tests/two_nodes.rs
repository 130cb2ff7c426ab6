//! Two nodes' VPN managers and route tables, joined by hand instead of a BGP session: what A
//! advertises on attach reaches B's instances and B's desired dataplane state.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use bagpipe_dataplane::{Encapsulation, EvpnInstanceState, VrfState};
use bagpipe_rib::{Advert, Peer, RouteTable, SourceId, TableConfig};
use bagpipe_vpn::request::{AttachRequest, DetachRequest};
use bagpipe_vpn::{VpnConfig, VpnManager, VpnOutputs};
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::PathNlri;
use bagpipe_wire::{Family, MacAddress};
use serde_json::json;

struct Node {
    rib: RouteTable,
    vpn: VpnManager,
    /// The other node, as a peer of this one.
    peer: SourceId,
    /// The desired dataplane state, as the node's drivers would keep it from the updates.
    evpn: BTreeMap<u32, EvpnInstanceState>,
    ipvpn: BTreeMap<u32, VrfState>,
}

impl Node {
    /// Hands the dataplane updates of an operation to the node's "drivers".
    fn apply(&mut self, out: &VpnOutputs) {
        for (id, update) in out.evpn.iter().cloned() {
            update.apply_to(id, &mut self.evpn);
        }
        for (id, update) in out.ipvpn.iter().cloned() {
            update.apply_to(id, &mut self.ipvpn);
        }
    }

    /// The state of the node's only E-VPN instance.
    fn evi(&self) -> &EvpnInstanceState {
        assert_eq!(self.evpn.len(), 1, "one E-VPN instance");
        self.evpn.values().next().unwrap()
    }
}

fn node(addr: [u8; 4], other: [u8; 4]) -> Node {
    let ip = Ipv4Addr::from(addr);
    let mut rib = RouteTable::new(TableConfig {
        local_asn: 64512,
        router_id: ip,
        cluster_id: None,
        next_hop: IpAddr::V4(ip),
    });
    let peer = rib.add_peer(Peer::new(
        IpAddr::V4(Ipv4Addr::from(other)),
        64512,
        Ipv4Addr::from(other),
        false,
    ));
    rib.peer_up(
        peer,
        vec![Family::EVPN, Family::VPNV4],
        Ipv4Addr::from(other),
        None,
    );
    let vpn = VpnManager::new(VpnConfig {
        local_address: IpAddr::V4(ip),
        rd_admin: ip,
        ipvpn_encapsulation: Encapsulation::Vxlan,
    });
    Node {
        rib,
        vpn,
        peer,
        evpn: BTreeMap::new(),
        ipvpn: BTreeMap::new(),
    }
}

/// Carries A's announcements to B as UPDATEs; B's drivers get what they cause.
fn carry(from: &VpnOutputs, to: &mut Node) {
    for change in &from.peers {
        let update = match &change.advert {
            Advert::Announce {
                family,
                nlri,
                attrs,
            } => Update::announce(
                *family,
                attrs.next_hop,
                attrs.attributes.clone(),
                vec![PathNlri::from(nlri.clone())],
            ),
            Advert::Withdraw { family, nlri } => {
                Update::withdraw(*family, vec![PathNlri::from(nlri.clone())])
            }
            Advert::EndOfRib(f) => Update::end_of_rib(*f),
        };
        let out = to.rib.receive(to.peer, &update, false);
        let o = to.vpn.route_events(&mut to.rib, out.locals);
        to.apply(&o);
    }
}

fn attach(n: &mut Node, body: serde_json::Value) -> VpnOutputs {
    let req = AttachRequest::from_json(&body).unwrap();
    let out = n.vpn.attach(&mut n.rib, &req).unwrap();
    n.apply(&out);
    out
}

fn evpn_body(port: &str, mac: &str, ip: &str) -> serde_json::Value {
    json!({"vpn_instance_id": "net1", "vpn_type": "evpn", "import_rt": ["64512:1"], "export_rt": ["64512:1"],
           "local_port": {"linuxif": port}, "mac_address": mac, "ip_address": ip, "vni": 100})
}

#[test]
fn evpn_attach_reaches_the_other_node_and_detach_withdraws() {
    let mut a = node([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut b = node([10, 0, 0, 2], [10, 0, 0, 1]);
    attach(
        &mut b,
        evpn_body("tapb", "52:54:00:00:00:0b", "10.1.0.11/24"),
    );
    let out = attach(
        &mut a,
        evpn_body("tapa", "52:54:00:00:00:0a", "10.1.0.10/24"),
    );
    // A's own state: one local port, nothing remote yet... (A has not heard from B here.)
    let a_state = a.evi();
    assert_eq!(a_state.vni, 100);
    assert!(a_state.local_ports.contains_key("tapa"));
    // B learns A's MAC (with its IP) and A's flood entry.
    carry(&out, &mut b);
    let state = b.evi();
    let mac: MacAddress = "52:54:00:00:00:0a".parse().unwrap();
    let remote = &state.remote_macs[&mac];
    assert_eq!(remote.vtep, IpAddr::from([10, 0, 0, 1]));
    assert_eq!(remote.vni, 100);
    assert_eq!(remote.ips, vec![IpAddr::from([10, 1, 0, 10])]);
    assert_eq!(state.flood_list.len(), 1);
    assert_eq!(
        state.flood_list.iter().next().unwrap().vtep,
        IpAddr::from([10, 0, 0, 1])
    );
    // Detaching A's only port removes A's instance: B loses the MAC and the flood entry.
    let det = DetachRequest::from_json(&json!({"vpn_instance_id": "net1", "vpn_type": "evpn",
        "local_port": {"linuxif": "tapa"}, "mac_address": "52:54:00:00:00:0a"}))
    .unwrap();
    let out = a.vpn.detach(&mut a.rib, &det).unwrap();
    a.apply(&out);
    assert!(a.evpn.is_empty(), "A's instance is gone from its dataplane");
    carry(&out, &mut b);
    let state = b.evi();
    assert!(state.remote_macs.is_empty());
    assert!(state.flood_list.is_empty());
}

#[test]
fn ipvpn_routes_become_vrf_routes_with_router_mac() {
    let mut a = node([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut b = node([10, 0, 0, 2], [10, 0, 0, 1]);
    let body = |port: &str, mac: &str, ip: &str| {
        json!({"vpn_instance_id": "vrf1", "vpn_type": "ipvpn",
        "import_rt": "64512:7", "export_rt": "64512:7", "local_port": port, "mac_address": mac,
        "ip_address": ip, "gateway_ip": "10.7.0.1"})
    };
    attach(&mut b, body("tapb", "52:54:00:00:00:0b", "10.8.0.2/24"));
    let out = attach(&mut a, body("tapa", "52:54:00:00:00:0a", "10.7.0.2/24"));
    carry(&out, &mut b);
    let state = b.ipvpn.values().next().unwrap();
    let hops = &state.routes[&"10.7.0.2/32".parse().unwrap()];
    assert_eq!(hops.len(), 1);
    assert_eq!(hops[0].pe, IpAddr::from([10, 0, 0, 1]));
    assert!(hops[0].router_mac.is_some());
    assert_eq!(
        state.local_ports["tapb"].gateway_ips[..],
        [IpAddr::from([10, 7, 0, 1])]
    );
}

#[test]
fn conflicts_are_refused_with_the_field() {
    let mut a = node([10, 0, 0, 1], [10, 0, 0, 2]);
    attach(
        &mut a,
        evpn_body("tapa", "52:54:00:00:00:0a", "10.1.0.10/24"),
    );
    let mut wrong_type = evpn_body("tapa", "52:54:00:00:00:0a", "10.1.0.10/24");
    wrong_type["vpn_type"] = json!("ipvpn");
    wrong_type["gateway_ip"] = json!("10.1.0.1");
    let err = a
        .vpn
        .attach(&mut a.rib, &AttachRequest::from_json(&wrong_type).unwrap())
        .unwrap_err();
    assert_eq!(err.field, "vpn_type");
    let other_port = evpn_body("tapz", "52:54:00:00:00:0a", "10.1.0.12/24");
    let err = a
        .vpn
        .attach(&mut a.rib, &AttachRequest::from_json(&other_port).unwrap())
        .unwrap_err();
    assert_eq!(err.field, "mac_address");
    let mut vni_clash = evpn_body("tapq", "52:54:00:00:00:0c", "10.2.0.1/24");
    vni_clash["vpn_instance_id"] = json!("net2");
    let err = a
        .vpn
        .attach(&mut a.rib, &AttachRequest::from_json(&vni_clash).unwrap())
        .unwrap_err();
    assert_eq!(err.field, "vni");
    let det = DetachRequest::from_json(&json!({"vpn_instance_id": "nope", "vpn_type": "evpn",
        "local_port": "x", "mac_address": "52:54:00:00:00:0a"}))
    .unwrap();
    assert_eq!(
        a.vpn.detach(&mut a.rib, &det).unwrap_err().field,
        "vpn_instance_id"
    );
}

#[test]
fn mac_moving_to_another_node_gets_a_higher_sequence_number() {
    let mut a = node([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut b = node([10, 0, 0, 2], [10, 0, 0, 1]);
    attach(
        &mut b,
        evpn_body("tapb", "52:54:00:00:00:0b", "10.1.0.11/24"),
    );
    let out = attach(
        &mut a,
        evpn_body("tapa", "52:54:00:00:00:0a", "10.1.0.10/24"),
    );
    carry(&out, &mut b);
    // The VM moves to B: B attaches the same MAC and advertises it with sequence 1.
    let out = attach(
        &mut b,
        evpn_body("tapm", "52:54:00:00:00:0a", "10.1.0.10/24"),
    );
    let seq = out
        .peers
        .iter()
        .filter_map(|c| match &c.advert {
            Advert::Announce { attrs, .. } => Some(bagpipe_vpn::evi::mobility_seq(attrs)),
            _ => None,
        })
        .max();
    assert_eq!(seq, Some(1));
    // A sees the higher sequence: its dataplane now sends that MAC to B.
    carry(&out, &mut a);
    assert_eq!(
        a.evi().remote_macs[&"52:54:00:00:00:0a".parse().unwrap()].vtep,
        IpAddr::from([10, 0, 0, 2])
    );
}

#[test]
fn evpn_mac_routes_carry_hash_order_and_local_pref_as_the_originals() {
    let mut a = node([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut body = evpn_body("tapa", "52:54:00:00:00:0a", "10.1.0.10/24");
    body["lb_consistent_hash_order"] = json!(4);
    body["local_pref"] = json!(300);
    let out = attach(&mut a, body);
    let attrs =
        out.peers
            .iter()
            .find_map(|c| match &c.advert {
                Advert::Announce {
                    nlri:
                        bagpipe_wire::nlri::Nlri::Evpn(
                            bagpipe_wire::nlri::EvpnRoute::MacIpAdvertisement { .. },
                        ),
                    attrs,
                    ..
                } => Some(attrs.clone()),
                _ => None,
            })
            .expect("a MAC/IP route");
    assert_eq!(attrs.local_pref(), Some(300));
    let comms: Vec<String> = attrs
        .ext_communities()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        comms,
        ["target:64512:1", "encap:VXLAN", "consistentHashSortOrder:4"]
    );
}
