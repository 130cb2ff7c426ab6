use bagpipe_wire::MacAddress;

use super::*;
use crate::kernel::fake::FakeKernel;
use crate::kernel::Op;
use crate::model::{InterfaceAddress, RemoteNextHop, VrfLocalPort};
use smallvec::smallvec;

fn driver(kernel: &FakeKernel) -> LinuxIpVpnDriver<FakeKernel> {
    let config = LinuxDriverConfig::new("192.0.2.1".parse().unwrap());
    LinuxIpVpnDriver::with_kernel(config, kernel.clone())
}

fn hop(pe: &str, encapsulation: Encapsulation, mac_last: u8) -> RemoteNextHop {
    RemoteNextHop {
        pe: pe.parse().unwrap(),
        label: 5000,
        encapsulation,
        router_mac: Some(MacAddress([2, 0, 0, 0, 0, mac_last])),
    }
}

fn port(ip: &str, len: u8, gw: &str) -> VrfLocalPort {
    VrfLocalPort {
        mac: "52:54:00:00:00:01".parse().unwrap(),
        addresses: smallvec![InterfaceAddress {
            ip: ip.parse().unwrap(),
            prefix_len: len,
        }],
        gateway_ips: smallvec![gw.parse().unwrap()],
    }
}

fn vrf(gateway: &str) -> VrfState {
    VrfState {
        instance_id: 3,
        vni: 5000,
        router_mac: MacAddress([2, 0, 0, 0, 0, 1]),
        local_ports: [("tap1".to_string(), port("10.0.1.5", 24, gateway))].into(),
        routes: [
            (
                "10.0.2.0/24".parse().unwrap(),
                vec![
                    hop("192.0.2.3", Encapsulation::Vxlan, 3),
                    hop("192.0.2.2", Encapsulation::Vxlan, 2),
                ],
            ),
            (
                "fd00:2::5/128".parse().unwrap(),
                vec![hop("192.0.2.2", Encapsulation::Vxlan, 2)],
            ),
            (
                "10.0.3.0/24".parse().unwrap(),
                vec![hop("192.0.2.4", Encapsulation::Mpls, 4)],
            ),
        ]
        .into(),
        fallback: None,
        redirects: Vec::new(),
    }
}

fn routes(kernel: &FakeKernel) -> Vec<RouteEntry> {
    kernel
        .entries()
        .into_iter()
        .filter_map(|e| match e {
            Entry::Route(r) if r.kind != RouteKind::Unreachable => Some(r),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn remote_prefixes_go_through_the_vxlan_device_with_ecmp() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let mut d = driver(&kernel);
    d.reconcile_instance(3, Some(&vrf("10.0.1.1")), &Changed::All)
        .await
        .unwrap();
    let table = table_of(3).unwrap();
    let via = |gw: &str| NextHop {
        gateway: gw.parse().unwrap(),
        dev: "bpvr-3".into(),
    };
    let routes = routes(&kernel);
    assert!(routes.contains(&RouteEntry {
        table,
        dst: "10.0.2.0/24".parse().unwrap(),
        metric: ROUTE_METRIC,
        // Sorted, whatever order the routes came in: a restart reads them back the same.
        kind: RouteKind::Via(vec![via("192.0.2.2"), via("192.0.2.3")]),
    }));
    assert!(routes.contains(&RouteEntry {
        table,
        dst: "fd00:2::5/128".parse().unwrap(),
        metric: ROUTE_METRIC,
        kind: RouteKind::Via(vec![via("::ffff:192.0.2.2")]),
    }));
    assert!(
        !routes
            .iter()
            .any(|r| r.dst == "10.0.3.0/24".parse().unwrap()),
        "MPLS next hops are not programmed"
    );
    let entries = kernel.entries();
    for ip in ["192.0.2.2", "::ffff:192.0.2.2", "192.0.2.3"] {
        assert!(
            entries.iter().any(|e| matches!(e, Entry::Neigh { dev, ip: i, .. } if dev == "bpvr-3" && *i == ip.parse::<IpAddr>().unwrap())),
            "neighbour {ip}"
        );
    }
    assert!(entries.contains(&Entry::Fdb(FdbEntry {
        dev: "bpvr-3".into(),
        mac: MacAddress([2, 0, 0, 0, 0, 2]),
        kind: FdbKind::Tunnel {
            dst: "192.0.2.2".parse().unwrap(),
            vni: None
        },
    })));
    assert_eq!(
        d.describe(&BTreeMap::from([(3, vrf("10.0.1.1"))]))["details"]["vrfs"]["3"]
            ["unusable_next_hops"],
        1
    );
}

#[test]
fn what_the_driver_does_not_program_is_shown() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let d = driver(&kernel);
    let mut s = vrf("10.0.1.1");
    let shown = |d: &LinuxIpVpnDriver<FakeKernel>, s: &VrfState| {
        d.describe(&BTreeMap::from([(3, s.clone())]))["details"]["vrfs"]["3"]["not_programmed"]
            .clone()
    };
    assert_eq!(shown(&d, &s), serde_json::json!([]));
    s.fallback = Some(crate::model::VrfFallback {
        src_mac: None,
        dst_mac: None,
        ovs_port_name: Some("patch-int".into()),
        ovs_port_number: None,
    });
    s.redirects = vec![crate::model::TrafficRedirect {
        classifier: crate::model::FlowClassifier {
            source_prefix: None,
            destination_prefix: None,
            protocol: Some(6),
            source_ports: None,
            destination_ports: None,
        },
        to_instance: 4,
    }];
    assert_eq!(
        shown(&d, &s),
        serde_json::json!(["fallback", "redirects (FlowSpec redirect-to-VRF)"])
    );
}

#[tokio::test]
async fn a_local_port_gets_its_rule_host_route_and_gateway() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    driver(&kernel)
        .reconcile_instance(3, Some(&vrf("10.0.1.1")), &Changed::All)
        .await
        .unwrap();
    let table = table_of(3).unwrap();
    let entries = kernel.entries();
    let rule = |iif: &str, src: Option<&str>| {
        Entry::Rule(RuleEntry {
            v6: false,
            priority: RULE_PRIORITY,
            iif: Some(iif.into()),
            src: src.map(|s| s.parse().unwrap()),
            table,
        })
    };
    for wanted in [
        rule("tap1", None),
        rule("bpvr-3", None),
        rule("lo", Some("10.0.1.1")),
        Entry::RoutedPort {
            name: "tap1".into(),
        },
        Entry::Addr {
            dev: "tap1".into(),
            ip: "10.0.1.1".parse().unwrap(),
        },
        Entry::Route(RouteEntry {
            table,
            dst: "10.0.1.5/32".parse().unwrap(),
            metric: ROUTE_METRIC,
            kind: RouteKind::Dev("tap1".into()),
        }),
        Entry::Route(RouteEntry {
            table,
            dst: "::/0".parse().unwrap(),
            metric: UNREACHABLE_METRIC,
            kind: RouteKind::Unreachable,
        }),
    ] {
        assert!(entries.contains(&wanted), "missing {wanted:?}");
    }
}

#[tokio::test]
async fn losing_a_next_hop_changes_the_route_in_place() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let mut d = driver(&kernel);
    let mut state = vrf("10.0.1.1");
    d.reconcile_instance(3, Some(&state), &Changed::All)
        .await
        .unwrap();
    kernel.take_applied();
    state
        .routes
        .get_mut(&"10.0.2.0/24".parse().unwrap())
        .unwrap()
        .remove(0);
    d.reconcile_instance(3, Some(&state), &Changed::All)
        .await
        .unwrap();
    let applied = kernel.take_applied();
    // The route loses a path; 192.0.2.3's neighbour and FDB entries go.
    assert_eq!(applied.len(), 3, "{applied:#?}");
    assert!(applied.iter().any(|op| matches!(op, Op::Change { new: Entry::Route(r), .. } if r.kind == RouteKind::Via(vec![NextHop { gateway: "192.0.2.2".parse().unwrap(), dev: "bpvr-3".into() }]))));
}

#[tokio::test]
async fn a_gateway_shared_by_two_vrfs_answers_pings_in_neither() {
    let kernel = FakeKernel::with_devices(&["tap1", "tap2"]);
    let mut d = driver(&kernel);
    let src_rules = |kernel: &FakeKernel| {
        kernel
            .entries()
            .into_iter()
            .filter(|e| matches!(e, Entry::Rule(r) if r.src.is_some()))
            .count()
    };
    d.reconcile_instance(3, Some(&vrf("10.0.1.1")), &Changed::All)
        .await
        .unwrap();
    assert_eq!(src_rules(&kernel), 1);

    let mut other = vrf("10.0.1.1");
    other.local_ports = [("tap2".to_string(), port("10.0.1.5", 24, "10.0.1.1"))].into();
    d.reconcile_instance(4, Some(&other), &Changed::All)
        .await
        .unwrap();
    assert_eq!(
        src_rules(&kernel),
        0,
        "replies from a shared gateway could reach the other VRF"
    );

    d.reconcile_instance(4, None, &Changed::All).await.unwrap();
    assert_eq!(src_rules(&kernel), 1, "VRF 3's gateway is its own again");
}

#[tokio::test]
async fn a_vrf_id_without_a_table_is_refused() {
    let kernel = FakeKernel::with_devices(&["tap1"]);
    let err = driver(&kernel)
        .reconcile_instance(u32::MAX, Some(&vrf("10.0.1.1")), &Changed::All)
        .await
        .unwrap_err();
    assert!(matches!(err, DriverError::Unsupported(_)), "{err}");
    assert!(kernel.entries().is_empty());
}
