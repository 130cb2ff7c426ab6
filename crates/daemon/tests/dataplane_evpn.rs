//! E-VPN end to end with the real daemon: three compute nodes (namespaces), each running
//! bagpipe-bgp with the Linux driver, routes reflected by node 1's daemon (our route
//! reflector mode) or by GoBGP; the test plugs VMs and calls each node's REST API as the
//! Neutron agent would, then checks what the VMs see: pings, ARP, isolation, detach, moves.
//! Root only (SKIPPED otherwise).

mod dataplane_support;

use std::process::Command;
use std::time::Duration;

use bagpipe_testbed::can_use_netns;
use bagpipe_testbed::netns::exec;
use bagpipe_testbed::probes::{no_reply, ping, VxlanArpCapture};
use bagpipe_testbed::vms::{EvpnVm, A, B};
use bagpipe_testbed::wait::wait_for;
use dataplane_support::vms::{attach, detach, wait_no_reply, wait_ping, NET_A, NET_B};
use dataplane_support::{fdb_lines, Cluster, Reflector};

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
    let answer = A[0].arp(&a_ns[0], A[2].v4);
    assert_eq!(answer, Some(A[2].mac_bytes()), "ARP for a3 answered");
    assert_eq!(
        capture.finish(),
        0,
        "the ARP request for a3 crossed the underlay"
    );

    // Detach a3 on node 3: node 1 forgets it, traffic stops. The ping fails as soon as node 3
    // takes a3's port out of its bridge, before the withdrawal has reached node 1 (through
    // the reflector): wait for node 1's entry to go rather than look once.
    detach(&cluster, &NET_A, &A[2]);
    wait_no_reply(&a_ns[0], A[2].v4);
    let node1 = cluster.fabric.node(1);
    wait_for(Duration::from_secs(10), "a3's MAC gone from node 1", || {
        fdb_lines(&node1, A[2].mac).is_empty().then_some(())
    });
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

/// A MAC that no attach request gives (a second interface of VM a1) is learnt by node 1's
/// bridge on a1's port, advertised, and programmed on node 2 toward node 1; forgotten by the
/// bridge, it is withdrawn and leaves node 2.
#[test]
fn a_mac_learnt_on_a_port_is_advertised_until_forgotten() {
    if !can_use_netns() {
        return;
    }
    const SECOND: &str = "52:54:00:0a:00:99";
    let mut cluster = Cluster::new("bpd-evlrn", 2, Reflector::Node1);
    let a1 = A[0].create(&mut cluster.fabric);
    let a2 = A[1].create(&mut cluster.fabric);
    attach(&cluster, &NET_A, &A[0]);
    attach(&cluster, &NET_A, &A[1]);
    wait_ping(&a1, A[1].v4);

    exec(&a1, "ip link add mv0 link eth0 type macvlan mode bridge");
    exec(&a1, &format!("ip link set mv0 address {SECOND} up"));
    exec(&a1, "ip addr add 10.10.0.99/24 dev mv0");
    // Any frame from the second MAC teaches node 1's bridge where it is.
    let _ = Command::new("ip")
        .args([
            "netns", "exec", &a1, "ping", "-c", "2", "-W", "1", "-I", "mv0", A[1].v4,
        ])
        .output();
    let node2 = cluster.fabric.node(2);
    let timeout = Duration::from_secs(10);
    wait_for(timeout, "the learnt MAC on node 2, toward node 1", || {
        fdb_lines(&node2, SECOND)
            .iter()
            .any(|l| l.contains("dst 192.0.2.1"))
            .then_some(())
    });
    assert!(
        fdb_lines(&node2, A[0].mac)
            .iter()
            .any(|l| l.contains("dst 192.0.2.1")),
        "a1's attached MAC is still there"
    );

    // The second interface goes, and node 1's bridge forgets its MAC.
    exec(&a1, "ip link del mv0");
    exec(
        &cluster.fabric.node(1),
        &format!("bridge fdb del {SECOND} dev {} master", A[0].port()),
    );
    wait_for(timeout, "the forgotten MAC gone from node 2", || {
        fdb_lines(&node2, SECOND).is_empty().then_some(())
    });
    assert!(
        fdb_lines(&node2, A[0].mac)
            .iter()
            .any(|l| l.contains("dst 192.0.2.1")),
        "a1's attached MAC stays"
    );
    drop(a2);
}
