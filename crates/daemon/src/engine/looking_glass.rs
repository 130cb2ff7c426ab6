//! The engine's part of the looking glass: the `bgp` and `vpns` sub-trees, in the shape of
//! the original's answers (reference/original-api), with readable route keys.

use bagpipe_rib::{SourceKind, Tables};
use bagpipe_vpn::instance::{Instance, ReceivedPath};
use bagpipe_vpn::request::VpnType;
use bagpipe_wire::attr::{AttrValue, AttributeSet};
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::Family;
use serde_json::{json, Map, Value};

use super::Engine;
use crate::looking_glass::{
    link, EngineLookingGlass, LgCollection, LgEntry, LgObject, SummaryCounts, LOOKING_GLASS_BASE,
};

/// A read-only view of the engine for one looking-glass request, with what had to be
/// fetched asynchronously (the dataplane drivers' descriptions).
pub struct EngineView<'a> {
    engine: &'a Engine,
    evpn_driver: Value,
    ipvpn_driver: Value,
    base: String,
}

impl<'a> EngineView<'a> {
    pub async fn new(engine: &'a Engine, base_url: &str) -> EngineView<'a> {
        EngineView {
            engine,
            evpn_driver: engine.evpn.describe().await.unwrap_or(Value::Null),
            ipvpn_driver: engine.ipvpn.describe().await.unwrap_or(Value::Null),
            base: format!("{base_url}/{LOOKING_GLASS_BASE}"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }
}

/// The attributes as the original shows them: names, and values as text.
fn attributes_view(a: &AttributeSet) -> Value {
    let mut m = Map::new();
    for attr in &a.attributes {
        let (name, value) = match &attr.value {
            AttrValue::Origin(o) => ("origin", format!("{o:?}").to_lowercase()),
            AttrValue::AsPath(p) => ("as-path", format!("[ {p} ]")),
            AttrValue::Med(v) => ("med", v.to_string()),
            AttrValue::LocalPref(v) => ("local-preference", v.to_string()),
            AttrValue::Communities(c) => (
                "community",
                format!(
                    "[ {} ]",
                    c.iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ),
            AttrValue::LargeCommunities(c) => (
                "large-community",
                format!(
                    "[ {} ]",
                    c.iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ),
            AttrValue::ExtendedCommunities(c) => (
                "extended-community",
                format!(
                    "[ {} ]",
                    c.iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ),
            AttrValue::OriginatorId(id) => ("originator-id", id.to_string()),
            AttrValue::ClusterList(l) => (
                "cluster-list",
                format!(
                    "[ {} ]",
                    l.iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ),
            AttrValue::PmsiTunnel(p) => (
                "pmsi-tunnel",
                format!(
                    "pmsi:{}:{}:{}:{}",
                    p.tunnel_type_name(),
                    p.flags,
                    p.label.raw(),
                    p.endpoint().map_or_else(String::new, |e| e.to_string())
                ),
            ),
            other => match serde_json::to_value(other) {
                Ok(v) => {
                    m.insert(format!("attribute-{}", other.code()), v);
                    continue;
                }
                Err(_) => continue,
            },
        };
        m.insert(name.to_string(), Value::String(value));
    }
    Value::Object(m)
}

impl EngineView<'_> {
    /// One route: `{"<route> next-hop <nh>": {afi-safi, attributes, next_hop, source, route_targets}}`.
    fn route(&self, nlri: &Nlri, attrs: &AttributeSet, source_name: &str) -> Value {
        let nh = attrs.next_hop.map(|a| a.to_string());
        let key = match &nh {
            Some(nh) => format!("{nlri} next-hop {nh}"),
            None => nlri.to_string(),
        };
        let body = json!({
            "afi-safi": nlri.family().to_string(),
            "attributes": attributes_view(attrs),
            "next_hop": nh,
            "source": {"id": source_name, "href": self.url(&link("bgp/workers", source_name))},
            "route_targets": attrs.route_targets().map(|rt| format!("target:{rt}")).collect::<Vec<_>>(),
        });
        json!({ key: body })
    }

    fn source_name(&self, id: u32) -> String {
        self.engine
            .rib
            .source(id)
            .map_or_else(|| format!("source-{id}"), |s| s.name())
    }

    fn received(&self, p: &ReceivedPath) -> Value {
        self.route(&p.nlri, &p.attrs, &self.source_name(p.origin.source))
    }

    /// `bgp/routes`: every path of every family, grouped as the original (`"<family>,*"`).
    fn all_routes(&self) -> Value {
        let mut m = Map::new();
        let t: &Tables = self.engine.rib.tables();
        let mut add = |family: Family, entries: Vec<Value>| {
            if !entries.is_empty() {
                m.insert(format!("{family},*"), Value::Array(entries));
            }
        };
        macro_rules! table {
            ($t:expr, $F:ty) => {{
                let mut by_family: std::collections::BTreeMap<Family, Vec<Value>> =
                    Default::default();
                for (key, paths) in $t.iter() {
                    for p in paths {
                        let nlri = <$F as bagpipe_rib::family::AddressFamily>::join(key, &p.data);
                        by_family.entry(nlri.family()).or_default().push(self.route(
                            &nlri,
                            &p.attrs,
                            &self.source_name(p.source),
                        ));
                    }
                }
                for (f, e) in by_family {
                    add(f, e);
                }
            }};
        }
        table!(t.ipv4, bagpipe_rib::family::Ipv4Unicast);
        table!(t.ipv6, bagpipe_rib::family::Ipv6Unicast);
        table!(t.vpnv4, bagpipe_rib::family::Vpnv4);
        table!(t.vpnv6, bagpipe_rib::family::Vpnv6);
        table!(t.evpn, bagpipe_rib::family::Evpn);
        table!(t.rtc, bagpipe_rib::family::Rtc);
        table!(t.flow, bagpipe_rib::family::FlowSpec);
        Value::Object(m)
    }
}

impl EngineLookingGlass for EngineView<'_> {
    fn summary_counts(&self) -> SummaryCounts {
        let (received, local) = self.engine.rib.path_counts();
        SummaryCounts {
            established_peers: self
                .engine
                .peers
                .values()
                .filter(|p| p.handle.shared.state() == bagpipe_speaker::State::Established)
                .count(),
            local_routes: local,
            received_routes: received,
            vpn_instances: self.engine.vpn.instances().count(),
        }
    }

    fn bgp(&self) -> Box<dyn LgObject + '_> {
        Box::new(BgpView(self))
    }

    fn vpns(&self) -> Box<dyn LgObject + '_> {
        Box::new(VpnsView(self))
    }
}

struct BgpView<'a>(&'a EngineView<'a>);

impl LgObject for BgpView<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        let v = self.0;
        let (received, local) = v.engine.rib.path_counts();
        vec![
            ("peers".into(), LgEntry::Collection(Box::new(PeersView(v)))),
            ("routes".into(), LgEntry::subtree(move || v.all_routes())),
            (
                "workers".into(),
                LgEntry::Collection(Box::new(WorkersView(v))),
            ),
            (
                "route_counts".into(),
                LgEntry::Value(
                    json!({"local_routes_count": local, "received_routes_count": received}),
                ),
            ),
        ]
    }
}

struct PeersView<'a>(&'a EngineView<'a>);

impl LgCollection for PeersView<'_> {
    fn items(&self) -> Vec<Map<String, Value>> {
        let mut peers: Vec<_> = self.0.engine.peers.values().collect();
        peers.sort_by_key(|p| p.handle.config.address);
        peers
            .into_iter()
            .map(|p| {
                let mut m = Map::new();
                m.insert(
                    "id".into(),
                    Value::String(p.handle.config.address.to_string()),
                );
                m.insert(
                    "state".into(),
                    Value::String(p.handle.shared.state().name().into()),
                );
                m
            })
            .collect()
    }

    fn item(&self, id: &str) -> Option<Box<dyn LgObject + '_>> {
        let p = self
            .0
            .engine
            .peers
            .values()
            .find(|p| p.handle.config.address.to_string() == id)?;
        let c = &p.handle.config;
        let status = p.handle.shared.status();
        let mut v = serde_json::to_value(&status).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("peeringAddresses".into(), json!({"peer_address": c.address.to_string(), "local_address": c.local_address.map(|a| a.to_string())}));
            m.insert(
                "as_info".into(),
                json!({"local": c.local_asn, "peer": c.remote_asn()}),
            );
            m.insert(
                "configured_families".into(),
                json!(c.families.iter().map(|f| f.to_string()).collect::<Vec<_>>()),
            );
            m.insert("passive".into(), json!(c.passive));
            m.insert(
                "received_routes_count".into(),
                json!(self.0.engine.rib.paths_from(p.handle.id)),
            );
        }
        Some(Box::new(ValueObject(v)))
    }
}

struct WorkersView<'a>(&'a EngineView<'a>);

impl LgCollection for WorkersView<'_> {
    fn items(&self) -> Vec<Map<String, Value>> {
        let mut names: Vec<String> = self
            .0
            .engine
            .rib
            .sources()
            .filter(|s| s.id != 0)
            .map(|s| s.name())
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|n| {
                let mut m = Map::new();
                m.insert("id".into(), Value::String(n));
                m
            })
            .collect()
    }

    fn item(&self, id: &str) -> Option<Box<dyn LgObject + '_>> {
        let s = self.0.engine.rib.sources().find(|s| s.name() == id)?;
        let kind = match &s.kind {
            SourceKind::Local { .. } => "local",
            SourceKind::Peer(_) => "bgp-peer",
        };
        let v = json!({"name": s.name(), "type": kind, "routes_count": self.0.engine.rib.paths_from(s.id)});
        Some(Box::new(ValueObject(v)))
    }
}

struct VpnsView<'a>(&'a EngineView<'a>);

impl LgObject for VpnsView<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        let v = self.0;
        let per_vni: Map<String, Value> = v
            .engine
            .vpn
            .instances_per_vni()
            .iter()
            .map(|(vni, ext)| (vni.to_string(), Value::String(ext.clone())))
            .collect();
        vec![
            (
                "instances".into(),
                LgEntry::Collection(Box::new(InstancesView(v))),
            ),
            (
                "dataplane".into(),
                LgEntry::subtree(move || {
                    json!({
                        "drivers": {"evpn": v.evpn_driver.clone(), "ipvpn": v.ipvpn_driver.clone()},
                        "ids": v.engine.vpn.labels().allocated().iter().map(|(k, d)| (k.to_string(), Value::String(d.clone()))).collect::<Map<String, Value>>(),
                    })
                }),
            ),
            (
                "instances_per_vni".into(),
                LgEntry::Value(Value::Object(per_vni)),
            ),
        ]
    }
}

struct InstancesView<'a>(&'a EngineView<'a>);

impl LgCollection for InstancesView<'_> {
    fn items(&self) -> Vec<Map<String, Value>> {
        self.0
            .engine
            .vpn
            .instances()
            .map(|i| {
                let mut m = Map::new();
                m.insert("id".into(), Value::String(i.external_id.clone()));
                m.insert("name".into(), Value::String(i.name()));
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

impl LgObject for InstanceView<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        let i = self.inst;
        let v = self.view;
        let rts = |l: &[bagpipe_wire::RouteTarget]| {
            l.iter()
                .map(|rt| format!("target:{rt}"))
                .collect::<Vec<_>>()
        };
        vec![
            ("name".into(), LgEntry::value(i.name())),
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
                LgEntry::Value(json!({"import": rts(&i.import_rts), "export": rts(&i.export_rts)})),
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
            ("readvertise".into(), LgEntry::Value(json!({}))),
            ("attract_traffic".into(), LgEntry::Value(json!({}))),
            ("fallback".into(), LgEntry::Value(Value::Null)),
            (
                "received_routes".into(),
                LgEntry::subtree(move || received_view(v, i, false)),
            ),
            (
                "best_routes".into(),
                LgEntry::subtree(move || received_view(v, i, true)),
            ),
            (
                "adv_routes".into(),
                LgEntry::subtree(move || {
                    Value::Array(
                        i.advertised
                            .iter()
                            .map(|(n, a)| v.route(n, a, &i.name()))
                            .collect(),
                    )
                }),
            ),
            (
                "dataplane".into(),
                LgEntry::subtree(move || {
                    let driver = match i.vpn_type {
                        VpnType::Evpn => "evpn",
                        VpnType::Ipvpn => "ipvpn",
                    };
                    json!({"driver": {"id": driver, "href": v.url(&format!("vpns/dataplane/drivers/{driver}"))}})
                }),
            ),
        ]
    }
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

/// Received (or best) paths, grouped by what the instance tracks: a MAC or a flood
/// originator for an EVI, a prefix for a VRF.
fn received_view(v: &EngineView, i: &Instance, best_only: bool) -> Value {
    let mut m = Map::new();
    match &i.imports {
        bagpipe_vpn::instance::Imports::Evi(imp) => {
            let paths: Vec<&ReceivedPath> = if best_only {
                imp.best_paths()
            } else {
                imp.all_paths().collect()
            };
            for p in paths {
                let group = match &p.nlri {
                    Nlri::Evpn(bagpipe_wire::nlri::EvpnRoute::MacIpAdvertisement {
                        mac, ..
                    }) => format!("MAC {mac}"),
                    Nlri::Evpn(bagpipe_wire::nlri::EvpnRoute::InclusiveMulticast {
                        originator,
                        rd,
                        ..
                    }) => format!("Multicast {originator} rd {rd}"),
                    other => other.to_string(),
                };
                push(&mut m, group, v.received(p));
            }
        }
        bagpipe_vpn::instance::Imports::Vrf(imp) => {
            if best_only {
                for (prefix, set) in imp.best_paths() {
                    for p in set {
                        push(&mut m, prefix.to_string(), v.received(p));
                    }
                }
            } else {
                for p in imp.all_paths() {
                    let prefix = match &p.nlri {
                        Nlri::Vpn(vp) => vp.prefix.to_string(),
                        other => other.to_string(),
                    };
                    push(&mut m, prefix, v.received(p));
                }
            }
        }
    }
    Value::Object(m)
}

fn push(m: &mut Map<String, Value>, group: String, route: Value) {
    if let Value::Array(list) = m.entry(group).or_insert_with(|| Value::Array(Vec::new())) {
        list.push(route);
    }
}

/// A value shown as an object whose entries are its fields.
struct ValueObject(Value);

impl LgObject for ValueObject {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        match &self.0 {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| (k.clone(), LgEntry::Value(v.clone())))
                .collect(),
            _ => Vec::new(),
        }
    }
}
