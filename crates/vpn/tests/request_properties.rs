//! Attach and detach bodies as a careless or hostile client may send them: a body with every
//! field, one field at a time replaced by any JSON value (or removed), and bodies that are
//! any JSON at all. Parsing never panics; a refusal names a field of the request (dotted
//! when nested) — the one changed, or one whose check depends on it — so that the REST
//! API's 400 says what to fix; a body that is not an object is refused as a whole.

use bagpipe_vpn::request::{AttachRequest, DetachRequest, RequestError};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// An IP VPN attach with every optional field the original took.
fn full_attach() -> Value {
    json!({"vpn_instance_id": "vrf-1", "vpn_type": "ipvpn",
        "import_rt": ["64512:1", "64512:2"], "export_rt": "64512:1,64512:3",
        "local_port": {"linuxif": "tap1", "ovs": {"plugged": true, "port_name": "tap1", "port_number": 4, "vlan": 12}},
        "mac_address": "52:54:00:00:00:01", "ip_address": "10.1.0.1/24", "gateway_ip": "10.1.0.254",
        "advertise_subnet": true, "direction": "both", "vni": 1010, "local_pref": 200,
        "lb_consistent_hash_order": 3, "linuxbr": "br-1", "description": "port 1",
        "instance_description": {"net": "n1"},
        "readvertise": {"from_rt": ["64512:96"], "to_rt": ["64512:98"]},
        "attract_traffic": {"redirect_rts": ["64512:99"],
            "classifier": {"sourcePrefix": "10.0.0.0/8", "sourcePort": "1000:2000", "destinationPort": "80", "protocol": "tcp"},
            "to_rt": ["64512:98"], "static_destination_prefixes": ["10.2.0.0/24"]},
        "fallback": {"src_mac": "00:00:5e:2a:10:00", "dst_mac": "fa:16:3e:00:00:02", "ovs_port_name": "patch-1"}})
}

fn full_detach() -> Value {
    json!({"vpn_instance_id": "vrf-1", "vpn_type": "ipvpn", "local_port": {"linuxif": "tap1"},
        "mac_address": "52:54:00:00:00:01", "ip_address": "10.1.0.1/24"})
}

/// Any JSON, with a bias toward values that look like what the fields take.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "",
            "64512:1",
            "64512:4294967296",
            "1.2.3.4:7",
            "target:64512:1",
            "10.1.0.1",
            "10.1.0.1/33",
            "fd00::1/64",
            "52:54:00:00:00:01",
            "52:54:00:00:00",
            "both",
            "to-port",
            "from-port",
            "ipvpn",
            "evpn",
            "tcp",
            "80",
            "1000:2000",
            "65536",
            "-1",
            "\u{0}",
            "tap1",
            "é",
            "64512:1,64512:2",
        ])
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every path to a value in `v` (`["local_port", "ovs", "vlan"]`...), the object's own too.
fn paths(v: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            let mut p = at.clone();
            p.push(k.clone());
            out.push(p.clone());
            paths(child, p, out);
        }
    }
}

fn replace(body: &mut Value, path: &[String], with: Option<Value>) {
    let (last, parents) = path.split_last().unwrap();
    let mut v = body;
    for p in parents {
        v = v.get_mut(p).unwrap();
    }
    let m = v.as_object_mut().unwrap();
    match with {
        Some(w) => {
            m.insert(last.clone(), w);
        }
        None => {
            m.remove(last);
        }
    }
}

/// A refusal of an object body names one of its fields (its top-level name first).
fn names_a_field(e: &RequestError, body: &Value) -> Result<(), TestCaseError> {
    let top = e.field.split(['.', '[']).next().unwrap_or_default();
    prop_assert!(!e.reason.is_empty(), "{e:?}");
    prop_assert!(
        !top.is_empty() && (body.get(top).is_some() || KNOWN.contains(&top)),
        "refusal {e:?} names no field of {body}"
    );
    Ok(())
}

/// Fields checked together: changing one may make the request refuse another.
const RELATED: [&[&str]; 2] = [
    // attract_traffic takes its "to" route target from readvertise
    &["readvertise", "attract_traffic"],
    // what an IP VPN or an E-VPN port needs
    &["vpn_type", "ip_address", "gateway_ip", "local_port"],
];

/// The request fields, which a refusal may name when they are missing.
const KNOWN: [&str; 22] = [
    "vpn_instance_id",
    "vpn_type",
    "import_rt",
    "export_rt",
    "local_port",
    "mac_address",
    "ip_address",
    "gateway_ip",
    "advertise_subnet",
    "direction",
    "vni",
    "local_pref",
    "lb_consistent_hash_order",
    "linuxbr",
    "description",
    "instance_description",
    "readvertise",
    "attract_traffic",
    "fallback",
    "linuxif",
    "ovs",
    "evpn",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_full_bodies_are_accepted(_ in Just(())) {
        prop_assert!(AttachRequest::from_json(&full_attach()).is_ok());
        prop_assert!(DetachRequest::from_json(&full_detach()).is_ok());
    }

    #[test]
    fn one_field_changed_is_accepted_or_named(
        pick in any::<prop::sample::Index>(),
        value in prop::option::weighted(0.9, any_json()),
        detach in any::<bool>(),
    ) {
        let mut body = if detach { full_detach() } else { full_attach() };
        let mut all = Vec::new();
        paths(&body, Vec::new(), &mut all);
        let path = pick.get(&all).clone();
        replace(&mut body, &path, value);
        let parsed = if detach {
            DetachRequest::from_json(&body).map(|_| ())
        } else {
            AttachRequest::from_json(&body).map(|_| ())
        };
        if let Err(e) = parsed {
            names_a_field(&e, &body)?;
            // The field changed, or one whose check depends on it.
            let top = e.field.split(['.', '[']).next().unwrap_or_default();
            prop_assert!(
                top == path[0] || RELATED.iter().any(|g| g.contains(&top) && g.contains(&path[0].as_str())),
                "{:?} after changing {:?}", e, path
            );
        }
    }

    #[test]
    fn any_json_is_refused_or_taken_without_panicking(body in any_json()) {
        for parsed in [
            AttachRequest::from_json(&body).map(|_| ()),
            DetachRequest::from_json(&body).map(|_| ()),
        ] {
            match (parsed, body.is_object()) {
                (Err(e), true) => names_a_field(&e, &body)?,
                // Not an object: refused as a whole, naming no field.
                (Err(e), false) => prop_assert_eq!(e.field, ""),
                (Ok(()), object) => prop_assert!(object, "{} accepted", body),
            }
        }
    }
}
