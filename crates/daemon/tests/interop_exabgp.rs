//! Interoperability with ExaBGP: Debian's ExaBGP 4.2 prints what we send as JSON (VPNv4,
//! VPNv6, E-VPN types 2 and 3) and sends us VPNv4, VPNv6 and VPN FlowSpec routes; ExaBGP 5
//! negotiates RT Constraint, receives our RTC routes, and — having asked for no route target
//! — gets no VPN route from us; ExaBGP 4.2, not offering extended next hops (RFC 8950), gets
//! no VPNv4 route with an IPv6 next hop.

mod support;

use std::path::Path;
use std::time::Duration;

use bagpipe_testbed::daemon::daemon_ini;
use bagpipe_testbed::wait::wait_for;
use serde_json::Value;
use support::exabgp::{exabgp5, neighbor, Exabgp};
use support::{daemon_with_peer, evpn, ipvpn, start_daemon};

const T: Duration = Duration::from_secs(15);

/// Every NLRI ExaBGP received announced (`announce`) or withdrawn (`withdraw`) in `family`
/// (ExaBGP's name, e.g. "ipv4 mpls-vpn"), each with the update's attributes.
fn nlri(x: &Exabgp, what: &str, family: &str) -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    for u in x.updates() {
        let by_family = &u[what][family];
        let entries: Vec<Value> = if what == "announce" {
            // announce: { family: { next-hop: [nlri...] } }
            by_family
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                .collect()
        } else {
            by_family.as_array().cloned().unwrap_or_default()
        };
        out.extend(entries.into_iter().map(|n| (n, u["attribute"].clone())));
    }
    out
}

fn has(x: &Exabgp, what: &str, family: &str, needle: &str) -> Option<(Value, Value)> {
    nlri(x, what, family)
        .into_iter()
        .find(|(n, _)| n.to_string().contains(needle))
}

#[test]
fn exabgp_4_receives_our_vpn_routes_as_json_and_sends_us_its_own() {
    let (x_addr, a_addr) = ("127.0.24.1", "127.0.24.2");
    let port = 19300;
    let families = "ipv4/mpls-vpn, ipv6/mpls-vpn, l2vpn/evpn, ipv4/flow-vpn";
    let a = daemon_with_peer(a_addr, 19302, x_addr, port, families, "");
    let families = "family { ipv4 mpls-vpn; ipv6 mpls-vpn; l2vpn evpn; ipv4 flow-vpn; }";
    let x = Exabgp::start(
        "exabgp",
        Path::new("exabgp"),
        x_addr,
        port,
        &neighbor(a_addr, x_addr, port, families),
    );
    a.wait_peer_state(x_addr, "Established", T);
    wait_for(T, "ExaBGP to report the session up", || {
        x.is_up().then_some(())
    });

    // Ours, printed by ExaBGP.
    a.attach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    a.attach(&ipvpn("vrf-red", "64512:20", 2, "2001:db8:20::10/64"));
    a.attach(&evpn("net-blue", "64512:10", 3, "10.10.0.10/24"));
    let (n, attrs) = wait_for(T, "our VPNv4 route in ExaBGP", || {
        has(&x, "announce", "ipv4 mpls-vpn", "10.20.0.10/32")
    });
    assert!(
        n["label"]
            .to_string()
            .contains(|c: char| c.is_ascii_digit()),
        "{n}"
    );
    assert!(
        attrs["extended-community"]
            .to_string()
            .contains("target:64512:20"),
        "{attrs}"
    );
    assert_eq!(attrs["local-preference"], 100, "{attrs}");
    wait_for(T, "our VPNv6 route in ExaBGP", || {
        has(&x, "announce", "ipv6 mpls-vpn", "2001:db8:20::10/128")
    });
    let (mac, _) = wait_for(T, "our E-VPN MAC route in ExaBGP", || {
        has(&x, "announce", "l2vpn evpn", "52:54:00:00:00:03")
    });
    assert_eq!(mac["code"], 2, "{mac}");
    let (imet, attrs) = wait_for(T, "our E-VPN multicast route in ExaBGP", || {
        nlri(&x, "announce", "l2vpn evpn")
            .into_iter()
            .find(|(n, _)| n["code"] == 3)
    });
    assert_eq!(imet["ip"], a_addr, "{imet}");
    assert!(attrs.to_string().contains("64512:10"), "{attrs}");
    // The next hops, as ExaBGP decoded them.
    let announce_v6 = x
        .updates()
        .into_iter()
        .find(|u| !u["announce"]["ipv6 mpls-vpn"].is_null())
        .unwrap();
    let nh: Vec<&String> = announce_v6["announce"]["ipv6 mpls-vpn"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(nh, [&format!("::ffff:{a_addr}")], "VPNv6 next hop");

    // ExaBGP's, in our table.
    for cmd in [
        format!("neighbor {a_addr} announce route 10.24.1.0/24 rd 64512:24 label 240 next-hop {x_addr} extended-community [ target:64512:20 ]"),
        format!("neighbor {a_addr} announce route 2001:db8:24::/48 rd 64512:24 label 241 next-hop ::ffff:{x_addr} extended-community [ target:64512:20 ]"),
        format!("neighbor {a_addr} announce flow route {{ rd 64512:24; match {{ destination 10.20.0.0/24; protocol =tcp; }} then {{ discard; extended-community [ target:64512:20 ]; }} }}"),
    ] {
        x.command(&cmd);
    }
    let (k, r) = a.wait_route("64512:24:10.24.1.0/24", T);
    assert!(k.contains("label 240"), "{k}");
    assert_eq!(r["next_hop"], x_addr);
    let (_, r) = a.wait_route("64512:24:2001:db8:24::/48", T);
    assert_eq!(r["next_hop"], format!("::ffff:{x_addr}"));
    let (k, r) = a.wait_route("destination 10.20.0.0/24", T);
    assert!(k.contains("rd 64512:24"), "{k}");
    assert_eq!(r["afi-safi"], "ipv4/flow-vpn");
    // ... and into the VRF's dataplane.
    let vrf = a.lg("vpns/instances/vrf-red")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    wait_for(T, "ExaBGP's route in vrf-red's dataplane", || {
        (a.dataplane_instance("ipvpn", vrf)["routes"]["10.24.1.0/24"][0]["pe"] == x_addr)
            .then_some(())
    });

    // Withdrawals, both ways.
    x.command(&format!(
        "neighbor {a_addr} withdraw route 10.24.1.0/24 rd 64512:24 label 240 next-hop {x_addr}"
    ));
    a.wait_no_route("10.24.1.0/24", T);
    a.detach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    wait_for(T, "our VPNv4 route withdrawn in ExaBGP", || {
        has(&x, "withdraw", "ipv4 mpls-vpn", "10.20.0.10/32")
    });
}

#[test]
fn exabgp_5_gets_our_rt_constraint_routes_and_no_route_it_did_not_ask_for() {
    let Some(exe) = exabgp5() else {
        println!("SKIPPED: ExaBGP 5 not available (BAGPIPE_EXABGP5 unset, pip install exabgp==5.0.15 failed)");
        return;
    };
    let (x_addr, a_addr) = ("127.0.24.9", "127.0.24.10");
    let port = 19310;
    let families = "ipv4/mpls-vpn, l2vpn/evpn, ipv4/rtc";
    let a = daemon_with_peer(a_addr, 19312, x_addr, port, families, "");
    a.attach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.10/24"));
    a.attach(&evpn("net-blue", "64512:10", 2, "10.10.0.10/24"));
    // No family block: ExaBGP 5 offers every family it knows, RT Constraint included.
    let x = Exabgp::start(
        "exabgp5",
        &exe,
        x_addr,
        port,
        &neighbor(a_addr, x_addr, port, ""),
    );
    a.wait_peer_state(x_addr, "Established", T);
    let peer = a.peer(x_addr);
    assert!(
        peer["families"]
            .as_array()
            .is_some_and(|f| f.contains(&"ipv4/rtc".into())),
        "{peer}"
    );
    // Our RTC routes, one per imported target, as ExaBGP 5 decoded them.
    for rt in ["64512:20", "64512:10"] {
        wait_for(T, "our RTC route in ExaBGP 5", || {
            has(&x, "announce", "ipv4 rtc", rt)
        });
    }
    // ExaBGP asks for no route target; once the wait for its RTC End-of-RIB is over we end
    // our VPN tables with End-of-RIB, and no VPN route went out before them.
    wait_for(T, "our VPNv4 End-of-RIB in ExaBGP 5", || {
        x.received()
            .iter()
            .any(|m| m.to_string().contains("eor") && m.to_string().contains("mpls-vpn"))
            .then_some(())
    });
    assert!(
        nlri(&x, "announce", "ipv4 mpls-vpn").is_empty(),
        "{:?}",
        x.updates()
    );
    assert!(
        nlri(&x, "announce", "l2vpn evpn").is_empty(),
        "{:?}",
        x.updates()
    );
}

/// A node whose dataplane address is IPv6 sends its VPNv4 routes with that next hop only to
/// peers that agreed to extended next hops (RFC 8950): ExaBGP, without the capability, gets
/// the node's VPNv6 routes and not the VPNv4 one, and the node's log says why.
#[test]
fn exabgp_without_extended_next_hops_gets_no_vpnv4_route_with_an_ipv6_next_hop() {
    let (x_addr, a_addr) = ("127.0.24.15", "127.0.24.16");
    let port = 19330;
    let section = format!("\n[BGP_PEER {x_addr}]\nfamilies = ipv4/mpls-vpn, ipv6/mpls-vpn\n");
    let ini = daemon_ini(a_addr, &[x_addr], port, 19332, &section).replace(
        "dataplane_driver = dummy\n",
        "dataplane_driver = dummy\ndataplane_local_address = fd00:24::16\n",
    );
    let a = start_daemon(a_addr, a_addr, 19332, &ini);
    let x = Exabgp::start(
        "exabgp",
        Path::new("exabgp"),
        x_addr,
        port,
        &neighbor(
            a_addr,
            x_addr,
            port,
            "family { ipv4 mpls-vpn; ipv6 mpls-vpn; }",
        ),
    );
    a.wait_peer_state(x_addr, "Established", T);
    wait_for(T, "ExaBGP to report the session up", || {
        x.is_up().then_some(())
    });
    let caps = a.peer(x_addr)["capabilities"].to_string();
    assert!(!caps.contains("extended-next-hop"), "{caps}");

    a.attach(&ipvpn("vrf-red", "64512:20", 1, "10.20.0.16/24"));
    a.attach(&ipvpn("vrf-red", "64512:20", 2, "2001:db8:20::16/64"));
    std::thread::sleep(Duration::from_secs(2));
    eprintln!("PEER {}", a.peer(x_addr)["counters"]);
    eprintln!("ADV {}", a.lg(&format!("bgp/peers/{x_addr}/adv_routes")));
    eprintln!(
        "FAM {} {}",
        a.peer(x_addr)["configured_families"],
        a.peer(x_addr)["capabilities"]
    );
    eprintln!("UPD {:?}", x.updates());
    eprintln!("RECV {:?}", x.received());
    wait_for(T, "our VPNv6 route in ExaBGP", || {
        has(&x, "announce", "ipv6 mpls-vpn", "2001:db8:20::16/128")
    });
    assert!(
        a.routes_matching("10.20.0.16").len() == 1,
        "the VPNv4 route exists: {:?}",
        a.routes_matching("10.20.0.16")
    );
    assert_eq!(
        has(&x, "announce", "ipv4 mpls-vpn", "10.20.0.16"),
        None,
        "a VPNv4 route with an IPv6 next hop went to a peer that did not agree to it"
    );
    assert!(
        a.log().contains("did not offer extended next hops"),
        "{}",
        a.log()
    );
}
