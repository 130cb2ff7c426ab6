//! The IP VPN services beyond plain VRFs, between real daemons over BGP (a full iBGP mesh,
//! VPN FlowSpec negotiated by default) with dummy dataplanes: service chaining with
//! `readvertise` and `attract_traffic` (FlowSpec redirect-to-VRF), E-VPN-to-IP-VPN stitching
//! and `fallback`, as the REST API, the looking glass and the dataplane state show them.

mod support;

use std::time::Duration;

use bagpipe_testbed::daemon::{daemon_ini, Daemon};
use bagpipe_testbed::wait::wait_for;
use serde_json::{json, Value};
use support::start_daemon;

const T: Duration = Duration::from_secs(15);

/// Daemons on `addrs`, each peering with all the others on `bgp_port`.
fn mesh(addrs: &[&str], bgp_port: u16, api_ports: &[u16]) -> Vec<Daemon> {
    let daemons: Vec<Daemon> = addrs
        .iter()
        .zip(api_ports)
        .map(|(a, api)| {
            let others: Vec<&str> = addrs.iter().copied().filter(|o| o != a).collect();
            let extra = format!("listen_address = {a}\nlisten_port = {bgp_port}\n");
            start_daemon(a, a, *api, &daemon_ini(a, &others, bgp_port, *api, &extra))
        })
        .collect();
    for d in &daemons {
        d.wait_established(addrs.len() - 1, Duration::from_secs(20));
    }
    daemons
}

fn port(vrf: &str, import: &str, export: &str, tap: &str, n: u8) -> Value {
    json!({"vpn_instance_id": vrf, "vpn_type": "ipvpn", "import_rt": [import], "export_rt": [export],
           "local_port": {"linuxif": tap}, "mac_address": format!("52:54:00:00:30:{n:02x}"),
           "ip_address": format!("10.{n}.0.5/24"), "gateway_ip": format!("10.{n}.0.1")})
}

#[test]
fn a_service_function_attracts_port_80_traffic_with_flowspec_redirects() {
    let addrs = ["127.0.30.1", "127.0.30.2", "127.0.30.3"];
    let d = mesh(&addrs, 19700, &[19701, 19702, 19703]);
    let (src, sf, dest) = (&d[0], &d[1], &d[2]);
    src.attach(&port("src", "64512:5", "64512:9", "tapsrc", 30));
    let mut sf_port = port("sf", "64512:1", "64512:1", "tapsf", 20);
    sf_port["readvertise"] = json!({"from_rt": ["64512:3"], "to_rt": ["64512:4"]});
    sf_port["attract_traffic"] = json!({"redirect_rts": ["64512:5"],
        "classifier": {"destinationPort": "80", "protocol": "tcp"}});
    sf.attach(&sf_port);
    dest.attach(&port("dest", "64512:8", "64512:3", "tapd", 10));

    // The service function's node readvertises the destination...
    let readvertised = wait_for(T, "the destination readvertised by the SF node", || {
        let r = sf.lg("vpns/instances/sf/readvertised");
        (r.as_array()?.len() == 1).then_some(r)
    });
    assert!(
        readvertised.to_string().contains("10.10.0.5/32"),
        "{readvertised}"
    );
    let lg = sf.lg("vpns/instances/sf");
    assert_eq!(
        lg["readvertise"],
        json!({"from": ["target:64512:3"], "to": ["target:64512:4"]})
    );
    assert_eq!(
        lg["attract_traffic"],
        json!({"redirect_rts": ["target:64512:5"],
               "classifier": {"destinationPort": "80", "protocol": "tcp"},
               "to": ["target:64512:4"], "static_destination_prefixes": null})
    );
    assert!(lg["internals"]["subscriptions"]
        .to_string()
        .contains("match:ipv4/flow-vpn,target:64512:1"));
    // ...and the source's node redirects TCP port 80 traffic to it through a redirection VRF.
    let redirect = "redirect-to-ipvpn-64512_4";
    wait_for(T, "the redirection VRF on the source node", || {
        src.instance_ids()
            .contains(&redirect.to_string())
            .then_some(())
    });
    let src_id = src.lg("vpns/instances/src")["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    let redirect_id = src.lg(&format!("vpns/instances/{redirect}"))["instance_dataplane_id"]
        .as_u64()
        .unwrap();
    let state = wait_for(T, "the redirect in the source VRF's dataplane", || {
        let s = src.dataplane_instance("ipvpn", src_id);
        (s["redirects"].as_array()?.len() == 1).then_some(s)
    });
    assert_eq!(
        state["redirects"][0],
        json!({"classifier": {"source_prefix": null, "destination_prefix": "10.10.0.5/32",
                              "protocol": 6, "source_ports": null,
                              "destination_ports": {"min": 80, "max": 80}},
               "to_instance": redirect_id})
    );
    wait_for(
        T,
        "the SF node's default route in the redirection VRF",
        || {
            let s = src.dataplane_instance("ipvpn", redirect_id);
            (s["routes"]["0.0.0.0/0"][0]["pe"] == addrs[1]).then_some(())
        },
    );
    // The FlowSpec route as the source node received it.
    let received = src.lg("vpns/instances/src/received_routes");
    let text = received.to_string();
    assert!(
        text.contains("flow destination 10.10.0.5/32 protocol =6 destination-port =80")
            && text.contains("redirect:64512:4"),
        "{received}"
    );

    // The destination goes: so do the FlowSpec route and the redirection VRF.
    dest.detach(
        &json!({"vpn_instance_id": "dest", "vpn_type": "ipvpn", "local_port": "tapd",
                       "mac_address": "52:54:00:00:30:0a", "ip_address": "10.10.0.5"}),
    );
    wait_for(T, "the redirection VRF to go", || {
        (!src.instance_ids().contains(&redirect.to_string())).then_some(())
    });
    let s = src.dataplane_instance("ipvpn", src_id);
    assert_eq!(s["redirects"], json!([]));
}

#[test]
fn an_evpn_plugged_into_a_vrf_shows_as_its_gateway_port() {
    let addr = "127.0.30.9";
    let d = start_daemon(addr, addr, 19711, &daemon_ini(addr, &[], 19710, 19711, ""));
    d.attach(
        &json!({"vpn_instance_id": "net1", "vpn_type": "evpn", "import_rt": ["64512:31"],
                    "export_rt": ["64512:31"], "local_port": {"linuxif": "tap1"},
                    "mac_address": "52:54:00:00:31:01", "ip_address": "10.31.0.5/24",
                    "vni": 5031}),
    );
    assert_eq!(
        d.lg("vpns/instances_per_vni"),
        json!({"5031": {"name": "EVI-1", "external_instance_id": "net1"}})
    );
    let stitched = json!({"vpn_instance_id": "vrf1", "vpn_type": "ipvpn", "import_rt": ["64512:32"],
        "export_rt": ["64512:32"], "local_port": {"evpn": {"id": "net1"}},
        "mac_address": "52:54:00:00:31:01", "ip_address": "10.31.0.5/24", "gateway_ip": "10.31.0.1",
        "fallback": {"src_mac": "00:00:5e:2a:10:00", "dst_mac": "fa:16:3e:00:00:01",
                     "ovs_port_number": 6}});
    // Refused while the E-VPN instance does not exist, naming the field.
    let mut wrong = stitched.clone();
    wrong["local_port"]["evpn"]["id"] = json!("nope");
    let (status, body) = d.post("/attach_localport", &wrong);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "local_port.evpn.id");
    d.attach(&stitched);

    let evi = d.lg("vpns/instances/net1");
    let vrf = d.lg("vpns/instances/vrf1");
    let (evi_id, vrf_id) = (
        evi["instance_dataplane_id"].as_u64().unwrap(),
        vrf["instance_dataplane_id"].as_u64().unwrap(),
    );
    assert_eq!(
        evi["gateway_port"],
        json!({"interface": format!("bpve-{evi_id}"),
               "ipvpn": {"href": d.url("/looking-glass/vpns/instances/vrf1"),
                         "id": format!("VRF-{vrf_id}"), "external_instance_id": "vrf1"}})
    );
    assert_eq!(
        vrf["fallback"],
        json!({"src_mac": "00:00:5e:2a:10:00", "dst_mac": "fa:16:3e:00:00:01",
               "ovs_port_number": 6})
    );
    assert!(vrf.get("readvertised").is_some() && evi.get("readvertised").is_none());
    let ports = d.lg("vpns/instances/vrf1/ports");
    assert!(ports.get(format!("bpvi-{evi_id}")).is_some(), "{ports}");
    let evpn_state = wait_for(T, "the gateway port in the E-VPN dataplane", || {
        let s = d.dataplane_instance("evpn", evi_id);
        s["gateway_port"].is_object().then_some(s)
    });
    assert_eq!(
        evpn_state["gateway_port"],
        json!({"ifname": format!("bpve-{evi_id}"),
               "veth_peer": format!("bpvi-{evi_id}"), "gateway_ip": "10.31.0.1"})
    );
    let vrf_state = d.dataplane_instance("ipvpn", vrf_id);
    assert_eq!(vrf_state["fallback"]["ovs_port_number"], 6);

    // Detaching the VRF's endpoint undoes the stitching.
    d.detach(&json!({"vpn_instance_id": "vrf1", "vpn_type": "ipvpn",
                    "local_port": {"evpn": {"id": "net1"}},
                    "mac_address": "52:54:00:00:31:01", "ip_address": "10.31.0.5"}));
    assert_eq!(d.lg("vpns/instances/net1")["gateway_port"], Value::Null);
    assert_eq!(d.instance_ids(), ["net1"]);
}
