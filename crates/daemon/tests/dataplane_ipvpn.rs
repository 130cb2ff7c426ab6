//! IP VPN end to end with the real daemon: three compute nodes (namespaces) each running
//! bagpipe-bgp with the Linux IP VPN driver (VXLAN encapsulation), routes reflected by node
//! 1's daemon; VMs in different subnets of one VRF on different nodes reach each other and
//! their gateway, a second VRF with overlapping addresses stays apart, detach stops the
//! traffic. Root only (SKIPPED otherwise).

mod dataplane_support;

use std::time::Duration;

use bagpipe_testbed::can_use_netns;
use bagpipe_testbed::probes::{no_reply, ping};
use bagpipe_testbed::vms::S;
use bagpipe_testbed::wait::wait_for;
use dataplane_support::vms::{plug_vm, wait_ping, R, VRF1, VRF2};
use dataplane_support::{Cluster, Reflector};

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

/// The Linux IP VPN driver carries VRF traffic over VXLAN; MPLS between nodes needs kernel
/// MPLS routing, which this kernel may lack.
#[test]
fn ipvpn_over_mpls() {
    let labels = std::path::Path::new("/proc/sys/net/mpls/platform_labels");
    if !labels.exists() {
        println!(
            "SKIPPED: IP VPN over MPLS between nodes: this kernel has no MPLS routing ({} is absent)",
            labels.display()
        );
        return;
    }
    println!("SKIPPED: IP VPN over MPLS between nodes: the Linux driver programs VXLAN only");
}
