//! The `vpns` sub-tree: instances, dataplane drivers and identifiers, VNIs. Field names and
//! shapes are the original's (reference/original-api `lg_B_vpns_*`); values that the original
//! showed as Python reprs (route keys, route distinguishers, interface names) are plain text.

use bagpipe_vpn::instance::{Imports, Instance, ReceivedPath};
use bagpipe_vpn::readvertise;
use bagpipe_vpn::request::{AttractTraffic, Fallback, PortMatch, TrafficClassifier, VpnType};
use bagpipe_wire::nlri::{FlowSpecRule, Nlri};
use bagpipe_wire::RouteTarget;
use serde_json::{json, Map, Value};

use super::routes::{route_groups, route_list};
use super::{EngineView, ValueObject};
use crate::looking_glass::{LgCollection, LgEntry, LgObject};

pub(super) struct VpnsView<'a>(pub(super) &'a EngineView<'a>);

impl LgObject for VpnsView<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        let v = self.0;
        let per_vni: Map<String, Value> = v
            .engine
            .vpn
            .instances_per_vni()
            .iter()
            .map(|(vni, ext)| {
                let name = v.engine.vpn.instance(ext).map(|i| i.name());
                (
                    vni.to_string(),
                    json!({"name": name, "external_instance_id": ext}),
                )
            })
            .collect();
        vec![
            (
                "instances".into(),
                LgEntry::Collection(Box::new(InstancesView(v))),
            ),
            (
                "dataplane".into(),
                LgEntry::Object(Box::new(DataplaneView(v))),
            ),
            (
                "instances_per_vni".into(),
                LgEntry::Value(Value::Object(per_vni)),
            ),
        ]
    }
}

struct DataplaneView<'a>(&'a EngineView<'a>);

impl LgObject for DataplaneView<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        let v = self.0;
        vec![
            (
                "drivers".into(),
                LgEntry::Collection(Box::new(DriversView(v))),
            ),
            (
                "ids".into(),
                LgEntry::subtree(move || {
                    let ids = v.engine.vpn.label_descriptions();
                    Value::Object(
                        ids.into_iter()
                            .map(|(k, d)| (k.to_string(), Value::String(d)))
                            .collect(),
                    )
                }),
            ),
        ]
    }
}

struct DriversView<'a>(&'a EngineView<'a>);

impl LgCollection for DriversView<'_> {
    fn items(&self) -> Vec<Map<String, Value>> {
        ["evpn", "ipvpn"]
            .into_iter()
            .map(|id| {
                let mut m = Map::new();
                m.insert("id".into(), Value::String(id.into()));
                m
            })
            .collect()
    }

    fn item(&self, id: &str) -> Option<Box<dyn LgObject + '_>> {
        let describe = match id {
            "evpn" => &self.0.evpn_driver,
            "ipvpn" => &self.0.ipvpn_driver,
            _ => return None,
        };
        Some(Box::new(ValueObject(describe.clone())))
    }
}

struct InstancesView<'a>(&'a EngineView<'a>);

impl LgCollection for InstancesView<'_> {
    /// In creation order, as the original listed them.
    fn items(&self) -> Vec<Map<String, Value>> {
        let mut instances: Vec<&Instance> = self.0.engine.vpn.instances().collect();
        instances.sort_by_key(|i| i.id);
        instances
            .into_iter()
            .map(|i| {
                let mut m = Map::new();
                m.insert("id".into(), Value::String(i.external_id.clone()));
                m.insert("name".into(), Value::String(i.name()));
                if let Some(d) = &i.description {
                    m.insert("description".into(), d.clone());
                }
                m
            })
            .collect()
    }

    fn item(&self, id: &str) -> Option<Box<dyn LgObject + '_>> {
        let inst = self.0.engine.vpn.instance(id)?;
        Some(Box::new(InstanceView { view: self.0, inst }))
    }
}

struct InstanceView<'a> {
    view: &'a EngineView<'a>,
    inst: &'a Instance,
}

fn targets(list: &[RouteTarget]) -> Vec<String> {
    list.iter().map(|rt| format!("target:{rt}")).collect()
}

impl LgObject for InstanceView<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        let i = self.inst;
        let v = self.view;
        let subscriptions: Vec<String> = i
            .subscriptions
            .iter()
            .map(|(f, rt)| format!("match:{f},target:{rt}"))
            .collect();
        let mut entries = vec![
            ("name".into(), LgEntry::value(i.name())),
            (
                "internals".into(),
                LgEntry::Value(json!({"subscriptions": subscriptions})),
            ),
        ];
        if let Imports::Vrf(imports) = &i.imports {
            entries.push((
                "readvertised".into(),
                route_list(|| v.received_rows(readvertise::sources(i, imports))),
            ));
        }
        entries.extend([
            (
                "instance_type".into(),
                LgEntry::value(match i.vpn_type {
                    VpnType::Evpn => "EVI",
                    VpnType::Ipvpn => "VRF",
                }),
            ),
            (
                "external_instance_id".into(),
                LgEntry::value(&i.external_id),
            ),
            ("description".into(), LgEntry::value(&i.description)),
            (
                "route_targets".into(),
                LgEntry::Value(
                    json!({"import": targets(&i.import_rts), "export": targets(&i.export_rts)}),
                ),
            ),
            (
                "gateway_ip".into(),
                LgEntry::value(i.gateway_ip.map(|g| g.to_string())),
            ),
            ("subnet_prefix_length".into(), LgEntry::value(i.subnet_len)),
            ("instance_dataplane_id".into(), LgEntry::value(i.id)),
            (
                "route_distinguisher".into(),
                LgEntry::value(i.rd.to_string()),
            ),
            ("vni".into(), LgEntry::value(i.label)),
            ("ports".into(), LgEntry::subtree(move || ports_view(i))),
            (
                "readvertise".into(),
                LgEntry::Value(match &i.options.readvertise {
                    Some(r) => json!({"from": targets(&r.from_rts), "to": targets(&r.to_rts)}),
                    None => json!({}),
                }),
            ),
            (
                "attract_traffic".into(),
                LgEntry::Value(attract_view(i, i.options.attract.as_ref())),
            ),
            (
                "fallback".into(),
                LgEntry::Value(fallback_view(i.options.fallback.as_ref())),
            ),
            ("received_routes".into(), received_view(v, i, false)),
            ("best_routes".into(), received_view(v, i, true)),
            (
                "adv_routes".into(),
                route_list(|| v.rows(v.engine.rib.tables().paths_where(&|s| s == i.source))),
            ),
            (
                "dataplane".into(),
                LgEntry::Object(Box::new(InstanceDataplane { view: v, inst: i })),
            ),
            (
                "logs".into(),
                LgEntry::subtree(move || v.logs_about(&i.name())),
            ),
        ]);
        if i.vpn_type == VpnType::Evpn {
            entries.push((
                "gateway_port".into(),
                LgEntry::Value(gateway_port_view(v, i)),
            ));
        }
        entries
    }
}

/// The VRF an E-VPN instance is plugged into, as the original's `gateway_port`.
fn gateway_port_view(v: &EngineView, i: &Instance) -> Value {
    let Some(s) = &i.stitch else {
        return Value::Null;
    };
    let vrf = v.engine.vpn.instance(&s.vrf);
    json!({
        "interface": s.evpn_if,
        "ipvpn": {
            "href": v.url(&format!("vpns/instances/{}", s.vrf)),
            "id": vrf.map(|r| r.name()),
            "external_instance_id": s.vrf,
        },
    })
}

fn port_text(p: PortMatch) -> String {
    match p {
        PortMatch::Port(p) => p.to_string(),
        PortMatch::Range { min, max } => format!("{min}:{max}"),
    }
}

/// The classifier in the camel-case form of the API.
fn classifier_view(c: &TrafficClassifier) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.into(), Value::String(v));
        }
    };
    put("sourcePrefix", c.source_prefix.map(|p| p.to_string()));
    put(
        "destinationPrefix",
        c.destination_prefix.map(|p| p.to_string()),
    );
    put("sourcePort", c.source_port.map(port_text));
    put("destinationPort", c.destination_port.map(port_text));
    m.insert(
        "protocol".into(),
        c.protocol
            .map_or(Value::Null, |p| Value::String(p.to_string())),
    );
    Value::Object(m)
}

fn attract_view(i: &Instance, a: Option<&AttractTraffic>) -> Value {
    let Some(a) = a else {
        return json!({});
    };
    let statics = (!a.static_destination_prefixes.is_empty()).then(|| {
        a.static_destination_prefixes
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
    });
    json!({
        "redirect_rts": targets(&a.redirect_rts),
        "classifier": classifier_view(&a.classifier),
        "to": targets(&readvertise::to_targets(i)),
        "static_destination_prefixes": statics,
    })
}

/// The fallback as given (the original showed the request's dictionary).
fn fallback_view(f: Option<&Fallback>) -> Value {
    let Some(f) = f else {
        return Value::Null;
    };
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    };
    put("src_mac", f.src_mac.map(|m| json!(m.to_string())));
    put("dst_mac", f.dst_mac.map(|m| json!(m.to_string())));
    put("ovs_port_name", f.ovs_port_name.as_ref().map(|n| json!(n)));
    put("ovs_port_number", f.ovs_port_number.map(|n| json!(n)));
    put("ovs_resubmit", f.ovs_resubmit.as_ref().map(|r| json!(r)));
    Value::Object(m)
}

fn ports_view(i: &Instance) -> Value {
    let mut m: Map<String, Value> = Map::new();
    for ep in i.endpoints.values() {
        let label = i.macs.get(&ep.mac).map(|d| d.label);
        let e = json!({
            "label": label,
            "mac_address": ep.mac.to_string(),
            "ip_address": ep.ip.map(|a| a.to_string()),
            "local_pref": ep.local_pref,
            "rd": ep.rd.to_string(),
            "description": ep.description,
            "direction": ep.direction.as_str(),
        });
        let port = m
            .entry(ep.ifname.clone())
            .or_insert_with(|| json!({"endpoints": []}));
        if let Some(list) = port.get_mut("endpoints").and_then(|l| l.as_array_mut()) {
            list.push(e);
        }
    }
    Value::Object(m)
}

/// What an instance tracks a received route under: a MAC or a flood originator for an EVI,
/// a prefix or a FlowSpec rule (whatever its RD) for a VRF.
fn group_key(nlri: &Nlri) -> String {
    use bagpipe_wire::nlri::EvpnRoute;
    match nlri {
        Nlri::Evpn(EvpnRoute::MacIpAdvertisement { mac, .. }) => format!("MAC {mac}"),
        Nlri::Evpn(EvpnRoute::InclusiveMulticast { originator, rd, .. }) => {
            format!("Multicast {originator} rd {rd}")
        }
        Nlri::Vpn(vp) => vp.prefix.to_string(),
        Nlri::FlowSpec(rule) => {
            let without_rd = FlowSpecRule {
                rd: None,
                ..rule.clone()
            };
            format!("flow {without_rd}")
        }
        other => other.to_string(),
    }
}

/// Received (or best) paths, grouped by what the instance tracks.
fn received_view<'a>(v: &'a EngineView, i: &'a Instance, best_only: bool) -> LgEntry<'a> {
    let take = move || {
        let paths: Vec<&ReceivedPath> = match (&i.imports, best_only) {
            (Imports::Evi(imp), true) => imp.best_paths(),
            (Imports::Evi(imp), false) => imp.all_paths().collect(),
            (Imports::Vrf(imp), true) => imp.best_paths().into_iter().flatten().collect(),
            (Imports::Vrf(imp), false) => imp.all_paths().collect(),
        };
        v.received_rows(paths)
    };
    route_groups(take, group_key)
}

/// An instance's `dataplane` node: its driver, and the log lines about it.
struct InstanceDataplane<'a> {
    view: &'a EngineView<'a>,
    inst: &'a Instance,
}

impl LgObject for InstanceDataplane<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        let v = self.view;
        let driver = match self.inst.vpn_type {
            VpnType::Evpn => "evpn",
            VpnType::Ipvpn => "ipvpn",
        };
        let name = self.inst.name();
        vec![
            (
                "driver".into(),
                LgEntry::Value(
                    json!({"id": driver, "href": v.url(&format!("vpns/dataplane/drivers/{driver}"))}),
                ),
            ),
            (
                "logs".into(),
                LgEntry::subtree(move || v.logs_about(&format!("dataplane {name}"))),
            ),
        ]
    }
}
