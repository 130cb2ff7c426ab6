//! Checking the `expect` object of a captured message against what we decoded.

use std::fmt::Debug;
use std::net::IpAddr;

use bagpipe_wire::attr::{AsPath, AttrValue};
use bagpipe_wire::message::{Capability, Open, Update};
use bagpipe_wire::nlri::{EvpnRoute, Nlri, PathNlri};
use bagpipe_wire::{CodecContext, ExtCommunityKind, Family, Label, Message};
use serde_json::{Map, Value};

use crate::flowspec;

type Outcome = Result<(), String>;

/// The keys that identify a route (the rest describe its attributes).
const ROUTE_KEYS: [&str; 11] = [
    "prefix",
    "rd",
    "label",
    "evpn_route_type",
    "mac",
    "ip",
    "esi",
    "etag",
    "originator_ip",
    "path_id",
    "flowspec",
];

fn eq<T: Debug + PartialEq>(got: T, want: T) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(format!("got {got:?}, expected {want:?}"))
    }
}

fn text(want: &Value) -> Result<&str, String> {
    want.as_str()
        .ok_or_else(|| format!("expected a string, got {want}"))
}

fn number(want: &Value) -> Result<u64, String> {
    want.as_u64()
        .ok_or_else(|| format!("expected a number, got {want}"))
}

fn strings(want: &Value) -> Result<Vec<String>, String> {
    want.as_array()
        .ok_or_else(|| format!("expected a list, got {want}"))?
        .iter()
        .map(|v| text(v).map(str::to_string))
        .collect()
}

fn ip(want: &Value) -> Result<IpAddr, String> {
    text(want)?
        .parse()
        .map_err(|e| format!("{want} is not an address: {e}"))
}

/// Checks every key; returns the failures, and which label reading each label matched.
pub fn check(
    m: &Message,
    ctx: &CodecContext,
    expect: &Map<String, Value>,
) -> (Vec<String>, Vec<&'static str>) {
    let mut failures = Vec::new();
    let mut readings = Vec::new();
    if let Message::Update(u) = m {
        let withdraw = expect.get("withdraw").and_then(Value::as_bool) == Some(true);
        let route_keys: Vec<(&String, &Value)> = expect
            .iter()
            .filter(|(k, _)| ROUTE_KEYS.contains(&k.as_str()))
            .collect();
        if !route_keys.is_empty() {
            match matching_route(u, withdraw, &route_keys) {
                Ok(r) => readings = r,
                Err(e) => failures.push(e),
            }
        }
    }
    for (key, want) in expect {
        if ROUTE_KEYS.contains(&key.as_str()) && matches!(m, Message::Update(_)) {
            continue;
        }
        let outcome = match m {
            Message::Update(u) => update_key(u, ctx, key, want),
            Message::Open(o) => open_key(o, key, want),
            other => other_key(other, key, want),
        };
        if let Err(e) = outcome {
            failures.push(format!("{key}: {e}"));
        }
    }
    (failures, readings)
}

fn kind(m: &Message) -> &'static str {
    match m {
        Message::Open(_) => "open",
        Message::Update(_) => "update",
        Message::Notification(_) => "notification",
        Message::Keepalive => "keepalive",
        Message::RouteRefresh(_) => "route-refresh",
    }
}

fn other_key(m: &Message, key: &str, want: &Value) -> Outcome {
    match (key, m) {
        ("type", _) => eq(kind(m), text(want)?),
        ("family", Message::RouteRefresh(r)) => eq(r.family.to_string(), text(want)?.into()),
        ("notification_code", Message::Notification(n)) => eq(n.code.into(), number(want)?),
        ("notification_subcode", Message::Notification(n)) => eq(n.subcode.into(), number(want)?),
        _ => Err(not_checked(key)),
    }
}

fn not_checked(key: &str) -> String {
    format!("key {key} is not checked for this message type (extend tests/captured/expect.rs)")
}

/// Capability names as the capture tools write them (RFC 5492 registry names).
fn capability_name(c: &Capability) -> String {
    match c {
        Capability::Multiprotocol { .. } => "multiprotocol".into(),
        Capability::RouteRefresh => "route-refresh".into(),
        Capability::ExtendedNextHop { .. } => "extended-next-hop".into(),
        Capability::ExtendedMessage => "extended-message".into(),
        Capability::GracefulRestart(_) => "graceful-restart".into(),
        Capability::FourOctetAs { .. } => "four-octet-as".into(),
        Capability::AddPath { .. } => "add-path".into(),
        Capability::EnhancedRouteRefresh => "enhanced-route-refresh".into(),
        Capability::Unknown { code, .. } => match code {
            3 => "outbound-route-filtering".into(),
            9 => "bgp-role".into(),
            67 => "dynamic-capability".into(),
            68 => "multisession".into(),
            71 => "long-lived-graceful-restart".into(),
            73 => "fqdn".into(),
            75 => "software-version".into(),
            128 => "route-refresh-cisco".into(),
            131 => "multisession-cisco".into(),
            c => format!("capability-{c}"),
        },
    }
}

fn family_name(f: Family) -> String {
    f.to_string()
}

fn open_key(o: &Open, key: &str, want: &Value) -> Outcome {
    match key {
        "type" => eq("open", text(want)?),
        "my_as" => eq(u64::from(o.asn()), number(want)?),
        "hold_time" => eq(u64::from(o.hold_time), number(want)?),
        "router_id" => eq(o.bgp_id.to_string(), text(want)?.into()),
        "capabilities" => {
            let mut names: Vec<String> = Vec::new();
            for n in o.capabilities().map(capability_name) {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            eq(names, strings(want)?)
        }
        "families" => {
            let fams: Vec<String> = o
                .capabilities()
                .filter_map(|c| match c {
                    Capability::Multiprotocol { family } => Some(family_name(*family)),
                    _ => None,
                })
                .collect();
            eq(fams, strings(want)?)
        }
        _ => Err(not_checked(key)),
    }
}

/// The family an UPDATE is about: of its routes, or of its End-of-RIB marker.
fn update_family(u: &Update) -> Option<Family> {
    u.is_end_of_rib()
        .or_else(|| u.announced().next().map(|(f, _, _)| f))
        .or_else(|| u.withdrawals().next().map(|(f, _)| f))
        .or_else(|| u.mp_reach().map(|m| m.family))
        .or_else(|| u.mp_unreach().map(|m| m.family))
}

fn ext(u: &Update) -> impl Iterator<Item = ExtCommunityKind> + '_ {
    u.ext_communities().iter().map(|c| c.kind())
}

fn update_key(u: &Update, ctx: &CodecContext, key: &str, want: &Value) -> Outcome {
    match key {
        "type" => eq("update", text(want)?),
        "family" => eq(
            update_family(u).map(family_name),
            Some(text(want)?.to_string()),
        ),
        "withdraw" => {
            let w = want.as_bool().ok_or("expected a boolean")?;
            let (announces, withdraws) = (u.announced().count(), u.withdrawals().count());
            if w {
                eq((announces, withdraws > 0), (0, true))
            } else {
                eq(announces > 0, true)
            }
        }
        "end_of_rib" => eq(
            u.is_end_of_rib().is_some(),
            want.as_bool().ok_or("expected a boolean")?,
        ),
        // Route targets are extended communities, except in RT Constraint routes, whose
        // NLRI carry them.
        "route_targets" if update_family(u) == Some(Family::RTC) => {
            let rtc = u
                .announced()
                .map(|(_, _, n)| n)
                .chain(u.withdrawals().map(|(_, n)| n));
            eq(
                rtc.filter_map(|n| match &n.nlri {
                    Nlri::Rtc(r) => r.route_target().map(|rt| rt.to_string()),
                    _ => None,
                })
                .collect(),
                strings(want)?,
            )
        }
        "route_targets" => eq(
            u.route_targets().map(|r| r.to_string()).collect(),
            strings(want)?,
        ),
        "next_hop" => {
            let nh: Vec<Option<IpAddr>> = u.announced().map(|(_, nh, _)| nh).collect();
            eq(nh.first().copied().flatten(), Some(ip(want)?))
        }
        "router_mac" => eq(
            ext(u).find_map(|k| match k {
                ExtCommunityKind::RouterMac(m) => Some(m.to_string()),
                _ => None,
            }),
            Some(text(want)?.to_string()),
        ),
        "encapsulation" => eq(
            ext(u).find_map(|k| match k {
                ExtCommunityKind::Encapsulation(t) => Some(t.to_string()),
                _ => None,
            }),
            Some(text(want)?.to_string()),
        ),
        "pmsi_tunnel_type" => eq(pmsi(u).map(|p| p.tunnel_type_name()), Some(text(want)?)),
        "med" => eq(u.med().map(u64::from), Some(number(want)?)),
        "local_pref" => eq(u.local_pref().map(u64::from), Some(number(want)?)),
        "communities" => eq(
            match u.get(8) {
                Some(AttrValue::Communities(c)) => c.iter().map(|c| c.to_string()).collect(),
                _ => Vec::new(),
            },
            strings(want)?,
        ),
        "large_communities" => eq(
            match u.get(32) {
                Some(AttrValue::LargeCommunities(c)) => c.iter().map(|c| c.to_string()).collect(),
                _ => Vec::new(),
            },
            strings(want)?,
        ),
        "as_path" => eq(real_as_path(u, ctx).to_string(), text(want)?.to_string()),
        "originator_id" => eq(
            match u.get(9) {
                Some(AttrValue::OriginatorId(a)) => Some(a.to_string()),
                _ => None,
            },
            Some(text(want)?.to_string()),
        ),
        "cluster_list" => eq(
            match u.get(10) {
                Some(AttrValue::ClusterList(l)) => l.iter().map(|a| a.to_string()).collect(),
                _ => Vec::new(),
            },
            strings(want)?,
        ),
        "flowspec_actions" => {
            let want = strings(want)?;
            want.iter()
                .try_for_each(|a| flowspec::check_action(u, a).map_err(|e| format!("{a}: {e}")))
        }
        _ => Err(not_checked(key)),
    }
}

/// AS_PATH, with AS4_PATH merged in on a 2-octet session (RFC 6793 §4.2.3).
fn real_as_path(u: &Update, ctx: &CodecContext) -> AsPath {
    let path = u.as_path().cloned().unwrap_or_default();
    match u.get(17) {
        Some(AttrValue::As4Path(p4)) if !ctx.four_octet_as => path.merge_as4(p4),
        _ => path,
    }
}

fn pmsi(u: &Update) -> Option<&bagpipe_wire::attr::PmsiTunnel> {
    match u.get(22) {
        Some(AttrValue::PmsiTunnel(p)) => Some(p),
        _ => None,
    }
}

/// Finds the route all route keys describe; returns the label readings it used.
fn matching_route(
    u: &Update,
    withdraw: bool,
    keys: &[(&String, &Value)],
) -> Result<Vec<&'static str>, String> {
    let routes: Vec<(Family, &PathNlri)> = if withdraw {
        u.withdrawals().collect()
    } else {
        u.announced().map(|(f, _, n)| (f, n)).collect()
    };
    let mut best: Option<Vec<String>> = None;
    for (family, route) in &routes {
        let mut readings = Vec::new();
        let errors: Vec<String> = keys
            .iter()
            .filter_map(|(k, want)| {
                route_key(u, *family, route, k, want, &mut readings)
                    .err()
                    .map(|e| format!("{k}: {e}"))
            })
            .collect();
        if errors.is_empty() {
            return Ok(readings);
        }
        if best.as_ref().is_none_or(|b| errors.len() < b.len()) {
            best = Some(errors);
        }
    }
    let shown: Vec<String> = routes.iter().map(|(_, r)| r.nlri.to_string()).collect();
    Err(format!(
        "no route matches; closest differs in {}; routes: {shown:?}",
        best.map_or("(no route at all)".into(), |b| b.join("; "))
    ))
}

/// A label expected as `want`: VPN labels are MPLS labels; E-VPN and PMSI ones may be a VNI
/// (RFC 8365) or an MPLS label, and the reading that matched is recorded.
fn label(got: Label, want: u64, mpls_only: bool, readings: &mut Vec<&'static str>) -> Outcome {
    let vni = u64::from(got.raw()) == want;
    let mpls = u64::from(got.mpls_value()) == want;
    match (vni && !mpls_only, mpls) {
        (true, false) => readings.push("vni"),
        (false, true) => readings.push("mpls"),
        (true, true) => {}
        (false, false) => {
            return Err(format!(
                "label field 0x{:06x} reads as VNI {} or MPLS label {}, expected {want}",
                got.raw(),
                got.raw(),
                got.mpls_value()
            ))
        }
    }
    Ok(())
}

fn route_key(
    u: &Update,
    family: Family,
    route: &PathNlri,
    key: &str,
    want: &Value,
    readings: &mut Vec<&'static str>,
) -> Outcome {
    match (key, &route.nlri) {
        ("path_id", _) => eq(route.path_id.map(u64::from), Some(number(want)?)),
        ("prefix", Nlri::Unicast { prefix }) => eq(prefix.to_string(), text(want)?.into()),
        ("prefix", Nlri::Vpn(v)) => eq(v.prefix.to_string(), text(want)?.into()),
        ("prefix", Nlri::Evpn(EvpnRoute::IpPrefix { prefix, .. })) => {
            eq(prefix.to_string(), text(want)?.into())
        }
        ("rd", Nlri::Vpn(v)) => eq(v.rd.to_string(), text(want)?.into()),
        ("rd", Nlri::FlowSpec(f)) => eq(f.rd.map(|r| r.to_string()), Some(text(want)?.into())),
        ("rd", Nlri::Evpn(e)) => eq(e.rd().map(|r| r.to_string()), Some(text(want)?.into())),
        ("label", Nlri::Vpn(v)) => {
            label(v.label().ok_or("no label")?, number(want)?, true, readings)
        }
        ("label", Nlri::Evpn(EvpnRoute::InclusiveMulticast { .. })) => {
            let p = pmsi(u).ok_or("no PMSI_TUNNEL attribute")?;
            label(p.label, number(want)?, false, readings)
        }
        ("label", Nlri::Evpn(e)) => {
            let l = match e {
                EvpnRoute::EthernetAutoDiscovery { label, .. }
                | EvpnRoute::MacIpAdvertisement { label, .. }
                | EvpnRoute::IpPrefix { label, .. } => *label,
                _ => return Err(format!("route {e} has no label")),
            };
            label(l, number(want)?, false, readings)
        }
        ("evpn_route_type", Nlri::Evpn(e)) => eq(u64::from(e.route_type()), number(want)?),
        ("mac", Nlri::Evpn(EvpnRoute::MacIpAdvertisement { mac, .. })) => {
            eq(mac.to_string(), text(want)?.into())
        }
        ("ip", Nlri::Evpn(EvpnRoute::MacIpAdvertisement { ip: got, .. })) => {
            eq(*got, Some(ip(want)?))
        }
        ("esi", Nlri::Evpn(e)) => {
            let esi = match e {
                EvpnRoute::EthernetAutoDiscovery { esi, .. }
                | EvpnRoute::MacIpAdvertisement { esi, .. }
                | EvpnRoute::EthernetSegment { esi, .. }
                | EvpnRoute::IpPrefix { esi, .. } => esi.to_string(),
                _ => return Err(format!("route {e} has no ESI")),
            };
            eq(esi, text(want)?.into())
        }
        ("etag", Nlri::Evpn(e)) => {
            let etag = match e {
                EvpnRoute::EthernetAutoDiscovery { etag, .. }
                | EvpnRoute::MacIpAdvertisement { etag, .. }
                | EvpnRoute::InclusiveMulticast { etag, .. }
                | EvpnRoute::IpPrefix { etag, .. } => *etag,
                _ => return Err(format!("route {e} has no Ethernet tag")),
            };
            eq(u64::from(etag), number(want)?)
        }
        ("originator_ip", Nlri::Evpn(e)) => match e {
            EvpnRoute::InclusiveMulticast { originator, .. }
            | EvpnRoute::EthernetSegment { originator, .. } => eq(*originator, ip(want)?),
            _ => Err(format!("route {e} has no originator")),
        },
        ("flowspec", Nlri::FlowSpec(rule)) => flowspec::check_rule(rule, text(want)?),
        _ => Err(format!(
            "does not apply to the {} route {}",
            family_name(family),
            route.nlri
        )),
    }
}
