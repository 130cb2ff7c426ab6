//! `remove_owned_entries` (what bagpipe-bgp-cleanup runs) removes everything the drivers
//! created, a stitching pair included, and leaves what others created: a bridge, a VXLAN
//! device, routes, a rule, a neighbour entry.

use bagpipe_dataplane::{remove_owned_entries, CleanupReport};

use crate::evpn::{evpn_state, start_evpn, stitch};
use crate::ipvpn::{start_ipvpn, vrf_state, VRF1};
use crate::support::can_use_netns;
use crate::support::fabric::Fabric;
use crate::support::foreign;
use crate::support::netns::{in_netns, ip};
use crate::support::vms::{EvpnVm, A};

/// What `bagpipe-bgp-cleanup` does, run in namespace `ns`.
fn cleanup(ns: &str) -> CleanupReport {
    in_netns(ns, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(remove_owned_entries()).expect("cleanup")
    })
}

#[tokio::test]
async fn cleanup_removes_ours_and_nothing_else() {
    if !can_use_netns() {
        return;
    }
    let mut fabric = Fabric::new("bpdp-cl", 2);
    let node = fabric.node(1);
    foreign::add(&node);
    let foreign = foreign::state(&node);

    let evpn_vms: Vec<&EvpnVm> = A[..2].iter().collect();
    for vm in &evpn_vms {
        vm.create(&mut fabric);
    }
    let vrf_vms = [VRF1[0].clone(), VRF1[1].clone()];
    for vm in &vrf_vms {
        vm.create(&mut fabric);
    }
    {
        let e = start_evpn(&fabric, 1);
        let i = start_ipvpn(&fabric, 1);
        let (mut evpn, mut vrf) = (
            evpn_state(1, 100, 1, &evpn_vms),
            vrf_state(2, 1000, 1, &vrf_vms, &[]),
        );
        stitch(&mut evpn, &mut vrf);
        e.set(1, Some(evpn)).await;
        i.set(2, Some(vrf)).await;
    }
    let links = ip(&node, "link show");
    assert!(
        links.contains("bpvx-1") && links.contains("bpve-1") && links.contains("bpvi-1"),
        "{links}"
    );

    let report = cleanup(&node);
    assert!(report.removed > 10, "{report:?}");

    let links = ip(&node, "link show");
    assert!(!links.contains("bpv"), "{links}");
    for what in [
        "-4 route show table all",
        "-6 route show table all",
        "-4 rule show",
        "-6 rule show",
        "neigh show",
        "addr show",
    ] {
        let out = ip(&node, what);
        assert!(!out.contains("proto 19"), "{what}: {out}");
    }
    for gateway in ["10.20.1.1", "fd20:1::1"] {
        assert!(
            !ip(&node, "addr show").contains(gateway),
            "gateway address {gateway} left"
        );
    }
    assert_eq!(
        foreign::state(&node),
        foreign,
        "entries of others were touched"
    );
    // The VM ports themselves are the agent's: still there, out of any bridge.
    assert!(
        links.contains("tap-a1") && links.contains("tap-r1"),
        "{links}"
    );
    assert!(!ip(&node, "-d link show tap-a1").contains("master"));

    // Nothing left to remove: a second run is a no-op.
    let again = cleanup(&node);
    assert_eq!(again.removed, 0);
}
