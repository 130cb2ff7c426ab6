//! Session faults: a peer killed and restarted (how fast we are back), a silent peer (hold
//! timer), malformed UPDATEs (RFC 7606: treat-as-withdraw keeps the session), connection
//! collisions resolved by BGP identifier (RFC 4271 §6.8), and a passive peer.

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bagpipe_testbed::daemon::{daemon_ini, Daemon};
use bagpipe_testbed::gobgp::{self, Gobgp};
use bagpipe_testbed::wait::wait_for;
use bagpipe_wire::message::{Message, Update};
use bagpipe_wire::Family;
use support::messages::vpn_update;
use support::scripted::{Received, ScriptedListener, ScriptedPeer};
use support::{daemon_with_peer, ipvpn, start_daemon};

const T: Duration = Duration::from_secs(15);

/// The families of the scripted peers: VPNv4 only, no RT Constraint, so that what a peer
/// sends is kept whatever its targets.
const VPNV4: &str = "ipv4/mpls-vpn";

/// The encoded UPDATE with `raw` (one or more encoded path attributes) added in front of its
/// attributes: lengths fixed, contents as given.
fn with_raw_attribute(peer: &ScriptedPeer, update: Update, raw: &[u8]) -> Vec<u8> {
    let mut m = Message::Update(update).to_bytes(peer.context()).unwrap();
    let withdrawn = u16::from_be_bytes([m[19], m[20]]) as usize;
    let at = 21 + withdrawn;
    let attrs = u16::from_be_bytes([m[at], m[at + 1]]) as usize + raw.len();
    m[at..at + 2].copy_from_slice(&(attrs as u16).to_be_bytes());
    m.splice(at + 2..at + 2, raw.iter().copied());
    let len = m.len() as u16;
    m[16..18].copy_from_slice(&len.to_be_bytes());
    m
}

#[test]
fn a_killed_gobgp_peer_is_back_within_seconds_and_routes_are_relearned() {
    let (g_addr, a_addr) = ("127.0.26.1", "127.0.26.2");
    let port = 19400;
    let toml = format!(
        "{}\n{}",
        gobgp::global(64512, g_addr, port),
        gobgp::neighbor(a_addr, g_addr, 64512, true, &["l3vpn-ipv4-unicast", "rtc"])
    );
    let mut g = Gobgp::start("gobgp", "127.0.26.1:19401", &toml);
    let gobgp_state = |g: &Gobgp| {
        g.run("vrf add red rd 64512:201 rt both 64512:20");
        g.run("vrf red rib add 10.99.0.0/24 -a ipv4");
    };
    gobgp_state(&g);
    // Back-off: 1 s, doubling, capped at 2 s.
    let ini = daemon_ini(
        a_addr,
        &[g_addr],
        port,
        19402,
        &format!(
            "connect_retry_max = 2\n\n[BGP_PEER {g_addr}]\nfamilies = ipv4/mpls-vpn, ipv4/rtc\n"
        ),
    );
    let a = start_daemon("A", a_addr, 19402, &ini);
    a.wait_established(1, T);
    a.attach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    a.wait_route("10.99.0.0/24", T);
    g.wait_path("global rib -a vpnv4", "10.20.0.10/32", T);
    let vrf = a.lg("vpns/instances/vrf-red")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    let in_dataplane =
        |a: &Daemon| !a.dataplane_instance("ipvpn", vrf)["routes"]["10.99.0.0/24"].is_null();
    wait_for(T, "GoBGP's route in the dataplane", || {
        in_dataplane(&a).then_some(())
    });

    // A crash: no NOTIFICATION, the TCP connection is reset.
    let killed = Instant::now();
    g.kill();
    a.wait_no_route("10.99.0.0/24", T);
    let withdrawn_after = killed.elapsed();
    wait_for(T, "the route gone from the dataplane", || {
        (!in_dataplane(&a)).then_some(())
    });
    assert_ne!(a.peer_state(g_addr), "Established");
    // We keep trying while GoBGP is away.
    wait_for(T, "a refused reconnection attempt", || {
        a.peer(g_addr)["last_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("connect"))
            .then_some(())
    });

    g.restart();
    let back = Instant::now();
    gobgp_state(&g);
    a.wait_peer_state(g_addr, "Established", T);
    let reconnect = back.elapsed();
    a.wait_route("10.99.0.0/24", T);
    let theirs_back = back.elapsed();
    g.wait_path("global rib -a vpnv4", "10.20.0.10/32", T);
    let ours_back = back.elapsed();
    wait_for(T, "GoBGP's route back in the dataplane", || {
        in_dataplane(&a).then_some(())
    });
    let relearned = back.elapsed();
    eprintln!(
        "FIGURES: routes withdrawn {withdrawn_after:?} after the kill; session back {reconnect:?} \
         after GoBGP restarted; GoBGP's route back after {theirs_back:?}, ours in GoBGP after \
         {ours_back:?}, in the dataplane after {relearned:?}"
    );
    assert!(
        withdrawn_after < Duration::from_secs(2),
        "{withdrawn_after:?}"
    );
    // The back-off is capped at 2 s (±25 %): GoBGP's own start-up comes on top.
    assert!(reconnect < Duration::from_secs(4), "{reconnect:?}");
    assert_eq!(a.peer(g_addr)["counters"]["established_transitions"], 2);
}

#[test]
fn a_silent_peer_is_dropped_when_the_hold_timer_expires() {
    let (p_addr, a_addr) = ("127.0.26.9", "127.0.26.10");
    let port = 19410;
    let listener = ScriptedListener::bind(p_addr, port);
    let a = daemon_with_peer(a_addr, 19412, p_addr, port, VPNV4, "hold_time = 3");
    let mut p = listener.accept(T);
    let open = p.establish(64512, 3, Ipv4Addr::new(127, 0, 26, 9), &[Family::VPNV4]);
    assert_eq!(open.hold_time, 3);
    p.send(&Message::Update(vpn_update("10.9.0.0/24", p_addr)));
    a.wait_route("10.9.0.0/24", T);
    let quiet_since = Instant::now();
    // We say nothing more; the daemon keeps sending KEEPALIVEs (every second), then gives up.
    let mut keepalives = 0;
    let notification = p.recv_until(Duration::from_secs(8), |m| match m {
        Message::Keepalive => {
            keepalives += 1;
            None
        }
        Message::Notification(n) => Some(n.clone()),
        _ => None,
    });
    let after = quiet_since.elapsed();
    let n = notification.expect("a NOTIFICATION");
    assert_eq!((n.code, n.subcode), (4, 0), "Hold Timer Expired: {n:?}");
    assert!(
        after >= Duration::from_millis(2500) && after < Duration::from_millis(4500),
        "hold timer of 3 s expired after {after:?}"
    );
    assert!(keepalives >= 2, "{keepalives} KEEPALIVEs in 3 s");
    assert!(matches!(p.recv(Duration::from_secs(2)), Received::Closed));
    a.wait_no_route("10.9.0.0/24", T);
    let peer = a.peer(p_addr);
    assert_eq!(peer["last_error"], "hold timer expired", "{peer}");
    eprintln!("FIGURES: hold timer (3 s) expired after {after:?}, {keepalives} KEEPALIVEs");
    // And it comes back.
    let mut again = listener.accept(T);
    again.establish(64512, 3, Ipv4Addr::new(127, 0, 26, 9), &[Family::VPNV4]);
    a.wait_peer_state(p_addr, "Established", T);
}

#[test]
fn a_malformed_update_is_treated_as_withdraw_and_the_session_stays() {
    let (p_addr, a_addr) = ("127.0.26.17", "127.0.26.18");
    let port = 19420;
    let listener = ScriptedListener::bind(p_addr, port);
    let a = daemon_with_peer(a_addr, 19422, p_addr, port, VPNV4, "");
    let mut p = listener.accept(T);
    p.establish(64512, 90, Ipv4Addr::new(127, 0, 26, 17), &[Family::VPNV4]);
    p.send(&Message::Update(vpn_update("10.17.1.0/24", p_addr)));
    p.send(&Message::Update(vpn_update("10.17.2.0/24", p_addr)));
    a.wait_route("10.17.1.0/24", T);
    a.wait_route("10.17.2.0/24", T);

    // LOCAL_PREF of 2 octets (RFC 7606 §7.5: treat-as-withdraw) on a new version of route 1.
    let bad_local_pref = [0x40, 5, 2, 0, 100];
    let m = with_raw_attribute(&p, vpn_update("10.17.1.0/24", p_addr), &bad_local_pref);
    p.send_raw(&m);
    a.wait_no_route("10.17.1.0/24", T);
    // ATOMIC_AGGREGATE of 1 octet (§7.6: attribute discard): the route is kept.
    let bad_atomic = [0x40, 6, 1, 0];
    let m = with_raw_attribute(&p, vpn_update("10.17.3.0/24", p_addr), &bad_atomic);
    p.send_raw(&m);
    let (_, r3) = a.wait_route("10.17.3.0/24", T);
    assert!(
        !r3["attributes"].to_string().contains("atomic"),
        "the malformed attribute was kept: {r3}"
    );
    // The session never went down, and the other route stayed.
    assert!(!a.routes_matching("10.17.2.0/24").is_empty());
    let peer = a.peer(p_addr);
    assert_eq!(peer["state"], "Established", "{peer}");
    assert_eq!(peer["counters"]["established_transitions"], 1, "{peer}");
    assert_eq!(peer["counters"]["notifications_sent"], 0, "{peer}");
    assert!(
        peer["counters"]["malformed_updates"].as_u64() >= Some(1),
        "{peer}"
    );
    assert!(
        peer["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("malformed UPDATE")),
        "{peer}"
    );
    // No NOTIFICATION came back (our End-of-RIB and KEEPALIVEs may).
    let got = p.recv_until(Duration::from_millis(300), |m| match m {
        Message::Notification(n) => Some(n.clone()),
        _ => None,
    });
    assert_eq!(got, None);

    // A broken header marker is fatal (RFC 4271 §6.1): NOTIFICATION 1/1, connection closed.
    let mut m = Message::Keepalive.to_bytes(p.context()).unwrap();
    m[0] = 0;
    p.send_raw(&m);
    let n = p.recv_until(Duration::from_secs(5), |m| match m {
        Message::Notification(n) => Some(n.clone()),
        _ => None,
    });
    let n = n.expect("a NOTIFICATION for a broken marker");
    assert_eq!((n.code, n.subcode), (1, 1), "{n:?}");
    a.wait_no_route("10.17.2.0/24", T);
}

/// RFC 4271 §6.8: both sides connect and send OPEN on both connections; the one opened by
/// the speaker with the lower BGP identifier is closed with Cease/7, the other survives.
fn collision(p_addr: &str, a_addr: &str, port: u16, api: u16, peer_id: Ipv4Addr) {
    let listener = ScriptedListener::bind(p_addr, port);
    let a = daemon_with_peer(a_addr, api, p_addr, port, VPNV4, "");
    // The daemon's connection to us...
    let mut theirs = listener.accept(T);
    // ... and ours to the daemon, which answers it with its OPEN.
    let mut ours = ScriptedPeer::connect(p_addr, SocketAddr::new(a_addr.parse().unwrap(), port));
    ours.send_open(64512, 90, peer_id, &[Family::VPNV4]);
    ours.recv_open();
    theirs.recv_open();
    theirs.send_open(64512, 90, peer_id, &[Family::VPNV4]);
    let ours_wins = u32::from(peer_id) > u32::from(a_addr.parse::<Ipv4Addr>().unwrap());
    let (mut winner, mut loser) = if ours_wins {
        (ours, theirs)
    } else {
        (theirs, ours)
    };
    let n = loser.recv_until(T, |m| match m {
        Message::Notification(n) => Some(n.clone()),
        _ => None,
    });
    let n = n.expect("a NOTIFICATION on the losing connection");
    assert_eq!(
        (n.code, n.subcode),
        (6, 7),
        "Connection Collision Resolution"
    );
    winner.send(&Message::Keepalive);
    winner.recv_keepalive();
    a.wait_peer_state(p_addr, "Established", T);
    winner.send(&Message::Update(vpn_update("10.30.0.0/24", p_addr)));
    a.wait_route("10.30.0.0/24", T);
    let peer = a.peer(p_addr);
    assert_eq!(peer["counters"]["established_transitions"], 1, "{peer}");
}

#[test]
fn a_connection_collision_keeps_the_connection_of_the_higher_identifier() {
    // The daemon's identifier (its address) is the higher: its own connection survives.
    collision(
        "127.0.26.25",
        "127.0.26.26",
        19430,
        19432,
        Ipv4Addr::new(127, 0, 26, 25),
    );
    // The peer's is the higher: the peer's connection survives.
    collision(
        "127.0.26.33",
        "127.0.26.34",
        19434,
        19436,
        Ipv4Addr::new(127, 0, 26, 250),
    );
}

#[test]
fn a_passive_peer_is_never_connected_to_but_accepted() {
    let (p_addr, a_addr) = ("127.0.26.41", "127.0.26.42");
    let port = 19440;
    // Something listens where the daemon would connect: it must never see a connection.
    let trap = ScriptedListener::bind(p_addr, port);
    let a = daemon_with_peer(a_addr, 19442, p_addr, port, VPNV4, "passive = True");
    let peer = a.peer(p_addr);
    assert_eq!(peer["passive"], true, "{peer}");
    let mut p = ScriptedPeer::connect(p_addr, SocketAddr::new(a_addr.parse().unwrap(), port));
    p.establish(64512, 90, Ipv4Addr::new(127, 0, 26, 41), &[Family::VPNV4]);
    p.send(&Message::Update(vpn_update("10.41.0.0/24", p_addr)));
    a.wait_route("10.41.0.0/24", T);
    a.wait_peer_state(p_addr, "Established", T);
    assert!(
        trap.try_accept().is_none(),
        "a passive peer was connected to"
    );
}
