//! Whole request bodies: the ones recorded from the original (shared/reference/original-api),
//! the ones the OpenStack agents and `bagpipe-rest-attach` build, and every top-level error.

use serde_json::{json, Value};

use super::*;

fn attach(body: Value) -> AttachRequest {
    AttachRequest::from_json(&body).unwrap_or_else(|e| panic!("{e} in {body}"))
}

fn attach_err(body: Value) -> RequestError {
    match AttachRequest::from_json(&body) {
        Ok(r) => panic!("accepted {body}: {r:?}"),
        Err(e) => e,
    }
}

fn rts(list: &[RouteTarget]) -> Vec<String> {
    list.iter().map(|rt| rt.to_string()).collect()
}

fn mac(s: &str) -> MacAddress {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpWithLength {
    s.parse().unwrap()
}

/// Copies of the bodies recorded in shared/reference/original-api/, which the original
/// accepted.
mod recorded {
    use super::*;

    #[test]
    fn attach_evpn_a() {
        let r = attach(json!({"vpn_instance_id": "evpn-test", "vpn_type": "evpn",
            "import_rt": ["64512:513"], "export_rt": ["64512:513"],
            "local_port": {"linuxif": "tapA2"}, "mac_address": "52:54:00:00:0a:02",
            "ip_address": "10.78.0.1", "gateway_ip": "10.78.0.254"}));
        assert_eq!(r.vpn_type, VpnType::Evpn);
        assert_eq!(r.vpn_instance_id, "evpn-test");
        assert_eq!(rts(&r.import_rts), ["64512:513"]);
        assert_eq!(rts(&r.export_rts), ["64512:513"]);
        assert_eq!(r.local_port, LocalPort::interface("tapA2"));
        assert_eq!(r.mac_address, mac("52:54:00:00:0a:02"));
        assert_eq!(r.ip_address, Some(ip("10.78.0.1/32")));
        assert_eq!(r.gateway_ip, Some("10.78.0.254".parse().unwrap()));
        assert_eq!(r.direction, Direction::Both);
        assert!(!r.advertise_subnet);
        assert_eq!(
            (r.vni, r.local_pref, r.lb_consistent_hash_order),
            (None, None, 0)
        );
    }

    #[test]
    fn attach_evpn_b_with_string_forms() {
        let r = attach(json!({"vpn_instance_id": "evpn-test", "vpn_type": "evpn",
            "import_rt": "64512:513", "export_rt": "64512:513", "local_port": "tapB2",
            "mac_address": "52:54:00:00:0b:02", "ip_address": "10.78.0.2/24"}));
        assert_eq!(rts(&r.import_rts), ["64512:513"]);
        assert_eq!(r.local_port, LocalPort::interface("tapB2"));
        assert_eq!(r.ip_address, Some(ip("10.78.0.2/24")));
        assert_eq!(r.gateway_ip, None);
    }

    #[test]
    fn attach_ipvpn_a() {
        let r = attach(json!({"vpn_instance_id": "ipvpn-test", "vpn_type": "ipvpn",
            "import_rt": ["64512:512"], "export_rt": ["64512:512"],
            "local_port": {"linuxif": "tapA1"}, "mac_address": "52:54:00:00:0a:01",
            "ip_address": "10.77.0.1/24", "gateway_ip": "10.77.0.254",
            "advertise_subnet": false}));
        assert_eq!(r.vpn_type, VpnType::Ipvpn);
        assert_eq!(r.ip_address, Some(ip("10.77.0.1/24")));
        assert_eq!(r.ip_address.unwrap().subnet().to_string(), "10.77.0.0/24");
        assert!(!r.advertise_subnet);
    }

    #[test]
    fn attach_ipvpn_b() {
        let r = attach(json!({"vpn_instance_id": "ipvpn-test", "vpn_type": "ipvpn",
            "import_rt": ["64512:512"], "export_rt": ["64512:512"],
            "local_port": {"linuxif": "tapB1"}, "mac_address": "52:54:00:00:0b:01",
            "ip_address": "10.77.0.2/24", "gateway_ip": "10.77.0.254"}));
        assert_eq!(r.local_port.linuxif.as_deref(), Some("tapB1"));
        assert_eq!(r.mac_address, mac("52:54:00:00:0b:01"));
    }

    #[test]
    fn detach_ipvpn_a() {
        let r = DetachRequest::from_json(&json!({"vpn_instance_id": "ipvpn-test",
            "vpn_type": "ipvpn", "local_port": {"linuxif": "tapA1"},
            "mac_address": "52:54:00:00:0a:01", "ip_address": "10.77.0.1/24"}))
        .unwrap();
        assert_eq!(
            r,
            DetachRequest {
                vpn_type: VpnType::Ipvpn,
                vpn_instance_id: "ipvpn-test".into(),
                mac_address: mac("52:54:00:00:0a:01"),
                ip_address: Some(ip("10.77.0.1/24")),
                local_port: LocalPort::interface("tapA1"),
            }
        );
    }
}

/// What networking_bagpipe/agent/bgpvpn/agent_extension.py (build_bgpvpn_attach_info) and
/// agent/bagpipe_bgp_agent.py send, as in their unit tests (NETWORK1 on VLAN 1 of br-int,
/// patch port numbers 2 and 6; sets serialized as lists).
mod neutron_ovs_agent {
    use super::*;

    fn ipvpn_attachment() -> Value {
        json!({
            "vpn_type": "ipvpn",
            "vpn_instance_id": "ipvpn_net-uuid-1",
            "mac_address": "aa:bb:cc:dd:ee:10",
            "ip_address": "10.0.0.10",
            "gateway_ip": "10.0.0.1",
            "local_port": {"linuxif": "patch2tun:1",
                           "ovs": {"plugged": true, "port_number": 2, "vlan": 1}},
            "fallback": {"dst_mac": "fa:16:3e:00:00:01", "src_mac": "00:00:5e:2a:10:00",
                         "ovs_port_number": 6},
            "import_rt": ["64512:100"],
            "export_rt": ["64512:100"],
            "local_pref": 44,
            "description": {"port": "port-uuid-10"},
            "instance_description": "BGPVPN ipvpn associations for net net-uuid-1 (10.0.0.1)"
        })
    }

    #[test]
    fn ipvpn_network_association() {
        let r = attach(ipvpn_attachment());
        assert_eq!(r.local_port.linuxif.as_deref(), Some("patch2tun:1"));
        let ovs = r.local_port.ovs.as_ref().unwrap();
        assert!(ovs.plugged);
        assert_eq!((ovs.port_number, ovs.vlan), (Some(2), Some(1)));
        let fallback = r.fallback.as_ref().unwrap();
        assert_eq!(fallback.ovs_port_number, Some(6));
        assert_eq!(fallback.src_mac, Some(mac("00:00:5e:2a:10:00")));
        assert_eq!(r.local_pref, Some(44));
        assert_eq!(r.description, Some(json!({"port": "port-uuid-10"})));
        assert_eq!(
            r.instance_description,
            Some(json!(
                "BGPVPN ipvpn associations for net net-uuid-1 (10.0.0.1)"
            ))
        );
        assert_eq!(r.ip_address, Some(ip("10.0.0.10/32")));
    }

    #[test]
    fn subnet_without_gateway_sends_null() {
        let mut body = ipvpn_attachment();
        body["gateway_ip"] = Value::Null;
        assert_eq!(attach(body).gateway_ip, None);
    }

    #[test]
    fn port_association_prefix_route() {
        let mut body = ipvpn_attachment();
        body["vpn_instance_id"] = json!("ipvpn_portassoc_pa-uuid_prefix_40_0_0_0_24");
        body["direction"] = json!("to-port");
        body["ip_address"] = json!("40.0.0.0/24");
        body["advertise_subnet"] = json!(true);
        body["local_pref"] = json!(66);
        let r = attach(body);
        assert_eq!(r.direction, Direction::ToPort);
        assert!(r.advertise_subnet);
        assert_eq!(r.ip_address, Some(ip("40.0.0.0/24")));
        assert_eq!(r.local_pref, Some(66));
    }

    #[test]
    fn port_association_bgpvpn_route_readvertise() {
        let mut body = ipvpn_attachment();
        body["direction"] = json!("to-port");
        body["readvertise"] = json!({"from_rt": ["64512:96"], "to_rt": ["64512:98"]});
        body["import_rt"] = json!(["64512:99"]);
        body["export_rt"] = json!(["64512:98"]);
        // route.local_pref or bgpvpn.local_pref may both be None
        body["local_pref"] = Value::Null;
        let r = attach(body);
        let readvertise = r.readvertise.unwrap();
        assert_eq!(rts(&readvertise.from_rts), ["64512:96"]);
        assert_eq!(rts(&readvertise.to_rts), ["64512:98"]);
        assert_eq!(r.local_pref, None);
    }

    #[test]
    fn evpn_network_association() {
        let r = attach(json!({
            "vpn_type": "evpn",
            "vpn_instance_id": "evpn_net-uuid-1",
            "mac_address": "aa:bb:cc:dd:ee:10",
            "ip_address": "10.0.0.10",
            "gateway_ip": "10.0.0.1",
            "local_port": {"linuxif": "patch2tun:1", "vlan": 1},
            "vni": 1000,
            "import_rt": ["64512:200", "64512:201"],
            "export_rt": ["64512:200"],
            "description": {"port": "port-uuid-10"},
            "instance_description": "BGPVPN evpn associations for net net-uuid-1 (10.0.0.1)"
        }));
        assert_eq!(r.local_port.vlan, Some(1));
        assert_eq!(r.vni, Some(1000));
        assert_eq!(rts(&r.import_rts), ["64512:200", "64512:201"]);
    }

    #[test]
    fn flat_network_has_no_segmentation_id() {
        let r = attach(
            json!({"vpn_type": "evpn", "vpn_instance_id": "e", "mac_address":
            "aa:bb:cc:dd:ee:10", "local_port": {"linuxif": "patch2tun:1", "vlan": 1},
            "vni": null, "import_rt": [], "export_rt": []}),
        );
        assert_eq!(r.vni, None);
        assert_eq!(r.ip_address, None);
    }

    #[test]
    fn detaches() {
        // _build_detach_infos: the base attach info (no ovs details) plus ip_address.
        let r = DetachRequest::from_json(&json!({"vpn_type": "ipvpn",
            "vpn_instance_id": "ipvpn_net-uuid-1", "mac_address": "aa:bb:cc:dd:ee:10",
            "local_port": {"linuxif": "patch2tun:1"}, "ip_address": "10.0.0.10"}))
        .unwrap();
        assert_eq!(r.ip_address, Some(ip("10.0.0.10/32")));
        // _check_evpn2ipvpn_info: an E-VPN plugged into the IP VPN.
        let r = DetachRequest::from_json(&json!({"vpn_type": "ipvpn",
            "vpn_instance_id": "ipvpn_net-uuid-1", "mac_address": "aa:bb:cc:dd:ee:10",
            "local_port": {"evpn": {"id": "evpn_net-uuid-1"}}, "ip_address": "10.0.0.10"}))
        .unwrap();
        assert_eq!(r.local_port.evpn.unwrap().id, "evpn_net-uuid-1");
        // E-VPN without ip_address: every IP of the MAC.
        let r = DetachRequest::from_json(&json!({"vpn_type": "evpn",
            "vpn_instance_id": "evpn_net-uuid-1", "mac_address": "aa:bb:cc:dd:ee:10",
            "local_port": {"linuxif": "patch2tun:1"}}))
        .unwrap();
        assert_eq!(r.ip_address, None);
    }

    #[test]
    fn evpn_plugged_into_ipvpn() {
        let r = attach(json!({"vpn_type": "ipvpn", "vpn_instance_id": "ipvpn_n",
            "mac_address": "aa:bb:cc:dd:ee:10", "ip_address": "10.0.0.10", "gateway_ip":
            "10.0.0.1", "local_port": {"evpn": {"id": "evpn_n"}}, "import_rt": ["1:1"],
            "export_rt": ["1:1"]}));
        assert_eq!(r.local_port.linuxif, None);
        assert_eq!(r.local_port.evpn.unwrap().id, "evpn_n");
    }
}

/// What the networking-sfc driver of the original (before 2025.1) sent: linux bridge
/// names, a classifier with string ports, readvertise and attract_traffic.
#[test]
fn sfc_chain_hop_attachment() {
    let r = attach(json!({
        "vpn_type": "ipvpn", "vpn_instance_id": "ipvpn_net2",
        "ip_address": "10.0.2.5", "mac_address": "fa:16:3e:11:22:33",
        "gateway_ip": "10.0.2.1", "local_port": {"linuxif": "brq1234567890a"},
        "import_rt": ["64512:1000"], "export_rt": ["64512:1001"],
        "readvertise": {"from_rt": ["64512:1002"], "to_rt": ["64512:1003"]},
        "attract_traffic": {
            "redirect_rts": ["64512:1004"],
            "classifier": {"protocol": "tcp", "sourcePort": "1000:2000",
                           "destinationPort": "80", "sourcePrefix": "10.0.1.0/24",
                           "destinationPrefix": "10.0.3.0/24"},
            "to_rt": ["64512:1003"],
            "static_destination_prefixes": ["10.0.3.0/24"]
        },
        "lb_consistent_hash_order": 1
    }));
    let a = r.attract_traffic.unwrap();
    assert_eq!(a.to_rt.to_string(), "64512:1003");
    assert_eq!(
        a.classifier.source_port,
        Some(PortMatch::Range {
            min: 1000,
            max: 2000
        })
    );
    assert_eq!(r.lb_consistent_hash_order, 1);
}

/// What bagpipe-rest-attach sends (for --attach and, unchanged, for --detach).
#[test]
fn rest_attach_cli_body() {
    let body = json!({
        "import_rt": ["64512:512"], "export_rt": ["64512:512"],
        "local_port": {"linuxif": "tap1", "ovs": {"port_name": "tap1", "plugged": true,
                                                   "vlan": 42}},
        "vpn_instance_id": "ipvpn-bagpipe-test", "vpn_type": "ipvpn",
        "gateway_ip": "11.0.0.254", "mac_address": "52:54:00:99:99:22",
        "ip_address": "11.0.0.1/24", "advertise_subnet": false,
        "readvertise": null, "attract_traffic": {}, "lb_consistent_hash_order": 0,
        "vni": 0, "local_pref": 200, "direction": "both"
    });
    let r = attach(body.clone());
    assert_eq!(r.readvertise, None);
    assert_eq!(r.attract_traffic, None);
    assert_eq!(r.vni, None);
    assert_eq!(r.local_pref, Some(200));
    let d = DetachRequest::from_json(&body).unwrap();
    assert_eq!(d.ip_address, Some(ip("11.0.0.1/24")));
}

#[test]
fn direction_forms() {
    let base = json!({"vpn_type": "evpn", "vpn_instance_id": "i", "mac_address":
        "de:ad:00:00:be:ef", "local_port": "tap42", "import_rt": [], "export_rt": []});
    for (given, want) in [
        (json!("to-port"), Direction::ToPort),
        (json!("from-port"), Direction::FromPort),
        (json!("both"), Direction::Both),
        (Value::Null, Direction::Both),
        (json!(""), Direction::Both),
    ] {
        let mut body = base.clone();
        body["direction"] = given;
        assert_eq!(attach(body).direction, want);
    }
    assert!(Direction::ToPort.to_port() && !Direction::ToPort.from_port());
    assert!(!Direction::FromPort.to_port() && Direction::FromPort.from_port());
}

#[test]
fn unknown_fields_are_ignored() {
    let r = attach(
        json!({"vpn_type": "evpn", "vpn_instance_id": "i", "mac_address":
        "de:ad:00:00:be:ef", "local_port": "tap42", "import_rt": [], "export_rt": [],
        "network_id": "n", "static_routes": [], "whatever": {"x": 1}}),
    );
    assert_eq!(r.vpn_instance_id, "i");
}

#[test]
fn linuxbr_vni_and_numbers_as_strings() {
    let r = attach(
        json!({"vpn_type": "evpn", "vpn_instance_id": "i", "mac_address":
        "de:ad:00:00:be:ef", "local_port": "tap42", "import_rt": [], "export_rt": [],
        "linuxbr": "brq123", "vni": "5000", "local_pref": "150",
        "lb_consistent_hash_order": "3"}),
    );
    assert_eq!(r.linuxbr.as_deref(), Some("brq123"));
    assert_eq!(
        (r.vni, r.local_pref, r.lb_consistent_hash_order),
        (Some(5000), Some(150), 3)
    );
}

/// Every top-level error, with the field it names. The base is the original's API_PARAMS
/// (test_vpn_instance.py), an E-VPN attachment.
#[test]
fn attach_errors_name_the_field() {
    let base = json!({"vpn_type": "evpn", "vpn_instance_id": "testinstance",
        "mac_address": "de:ad:00:00:be:ef", "ip_address": "192.168.0.1/24",
        "import_rt": ["64512:47"], "export_rt": ["64512:47"], "local_port": "tap42"});
    let ipvpn = {
        let mut b = base.clone();
        b["vpn_type"] = json!("ipvpn");
        b["gateway_ip"] = json!("1.1.1.1");
        b
    };
    attach(base.clone());
    attach(ipvpn.clone());
    // `None`: the key is removed.
    let cases: Vec<(&Value, &str, Option<Value>, &str)> = vec![
        // missing parameters (test_validate_convert_attach, test_check_vrf_gateway_ip)
        (&base, "vpn_type", None, "vpn_type"),
        (&base, "vpn_instance_id", None, "vpn_instance_id"),
        (&base, "mac_address", None, "mac_address"),
        (&base, "local_port", None, "local_port"),
        (&base, "import_rt", None, "import_rt"),
        (&base, "export_rt", None, "export_rt"),
        (&ipvpn, "ip_address", None, "ip_address"),
        // wrong values
        (&base, "vpn_type", Some(json!("EVPN")), "vpn_type"),
        (&base, "vpn_type", Some(json!(1)), "vpn_type"),
        (&base, "vpn_instance_id", Some(json!("")), "vpn_instance_id"),
        (&base, "vpn_instance_id", Some(json!(7)), "vpn_instance_id"),
        (
            &base,
            "mac_address",
            Some(json!("gg:gg:gg:gg:gg:gg")),
            "mac_address",
        ),
        (&base, "ip_address", Some(json!("257.303.1.")), "ip_address"),
        (&base, "ip_address", Some(json!(10)), "ip_address"),
        (
            &ipvpn,
            "gateway_ip",
            Some(json!("10.0.0.300")),
            "gateway_ip",
        ),
        (&base, "import_rt", Some(json!(["64512"])), "import_rt"),
        (&base, "export_rt", Some(json!(5)), "export_rt"),
        (&base, "direction", Some(json!("floop")), "direction"),
        (&base, "direction", Some(json!(1)), "direction"),
        (
            &base,
            "advertise_subnet",
            Some(json!("true")),
            "advertise_subnet",
        ),
        (
            &base,
            "advertise_subnet",
            Some(Value::Null),
            "advertise_subnet",
        ),
        (&base, "vni", Some(json!(0x100_0000)), "vni"),
        (&base, "vni", Some(json!(-1)), "vni"),
        (&base, "vni", Some(json!(1.5)), "vni"),
        (&base, "local_pref", Some(json!("high")), "local_pref"),
        (
            &base,
            "lb_consistent_hash_order",
            Some(json!(true)),
            "lb_consistent_hash_order",
        ),
        (&base, "linuxbr", Some(json!(["br"])), "linuxbr"),
        (
            &base,
            "readvertise",
            Some(json!({"to_rt": []})),
            "readvertise.from_rt",
        ),
        (
            &base,
            "fallback",
            Some(json!({"dst_mac": "x"})),
            "fallback.dst_mac",
        ),
        (
            &base,
            "local_port",
            Some(json!({"linuxif": "t", "ovs": {"vlan": 5000}})),
            "local_port.ovs.vlan",
        ),
        // local_port rules that depend on the VPN type
        (
            &base,
            "local_port",
            Some(json!({"evpn": {"id": "e"}})),
            "local_port.linuxif",
        ),
        (
            &ipvpn,
            "local_port",
            Some(json!({"linuxif": "tap1", "evpn": {"id": "e"}})),
            "local_port.linuxif",
        ),
        (
            &ipvpn,
            "local_port",
            Some(json!({"evpn": {"id": "e", "ovs_port_name": "qvb1"}})),
            "local_port.evpn.ovs_port_name",
        ),
        (
            &ipvpn,
            "local_port",
            Some(json!({"evpn": {"id": "e", "ovs_port_name": "qvb1"},
                   "ovs": {"plugged": false, "port_name": "qvo1"}})),
            "local_port.evpn.ovs_port_name",
        ),
    ];
    for (base, key, value, field) in cases {
        let mut body = base.clone();
        match value {
            None => {
                body.as_object_mut().unwrap().remove(key);
            }
            Some(v) => body[key] = v,
        }
        let err = attach_err(body.clone());
        assert_eq!(err.field, field, "{body}: {err}");
        assert!(!err.reason.is_empty());
    }
    // gateway_ip must be there for ipvpn, even as null
    let mut body = ipvpn.clone();
    body.as_object_mut().unwrap().remove("gateway_ip");
    assert_eq!(attach_err(body).field, "gateway_ip");
}

#[test]
fn evpn_into_ipvpn_with_a_preplugged_ovs_port() {
    let r = attach(
        json!({"vpn_type": "ipvpn", "vpn_instance_id": "i", "mac_address":
        "de:ad:00:00:be:ef", "ip_address": "10.0.0.2/24", "gateway_ip": "10.0.0.1",
        "import_rt": [], "export_rt": [],
        "local_port": {"linuxif": null, "evpn": {"id": "e", "ovs_port_name": "qvb1"},
                       "ovs": {"plugged": true, "port_number": 5}}}),
    );
    assert_eq!(
        r.local_port.evpn.unwrap().ovs_port_name.as_deref(),
        Some("qvb1")
    );
}

#[test]
fn detach_errors_name_the_field() {
    let base = json!({"vpn_type": "ipvpn", "vpn_instance_id": "i",
        "mac_address": "de:ad:00:00:be:ef", "ip_address": "10.0.0.2", "local_port": "tap1"});
    DetachRequest::from_json(&base).unwrap();
    for key in [
        "vpn_type",
        "vpn_instance_id",
        "mac_address",
        "local_port",
        "ip_address",
    ] {
        let mut body = base.clone();
        body.as_object_mut().unwrap().remove(key);
        let err = DetachRequest::from_json(&body).unwrap_err();
        assert_eq!(err.field, key, "{err}");
        assert!(err.reason.starts_with("missing parameter"), "{err}");
    }
    // import_rt and the other attach-only fields are not looked at
    let mut body = base.clone();
    body["import_rt"] = json!("not a route target");
    DetachRequest::from_json(&body).unwrap();
}

#[test]
fn body_must_be_an_object() {
    for body in [json!([]), json!("x"), json!(1), Value::Null] {
        let err = AttachRequest::from_json(&body).unwrap_err();
        assert_eq!(err.field, "");
        assert_eq!(err.to_string(), "the request body must be a JSON object");
        assert_eq!(DetachRequest::from_json(&body).unwrap_err().field, "");
    }
}

#[test]
fn error_text_names_field_and_reason() {
    let err = attach_err(json!({"vpn_type": "evpn"}));
    assert_eq!(err.to_string(), "vpn_instance_id: missing parameter");
}
