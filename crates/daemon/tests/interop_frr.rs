//! Interoperability with FRR's bgpd: VPNv4, VPNv6 and E-VPN type 5 routes cross both ways
//! (FRR's static VPN routes to us, our attachments to FRR), checked in FRR's JSON and in our
//! looking glass. Both sides connect at once, so the session also goes through connection
//! collision resolution (RFC 4271 §6.8).

mod support;

use std::time::Duration;

use bagpipe_testbed::wait::wait_for;
use serde_json::Value;
use support::frr::{bgpd_conf, Frr};
use support::{daemon_with_peer, ipvpn};

const T: Duration = Duration::from_secs(15);

/// The paths FRR holds for `prefix` in a `show bgp ipv4|ipv6 vpn json` answer, in any RD,
/// with their RD.
fn vpn_paths(answer: &Value, prefix: &str) -> Vec<(String, Value)> {
    answer["routes"]["routeDistinguishers"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(rd, routes)| {
            let paths = routes[prefix].as_array().cloned().unwrap_or_default();
            paths.into_iter().map(move |p| (rd.clone(), p))
        })
        .collect()
}

fn frr_conf(frr: &str, ours: &str, port: u16) -> String {
    let more = format!(
        " neighbor {ours} timers connect 1
 !
 address-family ipv4 vpn
  neighbor {ours} activate
  network 10.31.0.0/24 rd 64512:31 label 301 route-map RM-VPN
 exit-address-family
 address-family ipv6 vpn
  neighbor {ours} activate
  network 2001:db8:31::/48 rd 64512:31 label 311 route-map RM-VPN
 exit-address-family
 address-family l2vpn evpn
  neighbor {ours} activate
  network 10.35.0.0/24 rd 64512:35 ethtag 0 label 3005 esi 00:00:00:00:00:00:00:00:00:00 gwip 0.0.0.0 routermac 02:00:00:23:03:05
 exit-address-family
"
    );
    bgpd_conf("frr-interop", frr, ours, port, &more)
}

#[test]
fn vpnv4_vpnv6_and_evpn_type5_cross_both_ways_with_frr() {
    let (f_addr, a_addr) = ("127.0.23.1", "127.0.23.2");
    let port = 19250;
    let frr = Frr::start("frr", f_addr, port, &frr_conf(f_addr, a_addr, port));
    // FRR 8.4 has no RT Constraint: the families without it.
    let families = "ipv4/mpls-vpn, ipv6/mpls-vpn, l2vpn/evpn";
    let a = daemon_with_peer(a_addr, 19252, f_addr, port, families, "");
    a.wait_established(1, T);
    wait_for(T, "FRR to see A established", || {
        frr.established(a_addr).then_some(())
    });

    // FRR to us.
    let (k, r) = a.wait_route("64512:31:10.31.0.0/24", T);
    assert!(k.contains("label 301"), "{k}");
    assert_eq!(r["next_hop"], f_addr);
    assert_eq!(r["route_targets"], serde_json::json!(["target:64512:20"]));
    let (k, r) = a.wait_route("64512:31:2001:db8:31::/48", T);
    assert!(k.contains("label 311"), "{k}");
    assert_eq!(r["afi-safi"], "ipv6/mpls-vpn");
    assert_eq!(r["next_hop"], format!("::ffff:{f_addr}"));
    let (k, r) = a.wait_route("prefix 10.35.0.0/24", T);
    assert!(k.starts_with("type5 rd 64512:35"), "{k}");
    assert!(
        r["attributes"]["extended-community"]
            .as_str()
            .is_some_and(|c| c.contains("router-mac:02:00:00:23:03:05")),
        "{r}"
    );

    // Us to FRR.
    a.attach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    a.attach(&ipvpn("vrf-red", "64512:20", 2, "2001:db8:20::10/64"));
    let (rd, v4) = wait_for(T, "our VPNv4 route in FRR", || {
        vpn_paths(&frr.json("show bgp ipv4 vpn json"), "10.20.0.10/32")
            .into_iter()
            .next()
    });
    assert_eq!(v4["nexthops"][0]["ip"], a_addr, "{v4}");
    assert_eq!(v4["valid"], true, "{v4}");
    let (_, v6) = wait_for(T, "our VPNv6 route in FRR", || {
        vpn_paths(&frr.json("show bgp ipv6 vpn json"), "2001:db8:20::10/128")
            .into_iter()
            .next()
    });
    // RFC 4659 §3.2.1.2: an IPv4-mapped IPv6 next hop.
    let nh: Option<std::net::Ipv6Addr> = v6["nexthops"][0]["ip"]
        .as_str()
        .and_then(|s| s.parse().ok());
    let mapped = a_addr
        .parse::<std::net::Ipv4Addr>()
        .unwrap()
        .to_ipv6_mapped();
    assert_eq!(nh, Some(mapped), "{v6}");
    assert_eq!(v6["nexthops"][0]["afi"], "ipv6", "{v6}");
    // Labels and route targets, in FRR's detailed view of one route.
    let detail = frr.json(&format!("show bgp ipv4 vpn rd {rd} 10.20.0.10/32 json"));
    let path = &detail[&rd]["paths"][0];
    assert!(
        path["extendedCommunity"]["string"]
            .as_str()
            .is_some_and(|c| c.contains("RT:64512:20")),
        "{detail}"
    );
    assert!(
        path["remoteLabel"].as_u64().is_some_and(|l| l > 0),
        "{detail}"
    );

    // Withdrawals, both ways.
    frr.configure(&[
        "router bgp 64512",
        "address-family ipv4 vpn",
        "no network 10.31.0.0/24 rd 64512:31 label 301",
    ]);
    a.wait_no_route("10.31.0.0/24", T);
    a.detach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    wait_for(T, "our VPNv4 route withdrawn from FRR", || {
        vpn_paths(&frr.json("show bgp ipv4 vpn json"), "10.20.0.10/32")
            .is_empty()
            .then_some(())
    });

    // Both sides connected: the collision left exactly one session, never reset.
    let ours = a.peer(f_addr);
    assert_eq!(ours["counters"]["established_transitions"], 1, "{ours}");
    let theirs = frr.json(&format!("show bgp neighbors {a_addr} json"));
    assert_eq!(theirs[a_addr]["connectionsEstablished"], 1, "{theirs}");
    assert_eq!(theirs[a_addr]["connectionsDropped"], 0, "{theirs}");
}
