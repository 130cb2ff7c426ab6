//! Interoperability with GoBGP: our daemon is a client of a GoBGP route reflector that has
//! VRFs of its own and RT Constraint, and the two exchange every VPN family both ways (checked
//! in GoBGP's JSON and in our looking glass); plus TCP MD5, a 4-octet AS eBGP peer, the
//! maximum-prefix limit and IPv6 transport.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{
    daemon_ini, evpn, gobgp_attr, gobgp_global, gobgp_neighbor, ipvpn, wait_for, Daemon, Gobgp,
};

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
    gobgp_attr(path, 14).map_or_else(String::new, |a| {
        a["nexthop"].as_str().unwrap_or("").to_string()
    })
}

/// The route targets of a GoBGP path.
fn route_targets(path: &Value) -> Vec<String> {
    gobgp_attr(path, 16)
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
        gobgp_global(64512, rr, port),
        gobgp_neighbor(a_addr, rr, 64512, true, ALL_FAMILIES)
    );
    let g = Gobgp::start("gobgp-rr", "127.0.22.1:19201", &toml);
    // GoBGP's VRFs import 64512:20 (IP VPN) and 64512:10 (E-VPN): its RT Constraint routes ask
    // us for exactly those.
    g.run("vrf add red rd 64512:201 rt both 64512:20");
    g.run("vrf add blue rd 64512:202 rt both 64512:10");
    let peer = format!(
        "\n[BGP_PEER {rr}]\nfamilies = ipv4/mpls-vpn, ipv6/mpls-vpn, l2vpn/evpn, ipv4/flow-vpn, ipv4/rtc\n"
    );
    let ini = daemon_ini(a_addr, &[rr], port, 19202, &peer);
    let a = Daemon::start("A", a_addr, 19202, &ini);
    a.wait_established(1, T);
    wait_for(T, "GoBGP to see A established", || {
        g.established(a_addr).then_some(())
    });

    // ---- Ours to GoBGP. A VRF that exports a route target nobody imports (not even itself:
    // GoBGP, as RFC 4684 §3.2 allows, reflects each client's interests back to it) goes
    // first: RT Constraint must keep its route from GoBGP while the others get through.
    a.attach(ipvpn(
        "vrf-green",
        "64512:67>64512:66",
        0x66,
        "10.66.0.10/24",
    ));
    a.attach(evpn("net-blue", "64512:10", 0x0a, "10.10.0.10/24"));
    a.attach(ipvpn("vrf-red", "64512:20", 4, "10.20.0.10/24"));
    a.attach(ipvpn("vrf-red", "64512:20", 6, "2001:db8:20::10/64"));

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
    let mut detach = ipvpn("vrf-red", "64512:20", 4, "10.20.0.10/24");
    a.detach(detach.take());
    a.detach(
        json!({"vpn_instance_id": "net-blue", "vpn_type": "evpn", "local_port": {"linuxif": "tapB"},
                    "mac_address": "52:54:00:00:00:0a"}),
    );
    g.wait_no_path("global rib -a vpnv4", "10.20.0.10/32", T);
    g.wait_no_path("global rib -a evpn", "52:54:00:00:00:0a", T);
    // The VRF's other port stays.
    assert!(!g
        .paths("global rib -a vpnv6", "2001:db8:20::10/128")
        .is_empty());
}
