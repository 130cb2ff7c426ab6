//! Interoperability with GoBGP: our daemon is a client of a GoBGP route reflector that has
//! VRFs of its own and RT Constraint, and the two exchange every VPN family both ways (checked
//! in GoBGP's JSON and in our looking glass); plus TCP MD5, a 4-octet AS eBGP peer, the
//! maximum-prefix limit and IPv6 transport.

mod support;

use std::time::Duration;

use bagpipe_testbed::daemon::daemon_ini;
use bagpipe_testbed::gobgp::{self, Gobgp};
use bagpipe_testbed::wait::wait_for;
use serde_json::{json, Value};
use support::{daemon_with_peer, evpn, has_received, ipvpn, start_daemon};

const T: Duration = Duration::from_secs(15);

const ALL_FAMILIES: &[&str] = &[
    "l2vpn-evpn",
    "l3vpn-ipv4-unicast",
    "l3vpn-ipv6-unicast",
    "l3vpn-ipv4-flowspec",
    "rtc",
];

/// The next hop GoBGP shows for a path (MP_REACH_NLRI's).
fn next_hop(path: &Value) -> String {
    gobgp::attr(path, 14).map_or_else(String::new, |a| {
        a["nexthop"].as_str().unwrap_or("").to_string()
    })
}

/// The route targets of a GoBGP path.
fn route_targets(path: &Value) -> Vec<String> {
    gobgp::attr(path, 16)
        .and_then(|a| a["value"].as_array())
        .into_iter()
        .flatten()
        .filter(|c| c["subtype"] == 2 && c["type"].as_u64().is_some_and(|t| t <= 2))
        .filter_map(|c| c["value"].as_str().map(String::from))
        .collect()
}

#[test]
fn every_vpn_family_crosses_both_ways_with_a_gobgp_reflector_and_rt_constraint() {
    let (rr, a_addr) = ("127.0.22.1", "127.0.22.2");
    let port = 19200;
    let toml = format!(
        "{}\n{}",
        gobgp::global(64512, rr, port),
        gobgp::neighbor(a_addr, rr, 64512, true, ALL_FAMILIES)
    );
    let g = Gobgp::start("gobgp-rr", "127.0.22.1:19201", &toml);
    // GoBGP's VRFs import 64512:20 (IP VPN) and 64512:10 (E-VPN): its RT Constraint routes ask
    // us for exactly those.
    g.run("vrf add red rd 64512:201 rt both 64512:20");
    g.run("vrf add blue rd 64512:202 rt both 64512:10");
    let families = "ipv4/mpls-vpn, ipv6/mpls-vpn, l2vpn/evpn, ipv4/flow-vpn, ipv4/rtc";
    let a = daemon_with_peer(a_addr, 19202, rr, port, families, "");
    a.wait_established(1, T);
    wait_for(T, "GoBGP to see A established", || {
        g.established(a_addr).then_some(())
    });

    // ---- Ours to GoBGP. A VRF that exports a route target nobody imports (not even itself:
    // GoBGP, as RFC 4684 §3.2 allows, reflects each client's interests back to it) goes
    // first: RT Constraint must keep its route from GoBGP while the others get through.
    a.attach(&ipvpn(
        "vrf-green",
        "64512:67>64512:66",
        0x66,
        "10.66.0.10/24",
    ));
    a.attach(&evpn("net-blue", "64512:10", 0x0a, "10.10.0.10/24"));
    a.attach(&ipvpn("vrf-red", "64512:20", 4, "10.20.0.10/24"));
    a.attach(&ipvpn("vrf-red", "64512:20", 6, "2001:db8:20::10/64"));

    let v4 = g.wait_path("global rib -a vpnv4", "10.20.0.10/32", T);
    assert_eq!(next_hop(&v4), a_addr, "{v4}");
    assert_eq!(route_targets(&v4), ["64512:20"], "{v4}");
    let label = v4["nlri"]["labels"][0].as_u64();
    assert!(label.is_some_and(|l| l > 0), "{v4}");
    let v6 = g.wait_path("global rib -a vpnv6", "2001:db8:20::10/128", T);
    assert_eq!(route_targets(&v6), ["64512:20"], "{v6}");
    // GoBGP shows an IPv4-mapped next hop unmapped (FRR's test checks the mapped form).
    assert_eq!(next_hop(&v6), a_addr, "{v6}");
    // GoBGP's VRF imported both.
    g.wait_path("vrf red rib -a ipv4", "10.20.0.10/32", T);
    g.wait_path("vrf red rib -a ipv6", "2001:db8:20::10/128", T);
    // E-VPN type 2 and type 3.
    let mac = g.wait_path("global rib -a evpn", "52:54:00:00:00:0a", T);
    assert_eq!(next_hop(&mac), a_addr, "{mac}");
    assert_eq!(mac["nlri"]["value"]["ip"], "10.10.0.10", "{mac}");
    let imet = g.wait_path("global rib -a evpn", "[type:multicast]", T);
    assert_eq!(next_hop(&imet), a_addr, "{imet}");
    assert_eq!(route_targets(&imet), ["64512:10"], "{imet}");
    // Our RT Constraint routes, one per imported route target.
    for rt in ["64512:10", "64512:20", "64512:67"] {
        let rtc = g.paths("global rib -a rtc", &format!("64512:{rt}"));
        assert!(
            rtc.iter().any(|p| next_hop(p) == a_addr),
            "GoBGP lacks our RTC route for {rt}: {rtc:?}"
        );
    }
    // Nobody imports 64512:66.
    let adj_in = g.paths(&format!("neighbor {a_addr} adj-in -a vpnv4"), "");
    assert!(
        adj_in.iter().all(|p| !p.to_string().contains("10.66.0.10")),
        "RT Constraint let through a route GoBGP did not ask for: {adj_in:?}"
    );

    // ---- GoBGP to ours. A route with a target we do not import is injected first.
    let rd = "rd 64512:98";
    for line in [
        format!("global rib -a vpnv4 add 10.77.0.0/24 label 77 rd 64512:77 rt 64512:77 nexthop {rr}"),
        "vrf red rib add 10.99.0.0/24 -a ipv4".into(),
        "vrf red rib add 2001:db8:99::/64 -a ipv6".into(),
        format!("global rib -a evpn add macadv 02:00:00:22:99:01 10.10.0.99 etag 0 label 5010 {rd} rt 64512:10 encap vxlan nexthop {rr}"),
        format!("global rib -a evpn add multicast {rr} etag 0 {rd} rt 64512:10 encap vxlan pmsi ingress-repl 5010 {rr} nexthop {rr}"),
        format!("global rib -a evpn add prefix 10.98.0.0/24 gw 0.0.0.0 etag 0 label 5050 {rd} rt 64512:10 encap vxlan router-mac 02:00:00:22:99:ff nexthop {rr}"),
        format!("global rib -a ipv4-l3vpn-flowspec add {rd} match destination 10.20.0.0/24 protocol tcp then discard rt 64512:20"),
        format!("global rib -a vpnv4 add 10.78.0.0/24 label 78 rd 64512:78 rt 64512:20 nexthop {rr}"),
    ] {
        g.run(&line);
    }

    let (_, r) = a.wait_route("10.99.0.0/24", T);
    assert_eq!(r["afi-safi"], "ipv4/mpls-vpn");
    assert_eq!(r["next_hop"], rr);
    assert_eq!(r["route_targets"], json!(["target:64512:20"]));
    let (_, r) = a.wait_route("2001:db8:99::/64", T);
    assert_eq!(r["afi-safi"], "ipv6/mpls-vpn");
    let (k, r) = a.wait_route("mac 02:00:00:22:99:01", T);
    assert!(k.starts_with("type2"), "{k}");
    assert_eq!(r["next_hop"], rr);
    let (k, r) = a.wait_route("10.98.0.0/24", T);
    assert!(k.starts_with("type5"), "{k}");
    assert_eq!(r["afi-safi"], "l2vpn/evpn");
    let (k, r) = a.wait_route("destination 10.20.0.0/24", T);
    assert!(k.contains("rd 64512:98"), "{k}");
    assert_eq!(r["afi-safi"], "ipv4/flow-vpn");
    assert_eq!(r["route_targets"], json!(["target:64512:20"]));
    a.wait_route("10.78.0.0/24", T);
    assert!(
        a.routes_matching("10.77.0.0/24").is_empty(),
        "GoBGP sent a route with a target we do not import"
    );
    // What GoBGP sent went into our instances and their (dummy) dataplanes.
    let vrf = a.lg("vpns/instances/vrf-red")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    wait_for(T, "10.99.0.0/24 via GoBGP in vrf-red's dataplane", || {
        let routes = &a.dataplane_instance("ipvpn", vrf)["routes"];
        (routes["10.99.0.0/24"][0]["pe"] == rr).then_some(())
    });
    let evi = a.lg("vpns/instances/net-blue")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    wait_for(T, "GoBGP's MAC and flooding entry in net-blue", || {
        let s = a.dataplane_instance("evpn", evi);
        let flood = s["flood_list"].as_array()?.iter().any(|f| f["vtep"] == rr);
        (s["remote_macs"]["02:00:00:22:99:01"]["vtep"] == rr && flood).then_some(())
    });

    // ---- An RT Constraint interest that appears later: GoBGP starts importing 64512:66, so
    // it now asks for vrf-green's route, and gets it.
    g.run("vrf add green rd 64512:203 rt both 64512:66");
    let green = g.wait_path("global rib -a vpnv4", "10.66.0.10/32", T);
    assert_eq!(next_hop(&green), a_addr);

    // ---- Withdrawals, both ways.
    g.run("vrf red rib del 10.99.0.0/24 -a ipv4");
    g.run(&format!(
        "global rib -a evpn del prefix 10.98.0.0/24 gw 0.0.0.0 etag 0 label 5050 {rd}"
    ));
    g.run(&format!(
        "global rib -a ipv4-l3vpn-flowspec del {rd} match destination 10.20.0.0/24 protocol tcp"
    ));
    a.wait_no_route("10.99.0.0/24", T);
    a.wait_no_route("10.98.0.0/24", T);
    a.wait_no_route("destination 10.20.0.0/24", T);
    a.detach(&ipvpn("vrf-red", "64512:20", 4, "10.20.0.10/24"));
    a.detach(
        &json!({"vpn_instance_id": "net-blue", "vpn_type": "evpn", "local_port": {"linuxif": "tapB"},
                    "mac_address": "52:54:00:00:00:0a"}),
    );
    g.wait_no_path("global rib -a vpnv4", "10.20.0.10/32", T);
    g.wait_no_path("global rib -a evpn", "52:54:00:00:00:0a", T);
    // The VRF's other port stays.
    assert!(!g
        .paths("global rib -a vpnv6", "2001:db8:20::10/128")
        .is_empty());
}

/// gobgpd.toml for one neighbour `ours` with `extra` lines in its `[neighbors.config]`.
fn one_neighbor(
    asn: u32,
    g_addr: &str,
    port: u16,
    ours: &str,
    peer_as: u32,
    extra: &str,
) -> String {
    let neighbor = gobgp::neighbor(ours, g_addr, peer_as, false, &["l3vpn-ipv4-unicast"]);
    let neighbor = neighbor.replacen(
        &format!("peer-as = {peer_as}\n"),
        &format!("peer-as = {peer_as}\n    {extra}\n"),
        1,
    );
    format!("{}\n{neighbor}", gobgp::global(asn, g_addr, port))
}

#[test]
fn tcp_md5_signatures_with_gobgp() {
    let (g_addr, good, bad) = ("127.0.22.9", "127.0.22.10", "127.0.22.11");
    let port = 19210;
    let toml = format!(
        "{}\n{}",
        one_neighbor(
            64512,
            g_addr,
            port,
            good,
            64512,
            "auth-password = \"s3cret\""
        ),
        gobgp::neighbor(bad, g_addr, 64512, false, &["l3vpn-ipv4-unicast"]).replacen(
            "peer-as = 64512\n",
            "peer-as = 64512\n    auth-password = \"s3cret\"\n",
            1
        )
    );
    let g = Gobgp::start("gobgp", "127.0.22.9:19211", &toml);
    let vpnv4 = "ipv4/mpls-vpn";
    let a = daemon_with_peer(good, 19212, g_addr, port, vpnv4, "md5_password = s3cret");
    let b = daemon_with_peer(bad, 19213, g_addr, port, vpnv4, "md5_password = wrong");
    a.wait_established(1, T);
    wait_for(T, "GoBGP to see the signed session", || {
        g.established(good).then_some(())
    });
    a.attach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    g.wait_path("global rib -a vpnv4", "10.20.0.10/32", T);
    // A wrong key: the kernel drops every segment, no session ever comes up (watched for a
    // few seconds, several connection attempts of the daemon).
    let watch = std::time::Instant::now();
    while watch.elapsed() < Duration::from_secs(3) {
        assert_ne!(b.peer_state(g_addr), "Established");
        assert!(!g.established(bad));
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_four_octet_as_ebgp_peer() {
    let (g_addr, a_addr) = ("127.0.22.17", "127.0.22.18");
    let port = 19220;
    let g_as: u32 = 4_200_000_001;
    let g = Gobgp::start(
        "gobgp",
        "127.0.22.17:19221",
        &one_neighbor(g_as, g_addr, port, a_addr, 64512, ""),
    );
    let remote_as = format!("remote_as = {g_as}");
    let a = daemon_with_peer(a_addr, 19222, g_addr, port, "ipv4/mpls-vpn", &remote_as);
    a.wait_established(1, T);
    let peer = a.peer(g_addr);
    assert_eq!(peer["peer_as"], g_as, "{peer}");
    // The 4-octet AS travels in the capability; the OPEN's field carries AS_TRANS.
    assert!(
        peer["capabilities"].as_array().is_some_and(|c| c
            .iter()
            .any(|c| c["name"] == "four-octet-as" && c["asn"] == g_as)),
        "{peer}"
    );
    g.run(&format!("global rib -a vpnv4 add 10.17.0.0/24 label 17 rd 64086.59905:7 rt 64512:20 nexthop {g_addr}"));
    let (_, r) = a.wait_route("10.17.0.0/24", T);
    assert_eq!(r["attributes"]["as-path"], format!("[ {g_as} ]"), "{r}");
    assert_eq!(r["next_hop"], g_addr);
    // Ours to GoBGP: our AS prepended, our address as next hop, no LOCAL_PREF over eBGP.
    a.attach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    let p = g.wait_path("global rib -a vpnv4", "10.20.0.10/32", T);
    assert_eq!(
        gobgp::attr(&p, 2).unwrap()["as_paths"][0]["asns"],
        json!([64512]),
        "{p}"
    );
    assert_eq!(next_hop(&p), a_addr, "{p}");
    assert!(
        gobgp::attr(&p, 5).is_none(),
        "LOCAL_PREF sent over eBGP: {p}"
    );
}

#[test]
fn too_many_prefixes_close_the_session_with_cease_1() {
    let (g_addr, a_addr) = ("127.0.22.25", "127.0.22.26");
    let port = 19230;
    let g = Gobgp::start(
        "gobgp",
        "127.0.22.25:19231",
        &one_neighbor(64512, g_addr, port, a_addr, 64512, ""),
    );
    let a = daemon_with_peer(
        a_addr,
        19232,
        g_addr,
        port,
        "ipv4/mpls-vpn",
        "max_prefixes = 2",
    );
    a.wait_established(1, T);
    for n in 1..=2 {
        g.run(&format!("global rib -a vpnv4 add 10.25.{n}.0/24 label 25 rd 64512:25 rt 64512:20 nexthop {g_addr}"));
    }
    a.wait_route("10.25.2.0/24", T);
    assert_eq!(
        a.peer_state(g_addr),
        "Established",
        "two prefixes are allowed"
    );
    g.run(&format!(
        "global rib -a vpnv4 add 10.25.3.0/24 label 25 rd 64512:25 rt 64512:20 nexthop {g_addr}"
    ));
    wait_for(T, "the session to be closed", || {
        (a.peer_state(g_addr) != "Established").then_some(())
    });
    a.wait_no_route("10.25.1.0/24", T);
    let peer = a.peer(g_addr);
    assert_eq!(peer["counters"]["notifications_sent"], 1, "{peer}");
    // GoBGP got Cease / Maximum Number of Prefixes Reached.
    wait_for(T, "GoBGP to log the NOTIFICATION", || {
        g.log()
            .contains(
                "notification-received code 6(cease) subcode 1(maximum number of prefixes reached)",
            )
            .then_some(())
    });
    // The session stays down (an operator restarts it) while GoBGP would take it back.
    assert_ne!(a.peer_state(g_addr), "Established");
}

/// RFC 8950 on a node whose dataplane address is IPv6: its VPNv4 routes carry an IPv6 next
/// hop, which GoBGP and another bagpipe-bgp agree to (extended next hop capability) and get
/// as sent; its E-VPN routes, IPv6 next hop, originator and tunnel endpoint, need no
/// agreement. (ExaBGP, which does not agree, is refused them: see interop_exabgp.)
#[test]
fn vpnv4_routes_with_an_ipv6_next_hop_reach_peers_that_agree_to_it() {
    let (g_addr, a_addr, b_addr) = ("127.0.22.55", "127.0.22.56", "127.0.22.57");
    let (g_port, port) = (19255, 19259);
    let toml = format!(
        "{}\n{}",
        gobgp::global(64512, g_addr, g_port),
        gobgp::neighbor(
            a_addr,
            g_addr,
            64512,
            false,
            &["l3vpn-ipv4-unicast", "l2vpn-evpn"]
        )
    );
    let g = Gobgp::start("gobgp", "127.0.22.55:19256", &toml);
    let a_ini = daemon_ini(
        a_addr,
        &[g_addr, b_addr],
        port,
        19257,
        &format!("\n[BGP_PEER {g_addr}]\nport = {g_port}\nfamilies = ipv4/mpls-vpn, l2vpn/evpn\n"),
    )
    .replace(
        "dataplane_driver = dummy\n",
        "dataplane_driver = dummy\ndataplane_local_address = fd00:22::56\n",
    );
    let a = start_daemon("A", a_addr, 19257, &a_ini);
    let b = start_daemon(
        "B",
        b_addr,
        19258,
        &daemon_ini(b_addr, &[a_addr], port, 19258, ""),
    );
    a.wait_established(2, T);
    b.wait_established(1, T);
    for peer in [g_addr, b_addr] {
        let caps = a.peer(peer)["capabilities"].to_string();
        assert!(caps.contains("extended-next-hop"), "{peer}: {caps}");
    }

    b.attach(&ipvpn("vrf-b", "64512:55", 2, "10.55.2.5/24"));
    a.attach(&ipvpn("vrf-a", "64512:55", 1, "10.55.1.5/24"));
    let v4 = g.wait_path("global rib -a vpnv4", "10.55.1.5/32", T);
    assert_eq!(next_hop(&v4), "fd00:22::56", "{v4}");
    // E-VPN routes need no agreement: their next hop and tunnel endpoint are IPv6 too.
    a.attach(&evpn("net-a", "64512:56", 3, "10.56.0.5/24"));
    let mac = g.wait_path("global rib -a evpn", "52:54:00:00:00:03", T);
    assert_eq!(next_hop(&mac), "fd00:22::56", "{mac}");
    let imet = g.wait_path("global rib -a evpn", "[type:multicast]", T);
    assert_eq!(next_hop(&imet), "fd00:22::56", "{imet}");
    let (_, route) = b.wait_route("10.55.1.5", T);
    assert!(
        route.to_string().contains("fd00:22::56"),
        "B got the route with A's IPv6 next hop: {route}"
    );
    wait_for(T, "the route in B's VRF", || {
        has_received(&b.lg("vpns/instances/vrf-b/received_routes"), "10.55.1.5").then_some(())
    });
    assert!(
        !a.log().contains("did not offer extended next hops"),
        "{}",
        a.log()
    );
}

/// With `max_prefixes_restart`, a session closed for too many prefixes starts again after
/// that delay (and, GoBGP still sending too many, is closed again).
#[test]
fn a_session_closed_for_too_many_prefixes_starts_again_after_the_restart_delay() {
    let (g_addr, a_addr) = ("127.0.22.27", "127.0.22.28");
    let port = 19233;
    let g = Gobgp::start(
        "gobgp",
        "127.0.22.27:19234",
        &one_neighbor(64512, g_addr, port, a_addr, 64512, ""),
    );
    for n in 1..=3 {
        g.run(&format!("global rib -a vpnv4 add 10.27.{n}.0/24 label 27 rd 64512:27 rt 64512:20 nexthop {g_addr}"));
    }
    let a = daemon_with_peer(
        a_addr,
        19235,
        g_addr,
        port,
        "ipv4/mpls-vpn",
        "max_prefixes = 2\nmax_prefixes_restart = 2",
    );
    let closed = |times: u64| {
        wait_for(T, &format!("the session closed {times} time(s)"), || {
            (a.peer(g_addr)["counters"]["notifications_sent"] == times).then_some(())
        })
    };
    closed(1);
    let down_at = std::time::Instant::now();
    assert_eq!(
        a.lg("config")[format!("BGP_PEER {g_addr}")]["max_prefixes_restart"],
        2
    );
    // Down for the delay, then up again: GoBGP's three routes close it a second time.
    closed(2);
    let down_for = down_at.elapsed();
    assert!(
        down_for >= Duration::from_millis(1900),
        "started again after {down_for:?}, before the 2 s delay"
    );
}

#[test]
fn a_session_over_ipv6_transport() {
    let (g_addr, a_addr) = ("::1", "127.0.22.41");
    let port = 19240;
    let toml = format!(
        "[global.config]\n  as = 64512\n  router-id = \"127.0.22.40\"\n  port = {port}\n  local-address-list = [\"::1\"]\n\n{}",
        gobgp::neighbor(a_addr, g_addr, 64512, false, &["l3vpn-ipv4-unicast", "l3vpn-ipv6-unicast"])
            .replace(&format!("neighbor-address = \"{a_addr}\""), "neighbor-address = \"::1\"")
    );
    let g = Gobgp::start("gobgp", "127.0.22.40:19241", &toml);
    // The daemon's own address (router id, RDs) stays IPv4; this peer is reached over ::1.
    let families = "ipv4/mpls-vpn, ipv6/mpls-vpn";
    let a = daemon_with_peer(a_addr, 19242, "::1", port, families, "local_address = ::1");
    a.wait_established(1, T);
    assert!(g.established("::1"));
    let peer = a.peer("::1");
    assert_eq!(peer["peeringAddresses"]["local_address"], "::1", "{peer}");
    assert_eq!(peer["peer_router_id"], "127.0.22.40", "{peer}");
    g.run(
        "global rib -a vpnv4 add 10.40.0.0/24 label 40 rd 64512:40 rt 64512:20 nexthop 127.0.22.40",
    );
    a.wait_route("10.40.0.0/24", T);
    a.attach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    a.attach(&ipvpn("vrf-red", "64512:20", 2, "2001:db8:20::10/64"));
    let p = g.wait_path("global rib -a vpnv4", "10.20.0.10/32", T);
    // The next hop is the dataplane address, whatever the transport.
    assert_eq!(next_hop(&p), a_addr, "{p}");
    g.wait_path("global rib -a vpnv6", "2001:db8:20::10/128", T);
}

#[test]
fn an_ipv6_local_address_takes_its_identifier_from_cluster_id() {
    let port = 19245;
    let toml = format!(
        "[global.config]\n  as = 64512\n  router-id = \"127.0.22.44\"\n  port = {port}\n  local-address-list = [\"::1\"]\n\n{}",
        gobgp::neighbor("::1", "::1", 64512, false, &["l3vpn-ipv4-unicast"])
    );
    let g = Gobgp::start("gobgp", "127.0.22.44:19246", &toml);
    // local_address ::1: the BGP identifier and the RDs' administrator come from cluster_id.
    let ini = daemon_ini(
        "::1",
        &["::1"],
        port,
        19247,
        "cluster_id = 127.0.22.45\nlisten_port = 19248\n",
    )
    .replace("host = ::1", "host = 127.0.22.45");
    let a = start_daemon("A", "127.0.22.45", 19247, &ini);
    a.wait_established(1, T);
    assert_eq!(
        g.json(&["neighbor", "::1"])["state"]["router_id"],
        "127.0.22.45"
    );
    a.attach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    let p = g.wait_path("global rib -a vpnv4", "10.20.0.10/32", T);
    assert_eq!(p["nlri"]["rd"]["admin"], "127.0.22.45", "{p}");
    // The dataplane address is ::1: an IPv6 next hop for VPNv4 (RFC 8950).
    assert_eq!(next_hop(&p), "::1", "{p}");
}
