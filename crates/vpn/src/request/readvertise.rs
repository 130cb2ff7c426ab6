//! `readvertise` and `attract_traffic`: re-advertising the routes a VRF imports toward other
//! route targets, and attracting traffic with FlowSpec redirect-to-VRF routes.
//!
//! ```json
//! "readvertise": {"from_rt": ["64512:96"], "to_rt": ["64512:98"]},
//! "attract_traffic": {"redirect_rts": ["64512:99"],
//!                     "classifier": {"destinationPort": "80", "protocol": "tcp"},
//!                     "to_rt": ["64512:98"],
//!                     "static_destination_prefixes": ["10.0.0.0/24"]}
//! ```
//!
//! The rules are the original's: `readvertise` needs both `from_rt` and `to_rt`;
//! `attract_traffic` needs `redirect_rts`, and only takes effect with `readvertise` or with its
//! own `to_rt` (otherwise the original ignored it, and so do we); then exactly one "to" route
//! target must result, `to_rt` given twice must agree, `attract_traffic.to_rt` needs
//! `static_destination_prefixes`, and a `classifier` is required.

use bagpipe_wire::{IpPrefix, RouteTarget};
use serde_json::Value;

use super::address::parse_prefix;
use super::classifier::{classifier, TrafficClassifier};
use super::fields::Fields;
use super::route_targets::{required_route_targets, route_targets};
use super::RequestError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readvertise {
    /// Routes imported with one of these route targets...
    pub from_rts: Vec<RouteTarget>,
    /// ...are re-advertised with these.
    pub to_rts: Vec<RouteTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttractTraffic {
    /// Route targets of the generated FlowSpec routes.
    pub redirect_rts: Vec<RouteTarget>,
    pub classifier: TrafficClassifier,
    /// The one route target of the redirect-to-VRF action and of the routes advertised in
    /// place of the re-advertised ones (from `readvertise.to_rt` or `attract_traffic.to_rt`).
    pub to_rt: RouteTarget,
    /// Destinations redirected in addition to the re-advertised prefixes (given with
    /// `attract_traffic.to_rt`; empty otherwise).
    pub static_destination_prefixes: Vec<IpPrefix>,
}

/// `readvertise`, `None` when absent, `null` or `{}` (the original tested it for truth).
pub(crate) fn readvertise(body: &Fields) -> Result<Option<Readvertise>, RequestError> {
    let Some(r) = non_empty_object(body, "readvertise")? else {
        return Ok(None);
    };
    Ok(Some(Readvertise {
        from_rts: required_route_targets(&r, "from_rt")?,
        to_rts: required_route_targets(&r, "to_rt")?,
    }))
}

/// `attract_traffic`, `None` when absent, empty, or without a "to" route target.
pub(crate) fn attract_traffic(
    body: &Fields,
    readvertise: Option<&Readvertise>,
) -> Result<Option<AttractTraffic>, RequestError> {
    let Some(a) = non_empty_object(body, "attract_traffic")? else {
        return Ok(None);
    };
    let redirect_rts = required_route_targets(&a, "redirect_rts")?;
    let own_to_rts = route_targets(&a, "to_rt")?;
    let to_rts = match (readvertise, own_to_rts.is_empty()) {
        (None, true) => return Ok(None),
        (None, false) => &own_to_rts,
        (Some(r), true) => &r.to_rts,
        (Some(r), false) => {
            let same = own_to_rts.len() == r.to_rts.len()
                && own_to_rts.iter().all(|rt| r.to_rts.contains(rt));
            if !same {
                return Err(a.error(
                    "to_rt",
                    "must be equal to readvertise.to_rt when both are given",
                ));
            }
            &own_to_rts
        }
    };
    let [to_rt] = to_rts[..] else {
        let field = if own_to_rts.is_empty() {
            "readvertise.to_rt".to_owned()
        } else {
            a.name("to_rt")
        };
        return Err(RequestError::new(
            field,
            "attract_traffic requires exactly one route target here",
        ));
    };
    let static_destination_prefixes = if own_to_rts.is_empty() {
        Vec::new()
    } else {
        prefixes(&a, "static_destination_prefixes")?
    };
    let classifier = match a.object("classifier")? {
        Some(c) => classifier(&c)?,
        None => return Err(a.error("classifier", "missing parameter")),
    };
    Ok(Some(AttractTraffic {
        redirect_rts,
        classifier,
        to_rt,
        static_destination_prefixes,
    }))
}

fn non_empty_object<'a>(body: &Fields<'a>, key: &str) -> Result<Option<Fields<'a>>, RequestError> {
    Ok(body.object(key)?.filter(|o| o.keys().next().is_some()))
}

/// A required list of prefix strings.
fn prefixes(a: &Fields, key: &str) -> Result<Vec<IpPrefix>, RequestError> {
    let bad = || a.error(key, "must be a list of prefixes like \"10.0.0.0/24\"");
    let Some(list) = a.get(key) else {
        return Err(a.error(
            key,
            "missing parameter (required with attract_traffic.to_rt)",
        ));
    };
    let Value::Array(list) = list else {
        return Err(bad());
    };
    list.iter()
        .map(|v| {
            let s = v.as_str().ok_or_else(bad)?;
            parse_prefix(s).map_err(|e| a.error(key, e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::classifier::{IpProtocol, PortMatch};
    use super::*;

    fn read(v: Value) -> Result<(Option<Readvertise>, Option<AttractTraffic>), RequestError> {
        let fields = Fields::body(&v).unwrap();
        let r = readvertise(&fields)?;
        let a = attract_traffic(&fields, r.as_ref())?;
        Ok((r, a))
    }

    fn rt(s: &str) -> RouteTarget {
        s.parse().unwrap()
    }

    #[test]
    fn readvertise_of_the_bgpvpn_agent() {
        let (r, a) = read(json!({
            "readvertise": {"from_rt": ["64512:96"], "to_rt": ["64512:98"]}
        }))
        .unwrap();
        assert_eq!(
            r,
            Some(Readvertise {
                from_rts: vec![rt("64512:96")],
                to_rts: vec![rt("64512:98")]
            })
        );
        assert_eq!(a, None);
    }

    #[test]
    fn empty_or_null_is_none() {
        assert_eq!(
            read(json!({"readvertise": null, "attract_traffic": {}})).unwrap(),
            (None, None)
        );
        assert_eq!(read(json!({"readvertise": {}})).unwrap(), (None, None));
    }

    #[test]
    fn attract_traffic_with_readvertise() {
        // ATTRACT_TRAFFIC_1 of the original's unit tests, with a readvertise.
        let (_, a) = read(json!({
            "readvertise": {"from_rt": ["64512:1"], "to_rt": ["64512:4"]},
            "attract_traffic": {"redirect_rts": ["64512:5"],
                                "classifier": {"destinationPort": "80", "protocol": "tcp"}}
        }))
        .unwrap();
        let a = a.unwrap();
        assert_eq!(a.redirect_rts, [rt("64512:5")]);
        assert_eq!(a.to_rt, rt("64512:4"));
        assert!(a.static_destination_prefixes.is_empty());
        assert_eq!(a.classifier.destination_port, Some(PortMatch::Port(80)));
        assert_eq!(a.classifier.protocol, Some(IpProtocol::TCP));
    }

    #[test]
    fn attract_traffic_with_static_destinations() {
        // ATTRACT_STATIC_2 of the original's unit tests.
        let (r, a) = read(json!({
            "attract_traffic": {"to_rt": ["64512:4"],
                                "static_destination_prefixes": ["10.10.10.10/32", "20.20.20.20/32"],
                                "redirect_rts": ["64512:5"],
                                "classifier": {"destinationPort": "80", "protocol": "tcp"}}
        }))
        .unwrap();
        assert_eq!(r, None);
        let a = a.unwrap();
        assert_eq!(a.to_rt, rt("64512:4"));
        assert_eq!(
            a.static_destination_prefixes
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            ["10.10.10.10/32", "20.20.20.20/32"]
        );
    }

    #[test]
    fn attract_traffic_without_a_to_rt_is_ignored_like_the_original() {
        // bagpipe-rest-attach sends "to" instead of "to_rt": the original ignored it.
        let (_, a) = read(json!({
            "attract_traffic": {"redirect_rts": ["64512:5"], "to": ["64512:4"],
                                "classifier": {"destinationPort": "80"}}
        }))
        .unwrap();
        assert_eq!(a, None);
    }

    #[test]
    fn errors_name_the_field() {
        let classifier = json!({"destinationPort": "80"});
        for (body, field) in [
            (
                json!({"readvertise": {"to_rt": ["64512:1"]}}),
                "readvertise.from_rt",
            ),
            (json!({"readvertise": {"from_rt": []}}), "readvertise.to_rt"),
            (json!({"readvertise": ["64512:1"]}), "readvertise"),
            (
                json!({"readvertise": {"from_rt": ["x"], "to_rt": []}}),
                "readvertise.from_rt",
            ),
            (
                json!({"attract_traffic": {"to_rt": ["64512:4"], "classifier": classifier,
                                           "static_destination_prefixes": []}}),
                "attract_traffic.redirect_rts",
            ),
            (
                json!({"readvertise": {"from_rt": [], "to_rt": ["64512:4", "64512:5"]},
                       "attract_traffic": {"redirect_rts": [], "classifier": classifier}}),
                "readvertise.to_rt",
            ),
            (
                json!({"readvertise": {"from_rt": [], "to_rt": ["64512:4"]},
                       "attract_traffic": {"redirect_rts": [], "to_rt": ["64512:6"],
                                           "classifier": classifier}}),
                "attract_traffic.to_rt",
            ),
            (
                json!({"attract_traffic": {"redirect_rts": [], "to_rt": ["64512:4", "64512:5"],
                                           "static_destination_prefixes": [],
                                           "classifier": classifier}}),
                "attract_traffic.to_rt",
            ),
            (
                json!({"attract_traffic": {"redirect_rts": [], "to_rt": ["64512:4"],
                                           "classifier": classifier}}),
                "attract_traffic.static_destination_prefixes",
            ),
            (
                json!({"attract_traffic": {"redirect_rts": [], "to_rt": ["64512:4"],
                                           "static_destination_prefixes": ["10.0.0.0/99"],
                                           "classifier": classifier}}),
                "attract_traffic.static_destination_prefixes",
            ),
            (
                json!({"attract_traffic": {"redirect_rts": [], "to_rt": ["64512:4"],
                                           "static_destination_prefixes": []}}),
                "attract_traffic.classifier",
            ),
            (
                json!({"attract_traffic": {"redirect_rts": [], "to_rt": ["64512:4"],
                                           "static_destination_prefixes": [],
                                           "classifier": {"sourcePort": "9:1"}}}),
                "attract_traffic.classifier.sourcePort",
            ),
        ] {
            assert_eq!(read(body.clone()).unwrap_err().field, field, "{body}");
        }
    }
}
