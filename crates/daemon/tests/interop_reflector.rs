//! Our daemon as route reflector (RFC 4456) for three clients — GoBGP, FRR and another
//! bagpipe-bgp — that exchange VPNv4, VPNv6 and E-VPN type 5 routes through it: each client
//! gets the others' routes stamped with the originator's identifier and our cluster id, and
//! never its own routes back.

mod support;

use std::time::Duration;

use bagpipe_testbed::daemon::daemon_ini;
use bagpipe_testbed::gobgp::{self, Gobgp};
use bagpipe_testbed::wait::wait_for;
use serde_json::{json, Value};
use support::frr::{bgpd_conf, Frr};
use support::{ipvpn, start_daemon};

const T: Duration = Duration::from_secs(20);
const R: &str = "127.0.25.1";
const G: &str = "127.0.25.2";
const F: &str = "127.0.25.3";
const C: &str = "127.0.25.4";
const PORT: u16 = 19350;

fn frr_conf() -> String {
    let more = format!(
        " neighbor {R} timers connect 1
 !
 address-family ipv4 vpn
  neighbor {R} activate
  network 10.3.0.0/24 rd 64512:3 label 300 route-map RM-VPN
 exit-address-family
 address-family ipv6 vpn
  neighbor {R} activate
 exit-address-family
 address-family l2vpn evpn
  neighbor {R} activate
 exit-address-family
"
    );
    bgpd_conf("frr-client", F, R, PORT, &more)
}

/// FRR's detailed view of one VPN route: `(originator, cluster list)`.
fn frr_reflection(frr: &Frr, afi: &str, rd: &str, prefix: &str) -> Option<(Value, Value)> {
    let d = frr.json(&format!("show bgp {afi} vpn rd {rd} {prefix} json"));
    let p = &d[rd]["paths"][0];
    (!p.is_null()).then(|| (p["originatorId"].clone(), p["clusterList"]["list"].clone()))
}

#[test]
fn our_reflector_stamps_what_it_reflects_between_gobgp_frr_and_bagpipe_clients() {
    let families = "families = ipv4/mpls-vpn, ipv6/mpls-vpn, l2vpn/evpn";
    let clients = format!(
        "route_reflector = True\n\n\
         [BGP_PEER {G}]\nroute_reflector_client = True\n{families}\n\n\
         [BGP_PEER {F}]\nroute_reflector_client = True\n{families}\n\n\
         [BGP_PEER {C}]\nroute_reflector_client = True\n{families}, ipv4/rtc\n"
    );
    let r = start_daemon(
        "RR",
        R,
        19352,
        &daemon_ini(R, &[G, F, C], PORT, 19352, &clients),
    );
    let toml = format!(
        "{}\n{}",
        gobgp::global(64512, G, PORT),
        gobgp::neighbor(
            R,
            G,
            64512,
            false,
            &["l3vpn-ipv4-unicast", "l3vpn-ipv6-unicast", "l2vpn-evpn"]
        )
    );
    let g = Gobgp::start("gobgp-client", "127.0.25.2:19351", &toml);
    let frr = Frr::start("frr-client", F, PORT, &frr_conf());
    let c_peer = format!("\n[BGP_PEER {R}]\n{families}, ipv4/rtc\n");
    let c = start_daemon("C", C, 19353, &daemon_ini(C, &[R], PORT, 19353, &c_peer));
    r.wait_established(3, T);

    // Each client originates routes.
    g.run(&format!(
        "global rib -a vpnv4 add 10.2.0.0/24 label 200 rd 64512:2 rt 64512:20 nexthop {G}"
    ));
    g.run(&format!(
        "global rib -a evpn add prefix 10.2.5.0/24 gw 0.0.0.0 etag 0 label 205 rd 64512:2 rt 64512:20 encap vxlan router-mac 02:00:00:25:02:05 nexthop {G}"
    ));
    c.attach(&ipvpn("vrf-red", "64512:20", 4, "10.4.0.10/24"));
    c.attach(&ipvpn("vrf-red", "64512:20", 6, "2001:db8:4::10/64"));
    // The reflector holds them all.
    for needle in [
        "10.2.0.0/24",
        "10.2.5.0/24",
        "10.3.0.0/24",
        "10.4.0.10/32",
        "2001:db8:4::10/128",
    ] {
        r.wait_route(needle, T);
    }

    // GoBGP gets FRR's and C's routes, stamped; never its own back.
    for (prefix, family, originator) in [
        ("10.3.0.0/24", "vpnv4", F),
        ("10.4.0.10/32", "vpnv4", C),
        ("2001:db8:4::10/128", "vpnv6", C),
    ] {
        let p = g.wait_path(&format!("global rib -a {family}"), prefix, T);
        assert_eq!(
            gobgp::attr(&p, 9).map(|a| &a["value"]),
            Some(&json!(originator)),
            "ORIGINATOR_ID of {prefix}: {p}"
        );
        assert_eq!(
            gobgp::attr(&p, 10).map(|a| &a["value"]),
            Some(&json!([R])),
            "CLUSTER_LIST of {prefix}: {p}"
        );
    }
    let back = g.paths(&format!("neighbor {R} adj-in -a vpnv4"), "10.2.0.0/24");
    assert!(
        back.is_empty(),
        "GoBGP's own route reflected back to it: {back:?}"
    );

    // FRR gets GoBGP's (VPNv4 and E-VPN type 5) and C's routes, stamped.
    let refl = wait_for(T, "GoBGP's route in FRR", || {
        frr_reflection(&frr, "ipv4", "64512:2", "10.2.0.0/24")
    });
    assert_eq!(refl, (json!(G), json!([R])));
    let c_rd = r.routes_matching("10.4.0.10/32")[0]
        .0
        .split(":10.4")
        .next()
        .unwrap()
        .to_string();
    let refl = wait_for(T, "C's route in FRR", || {
        frr_reflection(&frr, "ipv4", &c_rd, "10.4.0.10/32")
    });
    assert_eq!(refl, (json!(C), json!([R])));
    let refl = wait_for(T, "C's VPNv6 route in FRR", || {
        frr_reflection(&frr, "ipv6", &c_rd, "2001:db8:4::10/128")
    });
    assert_eq!(refl, (json!(C), json!([R])));
    let type5 = wait_for(T, "GoBGP's E-VPN type 5 route in FRR", || {
        let evpn = frr.json("show bgp l2vpn evpn json");
        let path = &evpn["64512:2"]["[5]:[0]:[24]:[10.2.5.0]"]["paths"][0];
        (!path.is_null()).then(|| path.clone())
    });
    // Reflected by us, next hop untouched (FRR's E-VPN summary has no ORIGINATOR_ID field).
    assert_eq!(type5["peerId"], R, "{type5}");
    assert_eq!(type5["nexthops"][0]["ip"], G, "{type5}");

    // C, our own daemon, gets GoBGP's and FRR's routes stamped, into its VRF.
    for (prefix, originator) in [("10.2.0.0/24", G), ("10.3.0.0/24", F)] {
        let (_, route) = c.wait_route(prefix, T);
        assert_eq!(route["attributes"]["originator-id"], originator, "{route}");
        assert_eq!(
            route["attributes"]["cluster-list"],
            format!("[ {R} ]"),
            "{route}"
        );
    }
    let vrf = c.lg("vpns/instances/vrf-red")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    wait_for(T, "FRR's route in C's VRF dataplane", || {
        (c.dataplane_instance("ipvpn", vrf)["routes"]["10.3.0.0/24"][0]["pe"] == F).then_some(())
    });
    assert!(
        c.routes_matching("10.4.0.10/32")
            .iter()
            .all(|(_, r)| r["source"]["id"] != format!("BGP-{R}")),
        "C's own route came back from the reflector"
    );

    // A withdrawal is reflected too.
    g.run("global rib -a vpnv4 del 10.2.0.0/24 label 200 rd 64512:2");
    c.wait_no_route("10.2.0.0/24", T);
    wait_for(T, "GoBGP's route withdrawn from FRR", || {
        frr_reflection(&frr, "ipv4", "64512:2", "10.2.0.0/24")
            .is_none()
            .then_some(())
    });
}
