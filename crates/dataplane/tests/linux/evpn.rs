//! E-VPN: VMs of one instance on three nodes reach each other over VXLAN; ARP for remote
//! VMs is answered on their own node; other instances stay apart; withdrawals and moves
//! are followed.

use std::net::IpAddr;
use std::time::Duration;

use bagpipe_dataplane::owned::{evpn_bridge_name, stitch_evpn_end, stitch_vrf_end};
use bagpipe_dataplane::{
    watch_learned_macs, EvpnGatewayPort, EvpnInstanceState, EvpnLocalPort, FloodEntry,
    InstanceUpdate, InterfaceAddress, LearnedMac, LinuxDriverConfig, LinuxEvpnDriver, RemoteMac,
    VrfLocalPort, VrfState,
};
use bagpipe_wire::MacAddress;
use smallvec::smallvec;

use crate::support::can_use_netns;
use crate::support::fabric::Fabric;
use crate::support::netns::exec;
use crate::support::node::NodeDriver;
use crate::support::probes::{no_reply, ping, VxlanArpCapture};
use crate::support::vms::{EvpnVm, A, B};
use bagpipe_testbed::wait::wait_for;

/// Plugs E-VPN `evpn` into VRF `vrf` (stitching): a veth pair the E-VPN driver creates
/// and whose other end the IP VPN driver routes for, with a VM address behind it.
pub fn stitch(evpn: &mut EvpnInstanceState, vrf: &mut VrfState) {
    let gateway = "10.40.0.1".parse().unwrap();
    let (evpn_end, vrf_end) = (
        stitch_evpn_end(evpn.instance_id),
        stitch_vrf_end(evpn.instance_id),
    );
    evpn.gateway_port = Some(EvpnGatewayPort {
        ifname: evpn_end,
        veth_peer: Some(vrf_end.clone()),
        gateway_ip: Some(gateway),
    });
    vrf.local_ports.insert(
        vrf_end,
        VrfLocalPort {
            mac: "52:54:00:40:00:05".parse().unwrap(),
            addresses: smallvec![InterfaceAddress {
                ip: "10.40.0.5".parse().unwrap(),
                prefix_len: 24,
            }],
            gateway_ips: smallvec![gateway],
        },
    );
}

/// What the routes of `vms` make the desired state of instance `id` on `node`.
pub fn evpn_state(id: u32, vni: u32, node: usize, vms: &[&EvpnVm]) -> EvpnInstanceState {
    let mac = |s: &str| s.parse::<MacAddress>().unwrap();
    let ips = |vm: &EvpnVm| vec![vm.v4.parse::<IpAddr>().unwrap(), vm.v6.parse().unwrap()];
    EvpnInstanceState {
        instance_id: id,
        vni,
        linux_bridge: None,
        local_ports: vms
            .iter()
            .filter(|vm| vm.node == node)
            .map(|vm| {
                (
                    vm.port(),
                    EvpnLocalPort {
                        mac: Some(mac(vm.mac)),
                        ips: ips(vm),
                    },
                )
            })
            .collect(),
        remote_macs: vms
            .iter()
            .filter(|vm| vm.node != node)
            .map(|vm| {
                (
                    mac(vm.mac),
                    RemoteMac {
                        vtep: Fabric::node_ip(vm.node),
                        vni,
                        ips: ips(vm),
                    },
                )
            })
            .collect(),
        flood_list: vms
            .iter()
            .filter(|vm| vm.node != node)
            .map(|vm| FloodEntry {
                vtep: Fabric::node_ip(vm.node),
                vni,
            })
            .collect(),
        gateway_port: None,
    }
}

pub fn start_evpn(fabric: &Fabric, node: usize) -> NodeDriver<EvpnInstanceState> {
    NodeDriver::start(&fabric.node(node), move || {
        LinuxEvpnDriver::new(LinuxDriverConfig::new(Fabric::node_ip(node))).expect("driver")
    })
}

#[tokio::test]
async fn vms_of_one_evpn_reach_each_other_and_arp_stays_local() {
    if !can_use_netns() {
        return;
    }
    let mut fabric = Fabric::new("bpdp-ev", 3);
    let a_ns: Vec<String> = A.iter().map(|vm| vm.create(&mut fabric)).collect();
    let b_ns: Vec<String> = B.iter().map(|vm| vm.create(&mut fabric)).collect();
    let drivers: Vec<_> = (1..=3).map(|n| start_evpn(&fabric, n)).collect();
    let a: Vec<&EvpnVm> = A.iter().collect();
    let b: Vec<&EvpnVm> = B.iter().collect();
    for (i, d) in drivers.iter().enumerate() {
        d.set(1, Some(evpn_state(1, 100, i + 1, &a))).await;
        if i < 2 {
            d.set(2, Some(evpn_state(2, 200, i + 1, &b))).await;
        }
    }

    for (from, to) in [(0, 1), (0, 2), (1, 2), (2, 0)] {
        assert!(
            ping(&a_ns[from], A[to].v4),
            "{} -> {} (IPv4)",
            A[from].name,
            A[to].name
        );
        assert!(
            ping(&a_ns[from], A[to].v6),
            "{} -> {} (IPv6)",
            A[from].name,
            A[to].name
        );
    }
    assert!(ping(&b_ns[0], B[1].v4), "b1 -> b2");
    assert!(ping(&b_ns[0], B[1].v6), "b1 -> b2 (IPv6)");
    // Same subnet, same nodes, other instance: unreachable.
    assert!(no_reply(&b_ns[0], A[1].v4), "b1 must not reach a2");
    assert!(no_reply(&a_ns[0], B[1].v4), "a1 must not reach b2");

    // ARP for a remote VM of the instance: answered on node 1, nothing crosses the underlay.
    let capture = VxlanArpCapture::start(&fabric.underlay(), A[2].v4.parse().unwrap());
    let answer = A[0].arp(&a_ns[0], A[2].v4);
    assert_eq!(
        answer,
        Some(A[2].mac_bytes()),
        "ARP for a3 answered with a3's MAC"
    );
    assert_eq!(
        capture.finish(),
        0,
        "the ARP request for a3 crossed the underlay"
    );

    // An address no route told us about is flooded to the other VTEPs (the capture works).
    let capture = VxlanArpCapture::start(&fabric.underlay(), "10.10.0.99".parse().unwrap());
    let unknown = A[0].arp(&a_ns[0], "10.10.0.99");
    assert_eq!(unknown, None);
    assert!(
        capture.finish() > 0,
        "an ARP request for an unknown address is flooded"
    );
}

#[tokio::test]
async fn withdrawn_macs_stop_traffic_and_moved_macs_are_followed() {
    if !can_use_netns() {
        return;
    }
    let mut fabric = Fabric::new("bpdp-evm", 3);
    let a_ns: Vec<String> = A.iter().map(|vm| vm.create(&mut fabric)).collect();
    let drivers: Vec<_> = (1..=3).map(|n| start_evpn(&fabric, n)).collect();
    let all: Vec<&EvpnVm> = A.iter().collect();
    for (i, d) in drivers.iter().enumerate() {
        d.set(1, Some(evpn_state(1, 100, i + 1, &all))).await;
    }
    assert!(ping(&a_ns[0], A[2].v4), "a1 -> a3 before the withdrawal");

    // a3's routes are withdrawn from node 1: its MAC, neighbour and flood entries go.
    let without_a3: Vec<&EvpnVm> = A[..2].iter().collect();
    drivers[0]
        .set(1, Some(evpn_state(1, 100, 1, &without_a3)))
        .await;
    assert!(no_reply(&a_ns[0], A[2].v4), "a1 -> a3 after the withdrawal");
    assert!(ping(&a_ns[0], A[1].v4), "a1 -> a2 still");

    // a3 moves to node 2 (same MAC and addresses) and is advertised from there.
    fabric.unplug(3, &A[2].port());
    let moved = EvpnVm { node: 2, ..A[2] };
    moved.plug_into(&fabric, 2);
    let after: Vec<&EvpnVm> = vec![&A[0], &A[1], &moved];
    for (i, d) in drivers.iter().enumerate() {
        d.set(1, Some(evpn_state(1, 100, i + 1, &after))).await;
    }
    assert!(ping(&a_ns[0], moved.v4), "a1 -> a3 on its new node");
    assert!(ping(&a_ns[0], moved.v6), "a1 -> a3 on its new node (IPv6)");
}

/// A port moved to an instance whose bridge cannot be created (a device of another kind holds
/// its name) leaves its old instance's bridge at once instead of staying in the network it
/// was moved out of; it is plugged into its new bridge when a retry succeeds. (Here the
/// kernel itself takes the port out when told to plug it into the wrong kind of device; the
/// reconciler takes it out first whatever the failure: `reconcile::properties`.)
#[tokio::test]
async fn a_port_moved_to_a_bridge_that_cannot_be_made_leaves_the_old_one() {
    if !can_use_netns() {
        return;
    }
    let mut fabric = Fabric::new("bpdp-evmv", 2);
    let a1 = A[0].create(&mut fabric);
    A[1].create(&mut fabric);
    let node1 = fabric.node(1);
    let drivers: Vec<_> = (1..=2).map(|n| start_evpn(&fabric, n)).collect();
    let pair: Vec<&EvpnVm> = A[..2].iter().collect();
    for (i, d) in drivers.iter().enumerate() {
        d.set(1, Some(evpn_state(1, 100, i + 1, &pair))).await;
    }
    assert!(ping(&a1, A[1].v4), "a1 -> a2 before the move");

    let blocked = evpn_bridge_name(2);
    exec(
        &node1,
        &format!("ip link add {blocked} type veth peer name {blocked}p"),
    );
    let master = || {
        let link = exec(&node1, &format!("ip -o link show {}", A[0].port()));
        link.split_whitespace()
            .skip_while(|w| *w != "master")
            .nth(1)
            .map(str::to_string)
    };
    assert_eq!(master(), Some(evpn_bridge_name(1)));

    // a1's port goes to instance 2 (a network of its own) and leaves instance 1.
    let handle = &drivers[0].handle;
    handle
        .update(2, InstanceUpdate::Replace(evpn_state(2, 200, 1, &[&A[0]])))
        .await
        .unwrap();
    handle
        .update(1, InstanceUpdate::Replace(evpn_state(1, 100, 1, &[&A[1]])))
        .await
        .unwrap();
    let failed = handle.flush().await.unwrap();
    assert!(
        failed.contains_key(&2),
        "instance 2 cannot have its bridge: {failed:?}"
    );
    assert_eq!(master(), None, "a1's port left in instance 1's bridge");
    assert!(no_reply(&a1, A[1].v4), "a1 still reaches instance 1");

    // The name is free again: a retry creates the bridge and plugs the port in.
    exec(&node1, &format!("ip link del {blocked}"));
    wait_for(
        Duration::from_secs(10),
        "a1's port in instance 2's bridge",
        || (master() == Some(blocked.clone())).then_some(()),
    );
}

#[tokio::test]
async fn macs_learnt_on_ports_are_reported() {
    if !can_use_netns() {
        return;
    }
    let mut fabric = Fabric::new("bpdp-lrn", 1);
    let vm = &A[0];
    let vm_ns = vm.create(&mut fabric);
    let driver = start_evpn(&fabric, 1);
    let mut state = evpn_state(1, 100, 1, &[vm]);
    // The attach request gave no MAC for this port.
    state.local_ports.get_mut(&vm.port()).unwrap().mac = None;
    driver.set(1, Some(state)).await;

    let (events_tx, events) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = fabric.node(1);
    let watcher = std::thread::spawn(move || {
        crate::support::netns::enter(&node);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut learnt = watch_learned_macs(16).expect("watch");
            events_tx.send(None).unwrap();
            tokio::select! {
                _ = stopped => {}
                _ = async { while let Some(e) = learnt.recv().await { events_tx.send(Some(e)).unwrap(); } } => {}
            }
        });
    });
    assert_eq!(events.recv().unwrap(), None, "watcher ready");

    // The VM speaks: the bridge learns its MAC on its port.
    vm.arp(&vm_ns, "10.10.0.200");
    let wait = std::time::Duration::from_secs(3);
    let event = events
        .recv_timeout(wait)
        .expect("no learnt MAC reported")
        .unwrap();
    assert_eq!(
        event,
        LearnedMac {
            bridge: "bpvb-1".into(),
            port: vm.port(),
            mac: vm.mac.parse().unwrap(),
            learnt: true
        }
    );
    // The port goes away: the bridge forgets the MAC.
    fabric.unplug(1, &vm.port());
    let forgotten = std::iter::from_fn(|| events.recv_timeout(wait).ok().flatten())
        .find(|e| !e.learnt)
        .expect("no forgotten MAC reported");
    assert_eq!(forgotten.mac, vm.mac.parse().unwrap());
    let _ = stop.send(());
    watcher.join().unwrap();
}
