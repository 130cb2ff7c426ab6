//! Two bagpipe-bgp daemons exchange E-VPN and IP VPN routes through a route reflector, as in
//! a real deployment — GoBGP with RT Constraint, or our own daemon in reflector mode: what
//! one node attaches appears in the other's VPN instance and dummy dataplane, and goes away
//! on detach.

mod support;

use std::time::Duration;

use bagpipe_testbed::daemon::{daemon_ini, Daemon};
use bagpipe_testbed::gobgp::{self, Gobgp};
use bagpipe_testbed::wait::wait_for;
use serde_json::json;
use support::{has_received, start_daemon};

const FAMILIES: &[&str] = &["l2vpn-evpn", "l3vpn-ipv4-unicast", "rtc"];

fn evpn_attach(port: &str, mac: &str, ip: &str) -> serde_json::Value {
    json!({"vpn_instance_id": "net-blue", "vpn_type": "evpn", "import_rt": ["64512:10"], "export_rt": ["64512:10"],
           "local_port": {"linuxif": port}, "mac_address": mac, "ip_address": ip, "gateway_ip": "10.10.0.1"})
}

fn ipvpn_attach(port: &str, mac: &str, ip: &str) -> serde_json::Value {
    json!({"vpn_instance_id": "vrf-red", "vpn_type": "ipvpn", "import_rt": "64512:20", "export_rt": "64512:20",
           "local_port": {"linuxif": port}, "mac_address": mac, "ip_address": ip, "gateway_ip": "10.20.0.1"})
}

#[test]
fn routes_cross_a_gobgp_reflector_both_ways_and_are_withdrawn() {
    let rr = "127.0.21.1";
    let (a_addr, b_addr) = ("127.0.21.2", "127.0.21.3");
    let port = 19101;
    let toml = format!(
        "{}\n{}\n{}",
        gobgp::global(64512, rr, port),
        gobgp::neighbor(a_addr, rr, 64512, true, FAMILIES),
        gobgp::neighbor(b_addr, rr, 64512, true, FAMILIES)
    );
    let gobgp = Gobgp::start("gobgp-rr", "127.0.21.1:19102", &toml);
    let a = start_daemon(
        "A",
        a_addr,
        19103,
        &daemon_ini(a_addr, &[rr], port, 19103, ""),
    );
    let b = start_daemon(
        "B",
        b_addr,
        19104,
        &daemon_ini(b_addr, &[rr], port, 19104, ""),
    );
    a.wait_established(1, Duration::from_secs(20));
    b.wait_established(1, Duration::from_secs(20));
    assert!(gobgp.established(a_addr) && gobgp.established(b_addr));
    exchange_and_withdraw(&a, &b);
    let evpn_rib = gobgp.json(&["global", "rib", "-a", "evpn"]);
    assert!(
        evpn_rib.to_string().contains("52:54:00:00:21:0b"),
        "GoBGP has B's MAC: {evpn_rib}"
    );
}

/// Our own daemon as the reflector. Every session is opened by both sides at once, so the
/// connection collision procedure (RFC 4271 §6.8) runs on each.
#[test]
fn routes_cross_our_own_reflector_and_a_restart_changes_ping() {
    let (rr, a_addr, b_addr) = ("127.0.21.9", "127.0.21.10", "127.0.21.11");
    let port = 19111;
    let clients = format!(
        "route_reflector = True\n\n[BGP_PEER {a_addr}]\nroute_reflector_client = True\n\n\
         [BGP_PEER {b_addr}]\nroute_reflector_client = True\n"
    );
    let r = start_daemon(
        "RR",
        rr,
        19112,
        &daemon_ini(rr, &[a_addr, b_addr], port, 19112, &clients),
    );
    let a_ini = daemon_ini(a_addr, &[rr], port, 19113, "");
    let a = start_daemon("A", a_addr, 19113, &a_ini);
    let b = start_daemon(
        "B",
        b_addr,
        19114,
        &daemon_ini(b_addr, &[rr], port, 19114, ""),
    );
    r.wait_established(2, Duration::from_secs(20));
    a.wait_established(1, Duration::from_secs(20));
    b.wait_established(1, Duration::from_secs(20));
    exchange_and_withdraw(&a, &b);
    // The reflector stamped what it reflected (RFC 4456 §8).
    let routes = b.lg("bgp/routes").to_string();
    assert!(
        routes.contains("originator-id") && routes.contains("cluster-list"),
        "{routes}"
    );
    // A restart is visible to agents through /ping, which they poll to re-send attachments.
    let before = a.get("/ping").unwrap();
    drop(a);
    let a = start_daemon("A again", a_addr, 19113, &a_ini);
    assert_ne!(a.get("/ping").unwrap(), before);
    a.wait_established(1, Duration::from_secs(20));
}

/// A and B plug ports in one E-VPN and one VRF; each sees the other's routes in its
/// instances and dummy dataplane; a detach on A withdraws them from B.
fn exchange_and_withdraw(a: &Daemon, b: &Daemon) {
    let a_addr = a.address.to_string();
    b.attach(&evpn_attach("tapB1", "52:54:00:00:21:0b", "10.10.0.11/24"));
    a.attach(&evpn_attach("tapA1", "52:54:00:00:21:0a", "10.10.0.10/24"));
    wait_for(
        Duration::from_secs(10),
        "A's MAC in B's E-VPN instance",
        || {
            has_received(
                &b.lg("vpns/instances/net-blue/received_routes"),
                "52:54:00:00:21:0a",
            )
            .then_some(())
        },
    );
    let id = b.lg("vpns/instances/net-blue")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    let state = wait_for(
        Duration::from_secs(5),
        "B's dataplane to get A's MAC",
        || {
            let s = b.dataplane_instance("evpn", id);
            s["remote_macs"]
                .get("52:54:00:00:21:0a")
                .is_some()
                .then_some(s)
        },
    );
    assert_eq!(
        state["remote_macs"]["52:54:00:00:21:0a"]["vtep"],
        a_addr.as_str()
    );
    assert_eq!(
        state["remote_macs"]["52:54:00:00:21:0a"]["ips"],
        json!(["10.10.0.10"])
    );
    let flood: Vec<&str> = state["flood_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["vtep"].as_str().unwrap())
        .collect();
    assert_eq!(flood, vec![a_addr.as_str()]);
    wait_for(Duration::from_secs(10), "B's MAC in A's instance", || {
        has_received(
            &a.lg("vpns/instances/net-blue/received_routes"),
            "52:54:00:00:21:0b",
        )
        .then_some(())
    });

    b.attach(&ipvpn_attach("tapB2", "52:54:00:00:22:0b", "10.20.0.11/24"));
    a.attach(&ipvpn_attach("tapA2", "52:54:00:00:22:0a", "10.20.0.10/24"));
    let vrf = b.lg("vpns/instances/vrf-red")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    wait_for(
        Duration::from_secs(10),
        "A's /32 in B's VRF dataplane",
        || {
            let s = b.dataplane_instance("ipvpn", vrf);
            (s["routes"]["10.20.0.10/32"][0]["pe"] == a_addr.as_str()).then_some(())
        },
    );

    a.detach(&json!({"vpn_instance_id": "net-blue", "vpn_type": "evpn", "local_port": {"linuxif": "tapA1"},
                    "mac_address": "52:54:00:00:21:0a"}));
    wait_for(Duration::from_secs(10), "A's MAC withdrawn from B", || {
        let s = b.dataplane_instance("evpn", id);
        let gone = s["remote_macs"].get("52:54:00:00:21:0a").is_none();
        (gone && s["flood_list"].as_array().is_some_and(|f| f.is_empty())).then_some(())
    });
}
