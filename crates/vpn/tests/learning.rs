//! MACs learnt by an E-VPN instance's bridge on its ports (`learn_local_macs`): advertised as
//! MAC-only routes that the other nodes' dataplanes follow, withdrawn when forgotten; never
//! for a MAC an attach request gave, nor on a port that is not the instance's.

mod common;

use std::net::IpAddr;

use bagpipe_dataplane::Encapsulation;
use bagpipe_vpn::evi::mobility_seq;
use bagpipe_wire::nlri::{EvpnRoute, Nlri};
use bagpipe_wire::MacAddress;
use common::Net;
use serde_json::{json, Value};

const VM: &str = "52:54:00:00:00:05";
/// A second MAC of the VM on tap5, that no attach request gives.
const OTHER: &str = "52:54:00:00:00:55";

fn evpn_port(tap: &str, n: u8) -> Value {
    json!({"vpn_instance_id": "net1", "vpn_type": "evpn", "import_rt": "64512:1", "export_rt": "64512:1",
           "local_port": tap, "mac_address": format!("52:54:00:00:00:{n:02x}"),
           "ip_address": format!("10.1.0.{n}/24")})
}

fn mac(s: &str) -> MacAddress {
    s.parse().unwrap()
}

/// The MAC-only type 2 routes node `i` advertises for `m`, with their sequence numbers.
fn learned_routes(net: &Net, i: usize, m: &str) -> Vec<u32> {
    net.advertised(i)
        .iter()
        .filter_map(|(n, a)| match n {
            Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
                mac: x, ip: None, ..
            }) if *x == mac(m) => Some(mobility_seq(a)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_learnt_mac_is_advertised_and_followed_until_forgotten() {
    let mut net = Net::new(2, Encapsulation::Vxlan);
    net.attach(0, evpn_port("tap5", 5));
    net.attach(1, evpn_port("tap6", 6));

    net.learn(0, "net1", "tap5", OTHER, true);
    assert_eq!(learned_routes(&net, 0, OTHER), [0]);
    let remote = &net.evi(1, "net1").remote_macs[&mac(OTHER)];
    assert_eq!(remote.vtep, IpAddr::from([10, 0, 0, 1]));
    assert!(remote.ips.is_empty());
    // Learnt again (the bridge refreshes it): nothing new.
    net.learn(0, "net1", "tap5", OTHER, true);
    assert_eq!(learned_routes(&net, 0, OTHER), [0]);

    net.learn(0, "net1", "tap5", OTHER, false);
    assert!(learned_routes(&net, 0, OTHER).is_empty());
    assert!(!net.evi(1, "net1").remote_macs.contains_key(&mac(OTHER)));
}

#[test]
fn attached_macs_and_foreign_ports_are_not_learnt() {
    let mut net = Net::new(2, Encapsulation::Vxlan);
    net.attach(0, evpn_port("tap5", 5));
    net.attach(1, evpn_port("tap6", 6));
    // The attached MAC has its own route, with its IP; a port of no endpoint is not ours.
    net.learn(0, "net1", "tap5", VM, true);
    net.learn(0, "net1", "tap9", OTHER, true);
    assert!(learned_routes(&net, 0, VM).is_empty());
    assert!(learned_routes(&net, 0, OTHER).is_empty());
    // Learnt, then given by an attach request: the endpoint's route replaces it.
    net.learn(0, "net1", "tap5", OTHER, true);
    net.attach(
        0,
        json!({"vpn_instance_id": "net1", "vpn_type": "evpn", "import_rt": "64512:1",
               "export_rt": "64512:1", "local_port": "tap5", "mac_address": OTHER,
               "ip_address": "10.1.0.55/24"}),
    );
    assert!(learned_routes(&net, 0, OTHER).is_empty());
    let remote = &net.evi(1, "net1").remote_macs[&mac(OTHER)];
    assert_eq!(remote.ips, [IpAddr::from([10, 1, 0, 55])]);
}

#[test]
fn a_mac_learnt_after_a_remote_advertisement_moved_here() {
    let mut net = Net::new(2, Encapsulation::Vxlan);
    net.attach(0, evpn_port("tap5", 5));
    net.attach(1, evpn_port("tap6", 6));
    net.learn(1, "net1", "tap6", OTHER, true);
    assert_eq!(
        net.evi(0, "net1").remote_macs[&mac(OTHER)].vtep,
        IpAddr::from([10, 0, 0, 2])
    );
    // The machine behind OTHER now speaks on node 0: a higher sequence number wins there and
    // on node 1, whose dataplane sends the MAC to node 0.
    net.learn(0, "net1", "tap5", OTHER, true);
    assert_eq!(learned_routes(&net, 0, OTHER), [1]);
    assert!(!net.evi(0, "net1").remote_macs.contains_key(&mac(OTHER)));
    assert_eq!(
        net.evi(1, "net1").remote_macs[&mac(OTHER)].vtep,
        IpAddr::from([10, 0, 0, 1])
    );
}

#[test]
fn what_a_bridge_learnt_before_its_port_was_attached_is_advertised_with_the_port() {
    let mut net = Net::new(2, Encapsulation::Vxlan);
    net.attach(1, evpn_port("tap6", 6));
    // After a restart the kernel reports what the bridge of instance 1 knows before the
    // agent has attached anything again; and a port may speak before its attach.
    net.learn_in(0, 1, "tap5", OTHER, true);
    net.learn_in(0, 1, "tap7", "52:54:00:00:00:77", true);
    net.attach(0, evpn_port("tap5", 5));
    assert_eq!(net.instance(0, "net1").id, 1);
    assert_eq!(learned_routes(&net, 0, OTHER), [0]);
    assert_eq!(
        net.evi(1, "net1").remote_macs[&mac(OTHER)].vtep,
        IpAddr::from([10, 0, 0, 1])
    );
    assert!(learned_routes(&net, 0, "52:54:00:00:00:77").is_empty());
    // Forgotten before tap7 is attached: nothing to claim then.
    net.learn_in(0, 1, "tap7", "52:54:00:00:00:77", false);
    net.attach(0, evpn_port("tap7", 7));
    assert!(learned_routes(&net, 0, "52:54:00:00:00:77").is_empty());
}
