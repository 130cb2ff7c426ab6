//! The looking glass's route lists (`bgp/routes`, an instance's received, best and advertised
//! routes, a peer's adj-RIB-out...). A table of a million routes takes seconds to turn into
//! JSON, and the engine shares its thread with the REST API and the dataplane drivers: the
//! engine only copies the paths out ([`RouteRows`]: the prefix, a reference to the shared
//! attribute set and the source's name, per path), and the JSON is built later on a
//! blocking thread ([`LgEntry::Detached`](crate::looking_glass::LgEntry)).

use std::sync::Arc;

use bagpipe_wire::attr::{AttrValue, AttributeSet};
use bagpipe_wire::nlri::Nlri;
use serde_json::{json, Map, Value};

use crate::looking_glass::link;

/// Paths copied out of the engine.
pub(in crate::engine) struct RouteRows {
    /// `http://host:port/looking-glass`, for the sources' links.
    pub base: String,
    pub rows: Vec<RouteRow>,
}

pub(in crate::engine) struct RouteRow {
    pub nlri: Nlri,
    pub attrs: Arc<AttributeSet>,
    /// The source's name in the looking glass (`bgp/workers/<name>`).
    pub source: Arc<str>,
}

impl RouteRows {
    /// `[route, ...]`, in the order of the rows.
    pub fn list(self) -> Value {
        Value::Array(self.rows.iter().map(|r| self.route(r)).collect())
    }

    /// `{group: [route, ...], ...}`, each route under the group `key` gives its prefix.
    pub fn grouped(self, key: impl Fn(&Nlri) -> String) -> Value {
        let mut m = Map::new();
        for r in &self.rows {
            if let Value::Array(list) = m
                .entry(key(&r.nlri))
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                list.push(self.route(r));
            }
        }
        Value::Object(m)
    }

    /// One route: `{"<route> next-hop <nh>": {afi-safi, attributes, next_hop, source, route_targets}}`.
    fn route(&self, r: &RouteRow) -> Value {
        let (nlri, attrs) = (&r.nlri, &r.attrs);
        let nh = attrs.next_hop.map(|a| a.to_string());
        let key = match &nh {
            Some(nh) => format!("{nlri} next-hop {nh}"),
            None => nlri.to_string(),
        };
        let source: &str = &r.source;
        let body = json!({
            "afi-safi": nlri.family().to_string(),
            "attributes": attributes_view(attrs),
            "next_hop": nh,
            "source": {"id": source, "href": format!("{}/{}", self.base, link("bgp/workers", source))},
            "route_targets": attrs.route_targets().map(|rt| format!("target:{rt}")).collect::<Vec<_>>(),
        });
        json!({ key: body })
    }
}

/// `[ a b c ]`, the way the original shows lists of communities and identifiers.
fn bracketed<T: std::fmt::Display>(items: &[T]) -> String {
    let text: Vec<String> = items.iter().map(T::to_string).collect();
    format!("[ {} ]", text.join(" "))
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
            AttrValue::Communities(c) => ("community", bracketed(c)),
            AttrValue::LargeCommunities(c) => ("large-community", bracketed(c)),
            AttrValue::ExtendedCommunities(c) => ("extended-community", bracketed(c)),
            AttrValue::OriginatorId(id) => ("originator-id", id.to_string()),
            AttrValue::ClusterList(l) => ("cluster-list", bracketed(l)),
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
