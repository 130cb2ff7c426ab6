//! `attract_traffic` and the redirect-to-VRF side. Node 1 hosts a service function VRF
//! readvertising 64512:3 toward 64512:4 and attracting TCP port 80 traffic with FlowSpec
//! routes carrying 64512:5; node 0 has the source VRF (importing 64512:5); node 2 has the
//! destination (exporting 64512:3). VXLAN encapsulation.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use bagpipe_dataplane::{Encapsulation, FlowClassifier, PortRange};
use bagpipe_vpn::redirect;
use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::nlri::{FlowSpecRule, Nlri};
use bagpipe_wire::{AdminValue, ExtCommunityKind, ExtendedCommunity, IpPrefix};
use common::{address, router_attrs, rt, targets_of, Net};
use serde_json::{json, Value};

fn port(vrf: &str, import: &str, export: &str, tap: &str, n: u8) -> Value {
    json!({"vpn_instance_id": vrf, "vpn_type": "ipvpn", "import_rt": import, "export_rt": export,
           "local_port": tap, "mac_address": format!("52:54:00:00:00:{n:02x}"),
           "ip_address": format!("10.{n}.0.5/24"), "gateway_ip": format!("10.{n}.0.1")})
}

fn sf_port(attract: Value, readvertise: bool) -> Value {
    let mut body = port("sf", "64512:1", "64512:1", "tapsf", 20);
    if readvertise {
        body["readvertise"] = json!({"from_rt": ["64512:3"], "to_rt": ["64512:4"]});
    }
    body["attract_traffic"] = attract;
    body
}

fn attract_80() -> Value {
    json!({"redirect_rts": ["64512:5"],
           "classifier": {"destinationPort": "80", "protocol": "tcp"}})
}

fn dest_port(n: u8) -> Value {
    port("dest", "64512:8", "64512:3", &format!("tapd{n}"), n)
}

fn detach_dest(net: &mut Net, n: u8) {
    net.detach(
        2,
        json!({"vpn_instance_id": "dest", "vpn_type": "ipvpn", "local_port": format!("tapd{n}"),
               "mac_address": format!("52:54:00:00:00:{n:02x}"), "ip_address": format!("10.{n}.0.5")}),
    );
}

fn net() -> Net {
    let mut net = Net::new(3, Encapsulation::Vxlan);
    net.attach(0, port("src", "64512:5", "64512:9", "tapsrc", 30));
    net.attach(1, sf_port(attract_80(), true));
    net
}

fn flows(routes: &[(Nlri, AttributeSet)]) -> Vec<(&FlowSpecRule, &AttributeSet)> {
    routes
        .iter()
        .filter_map(|(n, a)| match n {
            Nlri::FlowSpec(r) => Some((r, a)),
            _ => None,
        })
        .collect()
}

fn redirect_of(attrs: &AttributeSet) -> Vec<AdminValue> {
    attrs
        .ext_communities()
        .iter()
        .filter_map(|c| match c.kind() {
            ExtCommunityKind::Redirect(v) => Some(v),
            _ => None,
        })
        .collect()
}

fn prefix(s: &str) -> IpPrefix {
    s.parse().unwrap()
}

fn classifier_80(destination: &str) -> FlowClassifier {
    FlowClassifier {
        source_prefix: None,
        destination_prefix: Some(prefix(destination)),
        protocol: Some(6),
        source_ports: None,
        destination_ports: Some(PortRange { min: 80, max: 80 }),
    }
}

#[test]
fn a_readvertised_prefix_becomes_a_default_route_and_a_flowspec_redirect() {
    let mut net = net();
    net.attach(2, dest_port(10));
    let routes = net.advertised(1);
    // A default route toward 64512:4 through the SF port, and no plain readvertisement.
    let vpn: Vec<(IpPrefix, Vec<String>)> = routes
        .iter()
        .filter_map(|(n, a)| match n {
            Nlri::Vpn(v) if targets_of(a) != ["64512:1"] => Some((v.prefix, targets_of(a))),
            _ => None,
        })
        .collect();
    assert_eq!(vpn, [(prefix("0.0.0.0/0"), vec!["64512:4".to_string()])]);
    // A FlowSpec route for the destination: our RD, 64512:5, redirect to 64512:4.
    let flows = flows(&routes);
    assert_eq!(flows.len(), 1);
    let (rule, attrs) = flows[0];
    assert_eq!(rule.rd, Some(net.instance(1, "sf").rd));
    assert_eq!(
        rule.to_string(),
        format!(
            "rd {} destination 10.10.0.5/32 protocol =6 destination-port =80",
            net.instance(1, "sf").rd
        )
    );
    assert_eq!(targets_of(attrs), ["64512:5"]);
    assert_eq!(redirect_of(attrs), [rt("64512:4").value()]);
    assert_eq!(attrs.next_hop, None);
    // On node 0, the source VRF sends that traffic to the redirection VRF, whose default
    // route leads to node 1.
    let redirect_id = redirect::instance_id(rt("64512:4"));
    assert_eq!(redirect_id, "redirect-to-ipvpn-64512_4");
    let r = net.instance(0, &redirect_id);
    assert_eq!(r.import_rts, [rt("64512:4")]);
    assert!(r.export_rts.is_empty());
    assert!(r.redirected_by.contains("src"));
    let to_instance = r.id;
    let src = net.vrf(0, "src");
    assert_eq!(src.redirects.len(), 1);
    assert_eq!(src.redirects[0].to_instance, to_instance);
    assert_eq!(src.redirects[0].classifier, classifier_80("10.10.0.5/32"));
    let hops = &net.vrf(0, &redirect_id).routes[&prefix("0.0.0.0/0")];
    assert_eq!(hops[0].pe, IpAddr::V4(address(1)));
    // The source VRF itself does not route the destination through node 1.
    assert!(!net.vrf(0, "src").routes.contains_key(&prefix("0.0.0.0/0")));
}

#[test]
fn each_prefix_has_its_flowspec_route_and_the_last_one_takes_the_default_route_away() {
    let mut net = net();
    net.attach(2, dest_port(10));
    net.attach(2, dest_port(11));
    assert_eq!(flows(&net.advertised(1)).len(), 2);
    let redirect_id = redirect::instance_id(rt("64512:4"));
    let src = net.vrf(0, "src");
    let mut got: Vec<FlowClassifier> = src.redirects.iter().map(|r| r.classifier.clone()).collect();
    got.sort();
    assert_eq!(
        got,
        [classifier_80("10.10.0.5/32"), classifier_80("10.11.0.5/32")]
    );
    // One prefix goes: its FlowSpec route only.
    detach_dest(&mut net, 11);
    assert_eq!(flows(&net.advertised(1)).len(), 1);
    assert_eq!(net.vrf(0, "src").redirects.len(), 1);
    assert!(net.nodes[0].vpn.instance(&redirect_id).is_some());
    // The last goes: the default route too, and node 0's redirection VRF.
    detach_dest(&mut net, 10);
    let routes = net.advertised(1);
    assert!(flows(&routes).is_empty());
    assert!(routes
        .iter()
        .all(|(n, _)| !matches!(n, Nlri::Vpn(v) if v.prefix == prefix("0.0.0.0/0"))));
    assert!(net.nodes[0].vpn.instance(&redirect_id).is_none());
    assert!(net.vrf(0, "src").redirects.is_empty());
}

#[test]
fn static_destinations_are_attracted_from_the_first_port_without_readvertise() {
    let mut net = Net::new(3, Encapsulation::Vxlan);
    net.attach(0, port("src", "64512:5", "64512:9", "tapsrc", 30));
    let mut attract = attract_80();
    attract["to_rt"] = json!(["64512:4"]);
    attract["static_destination_prefixes"] = json!(["10.99.0.0/24", "fd00:99::/64"]);
    net.attach(1, sf_port(attract, false));
    let routes = net.advertised(1);
    let defaults: Vec<IpPrefix> = routes
        .iter()
        .filter_map(|(n, a)| match n {
            Nlri::Vpn(v) if targets_of(a) == ["64512:4"] => Some(v.prefix),
            _ => None,
        })
        .collect();
    assert_eq!(defaults.len(), 2, "{defaults:?}");
    assert!(defaults.contains(&prefix("0.0.0.0/0")) && defaults.contains(&prefix("::/0")));
    let mut destinations: Vec<String> = flows(&routes).iter().map(|(r, _)| r.to_string()).collect();
    destinations.sort();
    assert_eq!(destinations.len(), 2);
    assert!(destinations[0].contains("destination 10.99.0.0/24"));
    assert!(destinations[1].contains("destination fd00:99::/64"));
    assert_eq!(
        net.vrf(0, "src").redirects[0].classifier.destination_prefix,
        Some(prefix("10.99.0.0/24"))
    );
    // Without readvertise, received routes are not attracted.
    net.attach(2, dest_port(10));
    assert_eq!(flows(&net.advertised(1)).len(), 2);
    // A port that only sends traffic attracts nothing: unplugging the receiving one withdraws
    // everything (the instance stays for the other port).
    let mut sender = port("sf", "64512:1", "64512:1", "tapsf2", 21);
    sender["direction"] = json!("from-port");
    net.attach(1, sender);
    net.detach(
        1,
        json!({"vpn_instance_id": "sf", "vpn_type": "ipvpn", "local_port": "tapsf",
                         "mac_address": "52:54:00:00:00:14", "ip_address": "10.20.0.5"}),
    );
    assert!(net.advertised(1).is_empty(), "{:?}", net.advertised(1));
    assert!(net.nodes[0]
        .vpn
        .instance(&redirect::instance_id(rt("64512:4")))
        .is_none());
}

#[test]
fn received_flowspec_routes_are_readvertised_toward_the_to_target() {
    let mut net = net();
    // A FlowSpec route of an upstream chain element, with 64512:3 and a redirect.
    let rule = FlowSpecRule {
        afi: 1,
        rd: Some("64512:77".parse().unwrap()),
        components: vec![bagpipe_wire::nlri::FlowComponent::DestinationPrefix(
            bagpipe_wire::nlri::FlowPrefix {
                prefix: prefix("10.50.0.0/16"),
                offset: 0,
            },
        )],
    };
    let attrs = router_attrs(
        None,
        &["64512:3"],
        vec![ExtendedCommunity::redirect(rt("64512:60").value())],
    );
    net.router(1, Nlri::FlowSpec(rule.clone()), Some(attrs));
    let routes = net.advertised(1);
    let flows = flows(&routes);
    assert_eq!(flows.len(), 1, "{routes:?}");
    let (out_rule, out_attrs) = flows[0];
    assert_eq!(out_rule.rd, Some(net.instance(1, "sf").rd));
    assert_eq!(out_rule.components, rule.components);
    assert_eq!(targets_of(out_attrs), ["64512:4"]);
    assert_eq!(redirect_of(out_attrs), [rt("64512:5").value()]);
    let record = ExtendedCommunity([0x00, 0x13, 0xfc, 0x00, 0, 0, 0, 3]);
    assert!(out_attrs.ext_communities().contains(&record));
    // With the default route that brings the traffic to the port.
    assert!(routes
        .iter()
        .any(|(n, _)| matches!(n, Nlri::Vpn(v) if v.prefix == prefix("0.0.0.0/0"))));
    // Not imported by the SF VRF (no 64512:1): no redirection of its own traffic.
    assert!(net.vrf(1, "sf").redirects.is_empty());
    net.router(1, Nlri::FlowSpec(rule), None);
    assert!(net
        .advertised(1)
        .iter()
        .all(|(n, _)| !matches!(n, Nlri::FlowSpec(_))));
}

/// FlowSpec routes from the router of node 0, imported by its source VRF (64512:5).
fn redirect_route(n: u8, redirect: AdminValue) -> (Nlri, AttributeSet) {
    let rule = FlowSpecRule {
        afi: 1,
        rd: Some(format!("64512:{n}").parse().unwrap()),
        components: vec![bagpipe_wire::nlri::FlowComponent::DestinationPrefix(
            bagpipe_wire::nlri::FlowPrefix {
                prefix: prefix(&format!("10.{n}.0.0/16")),
                offset: 0,
            },
        )],
    };
    let attrs = router_attrs(
        None,
        &["64512:5"],
        vec![ExtendedCommunity::redirect(redirect)],
    );
    (Nlri::FlowSpec(rule), attrs)
}

#[test]
fn redirect_actions_of_the_three_forms_create_one_vrf_per_target() {
    let mut net = Net::new(1, Encapsulation::Vxlan);
    net.attach(0, port("src", "64512:5", "64512:9", "tapsrc", 30));
    let forms = [
        AdminValue::As2 {
            asn: 64512,
            number: 70,
        },
        AdminValue::Ipv4 {
            addr: Ipv4Addr::new(192, 0, 2, 1),
            number: 71,
        },
        AdminValue::As4 {
            asn: 4_200_000_001,
            number: 72,
        },
    ];
    for (i, form) in forms.into_iter().enumerate() {
        let (nlri, attrs) = redirect_route(60 + i as u8, form);
        net.router(0, nlri, Some(attrs));
    }
    for (id, target) in [
        ("redirect-to-ipvpn-64512_70", "64512:70"),
        ("redirect-to-ipvpn-192.0.2.1_71", "192.0.2.1:71"),
        ("redirect-to-ipvpn-4200000001_72", "4200000001:72"),
    ] {
        let r = net.instance(0, id);
        assert_eq!(r.import_rts, [rt(target)], "{id}");
        assert_eq!(r.gateway_ip, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
    assert_eq!(net.vrf(0, "src").redirects.len(), 3);
}

#[test]
fn a_redirection_vrf_is_shared_and_goes_with_its_last_user() {
    let mut net = Net::new(1, Encapsulation::Vxlan);
    net.attach(0, port("src", "64512:5", "64512:9", "tapsrc", 30));
    net.attach(0, port("src2", "64512:5", "64512:9", "tapsrc2", 31));
    let to = AdminValue::As2 {
        asn: 64512,
        number: 70,
    };
    let (n1, a1) = redirect_route(61, to);
    let (n2, a2) = redirect_route(62, to);
    net.router(0, n1.clone(), Some(a1));
    net.router(0, n2.clone(), Some(a2));
    let id = "redirect-to-ipvpn-64512_70";
    let by: Vec<&str> = net
        .instance(0, id)
        .redirected_by
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(by, ["src", "src2"]);
    assert_eq!(net.vrf(0, "src").redirects.len(), 2);
    net.router(0, n2, None);
    assert_eq!(net.vrf(0, "src").redirects.len(), 1);
    // One VRF stops: the redirection VRF stays for the other.
    net.detach(
        0,
        json!({"vpn_instance_id": "src2", "vpn_type": "ipvpn", "local_port": "tapsrc2",
                         "mac_address": "52:54:00:00:00:1f", "ip_address": "10.31.0.5"}),
    );
    assert_eq!(
        net.instance(0, id).redirected_by.iter().collect::<Vec<_>>(),
        ["src"]
    );
    net.router(0, n1, None);
    assert!(net.nodes[0].vpn.instance(id).is_none());
    assert!(net.vrf(0, "src").redirects.is_empty());
}

#[test]
fn flowspec_routes_that_are_not_one_redirect_on_a_5_tuple_are_not_followed() {
    let mut net = Net::new(1, Encapsulation::Vxlan);
    net.attach(0, port("src", "64512:5", "64512:9", "tapsrc", 30));
    let (nlri, _) = redirect_route(61, rt("64512:70").value());
    // Two redirects.
    let two = router_attrs(
        None,
        &["64512:5"],
        vec![
            ExtendedCommunity::redirect(rt("64512:70").value()),
            ExtendedCommunity::redirect(rt("64512:71").value()),
        ],
    );
    net.router(0, nlri.clone(), Some(two));
    // A rate limit instead.
    let rate = router_attrs(
        None,
        &["64512:5"],
        vec![ExtendedCommunity::traffic_rate_bytes(0, 0.0)],
    );
    net.router(0, nlri, Some(rate));
    assert!(net.vrf(0, "src").redirects.is_empty());
    assert_eq!(net.nodes[0].vpn.instances().count(), 1);
}

/// Found by the model test: two nodes' VRFs, each readvertising (with attract_traffic) the
/// routes of the target the other exports toward its own, derived their default routes from
/// each other's, so a withdrawal went round between them for ever (the harness gives up
/// after 100,000 exchanges). The default route now carries the route target records of
/// the routes it stands for, which breaks the loop as it does for readvertised routes.
#[test]
fn vrfs_attracting_each_others_traffic_settle() {
    let mut net = Net::new(2, Encapsulation::Vxlan);
    let body = |ip: &str, import: &str, export: &str, attract: bool| {
        let mut b = json!({"vpn_instance_id": "v1", "vpn_type": "ipvpn", "import_rt": [import],
            "export_rt": [export], "local_port": {"linuxif": "tap0"}, "mac_address": "52:54:00:00:00:00",
            "ip_address": ip, "gateway_ip": "10.1.0.254"});
        if attract {
            let from = if import == "64512:1" {
                "64512:2"
            } else {
                "64512:1"
            };
            b["readvertise"] = json!({"from_rt": [from], "to_rt": [import]});
            b["attract_traffic"] = json!({"redirect_rts": ["64512:9"],
                "classifier": {"destinationPort": "80", "protocol": "tcp"}});
        }
        b
    };
    net.attach(1, body("fd00:1::1/64", "64512:2", "64512:1", true));
    net.attach(0, body("10.1.0.1/24", "64512:1", "64512:1", false));
    net.attach(0, body("10.1.0.2/24", "64512:1", "64512:2", true));
    // Settled, and on nothing: neither exports the other's "from" target any more, and each
    // one's default route carries the other's "to" target in its records.
    for node in 0..2 {
        let defaults: Vec<_> = net
            .advertised(node)
            .into_iter()
            .filter(|(n, _)| matches!(n, Nlri::Vpn(v) if v.prefix.length() == 0))
            .collect();
        assert!(defaults.is_empty(), "node {node}: {defaults:?}");
    }
}
