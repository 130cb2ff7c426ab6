//! The engine's part of the looking glass: the `bgp` and `vpns` sub-trees, in the shape of
//! the original's answers (reference/original-api), with readable route keys.

mod routes;
mod vpns;

use std::collections::HashMap;
use std::sync::Arc;

use bagpipe_dataplane::{DriverHandle, InstanceState};
use bagpipe_rib::{SourceId, SourceKind};
use bagpipe_vpn::instance::ReceivedPath;
use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::Family;
use serde_json::{json, Map, Value};

use super::Engine;
use crate::looking_glass::clock::local_time_text;
use crate::looking_glass::{
    segments, EngineLookingGlass, LgCollection, LgEntry, LgObject, SummaryCounts,
    LOOKING_GLASS_BASE,
};
use routes::{route_groups, route_list, RouteRow, RouteRows};

/// A read-only view of the engine for one looking-glass request, with what had to be
/// fetched asynchronously (the description of the dataplane driver it asks for).
pub struct EngineView<'a> {
    engine: &'a Engine,
    evpn_driver: Value,
    ipvpn_driver: Value,
    base: String,
}

impl<'a> EngineView<'a> {
    /// The view to answer `path` (the request's segments): a driver describes itself only
    /// for `vpns/dataplane/drivers/<driver>`, the one path that shows it, since that copies
    /// its whole state (every route, for the dummy driver: 0.5 s of the engine's time at
    /// 60,000 routes, for every request, before this was asked only when needed).
    pub async fn new(engine: &'a Engine, base_url: &str, path: &[String]) -> EngineView<'a> {
        let wanted = match segments(path).as_slice() {
            ["vpns", "dataplane", "drivers", driver, ..] => Some(*driver),
            _ => None,
        };
        EngineView {
            engine,
            evpn_driver: description(&engine.evpn, wanted == Some("evpn")).await,
            ipvpn_driver: description(&engine.ipvpn, wanted == Some("ipvpn")).await,
            base: format!("{base_url}/{LOOKING_GLASS_BASE}"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }
}

/// What `driver` says of itself, if `wanted`.
async fn description<S: InstanceState>(driver: &DriverHandle<S>, wanted: bool) -> Value {
    if !wanted {
        return Value::Null;
    }
    driver.describe().await.unwrap_or(Value::Null)
}

impl EngineView<'_> {
    fn source_name(&self, id: u32) -> String {
        self.engine
            .rib
            .source(id)
            .map_or_else(|| format!("source-{id}"), |s| s.name())
    }

    /// Paths and the names of their sources, copied out to be shown later ([`routes`]).
    fn rows<'p>(
        &self,
        paths: impl IntoIterator<Item = (Nlri, SourceId, &'p Arc<AttributeSet>)>,
    ) -> RouteRows {
        let mut names: HashMap<SourceId, Arc<str>> = HashMap::new();
        let rows = paths
            .into_iter()
            .map(|(nlri, source, attrs)| RouteRow {
                nlri,
                attrs: Arc::clone(attrs),
                source: Arc::clone(
                    names
                        .entry(source)
                        .or_insert_with(|| self.source_name(source).into()),
                ),
            })
            .collect();
        RouteRows {
            base: self.base.clone(),
            rows,
        }
    }

    /// Paths an instance received, copied out as [`rows`](Self::rows).
    fn received_rows<'p>(&self, paths: impl IntoIterator<Item = &'p ReceivedPath>) -> RouteRows {
        self.rows(
            paths
                .into_iter()
                .map(|p| (p.nlri.clone(), p.origin.source, &p.attrs)),
        )
    }

    /// `bgp/routes`: every path of every family, grouped as the original (`"<family>,*"`).
    fn all_routes(&self) -> LgEntry<'_> {
        route_groups(
            || self.rows(self.engine.rib.tables().paths_where(&|_| true)),
            |n| format!("{},*", n.family()),
        )
    }

    /// `bgp/adv_routes`: the routes the BGP manager originates itself (RT Constraint).
    fn own_routes(&self) -> LgEntry<'_> {
        route_list(|| {
            let rtc = self.engine.rib.rtc_source();
            self.rows(self.engine.rib.tables().paths_where(&|s| s == rtc))
        })
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
        Box::new(vpns::VpnsView(self))
    }
}

struct BgpView<'a>(&'a EngineView<'a>);

impl LgObject for BgpView<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        let v = self.0;
        let (received, local) = v.engine.rib.path_counts();
        vec![
            ("peers".into(), LgEntry::Collection(Box::new(PeersView(v)))),
            ("routes".into(), v.all_routes()),
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
            ("adv_routes".into(), v.own_routes()),
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
        Some(Box::new(PeerObject {
            view: self.0,
            peer: p,
        }))
    }
}

/// A peer's node: its fields, what it has from us, and the log lines about it.
struct PeerObject<'a> {
    view: &'a EngineView<'a>,
    peer: &'a super::EnginePeer,
}

impl LgObject for PeerObject<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        let v = self.view;
        let p = self.peer;
        let mut entries: Vec<(String, LgEntry<'_>)> = match v.peer_view(p) {
            Value::Object(m) => m
                .into_iter()
                .map(|(k, val)| (k, LgEntry::Value(val)))
                .collect(),
            _ => Vec::new(),
        };
        let address = p.handle.config.address.to_string();
        entries.push(("adv_routes".into(), v.adj_rib_out(p)));
        entries.push((
            "logs".into(),
            LgEntry::subtree(move || v.logs_about(&address)),
        ));
        entries
    }
}

impl EngineView<'_> {
    /// What a peer currently has from us.
    fn adj_rib_out<'p>(&'p self, p: &'p super::EnginePeer) -> LgEntry<'p> {
        route_list(|| {
            let routes = self.engine.rib.adj_rib_out(p.handle.id);
            // Shown as the RT Constraint worker's, as the original showed them.
            let rtc = self.engine.rib.rtc_source();
            self.rows(routes.iter().filter_map(|a| match a {
                bagpipe_rib::Advert::Announce { nlri, attrs, .. } => {
                    Some((nlri.clone(), rtc, attrs))
                }
                _ => None,
            }))
        })
    }

    /// The recent warnings and errors that mention `needle` (a peer address, an instance).
    pub(super) fn logs_about(&self, needle: &str) -> Value {
        let records: Vec<_> = self
            .engine
            .logs
            .records()
            .into_iter()
            .filter(|r| r.message.contains(needle))
            .collect();
        serde_json::to_value(records).unwrap_or(Value::Null)
    }

    /// A peer, in the shape of the original's `bgp/workers/BGP-<address>`
    /// (`peeringAddresses`, `as_info`, `rtc`, `active_families`, `protocol`), plus our
    /// counters, capabilities and last error.
    fn peer_view(&self, p: &super::EnginePeer) -> Value {
        let c = &p.handle.config;
        let status = p.handle.shared.status();
        let negotiated = p
            .handle
            .shared
            .info
            .lock()
            .map(|i| i.negotiated.clone())
            .ok()
            .flatten();
        let families = negotiated
            .as_ref()
            .map(|n| n.families.clone())
            .unwrap_or_default();
        // The original names families as `(afi, safi)` tuples.
        let active: Vec<String> = families
            .iter()
            .map(|f| f.to_string().replacen('/', ", ", 1))
            .map(|f| format!("({f})"))
            .collect();
        let mut v = serde_json::to_value(&status).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("name".into(), json!(format!("BGP-{}", c.address)));
            m.insert(
                "peeringAddresses".into(),
                json!({"peer_address": c.address.to_string(), "local_address": c.local_address.map(|a| a.to_string())}),
            );
            m.insert(
                "as_info".into(),
                json!({"local": c.local_asn, "peer": c.remote_asn()}),
            );
            m.insert(
                "rtc".into(),
                json!({"active": families.contains(&Family::RTC), "enabled": c.families.contains(&Family::RTC)}),
            );
            m.insert("active_families".into(), json!(active));
            let info = p
                .handle
                .shared
                .info
                .lock()
                .map(|i| (i.previous_state, i.state_since))
                .ok();
            let (previous, since) = info.unzip();
            m.insert(
                "protocol".into(),
                json!({
                    "state": status.state,
                    "previous_state": previous.flatten().map(|s| format!("({})", s.name())),
                    "hold_time": status.hold_time,
                    "last_transition_time": since.map(|t| local_time_text(t, false)),
                }),
            );
            // The original's worker internals: its queue, and what it subscribes to.
            let subscriptions: Vec<String> =
                families.iter().map(|f| format!("match:{f},*")).collect();
            m.insert(
                "internals".into(),
                json!({"event queue length": p.handle.outbox.len(), "subscriptions": subscriptions}),
            );
            m.insert(
                "configured_families".into(),
                json!(c.families.iter().map(|f| f.to_string()).collect::<Vec<_>>()),
            );
            m.insert("passive".into(), json!(c.passive));
            m.insert(
                "received_routes_count".into(),
                json!(self.engine.rib.paths_from(p.handle.id)),
            );
        }
        v
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
        // A peer worker shows as the peer does; a VPN instance by its name and routes.
        if let Some(p) = self.0.engine.peers.get(&s.id) {
            return Some(Box::new(PeerObject {
                view: self.0,
                peer: p,
            }));
        }
        let kind = match &s.kind {
            SourceKind::Local { .. } => "local",
            SourceKind::Peer(_) => "bgp-peer",
        };
        let v = json!({"name": s.name(), "type": kind, "routes_count": self.0.engine.rib.paths_from(s.id)});
        Some(Box::new(ValueObject(v)))
    }
}

/// A value shown as an object whose entries are its fields.
pub(super) struct ValueObject(Value);

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
