//! A peer goes down with many routes imported into a VRF: the route table drops them at once,
//! and the VRF lets them go a slice at a time, the REST API answering in between (before, the
//! whole removal held the engine: ~3 s for a million routes); in the end all are gone.

mod support;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bagpipe_testbed::wait::wait_for;
use bagpipe_wire::message::Message;
use bagpipe_wire::Family;
use support::messages::VpnRoute;
use support::scripted::ScriptedListener;
use support::{daemon_with_peer, ipvpn};

const T: Duration = Duration::from_secs(90);

/// Routes from the peer: above the count from which removals are delivered in slices.
const N: u64 = 40_000;

/// The peer's routes in the VRF's dataplane state (the dummy driver's).
fn peer_routes_in_vrf(d: &bagpipe_testbed::daemon::Daemon, vrf: u64) -> usize {
    d.dataplane_instance("ipvpn", vrf)["routes"]
        .as_object()
        .map_or(0, |r| r.keys().filter(|k| k.starts_with("11.")).count())
}

fn received(d: &bagpipe_testbed::daemon::Daemon) -> Option<u64> {
    d.lg("summary")["route_counts"]["received_routes_count"].as_u64()
}

#[test]
fn the_api_answers_while_a_vrf_lets_go_of_a_large_table() {
    let (p_addr, a_addr) = ("127.0.27.30", "127.0.27.31");
    let port = 19720;
    let listener = ScriptedListener::bind(p_addr, port);
    let a = daemon_with_peer(a_addr, 19721, p_addr, port, "ipv4/mpls-vpn", "");
    // Imports the scripted routes' target (VpnRoute's default, 64512:20).
    a.attach(&ipvpn("vrf-big", "64512:20", 1, "10.200.0.1/24"));
    let vrf = a.lg("vpns/instances/vrf-big")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    let mut p = listener.accept(T);
    p.establish(64512, 90, Ipv4Addr::new(127, 0, 27, 30), &[Family::VPNV4]);
    let route = VpnRoute::default();
    for i in 0..N {
        let prefix = format!("11.{}.{}.0/24", i / 256, i % 256);
        p.send(&Message::Update(route.update(&prefix, p_addr)));
    }
    // The engine answers once it has handled the UPDATEs, VRF import included.
    wait_for(T, "all routes received", || {
        (received(&a)? == N).then_some(())
    });
    assert_eq!(peer_routes_in_vrf(&a, vrf) as u64, N);

    let dropped = Instant::now();
    drop(p);
    // What the VRF holds, asked again and again: a VRF that lets go of the routes in slices,
    // answering the looking glass in between, is seen part way.
    let mut seen = Vec::new();
    while dropped.elapsed() < T {
        let left = peer_routes_in_vrf(&a, vrf);
        seen.push(left);
        if left == 0 {
            break;
        }
    }
    assert_eq!(seen.last(), Some(&0), "routes left in the VRF: {seen:?}");
    assert!(
        seen.iter().any(|&left| left > 0 && left < N as usize),
        "the looking glass was answered only before or after the whole removal: {seen:?}"
    );
    assert_eq!(received(&a), Some(0));
    eprintln!(
        "FIGURES: {N} routes withdrawn from the VRF in {:?}; routes left at each looking-glass answer: {seen:?}",
        dropped.elapsed()
    );
    // And the daemon takes attaches as before.
    a.attach(&ipvpn("vrf-big", "64512:20", 2, "10.200.0.2/24"));
}
