//! `bagpipe-rest-attach` against a real daemon: what it sends shows up in (and goes from)
//! the looking glass, and `--port netns` builds and removes the namespace plumbing.

mod support;

use bagpipe_testbed::can_use_netns;
use serde_json::{json, Value};
use support::{ip, run_tool, start_daemon, Daemon, NetGuard, Run};

const TOOL: &str = env!("CARGO_BIN_EXE_bagpipe-rest-attach");

/// Runs the tool against `daemon` with `args` (separated by spaces).
fn rest_attach(daemon: &Daemon, args: &str) -> Run {
    let port = daemon.api_port.to_string();
    let server = ["--server", daemon.address.as_str(), "--api-port", &port];
    let args: Vec<&str> = server.into_iter().chain(args.split_whitespace()).collect();
    run_tool(TOOL, &args)
}

fn assert_ok(run: &Run, daemon: &Daemon) {
    assert_eq!(
        run.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}\ndaemon:\n{}",
        run.stdout,
        run.stderr,
        daemon.log()
    );
}

#[test]
fn attach_detach_round_trip() {
    let daemon = start_daemon("127.0.40.1", 20000, 20001);
    let ipvpn = "--network-type ipvpn --port tap-bpc-1 --vpn-instance-id bpc-blue \
                 --ip 10.40.0.5/25 --mac 52:54:00:40:00:05 --rt 64512:4001 --import-rt 64512:4002 \
                 --export-rt 64512:4003 --local-pref 300 --direction from-port --advertise-subnet";
    let run = rest_attach(&daemon, &format!("--attach {ipvpn}"));
    assert_ok(&run, &daemon);
    assert_eq!(
        run.stdout,
        "using 10.40.0.126 as gateway address\n\
         request: {\"import_rt\": [\"64512:4001\", \"64512:4002\"], \"export_rt\": [\"64512:4001\", \
         \"64512:4003\"], \"local_port\": {\"linuxif\": \"tap-bpc-1\"}, \"vpn_instance_id\": \
         \"bpc-blue\", \"vpn_type\": \"ipvpn\", \"gateway_ip\": \"10.40.0.126\", \"mac_address\": \
         \"52:54:00:40:00:05\", \"ip_address\": \"10.40.0.5/25\", \"advertise_subnet\": true, \
         \"readvertise\": null, \"attract_traffic\": {}, \"lb_consistent_hash_order\": 0, \"vni\": \
         0, \"local_pref\": 300, \"direction\": \"from-port\"}\n\
         response: 200 null\n"
    );
    let vrf = daemon.lg("vpns/instances/bpc-blue");
    assert_eq!(vrf["instance_type"], "VRF");
    assert_eq!(
        vrf["route_targets"],
        json!({"import": ["target:64512:4001", "target:64512:4002"],
               "export": ["target:64512:4001", "target:64512:4003"]})
    );
    assert_eq!(vrf["gateway_ip"], "10.40.0.126");
    assert_eq!(vrf["subnet_prefix_length"], 25);
    let endpoint = &daemon.lg("vpns/instances/bpc-blue/ports")["tap-bpc-1"]["endpoints"][0];
    assert_eq!(endpoint["mac_address"], "52:54:00:40:00:05");
    assert_eq!(endpoint["ip_address"], "10.40.0.5/25");
    assert_eq!(endpoint["local_pref"], 300);
    assert_eq!(endpoint["direction"], "from-port");

    // E-VPN with the default instance id and route target, and a chosen VNI.
    let evpn = "--network-type evpn --port tap-bpc-2 --ip 10.40.0.130 --mac 52:54:00:40:00:82 \
                --vni 4040";
    assert_ok(&rest_attach(&daemon, &format!("--attach {evpn}")), &daemon);
    let evi = daemon.lg("vpns/instances/evpn-bagpipe-test");
    assert_eq!(evi["instance_type"], "EVI");
    assert_eq!(evi["vni"], 4040);
    assert_eq!(evi["route_targets"]["import"], json!(["target:64512:513"]));
    assert_eq!(daemon.instance_ids(), ["bpc-blue", "evpn-bagpipe-test"]);

    // Detaching with the same options removes the endpoints, and the instances with them.
    let run = rest_attach(&daemon, &format!("--detach {ipvpn}"));
    assert_ok(&run, &daemon);
    assert!(
        run.stdout.ends_with("response: 200 null\n"),
        "{}",
        run.stdout
    );
    assert_eq!(daemon.instance_ids(), ["evpn-bagpipe-test"]);
    assert_ok(&rest_attach(&daemon, &format!("--detach {evpn}")), &daemon);
    assert_eq!(daemon.instance_ids(), Vec::<String>::new());
}

#[test]
fn refused_or_invalid_requests() {
    let daemon = start_daemon("127.0.40.25", 20030, 20031);
    let base = "--network-type ipvpn --port tap-bpc-9 --ip 10.40.9.1";
    // The daemon refuses: its error body on stdout, the status on stderr, exit status 1.
    let run = rest_attach(
        &daemon,
        &format!("--detach --vpn-instance-id bpc-none {base}"),
    );
    assert_eq!(run.code, Some(1));
    let body = run.stdout.lines().last().unwrap().trim();
    let error: Value = serde_json::from_str(body).unwrap();
    assert_eq!(error["code"], 400);
    assert_eq!(run.stderr, "error 400, reason: Bad Request\n");
    // A usage mistake is found before anything is sent: exit status 2.
    let run = rest_attach(
        &daemon,
        "--attach --network-type evpn --port tap-bpc-9 --ip 10.40.9.1",
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("Need to specify --mac"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // No daemon there.
    let args = format!("--attach --server 127.0.40.26 --api-port 20032 {base}");
    let run = run_tool(TOOL, &args.split_whitespace().collect::<Vec<_>>());
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
}

/// `ip -j` output of a device: `ip [-n ns] -j -d link show dev`, with its addresses.
fn device(netns: Option<&str>, dev: &str) -> Option<Value> {
    let ns: Vec<&str> = netns.map(|n| vec!["-n", n]).unwrap_or_default();
    let text = ip(&[&ns[..], &["-j", "-d", "addr", "show", "dev", dev]].concat())?;
    let list: Value = serde_json::from_str(&text).ok()?;
    list.get(0).cloned()
}

fn namespaces() -> String {
    ip(&["netns", "list"]).unwrap_or_default()
}

#[test]
fn netns_port_created_and_removed() {
    if !can_use_netns() {
        return;
    }
    let _guard = NetGuard {
        namespaces: vec!["bpc-ra-ns1".into()],
        links: vec!["bpc-ra-v1".into()],
    };
    let daemon = start_daemon("127.0.40.9", 20010, 20011);
    // E-VPN needs a MAC: without --mac, the one of the interface in the namespace.
    let args = "--network-type evpn --port netns:bpc-ra-v1 --netns bpc-ra-ns1 \
                --vpn-instance-id bpc-green --ip 10.40.2.5";
    let run = rest_attach(&daemon, &format!("--attach {args}"));
    assert_ok(&run, &daemon);

    let inner = device(Some("bpc-ra-ns1"), "tovpn").expect("tovpn in the namespace");
    let mac = inner["address"].as_str().unwrap().to_owned();
    assert!(
        run.stdout.starts_with(&format!(
            "using 10.40.2.254 as gateway address\n\
             Will plug local namespace bpc-ra-ns1 into network\n\
             Local port: bpc-ra-v1 ({mac})\nrequest: "
        )),
        "{}",
        run.stdout
    );
    assert_eq!(inner["mtu"], 1420);
    assert!(
        inner["flags"].as_array().unwrap().contains(&json!("UP")),
        "{inner}"
    );
    let addresses: Vec<String> = inner["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
        .collect();
    assert!(
        addresses.contains(&"10.40.2.5/24".to_owned()),
        "{addresses:?}"
    );
    let routes: Value =
        serde_json::from_str(&ip(&["-n", "bpc-ra-ns1", "-j", "route", "show", "default"]).unwrap())
            .unwrap();
    assert_eq!(routes[0]["gateway"], "10.40.2.254", "{routes}");
    assert_eq!(routes[0]["dev"], "tovpn", "{routes}");
    let outer = device(None, "bpc-ra-v1").expect("bpc-ra-v1 outside");
    assert_eq!(outer["mtu"], 9000);
    assert!(
        outer["flags"].as_array().unwrap().contains(&json!("UP")),
        "{outer}"
    );

    let endpoint = &daemon.lg("vpns/instances/bpc-green/ports")["bpc-ra-v1"]["endpoints"][0];
    assert_eq!(endpoint["mac_address"], mac.as_str());
    assert_eq!(endpoint["ip_address"], "10.40.2.5/24");

    // Detach: the MAC is read again from the namespace, then everything goes.
    let run = rest_attach(&daemon, &format!("--detach {args}"));
    assert_ok(&run, &daemon);
    assert!(
        run.stdout
            .contains(&format!("Local port: bpc-ra-v1 ({mac})\n")),
        "{}",
        run.stdout
    );
    assert_eq!(daemon.instance_ids(), Vec::<String>::new());
    assert!(device(None, "bpc-ra-v1").is_none(), "bpc-ra-v1 is left");
    assert!(
        !namespaces().contains("bpc-ra-ns1"),
        "the namespace is left"
    );
}

/// Whether VLAN devices can be created, tried in namespace `probe`.
fn vlan_supported(probe: &str) -> bool {
    let ok = ip(&["netns", "add", probe]).is_some()
        && ip(&["-n", probe, "link", "add", "d", "type", "dummy"]).is_some()
        && ip(&[
            "-n", probe, "link", "add", "link", "d", "name", "v", "type", "vlan", "id", "7",
        ])
        .is_some();
    let _ = ip(&["netns", "delete", probe]);
    ok
}

#[test]
fn netns_port_on_a_vlan() {
    if !can_use_netns() {
        return;
    }
    let _guard = NetGuard {
        namespaces: vec!["bpc-ra-ns2".into(), "bpc-ra-probe".into()],
        links: vec!["bpc-ra-v2".into()],
    };
    if !vlan_supported("bpc-ra-probe") {
        println!("SKIPPED: netns_port_on_a_vlan: this kernel has no VLAN devices (8021q)");
        return;
    }
    let daemon = start_daemon("127.0.40.17", 20020, 20021);
    let args = "--network-type ipvpn --port netns:bpc-ra-v2 --netns bpc-ra-ns2 --ovs-vlan 7 \
                --mac 52:54:00:40:03:05 --ip 10.40.3.5/24 --gateway-ip 10.40.3.1";
    assert_ok(&rest_attach(&daemon, &format!("--attach {args}")), &daemon);
    // The VLAN device on the veth end carries the port's MAC and address.
    let vlan = device(Some("bpc-ra-ns2"), "tovpn").expect("tovpn in the namespace");
    assert_eq!(vlan["linkinfo"]["info_kind"], "vlan", "{vlan}");
    assert_eq!(vlan["linkinfo"]["info_data"]["id"], 7, "{vlan}");
    assert_eq!(vlan["link"], "ns2vpn-raw", "{vlan}");
    assert_eq!(vlan["address"], "52:54:00:40:03:05");
    assert!(device(Some("bpc-ra-ns2"), "ns2vpn-raw").is_some());
    let routes = ip(&["-n", "bpc-ra-ns2", "route", "show", "default"]).unwrap();
    assert!(routes.contains("via 10.40.3.1 dev tovpn"), "{routes}");

    assert_ok(&rest_attach(&daemon, &format!("--detach {args}")), &daemon);
    assert!(device(None, "bpc-ra-v2").is_none(), "bpc-ra-v2 is left");
    assert!(
        !namespaces().contains("bpc-ra-ns2"),
        "the namespace is left"
    );
}
