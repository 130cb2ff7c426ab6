//! Random sequences of attach and detach requests on two nodes (every field drawn from a few
//! values, so that requests meet: same port, same MAC, same address, another type for the
//! same instance..., VRFs re-advertising the routes of one target toward the other and
//! attracting traffic), MACs learnt and forgotten by the E-VPN bridges, and routes of the nodes' external routers.
//! After each request, whether accepted or refused:
//! - the harness checks that the dataplane updates sent so far add up to each instance's
//!   whole desired state;
//! - no instance is left without a port;
//! - each instance originates exactly the routes of its endpoints (and, an E-VPN instance,
//!   its inclusive multicast route, a route per MAC its bridge learnt, the routes it
//!   derives from received ones): a route that a re-attach changed is not left behind;
//! - each node has received exactly the routes the other originates (a full mesh without
//!   RT Constraint carries them all; its external router's routes stay with it: iBGP);
//!
//! And once every endpoint still plugged is detached (and the routers withdrew theirs),
//! nothing is left: no instance, no route, no dataplane state.

mod common;

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use bagpipe_dataplane::Encapsulation;
use bagpipe_vpn::evi;
use bagpipe_vpn::request::VpnType;
use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::nlri::{EvpnRoute, Nlri, VpnPrefix};
use bagpipe_wire::{ExtendedCommunity, Label, TunnelType};
use common::Net;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Instance ids and the type their first attach gives them (a request may give another).
const INSTANCES: [(&str, &str); 4] = [
    ("e1", "evpn"),
    ("e2", "evpn"),
    ("v1", "ipvpn"),
    ("v2", "ipvpn"),
];
const TARGETS: [&str; 2] = ["64512:1", "64512:2"];

#[derive(Debug, Clone)]
enum Op {
    Attach {
        node: usize,
        instance: usize,
        other_type: bool,
        port: u8,
        mac: u8,
        ip: u8,
        import: usize,
        export: usize,
        advertise_subnet: bool,
        direction: &'static str,
        /// IP VPN services: 0 none, 1 readvertise (the routes of one target toward the
        /// other), 2 readvertise and attract_traffic (FlowSpec redirection to it).
        services: u8,
    },
    Detach {
        node: usize,
        instance: usize,
        port: u8,
        mac: u8,
        /// E-VPN: none means every address of the MAC (IP VPN: the first address).
        ip: Option<u8>,
    },
    /// The bridge of an E-VPN instance learnt (or forgot) a MAC on a port: one given by
    /// attach requests, or another (a machine behind the port).
    Learn {
        node: usize,
        instance: usize,
        port: u8,
        mac: u8,
        learnt: bool,
    },
    /// A node's external router announces (or withdraws) a VPNv4 route: one of a few
    /// prefixes under one of two RDs (so that two routes may compete for a prefix), with
    /// a label, a route target and a next hop drawn from a few.
    Router {
        node: usize,
        rd: u8,
        prefix: u8,
        label: u32,
        target: usize,
        next_hop: u8,
        withdraw: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let attach = (
        (0..2usize, 0..4usize, prop::bool::weighted(0.05)),
        (0..3u8, 0..4u8, 0..6u8),
        (0..2usize, 0..2usize, any::<bool>()),
        prop::sample::select(vec!["both", "both", "to-port", "from-port"]),
        prop::sample::select(vec![0u8, 0, 0, 1, 2]),
    )
        .prop_map(
            |(
                (node, instance, other_type),
                (port, mac, ip),
                (import, export, advertise_subnet),
                direction,
                services,
            )| {
                Op::Attach {
                    node,
                    instance,
                    other_type,
                    port,
                    mac,
                    ip,
                    import,
                    export,
                    advertise_subnet,
                    direction,
                    services,
                }
            },
        );
    let detach = (
        0..2usize,
        0..4usize,
        0..3u8,
        0..4u8,
        prop::option::of(0..6u8),
    )
        .prop_map(|(node, instance, port, mac, ip)| Op::Detach {
            node,
            instance,
            port,
            mac,
            ip,
        });
    let router = (
        (0..2usize, 0..2u8, 0..3u8),
        (16..19u32, 0..2usize, 0..2u8, prop::bool::weighted(0.3)),
    )
        .prop_map(
            |((node, rd, prefix), (label, target, next_hop, withdraw))| Op::Router {
                node,
                rd,
                prefix,
                label,
                target,
                next_hop,
                withdraw,
            },
        );
    let learn = (
        0..2usize,
        0..2usize,
        0..3u8,
        0..6u8,
        prop::bool::weighted(0.7),
    )
        .prop_map(|(node, instance, port, mac, learnt)| Op::Learn {
            node,
            instance,
            port,
            mac,
            learnt,
        });
    prop_oneof![3 => attach, 2 => detach, 2 => router, 2 => learn]
}

/// A VPNv4 route of an external router, and its attributes when announced.
fn router_route(rd: u8, prefix: u8, label: u32) -> Nlri {
    Nlri::Vpn(VpnPrefix::new(
        format!("64512:{}", 100 + u32::from(rd)).parse().unwrap(),
        Label::mpls(label, true),
        format!("10.9.{prefix}.0/24").parse().unwrap(),
    ))
}

fn router_attrs(target: usize, next_hop: u8) -> AttributeSet {
    let hop = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 100 + next_hop));
    let mpls = ExtendedCommunity::encapsulation(TunnelType::MPLS);
    common::router_attrs(Some(hop), &[TARGETS[target]], vec![mpls])
}

fn mac(m: u8) -> String {
    format!("52:54:00:00:00:{m:02x}")
}

/// An endpoint address: four IPv4 ones, two IPv6 ones (VPNv6 routes, E-VPN MAC/IPv6).
fn ip(i: u8) -> String {
    match i {
        0..4 => format!("10.1.0.{}/24", i + 1),
        _ => format!("fd00:1::{}/64", i - 3),
    }
}

/// Applies one operation; a refused request changes nothing.
fn apply(net: &mut Net, op: &Op) {
    if let Op::Router {
        node,
        rd,
        prefix,
        label,
        target,
        next_hop,
        withdraw,
    } = *op
    {
        let attrs = (!withdraw).then(|| router_attrs(target, next_hop));
        net.router(node, router_route(rd, prefix, label), attrs);
        return;
    }
    if let Op::Learn {
        node,
        instance,
        port,
        mac: m,
        learnt,
    } = *op
    {
        // INSTANCES[0..2] are the E-VPN ones; a bridge learns only once its instance exists.
        let (id, _) = INSTANCES[instance];
        if net.nodes[node].vpn.instance(id).is_some() {
            net.learn(node, id, &format!("tap{port}"), &mac(m), learnt);
        }
        return;
    }
    let (node, attach, body) = body(op);
    let _ = if attach {
        net.try_attach(node, body)
    } else {
        net.try_detach(node, body)
    };
}

fn body(op: &Op) -> (usize, bool, Value) {
    match *op {
        Op::Attach {
            node,
            instance,
            other_type,
            port,
            mac: m,
            ip: i,
            import,
            export,
            advertise_subnet,
            direction,
            services,
        } => {
            let (id, vpn_type) = INSTANCES[instance];
            let vpn_type = match (vpn_type, other_type) {
                ("evpn", true) => "ipvpn",
                (_, true) => "evpn",
                (t, false) => t,
            };
            let body = json!({"vpn_instance_id": id, "vpn_type": vpn_type,
                "import_rt": [TARGETS[import]], "export_rt": [TARGETS[export]],
                "local_port": {"linuxif": format!("tap{port}")}, "mac_address": mac(m),
                "ip_address": ip(i), "gateway_ip": "10.1.0.254",
                "advertise_subnet": advertise_subnet, "direction": direction});
            let mut body = body;
            if services >= 1 {
                body["readvertise"] =
                    json!({"from_rt": [TARGETS[1 - import]], "to_rt": [TARGETS[import]]});
            }
            if services == 2 {
                body["attract_traffic"] = json!({"redirect_rts": ["64512:9"],
                    "classifier": {"destinationPort": "80", "protocol": "tcp"}});
            }
            (node, true, body)
        }
        Op::Detach {
            node,
            instance,
            port,
            mac: m,
            ip: i,
        } => {
            let (id, vpn_type) = INSTANCES[instance];
            let mut body = json!({"vpn_instance_id": id, "vpn_type": vpn_type,
                "local_port": {"linuxif": format!("tap{port}")}, "mac_address": mac(m)});
            // An IP VPN detach names the address (the request is refused otherwise).
            if let Some(i) = i.or((vpn_type == "ipvpn").then_some(0)) {
                body["ip_address"] = ip(i).into();
            }
            (node, false, body)
        }
        Op::Router { .. } | Op::Learn { .. } => unreachable!("not a request"),
    }
}

/// What must hold after every request.
fn check(net: &Net) -> Result<(), TestCaseError> {
    for (i, node) in net.nodes.iter().enumerate() {
        for inst in node.vpn.instances() {
            let name = &inst.external_id;
            prop_assert!(
                !inst.is_empty(),
                "node {i}: instance {name} left without a port"
            );
            let mut originated: HashSet<Nlri> = node
                .rib
                .tables()
                .paths_where(&|s| s == inst.source)
                .into_iter()
                .map(|(nlri, _, _)| nlri)
                .collect();
            for route in inst.endpoints.values().filter_map(|ep| ep.route.as_ref()) {
                prop_assert!(
                    originated.remove(route),
                    "node {i}, {name}: {route:?} not advertised"
                );
            }
            // Routes derived from received ones (readvertise, attract_traffic).
            for route in inst.derived.keys() {
                prop_assert!(
                    originated.remove(route),
                    "node {i}, {name}: derived {route:?} not advertised"
                );
            }
            // MACs the bridge learnt that no endpoint gave: a MAC-only route each.
            for mac in inst.learned.keys() {
                let route = evi::mac_nlri(inst, *mac, None);
                prop_assert!(
                    originated.remove(&route),
                    "node {i}, {name}: learnt {mac} not advertised"
                );
            }
            let multicast =
                |n: &&Nlri| matches!(n, Nlri::Evpn(EvpnRoute::InclusiveMulticast { .. }));
            let left: Vec<&Nlri> = originated.iter().filter(|n| !multicast(n)).collect();
            prop_assert!(
                left.is_empty(),
                "node {i}, {name}: no endpoint wants {left:?}"
            );
            let expected = usize::from(inst.vpn_type == VpnType::Evpn);
            prop_assert_eq!(
                originated.len(),
                expected,
                "node {}, {}: multicast routes",
                i,
                name
            );
        }
        let (_, local) = node.rib.path_counts();
        let received = net.paths_from_node(1 - i, i);
        prop_assert_eq!(
            local,
            received,
            "node {}'s routes, as the other node has them",
            i
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_sequence_of_requests_leaves_a_consistent_state(ops in prop::collection::vec(op(), 1..40)) {
        let mut net = Net::new(2, Encapsulation::Vxlan);
        for op in &ops {
            // Refusals (a type clash, a port that is not plugged, a MAC on another port...)
            // are part of the game: they must change nothing.
            apply(&mut net, op);
            check(&net)?;
        }
        // The routers withdraw everything they may have announced.
        for node in 0..2 {
            for (rd, prefix, label) in (0..2).flat_map(|rd| (0..3).flat_map(move |p| (16..19).map(move |l| (rd, p, l)))) {
                net.router(node, router_route(rd, prefix, label), None);
            }
        }
        for node in 0..2 {
            let plugged: Vec<Value> = net.nodes[node]
                .vpn
                .instances()
                .flat_map(|inst| {
                    inst.endpoints.values().map(|ep| {
                        let mut body = json!({"vpn_instance_id": inst.external_id,
                            "vpn_type": inst.vpn_type.as_str(),
                            "local_port": {"linuxif": ep.ifname}, "mac_address": ep.mac.to_string()});
                        if let Some(ip) = ep.ip {
                            body["ip_address"] = ip.to_string().into();
                        }
                        body
                    })
                })
                .collect();
            for body in plugged {
                net.try_detach(node, body.clone())
                    .map_err(|e| TestCaseError::fail(format!("detach {body} refused: {e}")))?;
                check(&net)?;
            }
        }
        for (i, node) in net.nodes.iter().enumerate() {
            prop_assert_eq!(node.vpn.instances().count(), 0, "node {} instances", i);
            prop_assert_eq!(node.rib.path_counts(), (0, 0), "node {} routes", i);
            prop_assert!(node.evpn.is_empty() && node.ipvpn.is_empty(), "node {} dataplane state left", i);
        }
    }
}
