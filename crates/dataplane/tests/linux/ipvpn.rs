//! IP VPN over VXLAN: VMs in different subnets of one VRF, on different nodes, reach each
//! other and their gateway; a VRF with the same addresses on the same nodes stays apart;
//! several next hops make an ECMP route.

use std::collections::BTreeMap;
use std::net::IpAddr;

use bagpipe_dataplane::owned::table_of;
use bagpipe_dataplane::{
    Encapsulation, InterfaceAddress, LinuxDriverConfig, LinuxIpVpnDriver, RemoteNextHop,
    VrfLocalPort, VrfState,
};
use bagpipe_wire::{IpPrefix, MacAddress};
use smallvec::SmallVec;

use crate::support::can_use_netns;
use crate::support::fabric::Fabric;
use crate::support::netns::ip;
use crate::support::node::NodeDriver;
use crate::support::probes::{no_reply, ping};
use crate::support::vms::{IpVm, S};

/// VRF 1: three subnets on three nodes, and r4 in r1's subnet but on node 2.
pub const VRF1: [IpVm; 4] = [
    IpVm {
        name: "r1",
        node: 1,
        mac: "52:54:00:01:00:01",
        addresses: &["10.20.1.5/24", "fd20:1::5/64"],
        gateways: &["10.20.1.1", "fd20:1::1"],
    },
    IpVm {
        name: "r2",
        node: 2,
        mac: "52:54:00:01:00:02",
        addresses: &["10.20.2.5/24", "fd20:2::5/64"],
        gateways: &["10.20.2.1", "fd20:2::1"],
    },
    IpVm {
        name: "r3",
        node: 3,
        mac: "52:54:00:01:00:03",
        addresses: &["10.20.3.5/24"],
        gateways: &["10.20.3.1"],
    },
    IpVm {
        name: "r4",
        node: 2,
        mac: "52:54:00:01:00:04",
        addresses: &["10.20.1.6/24"],
        gateways: &["10.20.1.1"],
    },
];

/// Served by r2 and r3 alike: node 1 routes it over both (ECMP).
const ANYCAST: &str = "10.20.9.9";

fn router_mac(vrf: u32, node: usize) -> MacAddress {
    MacAddress([2, 0, 0, vrf as u8, 0, node as u8])
}

/// What the routes of `vms` make VRF `id` on `node`; the VMs named in `anycast` also serve
/// [`ANYCAST`].
pub fn vrf_state(id: u32, vni: u32, node: usize, vms: &[IpVm], anycast: &[&str]) -> VrfState {
    let hop = |n: usize| RemoteNextHop {
        pe: Fabric::node_ip(n),
        label: vni,
        encapsulation: Encapsulation::Vxlan,
        router_mac: Some(router_mac(id, n)),
    };
    let mut routes: BTreeMap<IpPrefix, Vec<RemoteNextHop>> = BTreeMap::new();
    for vm in vms.iter().filter(|vm| vm.node != node) {
        for a in vm.addresses {
            let ip: IpAddr = a.split('/').next().unwrap().parse().unwrap();
            routes.insert(IpPrefix::host(ip), vec![hop(vm.node)]);
        }
    }
    let servers: Vec<&IpVm> = vms.iter().filter(|vm| anycast.contains(&vm.name)).collect();
    if !servers.is_empty() && servers.iter().all(|vm| vm.node != node) {
        routes.insert(
            IpPrefix::host(ANYCAST.parse().unwrap()),
            servers.iter().map(|vm| hop(vm.node)).collect(),
        );
    }
    VrfState {
        instance_id: id,
        vni,
        router_mac: router_mac(id, node),
        local_ports: vms
            .iter()
            .filter(|vm| vm.node == node)
            .map(|vm| {
                let mut addresses: SmallVec<[InterfaceAddress; 1]> = vm
                    .addresses
                    .iter()
                    .map(|a| {
                        let (ip, len) = a.split_once('/').unwrap();
                        InterfaceAddress {
                            ip: ip.parse().unwrap(),
                            prefix_len: len.parse().unwrap(),
                        }
                    })
                    .collect();
                if anycast.contains(&vm.name) {
                    addresses.push(InterfaceAddress {
                        ip: ANYCAST.parse().unwrap(),
                        prefix_len: 32,
                    });
                }
                let port = VrfLocalPort {
                    mac: vm.mac.parse().unwrap(),
                    addresses,
                    gateway_ips: vm.gateways.iter().map(|g| g.parse().unwrap()).collect(),
                };
                (vm.port(), port)
            })
            .collect(),
        routes,
        fallback: None,
        redirects: Vec::new(),
    }
}

pub fn start_ipvpn(fabric: &Fabric, node: usize) -> NodeDriver<VrfState> {
    NodeDriver::start(&fabric.node(node), move || {
        LinuxIpVpnDriver::new(LinuxDriverConfig::new(Fabric::node_ip(node))).expect("driver")
    })
}

#[tokio::test]
async fn vms_of_a_vrf_reach_each_other_and_their_gateway_and_vrfs_stay_apart() {
    if !can_use_netns() {
        return;
    }
    let mut fabric = Fabric::new("bpdp-ip", 3);
    let r: Vec<String> = VRF1.iter().map(|vm| vm.create(&mut fabric)).collect();
    let s: Vec<String> = S.iter().map(|vm| vm.create(&mut fabric)).collect();
    for vm in [&r[1], &r[2]] {
        ip(vm, &format!("addr add {ANYCAST}/32 dev eth0"));
    }
    let drivers: Vec<_> = (1..=3).map(|n| start_ipvpn(&fabric, n)).collect();
    for (i, d) in drivers.iter().enumerate() {
        let node = i + 1;
        d.set(1, Some(vrf_state(1, 1000, node, &VRF1, &["r2", "r3"])))
            .await;
        d.set(2, Some(vrf_state(2, 2000, node, &S, &[]))).await;
    }

    // Gateways, IPv4 and IPv6.
    assert!(ping(&r[0], "10.20.1.1"), "r1 -> its gateway");
    assert!(ping(&r[0], "fd20:1::1"), "r1 -> its IPv6 gateway");
    assert!(ping(&r[2], "10.20.3.1"), "r3 -> its gateway");
    // Other subnets on other nodes.
    assert!(ping(&r[0], VRF1[1].ip(0)), "r1 -> r2");
    assert!(ping(&r[0], VRF1[2].ip(0)), "r1 -> r3");
    assert!(ping(&r[2], VRF1[1].ip(0)), "r3 -> r2");
    assert!(ping(&r[0], VRF1[1].ip(1)), "r1 -> r2 (IPv6)");
    // Its own subnet on another node (proxy ARP on the port).
    assert!(ping(&r[0], VRF1[3].ip(0)), "r1 -> r4");
    // ECMP: node 1 has one route with both next hops, and the address answers.
    let table = table_of(1).unwrap();
    let route = ip(
        &fabric.node(1),
        &format!("route show table {table} {ANYCAST}/32"),
    );
    assert_eq!(route.matches("nexthop via").count(), 2, "{route}");
    assert!(ping(&r[0], ANYCAST), "r1 -> anycast");

    // VRF 2 works with the same addresses...
    assert!(ping(&s[0], "10.20.1.254"), "s1 -> its gateway");
    assert!(ping(&s[0], S[1].ip(0)), "s1 -> s2");
    // ...and never reaches VRF 1, nor is reached from it.
    assert!(no_reply(&s[0], VRF1[1].ip(0)), "s1 must not reach r2");
    assert!(no_reply(&r[0], S[1].ip(0)), "r1 must not reach s2");
    assert!(
        no_reply(&s[0], "10.20.1.1"),
        "s1 must not reach VRF 1's gateway"
    );
    // Nor the underlay: the VRF's table ends in an unreachable route.
    assert!(
        no_reply(&r[0], "192.0.2.2"),
        "r1 must not reach node 2's underlay address"
    );

    // Withdrawing r3's route from node 1 stops traffic to it.
    let without_r3: Vec<IpVm> = VRF1.into_iter().filter(|vm| vm.name != "r3").collect();
    drivers[0]
        .set(1, Some(vrf_state(1, 1000, 1, &without_r3, &["r2"])))
        .await;
    assert!(
        no_reply(&r[0], VRF1[2].ip(0)),
        "r1 -> r3 after the withdrawal"
    );
    assert!(ping(&r[0], VRF1[1].ip(0)), "r1 -> r2 still");
}
