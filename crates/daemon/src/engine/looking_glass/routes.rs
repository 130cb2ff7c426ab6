//! The looking glass's route lists (`bgp/routes`, an instance's received, best and advertised
//! routes, a peer's adj-RIB-out...). The engine shares its thread with the REST API and the
//! dataplane drivers, so it only copies the paths out ([`RouteRows`]: the prefix, a
//! reference to the shared attribute set and the source's name, per path); the JSON text is
//! written later on a blocking thread ([`LgEntry::Detached`](crate::looking_glass::LgEntry)),
//! straight into bytes: as a tree of JSON values it took ~3 KB and 15 µs per route, gigabytes
//! and seconds for a full table. The text is what serde_json would print for the values that
//! the original's shape calls for (object keys in sorted order); the parts that depend on the
//! attribute set alone (most routes share a few sets) are written once per set.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::sync::Arc;

use bagpipe_wire::attr::{AttrValue, AttributeSet};
use bagpipe_wire::nlri::Nlri;
use serde_json::{Map, Value};

use crate::looking_glass::{link, LgEntry};

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

/// A looking-glass entry listing the rows that `take` copies out when the entry is addressed
/// ([`RouteRows::list`]).
pub(in crate::engine) fn route_list<'a>(take: impl FnOnce() -> RouteRows + 'a) -> LgEntry<'a> {
    LgEntry::detached(move || {
        let rows = take();
        move |out: &mut dyn Write| rows.list(out)
    })
}

/// As [`route_list`], the rows grouped by `key` ([`RouteRows::grouped`]).
pub(in crate::engine) fn route_groups<'a>(
    take: impl FnOnce() -> RouteRows + 'a,
    key: fn(&Nlri) -> String,
) -> LgEntry<'a> {
    LgEntry::detached(move || {
        let rows = take();
        move |out: &mut dyn Write| rows.grouped(key, out)
    })
}

impl RouteRows {
    /// `[route, ...]`, in the order of the rows.
    pub fn list(self, sink: &mut dyn Write) -> io::Result<()> {
        let mut w = RouteWriter::new(&self.base, sink);
        w.array(&self.rows)?;
        w.flush()
    }

    /// `{group: [route, ...], ...}`: each route under the group `key` gives its prefix, groups
    /// in key order, routes in row order.
    pub fn grouped(self, key: impl Fn(&Nlri) -> String, sink: &mut dyn Write) -> io::Result<()> {
        let mut groups: BTreeMap<String, Vec<&RouteRow>> = BTreeMap::new();
        for r in &self.rows {
            groups.entry(key(&r.nlri)).or_default().push(r);
        }
        let mut w = RouteWriter::new(&self.base, sink);
        w.out.push(b'{');
        for (g, (name, rows)) in groups.iter().enumerate() {
            if g > 0 {
                w.out.push(b',');
            }
            w.string(name);
            w.out.push(b':');
            w.array(rows.iter().copied())?;
        }
        w.out.push(b'}');
        w.flush()
    }
}

/// Writes routes as JSON text into a sink, in pieces of about [`PIECE`] bytes, with what
/// repeats written once and copied after.
struct RouteWriter<'a> {
    base: &'a str,
    sink: &'a mut dyn Write,
    out: Vec<u8>,
    /// Per attribute set: `"attributes":{..},"next_hop":..,"route_targets":[..]`.
    by_attrs: HashMap<*const AttributeSet, Vec<u8>>,
    /// Per source: `"source":{"href":..,"id":..}`.
    by_source: HashMap<*const str, Vec<u8>>,
}

/// What the writer hands its sink at once.
const PIECE: usize = 64 * 1024;

impl<'a> RouteWriter<'a> {
    fn new(base: &'a str, sink: &'a mut dyn Write) -> Self {
        RouteWriter {
            base,
            sink,
            out: Vec::with_capacity(PIECE + 4096),
            by_attrs: HashMap::new(),
            by_source: HashMap::new(),
        }
    }

    /// A JSON string.
    fn string(&mut self, s: &str) {
        write_json(&mut self.out, s);
    }

    /// `[route, ...]`.
    fn array<'r>(&mut self, rows: impl IntoIterator<Item = &'r RouteRow>) -> io::Result<()> {
        self.out.push(b'[');
        for (n, r) in rows.into_iter().enumerate() {
            if n > 0 {
                self.out.push(b',');
            }
            self.route(r)?;
        }
        self.out.push(b']');
        Ok(())
    }

    /// One route: `{"<route> next-hop <nh>": {afi-safi, attributes, next_hop, route_targets, source}}`.
    fn route(&mut self, r: &RouteRow) -> io::Result<()> {
        let key = match r.attrs.next_hop {
            Some(nh) => format!("{} next-hop {nh}", r.nlri),
            None => r.nlri.to_string(),
        };
        self.out.push(b'{');
        self.string(&key);
        self.out.extend_from_slice(b":{\"afi-safi\":");
        self.string(&r.nlri.family().to_string());
        self.out.push(b',');
        let attrs = self
            .by_attrs
            .entry(Arc::as_ptr(&r.attrs))
            .or_insert_with(|| attributes_part(&r.attrs));
        self.out.extend_from_slice(attrs);
        self.out.push(b',');
        let base = self.base;
        let source = self
            .by_source
            .entry(Arc::as_ptr(&r.source))
            .or_insert_with(|| source_part(base, &r.source));
        self.out.extend_from_slice(source);
        self.out.extend_from_slice(b"}}");
        if self.out.len() >= PIECE {
            self.sink.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    fn flush(mut self) -> io::Result<()> {
        self.sink.write_all(&self.out)?;
        self.out.clear();
        self.sink.flush()
    }
}

/// `"attributes":{..},"next_hop":..,"route_targets":[..]` of an attribute set.
fn attributes_part(attrs: &AttributeSet) -> Vec<u8> {
    let targets: Vec<String> = attrs
        .route_targets()
        .map(|rt| format!("target:{rt}"))
        .collect();
    let mut part = b"\"attributes\":".to_vec();
    write_json(&mut part, &attributes_view(attrs));
    part.extend_from_slice(b",\"next_hop\":");
    write_json(&mut part, &attrs.next_hop.map(|a| a.to_string()));
    part.extend_from_slice(b",\"route_targets\":");
    write_json(&mut part, &targets);
    part
}

/// `"source":{"href":..,"id":..}` of a source.
fn source_part(base: &str, source: &str) -> Vec<u8> {
    let mut part = b"\"source\":{\"href\":".to_vec();
    write_json(
        &mut part,
        &format!("{base}/{}", link("bgp/workers", source)),
    );
    part.extend_from_slice(b",\"id\":");
    write_json(&mut part, source);
    part.push(b'}');
    part
}

fn write_json(out: &mut Vec<u8>, v: &(impl serde::Serialize + ?Sized)) {
    serde_json::to_writer(out, v).expect("JSON of strings and maps, into memory");
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

#[cfg(test)]
mod tests {
    use bagpipe_wire::attr::{AsPath, Origin, PathAttribute};
    use bagpipe_wire::nlri::VpnPrefix;
    use bagpipe_wire::{ExtendedCommunity, Label, RouteDistinguisher, RouteTarget};
    use serde_json::json;

    use super::*;

    const BASE: &str = "http://127.0.0.1:8082/looking-glass";

    fn vpn(prefix: &str) -> Nlri {
        Nlri::Vpn(VpnPrefix::new(
            RouteDistinguisher::as2(64512, 7),
            Label::mpls(100, true),
            prefix.parse().unwrap(),
        ))
    }

    fn attrs(next_hop: &str, rt: &str) -> Arc<AttributeSet> {
        let rt: RouteTarget = rt.parse().unwrap();
        Arc::new(AttributeSet::new(
            Some(next_hop.parse().unwrap()),
            vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::default())),
                PathAttribute::new(AttrValue::LocalPref(100)),
                PathAttribute::new(AttrValue::ExtendedCommunities(vec![
                    ExtendedCommunity::from(rt),
                ])),
            ],
        ))
    }

    /// Three routes, two sharing an attribute set and a source (written once, copied).
    fn rows() -> RouteRows {
        let (shared, other) = (attrs("192.0.2.1", "64512:1"), attrs("192.0.2.2", "64512:2"));
        let (vrf, peer): (Arc<str>, Arc<str>) = ("VRF-1".into(), "BGP-192.0.2.9 a b".into());
        let row = |p: &str, a: &Arc<AttributeSet>, s: &Arc<str>| RouteRow {
            nlri: vpn(p),
            attrs: Arc::clone(a),
            source: Arc::clone(s),
        };
        RouteRows {
            base: BASE.into(),
            rows: vec![
                row("10.0.0.2/32", &shared, &vrf),
                row("10.0.0.1/32", &other, &peer),
                row("10.0.0.2/32", &shared, &vrf),
            ],
        }
    }

    fn route(prefix: &str, nh: &str, rt: &str, source: &str, href_source: &str) -> Value {
        json!({format!("64512:7:{prefix} label 100 next-hop {nh}"): {
            "afi-safi": "ipv4/mpls-vpn",
            "attributes": {
                "as-path": "[  ]",
                "extended-community": format!("[ target:{rt} ]"),
                "local-preference": "100",
                "origin": "igp"
            },
            "next_hop": nh,
            "route_targets": [format!("target:{rt}")],
            "source": {"href": format!("{BASE}/bgp/workers/{href_source}"), "id": source}
        }})
    }

    /// What serde_json prints for `v`: the text must be that, byte for byte.
    fn parsed_and_same_text(text: &[u8]) -> Value {
        let v: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(
            serde_json::to_vec(&v).unwrap(),
            text,
            "{}",
            String::from_utf8_lossy(text)
        );
        v
    }

    #[test]
    fn a_list_is_written_as_its_json_values_in_row_order() {
        let a = route("10.0.0.2/32", "192.0.2.1", "64512:1", "VRF-1", "VRF-1");
        let b = route(
            "10.0.0.1/32",
            "192.0.2.2",
            "64512:2",
            "BGP-192.0.2.9 a b",
            "BGP-192.0.2.9%20a%20b",
        );
        let mut text = Vec::new();
        rows().list(&mut text).unwrap();
        assert_eq!(parsed_and_same_text(&text), json!([a, b, a]));
    }

    #[test]
    fn groups_are_written_in_key_order_with_their_routes_in_row_order() {
        let mut text = Vec::new();
        let by_prefix = |n: &Nlri| match n {
            Nlri::Vpn(v) => v.prefix.to_string(),
            other => other.to_string(),
        };
        rows().grouped(by_prefix, &mut text).unwrap();
        let v = parsed_and_same_text(&text);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["10.0.0.1/32", "10.0.0.2/32"]);
        assert_eq!(v["10.0.0.2/32"].as_array().unwrap().len(), 2);
        assert_eq!(
            v["10.0.0.1/32"][0],
            route(
                "10.0.0.1/32",
                "192.0.2.2",
                "64512:2",
                "BGP-192.0.2.9 a b",
                "BGP-192.0.2.9%20a%20b"
            )
        );
        let none = || RouteRows {
            base: BASE.into(),
            rows: Vec::new(),
        };
        let (mut grouped, mut list) = (Vec::new(), Vec::new());
        none().grouped(|n| n.to_string(), &mut grouped).unwrap();
        none().list(&mut list).unwrap();
        assert_eq!(
            (grouped.as_slice(), list.as_slice()),
            (&b"{}"[..], &b"[]"[..])
        );
    }

    /// A sink that keeps the size of every write.
    #[derive(Default)]
    struct Pieces {
        sizes: Vec<usize>,
        text: Vec<u8>,
    }

    impl Write for Pieces {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.sizes.push(buf.len());
            self.text.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_long_list_goes_to_the_sink_in_pieces() {
        let mut many = rows();
        let one = many.rows.pop().unwrap();
        many.rows = (0..2000)
            .map(|_| RouteRow {
                nlri: one.nlri.clone(),
                attrs: Arc::clone(&one.attrs),
                source: Arc::clone(&one.source),
            })
            .collect();
        let mut sink = Pieces::default();
        many.list(&mut sink).unwrap();
        assert!(sink.sizes.len() > 2, "{:?}", sink.sizes);
        assert!(
            sink.sizes.iter().all(|&n| n < PIECE + 1024),
            "{:?}",
            sink.sizes
        );
        let v = parsed_and_same_text(&sink.text);
        assert_eq!(v.as_array().unwrap().len(), 2000);
    }
}
