//! IP VPN end to end with the real daemon: three compute nodes (namespaces) each running
//! bagpipe-bgp with the Linux IP VPN driver (VXLAN encapsulation), routes reflected by node
//! 1's daemon; VMs in different subnets of one VRF on different nodes reach each other and
//! their gateway, a second VRF with overlapping addresses stays apart, detach stops the
//! traffic; an E-VPN plugged into a VRF (stitching) reaches the VRF's other nodes. Root only
//! (SKIPPED otherwise).

mod dataplane_support;

use std::time::Duration;

use bagpipe_testbed::can_use_netns;
use bagpipe_testbed::probes::{no_reply, ping};
use bagpipe_testbed::vms::{IpVm, S};
use bagpipe_testbed::wait::wait_for;
use dataplane_support::vms::{plug_vm, wait_no_reply, wait_ping, Vrf, R, VRF1, VRF2};
use dataplane_support::{links, Cluster, Reflector};
use serde_json::json;

fn ipvpn_through_the_daemons(prefix: &str, reflector: Reflector) {
    let mut cluster = Cluster::new(prefix, 3, reflector);
    let r: Vec<String> = R
        .iter()
        .map(|vm| plug_vm(&mut cluster, &VRF1, vm))
        .collect();
    let s: Vec<String> = S
        .iter()
        .map(|vm| plug_vm(&mut cluster, &VRF2, vm))
        .collect();

    // Gateways, then the other subnets on the other nodes.
    assert!(ping(&r[0], R[0].gateways[0]), "r1 -> its gateway");
    assert!(ping(&r[2], R[2].gateways[0]), "r3 -> its gateway");
    wait_ping(&r[0], R[1].ip(0));
    wait_ping(&r[0], R[2].ip(0));
    wait_ping(&r[2], R[1].ip(0));
    wait_ping(&r[1], R[0].ip(0));

    // VRF 2 works with the same addresses...
    assert!(ping(&s[0], S[0].gateways[0]), "s1 -> its gateway");
    wait_ping(&s[0], S[1].ip(0));
    // ...and never reaches VRF 1, nor is reached from it.
    assert!(no_reply(&s[0], R[1].ip(0)), "s1 must not reach r2");
    assert!(no_reply(&s[0], R[2].ip(0)), "s1 must not reach r3");
    assert!(no_reply(&r[0], S[1].ip(0)), "r1 must not reach s2");
    assert!(
        no_reply(&s[0], R[0].gateways[0]),
        "s1 must not reach VRF 1's gateway"
    );
    assert!(
        no_reply(&r[0], "192.0.2.2"),
        "r1 must not reach node 2's underlay address"
    );

    // Detaching r3 on node 3 withdraws its route: node 1 stops sending to it.
    cluster.daemon(3).detach(&VRF1.request(&R[2]));
    wait_for(Duration::from_secs(10), "r1 -/-> r3", || {
        no_reply(&r[0], R[2].ip(0)).then_some(())
    });
    assert!(ping(&r[0], R[1].ip(0)), "r1 -> r2 still");
}

#[test]
fn ipvpn_vms_reach_each_other_through_our_reflector() {
    if !can_use_netns() {
        return;
    }
    ipvpn_through_the_daemons("bpd-iprr", Reflector::Node1);
}

#[test]
fn ipvpn_vms_reach_each_other_through_a_gobgp_reflector() {
    if !can_use_netns() {
        return;
    }
    ipvpn_through_the_daemons("bpd-ipgo", Reflector::Gobgp);
}

/// E-VPN-to-IP-VPN stitching, as networking-bagpipe asks for a BGP VPN associated with a
/// network that is itself an E-VPN: the agent attaches the VM to the network's E-VPN, then
/// to the VRF with `local_port: {"evpn": {"id": <the E-VPN>}}`. The E-VPN driver joins the
/// E-VPN's bridge to the VRF with a veth pair; the VM reaches its gateway (the VRF's end of
/// the pair) and, through it, a VM of the VRF on another node. Detaching the VM from the VRF
/// undoes the stitching: the pair is gone and so is the traffic.
#[test]
fn an_evpn_plugged_into_a_vrf_reaches_the_vrf_on_other_nodes() {
    if !can_use_netns() {
        return;
    }
    const VRF: Vrf = Vrf {
        id: "vrf-st",
        rt: "64512:500",
    };
    let e1 = IpVm {
        name: "e1",
        node: 1,
        mac: "52:54:00:05:00:01",
        addresses: &["10.30.1.5/24"],
        gateways: &["10.30.1.1"],
    };
    let v2 = IpVm {
        name: "v2",
        node: 2,
        mac: "52:54:00:05:00:02",
        addresses: &["10.30.2.5/24"],
        gateways: &["10.30.2.1"],
    };
    let mut cluster = Cluster::new("bpd-stitch", 2, Reflector::Node1);
    let e1_ns = e1.create(&mut cluster.fabric);
    let v2_ns = plug_vm(&mut cluster, &VRF, &v2);
    let node1 = cluster.fabric.node(1);
    cluster.daemon(1).attach(&json!({
        "vpn_instance_id": "net-st", "vpn_type": "evpn", "vni": 500,
        "import_rt": ["64512:501"], "export_rt": ["64512:501"],
        "local_port": {"linuxif": e1.port()}, "mac_address": e1.mac, "ip_address": e1.addresses[0],
    }));
    let stitch = json!({
        "vpn_instance_id": VRF.id, "vpn_type": "ipvpn",
        "import_rt": [VRF.rt], "export_rt": [VRF.rt],
        "local_port": {"evpn": {"id": "net-st"}},
        "mac_address": e1.mac, "ip_address": e1.addresses[0], "gateway_ip": e1.gateways[0],
    });
    cluster.daemon(1).attach(&stitch);

    wait_ping(&e1_ns, e1.gateways[0]);
    wait_ping(&e1_ns, v2.ip(0));
    wait_ping(&v2_ns, e1.ip(0));
    let pair = || (links(&node1, "bpve-"), links(&node1, "bpvi-"));
    // The E-VPN driver creates the pair before the IP VPN driver routes for its end: no
    // attempt on a missing device, failed and retried later.
    let log = cluster.daemon(1).log();
    assert!(!log.contains("reconcile failed"), "{log}");
    // One pair, both ends named after the E-VPN instance.
    let (evpn_end, vrf_end) = pair();
    assert_eq!(
        (evpn_end.len(), vrf_end.len()),
        (1, 1),
        "{evpn_end:?} {vrf_end:?}"
    );
    assert_eq!(evpn_end[0]["bpve-".len()..], vrf_end[0]["bpvi-".len()..]);

    cluster.daemon(1).detach(&stitch);
    wait_no_reply(&e1_ns, v2.ip(0));
    wait_for(
        Duration::from_secs(10),
        "the stitching pair removed",
        || (pair() == (vec![], vec![])).then_some(()),
    );
}
