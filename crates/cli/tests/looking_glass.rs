//! `bagpipe-looking-glass` against a real daemon in a known state: the text it prints.

mod support;

use serde_json::json;
use support::{run_tool, start_daemon, Daemon, Run};

const TOOL: &str = env!("CARGO_BIN_EXE_bagpipe-looking-glass");

fn looking_glass(daemon: &Daemon, path: &[&str]) -> Run {
    let port = daemon.api_port.to_string();
    let server = ["--server", daemon.address.as_str(), "--port", &port];
    run_tool(TOOL, &[&server[..], path].concat())
}

/// A daemon with an EVI and a VRF with one port each (each test its own address and ports),
/// created in the order of their ids, so that they are listed in that order whether the
/// daemon lists them by id or by creation.
fn known_state(address: &str, api_port: u16) -> Daemon {
    let daemon = start_daemon(address, api_port, api_port + 1);
    daemon.attach(&json!({
        "vpn_instance_id": "bpc-lg-evi", "vpn_type": "evpn", "local_port": {"linuxif": "tap-lg-2"},
        "mac_address": "52:54:00:41:00:02", "ip_address": "10.41.1.2/24",
        "import_rt": ["64512:4102"], "export_rt": ["64512:4102", "64512:4103"]
    }));
    daemon.attach(&json!({
        "vpn_instance_id": "bpc-lg-vrf", "vpn_type": "ipvpn", "local_port": {"linuxif": "tap-lg-1"},
        "mac_address": "52:54:00:41:00:01", "ip_address": "10.41.0.1/24",
        "gateway_ip": "10.41.0.254", "import_rt": ["64512:4101"], "export_rt": ["64512:4101"]
    }));
    daemon
}

#[test]
fn prints_a_known_state() {
    let daemon = known_state("127.0.41.1", 20100);
    let printed = |path: &[&str]| {
        let run = looking_glass(&daemon, path);
        assert_eq!(run.code, Some(0), "{path:?}: {}{}", run.stdout, run.stderr);
        run.stdout
    };

    // A list of links: each id, `(...)` for the link, then the other fields.
    assert_eq!(
        printed(&["vpns", "instances"]),
        "* bpc-lg-evi (...)\n  name: EVI-1\n* bpc-lg-vrf (...)\n  name: VRF-2\n"
    );
    // An object of lists.
    assert_eq!(
        printed(&["vpns", "instances", "bpc-lg-evi", "route_targets"]),
        "export: \n  * target:64512:4102\n  * target:64512:4103\nimport: \n  * target:64512:4102\n"
    );
    // Nested objects in a list; `None` for null. The label and RD are the daemon's choice.
    let endpoint = &daemon.lg("vpns/instances/bpc-lg-vrf/ports")["tap-lg-1"]["endpoints"][0];
    assert_eq!(
        printed(&["vpns", "instances", "bpc-lg-vrf", "ports"]),
        format!(
            "tap-lg-1: \n  endpoints: \n    * description: None\n      direction: both\n      \
             ip_address: 10.41.0.1/24\n      label: {}\n      local_pref: None\n      \
             mac_address: 52:54:00:41:00:01\n      rd: {}\n",
            endpoint["label"],
            endpoint["rd"].as_str().unwrap()
        )
    );
    // A single value.
    assert_eq!(printed(&["summary", "vpn_instances_count"]), "2\n");
}

#[test]
fn recurses_below_the_node_only() {
    let daemon = known_state("127.0.41.17", 20120);
    let run = looking_glass(&daemon, &["--recurse", "vpns", "instances", "bpc-lg-vrf"]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let text = run.stdout;
    // The links below the instance are followed, their nodes printed in place...
    assert!(
        text.contains("\nports: \n    tap-lg-1: \n      endpoints: \n        * "),
        "{text}"
    );
    // ...none left as `key:  (...)`...
    assert!(!text.contains(":  (...)"), "{text}");
    // ...but not the links elsewhere in the tree (the dataplane driver, the routes' sources).
    assert!(
        text.contains("\ndataplane: \n    driver: ipvpn (...)\n"),
        "{text}"
    );
    // Without --recurse, every link is `(...)`.
    let flat = looking_glass(&daemon, &["vpns", "instances", "bpc-lg-vrf"]).stdout;
    assert!(flat.contains("\nports:  (...)\n"), "{flat}");
    assert!(!flat.contains("tap-lg-1"), "{flat}");
}

#[test]
fn reports_missing_paths_and_servers() {
    let daemon = start_daemon("127.0.41.9", 20110, 20111);
    let run = looking_glass(&daemon, &["vpns", "no such"]);
    assert_eq!(
        run.stdout,
        "No such looking glass path: vpns no%20such\n\
         (http://127.0.41.9:20110/looking-glass/vpns/no%20such)\n"
    );
    assert_eq!(run.code, Some(1));
    let run = run_tool(
        TOOL,
        &["--server", "127.0.41.10", "--port", "20112", "summary"],
    );
    assert!(
        run.stdout
            .starts_with("No server at http://127.0.41.10:20112 : "),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, Some(1));
}
