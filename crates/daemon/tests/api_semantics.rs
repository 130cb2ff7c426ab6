//! The REST API with the real engine behind it: the original's attach/detach semantics
//! (instances created on the first attach and removed with the last detach, refreshes,
//! route target updates) and a 400 naming the field for every request the engine refuses.

mod support;

use bagpipe_testbed::daemon::{daemon_ini, Daemon};
use serde_json::{json, Value};
use support::start_daemon;

fn daemon(addr: &str, port: u16) -> Daemon {
    start_daemon("api", addr, port, &daemon_ini(addr, &[], 19301, port, ""))
}

fn evpn_body(instance: &str, port: &str, mac: &str, ip: &str) -> Value {
    json!({"vpn_instance_id": instance, "vpn_type": "evpn", "import_rt": ["64512:1"], "export_rt": ["64512:1"],
           "local_port": {"linuxif": port}, "mac_address": mac, "ip_address": ip})
}

/// Asserts a 400 whose JSON body names `field`.
fn refused(d: &Daemon, path: &str, body: &Value, field: &str) {
    let (status, answer) = d.post(path, body);
    assert_eq!(status, 400, "{path} {body}: {answer}");
    assert_eq!(answer["field"], field, "{answer}");
    assert!(
        answer["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{answer}"
    );
}

#[test]
fn instances_live_from_first_attach_to_last_detach() {
    let d = daemon("127.0.23.201", 19302);
    d.attach(&evpn_body(
        "net1",
        "tap1",
        "52:54:00:00:01:01",
        "10.1.0.1/24",
    ));
    d.attach(&evpn_body(
        "net1",
        "tap2",
        "52:54:00:00:01:02",
        "10.1.0.2/24",
    ));
    // Re-attaching the same endpoint is a refresh: nothing changes.
    d.attach(&evpn_body(
        "net1",
        "tap1",
        "52:54:00:00:01:01",
        "10.1.0.1/24",
    ));
    assert_eq!(d.lg("vpns/instances").as_array().unwrap().len(), 1);
    assert_eq!(
        d.lg("summary")["route_counts"]["local_routes_count"],
        3,
        "one type 3 and two type 2 routes"
    );
    // New route targets on a re-attach update the instance.
    let mut more = evpn_body("net1", "tap1", "52:54:00:00:01:01", "10.1.0.1/24");
    more["import_rt"] = json!(["64512:1", "64512:2"]);
    more["export_rt"] = json!("64512:3");
    d.attach(&more);
    let rts = &d.lg("vpns/instances/net1")["route_targets"];
    assert_eq!(rts["import"], json!(["target:64512:1", "target:64512:2"]));
    assert_eq!(rts["export"], json!(["target:64512:3"]));
    for (port, mac) in [("tap1", "52:54:00:00:01:01"), ("tap2", "52:54:00:00:01:02")] {
        d.detach(&json!({"vpn_instance_id": "net1", "vpn_type": "evpn", "local_port": {"linuxif": port}, "mac_address": mac}));
    }
    assert_eq!(d.lg("vpns/instances"), json!([]));
    assert_eq!(d.lg("summary")["route_counts"]["local_routes_count"], 0);
}

#[test]
fn what_the_engine_refuses_is_a_400_naming_the_field() {
    let d = daemon("127.0.23.202", 19303);
    d.attach(&evpn_body(
        "net1",
        "tap1",
        "52:54:00:00:02:01",
        "10.2.0.1/24",
    ));
    // The instance exists with another type.
    let mut ipvpn = evpn_body("net1", "tap9", "52:54:00:00:02:09", "10.2.0.9/24");
    ipvpn["vpn_type"] = json!("ipvpn");
    ipvpn["gateway_ip"] = json!("10.2.0.254");
    refused(&d, "/attach_localport", &ipvpn, "vpn_type");
    // The MAC is already plugged on another port of the instance.
    refused(
        &d,
        "/attach_localport",
        &evpn_body("net1", "tap2", "52:54:00:00:02:01", "10.2.0.2/24"),
        "mac_address",
    );
    // The IP is already bound to another MAC.
    refused(
        &d,
        "/attach_localport",
        &evpn_body("net1", "tap3", "52:54:00:00:02:03", "10.2.0.1/24"),
        "ip_address",
    );
    // A VNI already used by another instance.
    let mut a = evpn_body("net2", "tap4", "52:54:00:00:02:04", "10.3.0.1/24");
    a["vni"] = json!(5000);
    d.attach(&a);
    let mut b = evpn_body("net3", "tap5", "52:54:00:00:02:05", "10.4.0.1/24");
    b["vni"] = json!(5000);
    refused(&d, "/attach_localport", &b, "vni");
    // Detaching what is not there.
    let detach = |instance: &str, mac: &str, ip: Option<&str>| {
        let mut b = json!({"vpn_instance_id": instance, "vpn_type": "evpn", "local_port": {"linuxif": "tap1"}, "mac_address": mac});
        if let Some(ip) = ip {
            b["ip_address"] = json!(ip);
        }
        b
    };
    refused(
        &d,
        "/detach_localport",
        &detach("nope", "52:54:00:00:02:01", None),
        "vpn_instance_id",
    );
    refused(
        &d,
        "/detach_localport",
        &detach("net1", "52:54:00:00:02:77", None),
        "mac_address",
    );
    refused(
        &d,
        "/detach_localport",
        &detach("net1", "52:54:00:00:02:01", Some("10.2.0.99")),
        "ip_address",
    );
    // Nothing of the refused requests changed the state; the daemon still answers.
    assert_eq!(d.lg("vpns/instances").as_array().unwrap().len(), 2);
    assert!(d.get("/ping").is_ok());
}

#[test]
fn requests_are_logged_to_the_configured_log_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bagpipe-bgp.log");
    let (addr, port) = ("127.0.23.203", 19304);
    let ini = format!(
        "[DEFAULT]\nlog_file = {}\n\n{}",
        log.display(),
        daemon_ini(addr, &[], 19301, port, "")
    );
    let d = start_daemon("api", addr, port, &ini);
    for (port, mac, ip) in [
        ("tap1", "52:54:00:00:03:01", "10.3.0.1/24"),
        ("tap2", "52:54:00:00:03:02", "10.3.0.2/24"),
    ] {
        d.attach(&evpn_body("logged-net", port, mac, ip));
    }
    let written = std::fs::read_to_string(&log).unwrap();
    let attaches: Vec<&str> = written
        .lines()
        .filter(|l| l.contains(" INFO attach ") && l.contains("logged-net"))
        .collect();
    assert_eq!(attaches.len(), 2, "{written}");
    assert!(attaches[1].contains("52:54:00:00:03:02"), "{written}");
    // Plain values, as an operator reads them.
    assert!(
        attaches[1].contains(" ip=10.3.0.2/24 port=tap2"),
        "{written}"
    );
    assert!(
        !written.contains('\x1b'),
        "no terminal colours in a file: {written}"
    );
    assert!(
        !d.log().contains("logged-net"),
        "the log file, not standard error: {}",
        d.log()
    );
}
