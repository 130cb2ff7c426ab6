use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::*;
use crate::kernel::fake::FakeKernel;
use crate::kernel::Op;
use crate::model::{EvpnLocalPort, FloodEntry, RemoteMac};

fn mac(s: &str) -> MacAddress {
    s.parse().unwrap()
}

fn remote(vtep: &str, vni: u32, ips: &[&str]) -> RemoteMac {
    RemoteMac {
        vtep: vtep.parse().unwrap(),
        vni,
        ips: ips.iter().map(|i| i.parse().unwrap()).collect(),
    }
}

fn driver(kernel: &FakeKernel) -> LinuxEvpnDriver<FakeKernel> {
    let config = LinuxDriverConfig::new("192.0.2.1".parse().unwrap());
    LinuxEvpnDriver::with_kernel(config, kernel.clone())
}

/// Instance 1: one local port, two remote MACs on two VTEPs, both VTEPs in the flood list.
fn state() -> EvpnInstanceState {
    EvpnInstanceState {
        instance_id: 1,
        vni: 100,
        linux_bridge: None,
        local_ports: BTreeMap::from([(
            "tap1".to_string(),
            EvpnLocalPort {
                mac: Some(mac("52:54:00:00:00:01")),
                ips: vec![],
            },
        )]),
        remote_macs: BTreeMap::from([
            (
                mac("52:54:00:00:00:02"),
                remote("192.0.2.2", 100, &["10.0.0.2", "fd00::2"]),
            ),
            (mac("52:54:00:00:00:03"), remote("192.0.2.3", 100, &[])),
        ]),
        flood_list: [("192.0.2.2", 100), ("192.0.2.3", 100)]
            .iter()
            .map(|(v, n)| FloodEntry {
                vtep: v.parse().unwrap(),
                vni: *n,
            })
            .collect(),
        gateway_port: None,
    }
}

fn tunnel(mac_: &str, dst: &str) -> Entry {
    Entry::Fdb(FdbEntry {
        dev: "bpvx-1".into(),
        mac: mac(mac_),
        kind: FdbKind::Tunnel {
            dst: dst.parse().unwrap(),
            vni: None,
        },
    })
}

#[tokio::test]
async fn a_new_instance_gets_its_bridge_vxlan_ports_and_entries() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let report = driver(&kernel)
        .reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    let entries = kernel.entries();
    // bridge, vxlan, port, local static, 2 x (tunnel + bridge static), 2 neigh, 2 flood
    assert_eq!(entries.len(), 12, "{entries:#?}");
    assert_eq!(report.created, 12);
    assert!(entries.contains(&Entry::Bridge {
        name: "bpvb-1".into()
    }));
    assert!(entries.contains(&Entry::Vxlan(VxlanDevice {
        name: "bpvx-1".into(),
        vni: 100,
        local: "192.0.2.1".parse().unwrap(),
        dst_port: 4789,
        mac: None,
        bridge: Some("bpvb-1".into()),
    })));
    assert!(entries.contains(&tunnel("52:54:00:00:00:02", "192.0.2.2")));
    assert!(entries.contains(&Entry::Neigh {
        dev: "bpvb-1".into(),
        ip: "fd00::2".parse().unwrap(),
        mac: mac("52:54:00:00:00:02"),
    }));
    assert!(entries.contains(&Entry::Fdb(FdbEntry {
        dev: "bpvx-1".into(),
        mac: MacAddress::ZERO,
        kind: FdbKind::Flood {
            dst: "192.0.2.3".parse().unwrap(),
            vni: None
        },
    })));
}

#[tokio::test]
async fn the_same_state_twice_changes_nothing() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let mut d = driver(&kernel);
    d.reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    kernel.take_applied();
    let report = d
        .reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    assert_eq!(report.total(), 0);
    assert!(kernel.take_applied().is_empty());
}

#[tokio::test]
async fn a_withdrawal_removes_exactly_what_was_added() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let mut d = driver(&kernel);
    d.reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    let before = kernel.entries();
    kernel.take_applied();

    let mut s = state();
    s.remote_macs.remove(&mac("52:54:00:00:00:02"));
    s.flood_list
        .retain(|f| f.vtep != "192.0.2.2".parse::<IpAddr>().unwrap());
    d.reconcile_instance(1, Some(&s), &Changed::All)
        .await
        .unwrap();

    let removed: Vec<Entry> = kernel
        .take_applied()
        .into_iter()
        .map(|op| match op {
            Op::Remove(e) => e,
            other => panic!("only removals expected, got {other:?}"),
        })
        .collect();
    assert_eq!(
        removed.len(),
        5,
        "tunnel, bridge static, 2 neighbours, 1 flood: {removed:#?}"
    );
    let after = kernel.entries();
    assert_eq!(after.len(), before.len() - 5);
    assert!(after.iter().all(|e| before.contains(e)));
}

#[tokio::test]
async fn a_mac_that_moves_to_another_vtep_is_replaced_in_place() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let mut d = driver(&kernel);
    d.reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    kernel.take_applied();

    let mut s = state();
    s.remote_macs
        .get_mut(&mac("52:54:00:00:00:03"))
        .unwrap()
        .vtep = "192.0.2.9".parse().unwrap();
    d.reconcile_instance(1, Some(&s), &Changed::All)
        .await
        .unwrap();
    assert_eq!(
        kernel.take_applied(),
        vec![Op::Change {
            old: tunnel("52:54:00:00:00:03", "192.0.2.3"),
            new: tunnel("52:54:00:00:00:03", "192.0.2.9"),
        }]
    );
}

#[tokio::test]
async fn a_mac_arriving_locally_leaves_the_bridge_to_the_local_port() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let mut d = driver(&kernel);
    let mut s = state();
    // The VM behind tap1 is still advertised by its old node.
    s.remote_macs
        .insert(mac("52:54:00:00:00:01"), remote("192.0.2.2", 100, &[]));
    d.reconcile_instance(1, Some(&s), &Changed::All)
        .await
        .unwrap();
    let bridge_entries: Vec<String> = kernel
        .entries()
        .into_iter()
        .filter_map(|e| match e {
            Entry::Fdb(f) if f.kind == FdbKind::Bridge && f.mac == mac("52:54:00:00:00:01") => {
                Some(f.dev)
            }
            _ => None,
        })
        .collect();
    assert_eq!(bridge_entries, vec!["tap1".to_string()]);
}

#[tokio::test]
async fn removing_the_instance_deletes_its_devices_and_so_their_entries() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let mut d = driver(&kernel);
    d.reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    kernel.take_applied();
    let report = d.reconcile_instance(1, None, &Changed::All).await.unwrap();
    assert_eq!(report.removed, 12);
    let asked: Vec<Op> = kernel.take_applied();
    // Only what does not go with the devices is asked for: the local port's static entry
    // (it lives on tap1), then the devices.
    assert_eq!(asked.len(), 3, "{asked:#?}");
    assert!(kernel.entries().is_empty(), "{:#?}", kernel.entries());
}

fn stitched(ifname: &str, veth_peer: Option<&str>) -> EvpnInstanceState {
    EvpnInstanceState {
        gateway_port: Some(crate::model::EvpnGatewayPort {
            ifname: ifname.into(),
            veth_peer: veth_peer.map(str::to_string),
            gateway_ip: Some("10.0.0.1".parse().unwrap()),
        }),
        ..state()
    }
}

#[tokio::test]
async fn a_stitched_vrf_gets_a_veth_pair_into_the_bridge_which_goes_with_the_stitching() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let mut d = driver(&kernel);
    d.reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    let veth = Entry::Veth {
        name: "bpve-1".into(),
        peer: "bpvi-1".into(),
        bridge: Some("bpvb-1".into()),
    };
    // Stitching changes the instance's own fields.
    let instance = Changed::Parts(BTreeSet::from([EvpnPart::Instance]));
    d.reconcile_instance(1, Some(&stitched("bpve-1", Some("bpvi-1"))), &instance)
        .await
        .unwrap();
    assert!(kernel.entries().contains(&veth), "{:#?}", kernel.entries());
    assert_eq!(
        d.describe(&BTreeMap::from([(1, stitched("bpve-1", Some("bpvi-1")))]))["details"]
            ["instances"]["1"]["gateway_port"],
        "bpve-1"
    );
    d.reconcile_instance(1, Some(&state()), &instance)
        .await
        .unwrap();
    assert_eq!(kernel.take_applied().last(), Some(&Op::Remove(veth)));
    assert!(!kernel
        .entries()
        .iter()
        .any(|e| matches!(e, Entry::Veth { .. })));
}

#[tokio::test]
async fn an_existing_gateway_port_is_plugged_into_a_bridge_of_ours_only() {
    let kernel = FakeKernel::with_devices(&["tap1", "ovs-gw", "brq-net1"]);
    let mut d = driver(&kernel);
    d.reconcile_instance(1, Some(&stitched("ovs-gw", None)), &Changed::All)
        .await
        .unwrap();
    let plugged = |bridge: &str| Entry::BridgePort {
        name: "ovs-gw".into(),
        bridge: bridge.into(),
    };
    assert!(kernel.entries().contains(&plugged("bpvb-1")));
    let mut given = stitched("ovs-gw", None);
    given.linux_bridge = Some("brq-net1".into());
    d.reconcile_instance(1, Some(&given), &Changed::All)
        .await
        .unwrap();
    assert!(!kernel
        .entries()
        .iter()
        .any(|e| matches!(e, Entry::BridgePort { name, .. } if name == "ovs-gw")));
}

#[tokio::test]
async fn a_given_bridge_is_used_but_neither_created_nor_deleted() {
    let kernel = FakeKernel::with_devices(&["tap1", "brq-net1"]);
    let mut d = driver(&kernel);
    let mut s = state();
    s.linux_bridge = Some("brq-net1".into());
    d.reconcile_instance(1, Some(&s), &Changed::All)
        .await
        .unwrap();
    let entries = kernel.entries();
    assert!(!entries
        .iter()
        .any(|e| matches!(e, Entry::Bridge { .. } | Entry::BridgePort { .. })));
    assert!(entries
        .iter()
        .any(|e| matches!(e, Entry::Neigh { dev, .. } if dev == "brq-net1")));
    d.reconcile_instance(1, None, &Changed::All).await.unwrap();
    assert!(kernel.entries().is_empty());
}

#[tokio::test]
async fn what_failed_is_retried_by_the_next_reconcile() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let mut d = driver(&kernel);
    kernel.refuse(Some(|op| matches!(op.entry(), Entry::Neigh { .. })));
    let err = d
        .reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DriverError::Partial { failed: 2, .. }),
        "{err}"
    );
    assert_eq!(kernel.entries().len(), 10);
    kernel.refuse(None);
    kernel.take_applied();
    let report = d
        .reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    assert_eq!(report.created, 2);
    assert_eq!(kernel.entries().len(), 12);
}

#[tokio::test]
async fn a_restarted_driver_adopts_what_it_finds_without_touching_it() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    driver(&kernel)
        .reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    let before = kernel.entries();
    kernel.take_applied();

    let mut restarted = driver(&kernel);
    restarted.resync().await.unwrap();
    let report = restarted
        .reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    assert_eq!(report.total(), 0);
    assert!(kernel.take_applied().is_empty());
    assert_eq!(kernel.entries(), before);
}

#[tokio::test]
async fn after_a_restart_only_the_sweep_removes_leftovers() {
    let kernel = FakeKernel::with_devices(&["tap1", "brq-x"]);
    driver(&kernel)
        .reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    // Left by the previous run: a MAC withdrawn while we were down, and instance 2's
    // neighbour entry on a bridge given by name (no instance can be told from it).
    let stale_mac = tunnel("52:54:00:00:00:99", "192.0.2.2");
    let stale_neigh = Entry::Neigh {
        dev: "brq-x".into(),
        ip: "10.9.9.9".parse().unwrap(),
        mac: mac("52:54:00:00:00:98"),
    };
    kernel.plant(stale_mac.clone());
    kernel.plant(stale_neigh.clone());

    let mut restarted = driver(&kernel);
    assert_eq!(
        restarted.resync().await.unwrap(),
        14,
        "12 of ours and the 2 planted"
    );
    // The instance's first state after the restart may lack what routes bring later: what
    // it does not claim stays until the sweep.
    restarted
        .reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    assert!(kernel.entries().contains(&stale_mac));
    assert!(kernel.entries().contains(&stale_neigh));
    assert_eq!(restarted.sweep_unclaimed().await.unwrap(), 2);
    assert!(!kernel.entries().contains(&stale_mac));
    assert!(!kernel.entries().contains(&stale_neigh));
    assert_eq!(kernel.entries().len(), 12);
}

#[tokio::test]
async fn after_a_restart_an_instance_under_another_id_takes_its_vni_back_at_once() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    driver(&kernel)
        .reconcile_instance(2, Some(&state()), &Changed::All)
        .await
        .unwrap();
    // The replay created the instances in another order: this one is now number 1. The old
    // VXLAN device holds its VNI (the kernel would refuse a second one): it goes now, with
    // its entries and bridge, not at the sweep.
    let mut restarted = driver(&kernel);
    restarted.resync().await.unwrap();
    restarted
        .reconcile_instance(1, Some(&state()), &Changed::All)
        .await
        .unwrap();
    let names: Vec<String> = kernel
        .entries()
        .iter()
        .filter_map(|e| match e {
            Entry::Vxlan(v) => Some(v.name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["bpvx-1"]);
    // The old bridge (and what lives on it) is left for the sweep.
    assert!(restarted.sweep_unclaimed().await.unwrap() > 0);
    assert_eq!(kernel.entries().len(), 12);
    assert!(!format!("{:?}", kernel.entries()).contains("-2\""));
}

#[tokio::test]
async fn ip_vpn_entries_are_not_adopted_by_the_evpn_driver() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let ipvpn_neigh = Entry::Neigh {
        dev: "bpvr-7".into(),
        ip: "192.0.2.7".parse().unwrap(),
        mac: mac("02:00:00:00:00:07"),
    };
    kernel.plant(ipvpn_neigh.clone());
    let mut d = driver(&kernel);
    d.resync().await.unwrap();
    assert_eq!(d.sweep_unclaimed().await.unwrap(), 0);
    assert_eq!(kernel.entries(), vec![ipvpn_neigh]);
}
