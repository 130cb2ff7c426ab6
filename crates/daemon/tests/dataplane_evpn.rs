//! E-VPN end to end with the real daemon: three compute nodes (namespaces), each running
//! bagpipe-bgp with the Linux driver, routes reflected by node 1's daemon (our route
//! reflector mode) or by GoBGP; the test plugs VMs and calls each node's REST API as the
//! Neutron agent would, then checks what the VMs see: pings, ARP, isolation, detach, moves.
//! Root only (SKIPPED otherwise).

mod dataplane_support;

use std::time::Duration;

use bagpipe_testbed::can_use_netns;
use bagpipe_testbed::fabric::{Fabric, Vm};
use bagpipe_testbed::probes::{arp, no_reply, ping, VxlanArpCapture};
use dataplane_support::{fdb_lines, wait_for, Cluster, Reflector};
use serde_json::{json, Value};

/// An E-VPN (a Neutron network): its name at the API, route target and VNI.
struct Evpn {
    id: &'static str,
    rt: &'static str,
    vni: u32,
}

const NET_A: Evpn = Evpn {
    id: "net-a",
    rt: "64512:100",
    vni: 100,
};
/// Same subnet as A, on the same nodes: must stay apart.
const NET_B: Evpn = Evpn {
    id: "net-b",
    rt: "64512:200",
    vni: 200,
};

/// A VM: its namespace name, node, MAC and addresses.
#[derive(Clone, Copy)]
struct EvpnVm {
    name: &'static str,
    node: usize,
    mac: &'static str,
    v4: &'static str,
    v6: &'static str,
}

impl EvpnVm {
    fn port(&self) -> String {
        format!("tap-{}", self.name)
    }

    fn vm(&self) -> (String, [String; 2]) {
        (
            self.port(),
            [format!("{}/24", self.v4), format!("{}/64", self.v6)],
        )
    }

    /// Creates the VM's namespace, plugged into its node; returns the namespace.
    fn create(&self, fabric: &mut Fabric) -> String {
        let (port, [v4, v6]) = self.vm();
        fabric.add_vm(
            self.node,
            &Vm {
                name: self.name,
                port: &port,
                mac: self.mac,
                addresses: &[&v4, &v6],
                gateways: &[],
            },
        )
    }

    /// Plugs the (existing) VM into `node`: after a migration.
    fn plug_into(&self, fabric: &Fabric, node: usize) {
        let (port, [v4, v6]) = self.vm();
        fabric.plug(
            node,
            &Vm {
                name: self.name,
                port: &port,
                mac: self.mac,
                addresses: &[&v4, &v6],
                gateways: &[],
            },
        );
    }

    fn mac_bytes(&self) -> [u8; 6] {
        let b: Vec<u8> = self
            .mac
            .split(':')
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        b.try_into().unwrap()
    }

    /// The agent's requests for this VM: one per address (IPv4, IPv6), same port and MAC.
    fn requests(&self, net: &Evpn) -> [Value; 2] {
        [self.v4, self.v6].map(|ip| {
            let len = if ip.contains(':') { 64 } else { 24 };
            json!({
                "vpn_instance_id": net.id, "vpn_type": "evpn", "vni": net.vni,
                "import_rt": [net.rt], "export_rt": [net.rt],
                "local_port": {"linuxif": self.port()},
                "mac_address": self.mac, "ip_address": format!("{ip}/{len}"),
            })
        })
    }
}

const A: [EvpnVm; 3] = [
    EvpnVm {
        name: "a1",
        node: 1,
        mac: "52:54:00:0a:00:01",
        v4: "10.10.0.1",
        v6: "fd10::1",
    },
    EvpnVm {
        name: "a2",
        node: 2,
        mac: "52:54:00:0a:00:02",
        v4: "10.10.0.2",
        v6: "fd10::2",
    },
    EvpnVm {
        name: "a3",
        node: 3,
        mac: "52:54:00:0a:00:03",
        v4: "10.10.0.3",
        v6: "fd10::3",
    },
];

const B: [EvpnVm; 2] = [
    EvpnVm {
        name: "b1",
        node: 1,
        mac: "52:54:00:0b:00:01",
        v4: "10.10.0.11",
        v6: "fd10::11",
    },
    EvpnVm {
        name: "b2",
        node: 2,
        mac: "52:54:00:0b:00:02",
        v4: "10.10.0.12",
        v6: "fd10::12",
    },
];

/// The agent of `vm`'s node plugs it into `net`.
fn attach(cluster: &Cluster, net: &Evpn, vm: &EvpnVm) {
    for r in vm.requests(net) {
        cluster.daemon(vm.node).attach(&r);
    }
}

fn detach(cluster: &Cluster, net: &Evpn, vm: &EvpnVm) {
    for r in vm.requests(net) {
        cluster.daemon(vm.node).detach(&r);
    }
}

/// Waits until `from` gets answers from `to` (routes take a moment to travel).
fn wait_ping(from: &str, to: &str) {
    wait_for(Duration::from_secs(10), &format!("{from} -> {to}"), || {
        ping(from, to).then_some(())
    });
}

fn wait_no_reply(from: &str, to: &str) {
    wait_for(
        Duration::from_secs(10),
        &format!("{from} -/-> {to}"),
        || no_reply(from, to).then_some(()),
    );
}

/// VMs of one E-VPN on three nodes ping each other over IPv4 and IPv6; ARP for a remote VM
/// is answered on the VM's own node; a second E-VPN with the same addresses on the same
/// nodes cannot reach the first; detach stops the traffic; a VM that moves to another node
/// (detached there, attached here) is reached on its new node.
fn evpn_through_the_daemons(prefix: &str, reflector: Reflector) {
    let mut cluster = Cluster::new(prefix, 3, reflector);
    let a_ns: Vec<String> = A.iter().map(|vm| vm.create(&mut cluster.fabric)).collect();
    let b_ns: Vec<String> = B.iter().map(|vm| vm.create(&mut cluster.fabric)).collect();
    for vm in &A {
        attach(&cluster, &NET_A, vm);
    }
    for vm in &B {
        attach(&cluster, &NET_B, vm);
    }

    for (from, to) in [(0, 1), (0, 2), (1, 2), (2, 0)] {
        wait_ping(&a_ns[from], A[to].v4);
        assert!(
            ping(&a_ns[from], A[to].v6),
            "{} -> {} (IPv6)",
            A[from].name,
            A[to].name
        );
    }
    wait_ping(&b_ns[0], B[1].v4);
    assert!(ping(&b_ns[0], B[1].v6), "b1 -> b2 (IPv6)");
    assert!(no_reply(&b_ns[0], A[1].v4), "b1 must not reach a2");
    assert!(no_reply(&a_ns[0], B[1].v4), "a1 must not reach b2");
    assert!(no_reply(&a_ns[0], B[0].v6), "a1 must not reach b1 (IPv6)");

    // ARP for a remote VM: answered on node 1 from the E-VPN route, never flooded.
    let capture = VxlanArpCapture::start(&cluster.fabric.underlay(), A[2].v4.parse().unwrap());
    let answer = arp(
        &a_ns[0],
        "eth0",
        A[0].mac_bytes(),
        A[0].v4.parse().unwrap(),
        A[2].v4.parse().unwrap(),
    );
    assert_eq!(answer, Some(A[2].mac_bytes()), "ARP for a3 answered");
    assert_eq!(
        capture.finish(),
        0,
        "the ARP request for a3 crossed the underlay"
    );

    // Detach a3 on node 3: node 1 forgets it, traffic stops.
    detach(&cluster, &NET_A, &A[2]);
    wait_no_reply(&a_ns[0], A[2].v4);
    assert!(
        fdb_lines(&cluster.fabric.node(1), A[2].mac).is_empty(),
        "a3's MAC left on node 1"
    );
    assert!(ping(&a_ns[0], A[1].v4), "a1 -> a2 still");

    // a3 moves to node 2 (same MAC and addresses): node 1 follows it there.
    cluster.fabric.unplug(3, &A[2].port());
    let moved = EvpnVm { node: 2, ..A[2] };
    moved.plug_into(&cluster.fabric, 2);
    attach(&cluster, &NET_A, &moved);
    wait_ping(&a_ns[0], moved.v4);
    assert!(ping(&a_ns[0], moved.v6), "a1 -> a3 on node 2 (IPv6)");
    assert!(ping(&a_ns[1], moved.v4), "a2 -> a3, now on the same node");
    let fdb = fdb_lines(&cluster.fabric.node(1), moved.mac);
    assert!(
        fdb.iter().any(|l| l.contains("dst 192.0.2.2")),
        "node 1 tunnels a3's MAC to node 2: {fdb:?}"
    );
}

#[test]
fn evpn_vms_reach_each_other_through_our_reflector() {
    if !can_use_netns() {
        return;
    }
    evpn_through_the_daemons("bpd-evrr", Reflector::Node1);
}

#[test]
fn evpn_vms_reach_each_other_through_a_gobgp_reflector() {
    if !can_use_netns() {
        return;
    }
    evpn_through_the_daemons("bpd-evgo", Reflector::Gobgp);
}
