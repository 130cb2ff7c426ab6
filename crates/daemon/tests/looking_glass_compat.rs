//! The looking glass has the shape of the original's: the scenario in which its answers were
//! recorded (node B, peering with a route reflector, receiving node A's E-VPN and IP VPN
//! routes; reference/original-api) is replayed, and every field of every recorded answer must
//! exist at the same place in ours. Values differ (addresses, labels, times); route keys are
//! readable text rather than Python reprs, by design.

mod support;

use std::time::Duration;

use bagpipe_testbed::daemon::daemon_ini;
use bagpipe_testbed::gobgp::{self, Gobgp};
use bagpipe_testbed::wait::wait_for;
use serde_json::{json, Value};
use support::start_daemon;

/// The recorded answers, kept beside the CLI that prints them.
const RECORDED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../cli/testdata/original-lg");

/// Recorded file name → looking-glass path.
const PATHS: &[(&str, &str)] = &[
    ("root", ""),
    ("summary", "summary"),
    ("config", "config"),
    ("bgp", "bgp"),
    ("bgp_peers", "bgp/peers"),
    ("bgp_routes", "bgp/routes"),
    ("bgp_adv_routes", "bgp/adv_routes"),
    ("bgp_workers", "bgp/workers"),
    ("bgp_workers_BGP-127.0.77.1", "bgp/workers/BGP-{rr}"),
    ("vpns", "vpns"),
    ("vpns_instances", "vpns/instances"),
    ("vpns_instances_per_vni", "vpns/instances_per_vni"),
    ("vpns_dataplane", "vpns/dataplane"),
    ("vpns_dataplane_ids", "vpns/dataplane/ids"),
    ("vpns_instances_evpn-test", "vpns/instances/evpn-test"),
    (
        "vpns_instances_evpn-test_ports",
        "vpns/instances/evpn-test/ports",
    ),
    (
        "vpns_instances_evpn-test_received_routes",
        "vpns/instances/evpn-test/received_routes",
    ),
    (
        "vpns_instances_evpn-test_best_routes",
        "vpns/instances/evpn-test/best_routes",
    ),
    (
        "vpns_instances_evpn-test_adv_routes",
        "vpns/instances/evpn-test/adv_routes",
    ),
    (
        "vpns_instances_evpn-test_dataplane",
        "vpns/instances/evpn-test/dataplane",
    ),
    ("vpns_instances_ipvpn-test", "vpns/instances/ipvpn-test"),
    (
        "vpns_instances_ipvpn-test_ports",
        "vpns/instances/ipvpn-test/ports",
    ),
    (
        "vpns_instances_ipvpn-test_received_routes",
        "vpns/instances/ipvpn-test/received_routes",
    ),
    (
        "vpns_instances_ipvpn-test_best_routes",
        "vpns/instances/ipvpn-test/best_routes",
    ),
    (
        "vpns_instances_ipvpn-test_adv_routes",
        "vpns/instances/ipvpn-test/adv_routes",
    ),
    (
        "vpns_instances_ipvpn-test_readvertised",
        "vpns/instances/ipvpn-test/readvertised",
    ),
    (
        "vpns_instances_ipvpn-test_dataplane",
        "vpns/instances/ipvpn-test/dataplane",
    ),
];

/// Keys that are data (routes, prefixes, MACs, port names, ids) rather than field names: an
/// object holding one is a map, whose values are compared with any of ours.
fn is_data_key(k: &str) -> bool {
    k.contains([':', '/', '(', '\'', '.', ' ']) || k.parse::<u64>().is_ok() || k.starts_with("tap")
}

/// Adds to `out` every recorded field missing from ours, with its path.
fn missing(ours: &Value, theirs: &Value, at: &str, out: &mut Vec<String>) {
    match theirs {
        Value::Object(t) if t.keys().any(|k| is_data_key(k)) => {
            let (Some(first), Some(o)) = (t.values().next(), ours.as_object()) else {
                return;
            };
            match o.values().next() {
                Some(ov) => missing(ov, first, &format!("{at}/<entry>"), out),
                None => out.push(format!("{at}: no entry, the original had {}", t.len())),
            }
        }
        Value::Object(t) => {
            let Some(o) = ours.as_object() else {
                out.push(format!("{at}: {ours} is not an object"));
                return;
            };
            for (k, tv) in t {
                match o.get(k) {
                    Some(ov) => missing(ov, tv, &format!("{at}/{k}"), out),
                    None => out.push(format!("{at}/{k}: missing")),
                }
            }
        }
        Value::Array(t) => {
            let ours_elements = ours.as_array().map(Vec::as_slice).unwrap_or_default();
            if ours_elements.is_empty() && !t.is_empty() {
                out.push(format!(
                    "{at}: {ours} has no element, the original had {}",
                    t.len()
                ));
                return;
            }
            // Elements (routes, ports) come in no fixed order: each recorded one is held
            // against the closest of ours.
            for (i, te) in t.iter().enumerate() {
                let closest = ours_elements
                    .iter()
                    .map(|oe| {
                        let mut m = Vec::new();
                        missing(oe, te, &format!("{at}[{i}]"), &mut m);
                        m
                    })
                    .min_by_key(Vec::len)
                    .unwrap_or_default();
                out.extend(closest);
            }
        }
        _ => {}
    }
}

#[test]
fn every_recorded_field_is_in_our_answers() {
    let (rr, a_addr, b_addr) = ("127.0.23.220", "127.0.23.221", "127.0.23.222");
    let port = 19320;
    let families = [
        "l2vpn-evpn",
        "l3vpn-ipv4-unicast",
        "l3vpn-ipv4-flowspec",
        "rtc",
    ];
    let toml = format!(
        "{}\n{}\n{}",
        gobgp::global(64512, rr, port),
        gobgp::neighbor(a_addr, rr, 64512, true, &families),
        gobgp::neighbor(b_addr, rr, 64512, true, &families)
    );
    let _gobgp = Gobgp::start("gobgp-rr", "127.0.23.220:19321", &toml);
    let a = start_daemon(
        "A",
        a_addr,
        19322,
        &daemon_ini(a_addr, &[rr], port, 19322, ""),
    );
    let b = start_daemon(
        "B",
        b_addr,
        19323,
        &daemon_ini(b_addr, &[rr], port, 19323, ""),
    );
    a.wait_established(1, Duration::from_secs(20));
    b.wait_established(1, Duration::from_secs(20));
    // The recorded attachments (attach_*_A.json, attach_*_B.json).
    b.attach(&json!({"vpn_instance_id": "evpn-test", "vpn_type": "evpn", "import_rt": "64512:513", "export_rt": "64512:513",
                    "local_port": "tapB2", "mac_address": "52:54:00:00:0b:02", "ip_address": "10.78.0.2/24"}));
    b.attach(&json!({"vpn_instance_id": "ipvpn-test", "vpn_type": "ipvpn", "import_rt": ["64512:512"], "export_rt": ["64512:512"],
                    "local_port": {"linuxif": "tapB1"}, "mac_address": "52:54:00:00:0b:01", "ip_address": "10.77.0.2/24",
                    "gateway_ip": "10.77.0.254"}));
    a.attach(&json!({"vpn_instance_id": "evpn-test", "vpn_type": "evpn", "import_rt": ["64512:513"], "export_rt": ["64512:513"],
                    "local_port": {"linuxif": "tapA2"}, "mac_address": "52:54:00:00:0a:02", "ip_address": "10.78.0.1",
                    "gateway_ip": "10.78.0.254"}));
    a.attach(&json!({"vpn_instance_id": "ipvpn-test", "vpn_type": "ipvpn", "import_rt": ["64512:512"], "export_rt": ["64512:512"],
                    "local_port": {"linuxif": "tapA1"}, "mac_address": "52:54:00:00:0a:01", "ip_address": "10.77.0.1/24",
                    "gateway_ip": "10.77.0.254", "advertise_subnet": false}));
    wait_for(
        Duration::from_secs(10),
        "A's routes in B's instances",
        || {
            let evi = b.lg("vpns/instances/evpn-test/received_routes");
            let vrf = b.lg("vpns/instances/ipvpn-test/received_routes");
            (evi.as_object()?.len() >= 2 && !vrf.as_object()?.is_empty()).then_some(())
        },
    );

    let mut gaps = Vec::new();
    for (file, path) in PATHS {
        let text = std::fs::read_to_string(format!("{RECORDED}/lg_B_{file}.json"))
            .expect("recorded answer");
        let theirs: Value = serde_json::from_str(&text).expect("recorded JSON");
        let ours = b.lg(&path.replace("{rr}", rr));
        missing(&ours, &theirs, &format!("/{path}"), &mut gaps);
    }
    assert!(
        gaps.is_empty(),
        "fields of the original's looking glass we do not have:\n{}",
        gaps.join("\n")
    );
}
