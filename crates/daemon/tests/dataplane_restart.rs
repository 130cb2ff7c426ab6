//! A daemon's life on a compute node, with the real kernel: restarted (SIGTERM, started
//! again, attachments re-sent by the agent when `/ping` changes) while VMs ping across it —
//! graceful restart keeps its routes on the other nodes, its drivers adopt the kernel entries
//! of the previous run, so E-VPN and IP VPN traffic keeps flowing and the kernel ends up
//! exactly as before, on a client of the route reflector as on the reflector itself; an
//! instance deleted while it was down is swept once the replay is over; killed (SIGKILL) and
//! cleaned up with `bagpipe-bgp-cleanup`, nothing of ours remains and nothing else is
//! touched. Root only (SKIPPED otherwise).

mod dataplane_support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bagpipe_testbed::can_use_netns;
use bagpipe_testbed::daemon::Daemon;
use bagpipe_testbed::fabric::Fabric;
use bagpipe_testbed::foreign;
use bagpipe_testbed::netns::{exec, in_netns};
use bagpipe_testbed::probes::{no_reply, ping, PingLoss};
use bagpipe_testbed::snapshot::kernel_state;
use bagpipe_testbed::vms::{A, B};
use bagpipe_testbed::wait::wait_for;
use dataplane_support::vms::{attach, plug_vm, wait_ping, NET_A, NET_B, R, VRF1};
use dataplane_support::{fdb_lines, links, Cluster, Reflector};

/// How often the VMs ping during a restart.
const PING_INTERVAL: Duration = Duration::from_millis(10);

/// When the agent notices a restart: at its next poll of `/ping` (networking-bagpipe polls
/// every few seconds; shortened here).
const AGENT_POLL: Duration = Duration::from_secs(1);

/// Restarts a node's daemon as `systemctl restart` would, then plays the agent: sees `/ping`
/// change at its next poll and re-sends the node's attachments.
fn restart(daemon: &mut Daemon, replay: impl FnOnce(&Daemon)) {
    let before = daemon.ping_token().expect("daemon up");
    daemon.stop();
    daemon.start_again();
    std::thread::sleep(AGENT_POLL);
    let now = daemon.ping_token().expect("daemon up again");
    assert_ne!(now, before, "/ping must change across a restart");
    replay(daemon);
}

/// Whether the daemon is done with its restart: sessions up, and what its drivers adopted
/// at start-up either claimed again or swept.
fn restart_over(daemon: &Daemon, sessions: usize) -> bool {
    daemon.established() == sessions
        && ["evpn", "ipvpn"]
            .iter()
            .all(|d| daemon.driver(d)["adopted_unclaimed"] == 0)
}

/// In which order the agent re-sends a node's attachments after a restart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replay {
    /// The order it first sent them (its records keep it): the instances get the dataplane
    /// ids they had.
    AsFirstSent,
    /// Another order: the instances swap ids, so their devices get other names.
    Reversed,
}

/// Node `k`'s daemon restarts while VMs ping every 10 ms: E-VPN and IP VPN traffic to the
/// VM on node `k` (through its adopted dataplane and its routes kept by the others) and
/// between the two other nodes (through reflected routes) loses nothing, and every node's
/// kernel state is the same afterwards. Replayed in another order, node `k`'s instances
/// change devices, and its traffic stops only while they are replaced, not until the sweep.
fn restart_keeps_traffic(prefix: &str, k: usize, reflector: Reflector, order: Replay) {
    let mut cluster = Cluster::new(prefix, 3, reflector);
    let a: Vec<String> = A.iter().map(|vm| vm.create(&mut cluster.fabric)).collect();
    let r: Vec<String> = R
        .iter()
        .map(|vm| plug_vm(&mut cluster, &VRF1, vm))
        .collect();
    for vm in &A {
        attach(&cluster, &NET_A, vm);
    }
    // The other nodes: i pings k's VMs, and j's.
    let (i, j) = match k {
        1 => (2, 3),
        2 => (1, 3),
        _ => (1, 2),
    };
    let (i, j, k) = (i - 1, j - 1, k - 1);
    for (from, to) in [(i, k), (k, i), (i, j)] {
        wait_ping(&a[from], A[to].v4);
        wait_ping(&r[from], R[to].ip(0));
    }
    let before: Vec<String> = (1..=3)
        .map(|n| kernel_state(&cluster.fabric.node(n)))
        .collect();

    let streams = [
        (
            "E-VPN",
            "across",
            PingLoss::start(&a[i], A[k].v4, PING_INTERVAL),
        ),
        (
            "IP VPN",
            "across",
            PingLoss::start(&r[i], R[k].ip(0), PING_INTERVAL),
        ),
        (
            "E-VPN",
            "beside",
            PingLoss::start(&a[i], A[j].v4, PING_INTERVAL),
        ),
        (
            "IP VPN",
            "beside",
            PingLoss::start(&r[i], R[j].ip(0), PING_INTERVAL),
        ),
    ];
    let started = Instant::now();
    restart(cluster.daemon_mut(k + 1), |d| {
        let vrf = VRF1.request(&R[k]);
        let evpn = NET_A.requests(&A[k]);
        let mut requests: Vec<&serde_json::Value> =
            std::iter::once(&vrf).chain(evpn.iter()).collect();
        if order == Replay::Reversed {
            requests.reverse();
        }
        for req in requests {
            d.attach(req);
        }
    });
    let replayed = started.elapsed();
    let sessions = if k == 0 && reflector == Reflector::Node1 {
        2
    } else {
        1
    };
    wait_for(Duration::from_secs(30), "the restart to be over", || {
        restart_over(cluster.daemon(k + 1), sessions).then_some(())
    });
    let over = started.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    println!(
        "restart of node {}'s daemon: attachments replayed after {replayed:?}, restart over (sessions up, End-of-RIB sent, adopted entries claimed or swept) after {over:?}",
        k + 1
    );
    let mut losses = Vec::new();
    for (vpn, whence, stream) in streams {
        let loss = stream.finish();
        println!("ping loss, {vpn}, {whence} the restarted node: {loss}");
        losses.push((vpn, whence, loss));
    }
    // Replayed in another order, node k's devices have other names, and its VRF another
    // router MAC (derived from the instance id), which the other nodes follow.
    for n in (1..=3).filter(|_| order == Replay::AsFirstSent) {
        assert_eq!(
            kernel_state(&cluster.fabric.node(n)),
            before[n - 1],
            "node {n}'s kernel state changed across node {}'s restart",
            k + 1
        );
    }
    for (vpn, whence, loss) in losses {
        match (order, whence) {
            (Replay::Reversed, "across") => assert!(
                loss.longest_outage * PING_INTERVAL < Duration::from_secs(1),
                "{vpn} traffic waited for the sweep: {loss}"
            ),
            _ => assert_eq!(
                loss.lost, 0,
                "{vpn} pings lost {whence} the restart: {loss}"
            ),
        }
    }
}

#[test]
fn a_restarted_daemon_keeps_traffic_flowing_and_the_kernel_state() {
    if !can_use_netns() {
        return;
    }
    restart_keeps_traffic("bpd-rs", 2, Reflector::Node1, Replay::AsFirstSent);
}

#[test]
fn a_restarted_route_reflector_keeps_traffic_flowing_and_the_kernel_state() {
    if !can_use_netns() {
        return;
    }
    restart_keeps_traffic("bpd-rsrr", 1, Reflector::Node1, Replay::AsFirstSent);
}

#[test]
fn a_restarted_daemon_behind_a_gobgp_reflector_keeps_traffic_flowing() {
    if !can_use_netns() {
        return;
    }
    restart_keeps_traffic("bpd-rsgo", 2, Reflector::Gobgp, Replay::AsFirstSent);
}

#[test]
fn attachments_replayed_in_another_order_cost_a_short_outage_only() {
    if !can_use_netns() {
        return;
    }
    restart_keeps_traffic("bpd-rsor", 2, Reflector::Node1, Replay::Reversed);
}

#[test]
fn an_instance_deleted_while_the_daemon_was_down_is_swept() {
    if !can_use_netns() {
        return;
    }
    let mut cluster = Cluster::new("bpd-sw", 2, Reflector::Node1);
    let (a1, a2) = (&A[0], &A[1]);
    let a = [
        a1.create(&mut cluster.fabric),
        a2.create(&mut cluster.fabric),
    ];
    let b = [
        B[0].create(&mut cluster.fabric),
        B[1].create(&mut cluster.fabric),
    ];
    attach(&cluster, &NET_A, a1);
    attach(&cluster, &NET_A, a2);
    attach(&cluster, &NET_B, &B[0]);
    attach(&cluster, &NET_B, &B[1]);
    wait_ping(&a[0], a2.v4);
    wait_ping(&b[0], B[1].v4);
    let node2 = cluster.fabric.node(2);
    assert_eq!(links(&node2, "bpvb-").len(), 2, "one bridge per E-VPN");

    // While node 2's daemon is down, b2 is deleted (its port with it); the agent then only
    // re-sends a2's attachment.
    let d = cluster.daemon_mut(2);
    d.stop();
    cluster.fabric.unplug(2, &B[1].port());
    cluster.daemon_mut(2).start_again();
    attach(&cluster, &NET_A, a2);
    assert!(ping(&a[0], a2.v4), "a1 -> a2 after the restart");

    wait_for(
        Duration::from_secs(30),
        "node 2's restart to be over",
        || restart_over(cluster.daemon(2), 1).then_some(()),
    );
    assert_eq!(
        links(&node2, "bpv"),
        ["bpvb-1", "bpvx-1"],
        "net-b's bridge and VXLAN device are swept from node 2"
    );
    wait_for(
        Duration::from_secs(10),
        "node 1 to drop b2's routes (node 2's End-of-RIB ends their retention)",
        || {
            fdb_lines(&cluster.fabric.node(1), B[1].mac)
                .is_empty()
                .then_some(())
        },
    );
    assert!(no_reply(&b[0], B[1].v4), "b1 -/-> b2");
    assert!(ping(&a[0], a2.v4), "a1 -> a2");
}

/// `bagpipe-bgp-cleanup` beside `bagpipe-bgp` (a workspace build or test run builds both).
fn cleanup_binary() -> Option<PathBuf> {
    let daemon = PathBuf::from(env!("CARGO_BIN_EXE_bagpipe-bgp"));
    Some(daemon.parent()?.join("bagpipe-bgp-cleanup")).filter(|p| p.exists())
}

#[test]
fn a_killed_daemon_leaves_nothing_after_bagpipe_bgp_cleanup() {
    if !can_use_netns() {
        return;
    }
    let mut fabric = Fabric::new("bpd-cl", 2);
    let node1 = fabric.node(1);
    foreign::add(&node1);
    let a = [A[0].create(&mut fabric), A[1].create(&mut fabric)];
    let before = kernel_state(&node1);

    let mut cluster = Cluster::start(fabric, Reflector::Node1);
    attach(&cluster, &NET_A, &A[0]);
    attach(&cluster, &NET_A, &A[1]);
    wait_ping(&a[0], A[1].v4);
    assert_ne!(kernel_state(&node1), before, "the daemon programmed node 1");

    cluster.daemon_mut(1).kill();
    match cleanup_binary() {
        Some(binary) => {
            let out = exec(&node1, binary.to_str().unwrap());
            println!("bagpipe-bgp-cleanup: {}", out.trim());
        }
        None => {
            // `cargo test -p bagpipe-daemon` alone does not build the cli crate.
            println!("bagpipe-bgp-cleanup is not built (cargo build -p bagpipe-cli): running remove_owned_entries, all it does");
            let report = in_netns(&node1, || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(bagpipe_dataplane::remove_owned_entries())
            });
            println!("removed: {report:?}");
        }
    }
    assert_eq!(
        kernel_state(&node1),
        before,
        "node 1 after the cleanup differs from node 1 before the daemon started"
    );
    assert!(no_reply(&a[0], A[1].v4), "no forwarding left behind");
}
