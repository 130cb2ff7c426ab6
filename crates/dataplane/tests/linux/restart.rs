//! A restarted daemon adopts what the previous run installed: traffic keeps flowing while no
//! driver runs, and after resync + the same desired state the kernel is exactly as before
//! (same devices, same interface indexes, same entries), a stitching pair included.

use crate::evpn::{evpn_state, start_evpn, stitch};
use crate::ipvpn::{start_ipvpn, vrf_state, VRF1};
use crate::support::can_use_netns;
use crate::support::fabric::Fabric;
use crate::support::probes::ping;
use crate::support::snapshot::kernel_state;
use crate::support::vms::{EvpnVm, A};

#[tokio::test]
async fn a_restarted_driver_keeps_traffic_and_the_kernel_state() {
    if !can_use_netns() {
        return;
    }
    let mut fabric = Fabric::new("bpdp-rs", 2);
    let evpn_vms: Vec<&EvpnVm> = A[..2].iter().collect();
    let a: Vec<String> = evpn_vms.iter().map(|vm| vm.create(&mut fabric)).collect();
    let vrf_vms = [VRF1[0].clone(), VRF1[1].clone()];
    let r: Vec<String> = vrf_vms.iter().map(|vm| vm.create(&mut fabric)).collect();
    let apply = |node: usize| {
        let (mut evpn, mut vrf) = (
            evpn_state(1, 100, node, &evpn_vms),
            vrf_state(2, 1000, node, &vrf_vms, &[]),
        );
        if node == 1 {
            // Node 1's E-VPN is plugged into its VRF.
            stitch(&mut evpn, &mut vrf);
        }
        (evpn, vrf)
    };
    let mut drivers = Vec::new();
    for node in [1, 2] {
        let (evpn, vrf) = apply(node);
        let (e, i) = (start_evpn(&fabric, node), start_ipvpn(&fabric, node));
        e.set(1, Some(evpn)).await;
        i.set(2, Some(vrf)).await;
        drivers.push((e, i));
    }
    assert!(ping(&a[0], A[1].v4), "E-VPN before the restart");
    assert!(ping(&r[0], VRF1[1].ip(0)), "IP VPN before the restart");
    let before = kernel_state(&fabric.node(1));

    // Node 1's daemon stops; a new one starts, knowing nothing yet.
    drop(drivers.remove(0));
    let (e1, i1) = (start_evpn(&fabric, 1), start_ipvpn(&fabric, 1));
    assert_eq!(
        kernel_state(&fabric.node(1)),
        before,
        "starting a driver changes nothing"
    );
    assert!(
        ping(&a[0], A[1].v4),
        "E-VPN while no desired state is known"
    );
    assert!(
        ping(&r[0], VRF1[1].ip(0)),
        "IP VPN while no desired state is known"
    );

    let adopted = (
        e1.handle.resync().await.unwrap().unwrap(),
        i1.handle.resync().await.unwrap().unwrap(),
    );
    assert!(adopted.0 > 0 && adopted.1 > 0, "adopted: {adopted:?}");
    let (evpn, vrf) = apply(1);
    e1.set(1, Some(evpn)).await;
    i1.set(2, Some(vrf)).await;
    assert_eq!(e1.handle.sweep_unclaimed().await.unwrap(), Ok(0));
    assert_eq!(i1.handle.sweep_unclaimed().await.unwrap(), Ok(0));

    assert_eq!(
        kernel_state(&fabric.node(1)),
        before,
        "the kernel state changed across the restart"
    );
    assert!(ping(&a[0], A[1].v4), "E-VPN after the restart");
    assert!(ping(&a[0], A[1].v6), "E-VPN after the restart (IPv6)");
    assert!(ping(&r[0], VRF1[1].ip(0)), "IP VPN after the restart");
}
