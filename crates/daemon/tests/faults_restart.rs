//! Peers that restart: graceful restart (RFC 4724) of an ExaBGP peer keeps its routes as stale
//! while it is away and refreshes them when it is back (End-of-RIB ends the stale ones); a
//! peer that is only a graceful-restart helper (FRR's default: the capability with no
//! families) has its routes withdrawn at once when it dies.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use bagpipe_testbed::daemon::daemon_ini;
use bagpipe_testbed::wait::wait_for;
use bagpipe_wire::message::{Capability, GracefulRestart, GracefulRestartFamily, Message};
use bagpipe_wire::Family;
use support::exabgp::{self, Exabgp};
use support::frr::{bgpd_conf, Frr};
use support::messages::vpn_update;
use support::scripted::ScriptedListener;
use support::{daemon_with_peer, start_daemon};

const T: Duration = Duration::from_secs(15);

/// ExaBGP's neighbour block: graceful restart with `restart_time` (none when 0), and these
/// VPNv4 routes (`10.50.N.0/24`).
fn exabgp_neighbor(ours: &str, exa: &str, port: u16, restart_time: u16, routes: &[u8]) -> String {
    let gr = if restart_time > 0 {
        format!("graceful-restart {restart_time};")
    } else {
        String::new()
    };
    let routes: String = routes
        .iter()
        .map(|n| {
            format!(
                "        route 10.50.{n}.0/24 rd 64512:50 label 500 next-hop {exa} extended-community [ target:64512:20 ];\n"
            )
        })
        .collect();
    let settings = format!(
        "    capability {{ route-refresh; {gr} }}
    family {{ ipv4 mpls-vpn; }}
    static {{
{routes}    }}"
    );
    exabgp::neighbor(ours, exa, port, &settings)
}

#[test]
fn a_gracefully_restarting_exabgp_keeps_its_routes_stale_until_it_refreshes_them() {
    let (x_addr, a_addr) = ("127.0.27.1", "127.0.27.2");
    let port = 19450;
    // The daemon waits for ExaBGP to connect (a passive peer), and keeps nothing of its own.
    let a = daemon_with_peer(
        a_addr,
        19452,
        x_addr,
        port,
        "ipv4/mpls-vpn",
        "passive = True",
    );
    let neighbor = |routes: &[u8]| exabgp_neighbor(a_addr, x_addr, port, 30, routes);
    let mut x = Exabgp::start(
        "exabgp",
        Path::new("exabgp"),
        x_addr,
        port,
        &neighbor(&[1, 2]),
    );
    a.wait_peer_state(x_addr, "Established", T);
    a.wait_route("10.50.1.0/24", T);
    a.wait_route("10.50.2.0/24", T);
    let gr = a.peer(x_addr)["capabilities"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "graceful-restart").cloned());
    assert!(
        gr.as_ref().is_some_and(|g| g["restart_time"] == 30),
        "ExaBGP's graceful restart capability: {gr:?}"
    );

    // ExaBGP dies (no NOTIFICATION): its routes stay, stale, while it is away.
    x.kill();
    wait_for(T, "the session to go down", || {
        (a.peer_state(x_addr) != "Established").then_some(())
    });
    assert_eq!(a.routes_matching("10.50.1.0/24").len(), 1);
    assert_eq!(a.routes_matching("10.50.2.0/24").len(), 1);

    // It comes back with route 1 (and a new route 3), not route 2: its End-of-RIB ends the
    // stale route 2; route 1 is never withdrawn on the way.
    x.restart(&neighbor(&[1, 3]));
    let back = Instant::now();
    wait_for(T, "stale route 2 to go after ExaBGP's End-of-RIB", || {
        assert_eq!(
            a.routes_matching("10.50.1.0/24").len(),
            1,
            "route 1 was withdrawn during the graceful restart"
        );
        a.routes_matching("10.50.2.0/24").is_empty().then_some(())
    });
    a.wait_route("10.50.3.0/24", T);
    eprintln!(
        "FIGURES: graceful restart: stale routes purged {:?} after ExaBGP restarted",
        back.elapsed()
    );
    assert!(back.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_peer_that_is_only_a_graceful_restart_helper_has_its_routes_withdrawn_when_it_dies() {
    let (f_addr, a_addr) = ("127.0.27.9", "127.0.27.10");
    let port = 19460;
    let conf = bgpd_conf(
        "frr-helper",
        f_addr,
        a_addr,
        port,
        &format!(
            " !
 address-family ipv4 vpn
  neighbor {a_addr} activate
  network 10.60.0.0/24 rd 64512:60 label 600 route-map RM-VPN
 exit-address-family
"
        ),
    );
    let mut frr = Frr::start("frr", f_addr, port, &conf);
    let a = daemon_with_peer(a_addr, 19462, f_addr, port, "ipv4/mpls-vpn", "");
    a.wait_route("10.60.0.0/24", T);
    // FRR's capability names no family: it keeps no forwarding state of its own.
    let gr = a.peer(f_addr)["capabilities"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "graceful-restart").cloned());
    assert!(
        gr.as_ref()
            .is_some_and(|g| g["families"].as_array().is_some_and(|f| f.is_empty())),
        "FRR's graceful restart capability: {gr:?}"
    );
    let killed = Instant::now();
    frr.kill();
    // RFC 4724 §4.2: only the families of the capability are kept.
    a.wait_no_route("10.60.0.0/24", Duration::from_secs(5));
    eprintln!(
        "FIGURES: a helper-only peer's routes withdrawn {:?} after it stopped",
        killed.elapsed()
    );
}

#[test]
fn graceful_restart_keeps_only_the_families_the_peer_preserves() {
    let (p_addr, a_addr) = ("127.0.27.17", "127.0.27.18");
    let port = 19470;
    let listener = ScriptedListener::bind(p_addr, port);
    let families = "ipv4/mpls-vpn, ipv6/mpls-vpn";
    let a = daemon_with_peer(a_addr, 19472, p_addr, port, families, "");
    let mut p = listener.accept(T);
    // The peer preserves VPNv4 across a restart, not VPNv6.
    let gr = Capability::GracefulRestart(GracefulRestart {
        restarting: false,
        notification: false,
        restart_time: 60,
        families: vec![GracefulRestartFamily {
            family: Family::VPNV4,
            forwarding_preserved: true,
        }],
    });
    let id = p_addr.parse().unwrap();
    p.establish_with(64512, 90, id, &[Family::VPNV4, Family::VPNV6], vec![gr]);
    p.send(&Message::Update(vpn_update("10.70.0.0/24", p_addr)));
    p.send(&Message::Update(vpn_update(
        "2001:db8:70::/48",
        "::ffff:127.0.27.17",
    )));
    a.wait_route("10.70.0.0/24", T);
    a.wait_route("2001:db8:70::/48", T);
    drop(p); // the connection closes without a NOTIFICATION
    a.wait_no_route("2001:db8:70::/48", T);
    assert_ne!(a.peer_state(p_addr), "Established");
    assert_eq!(
        a.routes_matching("10.70.0.0/24").len(),
        1,
        "the VPNv4 route must be kept, stale"
    );
}

#[test]
fn stale_routes_go_when_the_restarted_peer_no_longer_preserves_their_family() {
    let (p_addr, a_addr) = ("127.0.27.25", "127.0.27.26");
    let port = 19474;
    let listener = ScriptedListener::bind(p_addr, port);
    let section =
        format!("connect_retry_max = 1\n\n[BGP_PEER {p_addr}]\nfamilies = ipv4/mpls-vpn\n");
    let a = start_daemon(
        "A",
        a_addr,
        19476,
        &daemon_ini(a_addr, &[p_addr], port, 19476, &section),
    );
    let gr = |preserved: bool| {
        Capability::GracefulRestart(GracefulRestart {
            restarting: !preserved,
            notification: false,
            restart_time: 60,
            families: vec![GracefulRestartFamily {
                family: Family::VPNV4,
                forwarding_preserved: preserved,
            }],
        })
    };
    let id = p_addr.parse().unwrap();
    let mut p = listener.accept(T);
    p.establish_with(64512, 90, id, &[Family::VPNV4], vec![gr(true)]);
    p.send(&Message::Update(vpn_update("10.71.0.0/24", p_addr)));
    a.wait_route("10.71.0.0/24", T);
    drop(p);
    // Back, but its forwarding state for VPNv4 was lost (F bit clear, RFC 4724 §4.2): the
    // stale route goes at once, without waiting for End-of-RIB.
    let mut p = listener.accept(T);
    assert_eq!(
        a.routes_matching("10.71.0.0/24").len(),
        1,
        "kept while the peer was away"
    );
    p.establish_with(64512, 90, id, &[Family::VPNV4], vec![gr(false)]);
    a.wait_no_route("10.71.0.0/24", T);
}
