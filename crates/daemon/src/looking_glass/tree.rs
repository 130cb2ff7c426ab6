//! The looking glass as a browsable tree, as in the original (`common/looking_glass.py`).
//!
//! An object has named entries of four kinds, which decide what its parent shows:
//!
//! | entry | shown in the parent as | when addressed |
//! |---|---|---|
//! | [`LgEntry::Value`] (the original's VALUE and SUBITEM) | the value itself | the value; deeper path segments walk into its JSON objects |
//! | [`LgEntry::Subtree`] (SUBTREE) | `{"href": ...}` | built then, walked like a value |
//! | [`LgEntry::Detached`] (SUBTREE) | `{"href": ...}` | built later, away from the engine, from what the entry took with it; walked like a value |
//! | [`LgEntry::Object`] (DELEGATE) | `{"href": ...}` | the object answers the rest of the path |
//! | [`LgEntry::Collection`] (COLLECTION) | `{"href": ...}` | alone: the list of its items, each with an `href`; followed by an item id: that item's object answers the rest |
//!
//! An unknown path segment is a [`LgError::NotFound`] (HTTP 404). Links are absolute URLs:
//! `<base_url>/looking-glass/<path>`, each segment percent-encoded as Python's `quote` did.

use std::io::{self, Write};

use serde_json::{Map, Value};

/// A node of the tree with entries.
pub trait LgObject {
    /// The entries, in display order. Only [`LgEntry::Value`] entries are computed here:
    /// the others are built when addressed.
    fn entries(&self) -> Vec<(String, LgEntry<'_>)>;
}

/// A list of objects, addressed by id.
pub trait LgCollection {
    /// One summary per item; each has an `"id"` (string), to which the walk adds `"href"`.
    fn items(&self) -> Vec<Map<String, Value>>;
    /// The object of item `id`, `None` if there is no such item.
    fn item(&self, id: &str) -> Option<Box<dyn LgObject + '_>>;
}

pub enum LgEntry<'a> {
    Value(Value),
    Subtree(Box<dyn FnOnce() -> Value + 'a>),
    /// A subtree built in two steps: when addressed, the first closure copies what it needs
    /// out of the engine (quickly); the closure it returns owns that copy and writes the
    /// JSON text later, on a blocking thread. For route lists, whose JSON takes seconds for
    /// a million routes, during which the engine would answer no attach and program no
    /// dataplane.
    Detached(Box<dyn FnOnce() -> Build + 'a>),
    Object(Box<dyn LgObject + 'a>),
    Collection(Box<dyn LgCollection + 'a>),
}

impl<'a> LgEntry<'a> {
    /// A value shown inline, from anything serializable.
    pub fn value(v: impl serde::Serialize) -> Self {
        LgEntry::Value(serde_json::to_value(v).unwrap_or(Value::Null))
    }

    pub fn subtree(build: impl FnOnce() -> Value + 'a) -> Self {
        LgEntry::Subtree(Box::new(build))
    }

    pub fn detached<B>(take: impl FnOnce() -> B + 'a) -> Self
    where
        B: FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'static,
    {
        LgEntry::Detached(Box::new(move || Box::new(take()) as Build))
    }
}

/// Writes a detached subtree ([`LgEntry::Detached`]) as JSON text into a writer, piece by
/// piece: the answer for a full table need not be held whole in memory.
pub type Build = Box<dyn FnOnce(&mut dyn Write) -> io::Result<()> + Send>;

/// The answer to a looking-glass request.
pub enum Answer {
    Ready(Value),
    /// A subtree to be written away from the engine ([`LgEntry::Detached`]), as it goes.
    Stream(Build),
    /// A part of such a subtree (the rest of the path walks into it): the subtree is built
    /// whole away from the engine, then the part taken out of it (or not found).
    Later(Box<dyn FnOnce() -> Result<Value, LgError> + Send>),
}

impl Answer {
    /// The value, built here if it was left for later.
    pub fn finish(self) -> Result<Value, LgError> {
        match self {
            Answer::Ready(v) => Ok(v),
            Answer::Stream(write) => Ok(parse(write)),
            Answer::Later(build) => build(),
        }
    }
}

/// What `write` writes, as a value.
fn parse(write: Build) -> Value {
    let mut text = Vec::new();
    write(&mut text).expect("writing into memory");
    serde_json::from_slice(&text).expect("the looking glass writes JSON")
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Ready(v) => f.debug_tuple("Ready").field(v).finish(),
            Answer::Stream(_) => f.write_str("Stream(..)"),
            Answer::Later(_) => f.write_str("Later(..)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LgError {
    /// `item` does not exist under the URL `at`.
    #[error("No such looking glass object: {item} at {at}")]
    NotFound { item: String, at: String },
}

/// The path segment that names the looking glass in URLs.
pub const LOOKING_GLASS_BASE: &str = "looking-glass";

/// The answer for `path` (decoded segments; empty ones are ignored, so that
/// `/looking-glass/` is the root, as the original CLI asks for it) under `root`, with links
/// built on `base_url` (`http://host:port`).
pub fn answer(root: &dyn LgObject, base_url: &str, path: &[String]) -> Result<Answer, LgError> {
    walk(
        root,
        &format!("{}/{LOOKING_GLASS_BASE}", base_url.trim_end_matches('/')),
        &segments(path),
    )
}

/// The segments of a request's path that name something: empty ones are ignored.
pub fn segments(path: &[String]) -> Vec<&str> {
    path.iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect()
}

fn walk(object: &dyn LgObject, prefix: &str, path: &[&str]) -> Result<Answer, LgError> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(Answer::Ready(render(object, prefix)));
    };
    let here = link(prefix, first);
    let entry = object
        .entries()
        .into_iter()
        .find(|(name, _)| name == first)
        .map(|(_, entry)| entry)
        .ok_or_else(|| not_found(first, prefix))?;
    match entry {
        LgEntry::Value(v) => lookup(v, &here, rest).map(Answer::Ready),
        LgEntry::Subtree(build) => lookup(build(), &here, rest).map(Answer::Ready),
        LgEntry::Detached(take) => {
            let write = take();
            if rest.is_empty() {
                return Ok(Answer::Stream(write));
            }
            // Deeper (rare: a family of bgp/routes, a group of received routes).
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            Ok(Answer::Later(Box::new(move || {
                let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
                lookup(parse(write), &here, &rest)
            })))
        }
        LgEntry::Object(o) => walk(o.as_ref(), &here, rest),
        LgEntry::Collection(c) => match rest.split_first() {
            None => Ok(Answer::Ready(Value::Array(
                c.items()
                    .into_iter()
                    .map(|mut item| {
                        let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                        let href = link(&here, id);
                        item.insert("href".to_owned(), Value::String(href));
                        Value::Object(item)
                    })
                    .collect(),
            ))),
            Some((id, rest)) => {
                let item = c.item(id).ok_or_else(|| not_found(id, &here))?;
                walk(item.as_ref(), &link(&here, id), rest)
            }
        },
    }
}

/// An object shown as a JSON object: values inline, everything else as a link.
fn render(object: &dyn LgObject, prefix: &str) -> Value {
    let map = object
        .entries()
        .into_iter()
        .map(|(name, entry)| {
            let shown = match entry {
                LgEntry::Value(v) => v,
                _ => href(&link(prefix, &name)),
            };
            (name, shown)
        })
        .collect();
    Value::Object(map)
}

/// Walks into the JSON objects of a value.
fn lookup(mut value: Value, prefix: &str, path: &[&str]) -> Result<Value, LgError> {
    let mut at = prefix.to_owned();
    for segment in path {
        value = match value {
            Value::Object(mut map) => map
                .remove(*segment)
                .ok_or_else(|| not_found(segment, &at))?,
            _ => return Err(not_found(segment, &at)),
        };
        at = link(&at, segment);
    }
    Ok(value)
}

/// `{"href": url}`, the way a child that is not shown inline appears.
pub fn href(url: &str) -> Value {
    let mut map = Map::new();
    map.insert("href".to_owned(), Value::String(url.to_owned()));
    Value::Object(map)
}

/// `prefix/segment`, the segment percent-encoded like Python's `urllib.parse.quote`
/// (letters, digits and `_.-~/` kept).
pub fn link(prefix: &str, segment: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + segment.len() + 1);
    out.push_str(prefix);
    out.push('/');
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn not_found(item: &str, at: &str) -> LgError {
    LgError::NotFound {
        item: item.to_owned(),
        at: at.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const BASE: &str = "http://127.0.0.1:18083";

    /// A small tree in the shape of the original's `vpns` node.
    struct Vpns;
    struct Instances;
    struct Instance(&'static str);

    impl LgObject for Vpns {
        fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
            vec![
                ("instances".into(), LgEntry::Collection(Box::new(Instances))),
                (
                    "dataplane".into(),
                    LgEntry::subtree(|| json!({"drivers": ["evpn"]})),
                ),
                ("instances_per_vni".into(), LgEntry::value(json!({}))),
                (
                    "routes".into(),
                    LgEntry::detached(|| {
                        |out: &mut dyn Write| {
                            out.write_all(br#"{"ipv4/mpls-vpn,*":[{"10.0.0.1/32":{}}]}"#)
                        }
                    }),
                ),
            ]
        }
    }

    impl LgCollection for Instances {
        fn items(&self) -> Vec<Map<String, Value>> {
            ["ipvpn-test", "with space"]
                .iter()
                .map(|id| {
                    json!({"id": id, "name": "VRF-1"})
                        .as_object()
                        .unwrap()
                        .clone()
                })
                .collect()
        }
        fn item(&self, id: &str) -> Option<Box<dyn LgObject + '_>> {
            match id {
                "ipvpn-test" => Some(Box::new(Instance("ipvpn-test"))),
                _ => None,
            }
        }
    }

    impl LgObject for Instance {
        fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
            vec![
                ("external_instance_id".into(), LgEntry::value(self.0)),
                (
                    "route_targets".into(),
                    LgEntry::value(json!({"import": ["target:64512:512"]})),
                ),
                (
                    "ports".into(),
                    LgEntry::subtree(|| json!({"tapB1": {"endpoints": []}})),
                ),
            ]
        }
    }

    fn get(path: &str) -> Result<Value, LgError> {
        let path: Vec<String> = path.split('/').map(str::to_owned).collect();
        answer(&Vpns, BASE, &path).and_then(Answer::finish)
    }

    #[test]
    fn values_inline_and_links_for_the_rest() {
        // lg_B_vpns.json
        assert_eq!(
            get("").unwrap(),
            json!({
                "instances": {"href": "http://127.0.0.1:18083/looking-glass/instances"},
                "dataplane": {"href": "http://127.0.0.1:18083/looking-glass/dataplane"},
                "instances_per_vni": {},
                "routes": {"href": "http://127.0.0.1:18083/looking-glass/routes"}
            })
        );
    }

    #[test]
    fn detached_subtrees_are_built_when_the_answer_is_finished() {
        let path = |p: &str| p.split('/').map(str::to_owned).collect::<Vec<_>>();
        let later = answer(&Vpns, BASE, &path("routes/anything")).unwrap();
        assert!(matches!(later, Answer::Later(_)), "{later:?}");
        let later = answer(&Vpns, BASE, &path("routes")).unwrap();
        assert!(matches!(later, Answer::Stream(_)), "{later:?}");
        assert_eq!(
            later.finish().unwrap(),
            json!({"ipv4/mpls-vpn,*": [{"10.0.0.1/32": {}}]})
        );
        // Walked into like a value, once built.
        let segments = vec!["routes".to_owned(), "ipv4/mpls-vpn,*".to_owned()];
        assert_eq!(
            answer(&Vpns, BASE, &segments)
                .and_then(Answer::finish)
                .unwrap(),
            json!([{"10.0.0.1/32": {}}])
        );
        let missing = answer(&Vpns, BASE, &path("routes/nothing")).unwrap();
        assert!(matches!(missing.finish(), Err(LgError::NotFound { .. })));
    }

    #[test]
    fn collections_list_items_with_links() {
        assert_eq!(
            get("instances").unwrap(),
            json!([
                {"id": "ipvpn-test", "name": "VRF-1",
                 "href": "http://127.0.0.1:18083/looking-glass/instances/ipvpn-test"},
                {"id": "with space", "name": "VRF-1",
                 "href": "http://127.0.0.1:18083/looking-glass/instances/with%20space"}
            ])
        );
        assert_eq!(
            get("instances/ipvpn-test").unwrap(),
            json!({
                "external_instance_id": "ipvpn-test",
                "route_targets": {"import": ["target:64512:512"]},
                "ports": {"href": "http://127.0.0.1:18083/looking-glass/instances/ipvpn-test/ports"}
            })
        );
    }

    #[test]
    fn walking_into_values_and_subtrees() {
        assert_eq!(
            get("instances/ipvpn-test/ports").unwrap(),
            json!({"tapB1": {"endpoints": []}})
        );
        assert_eq!(
            get("instances/ipvpn-test/ports/tapB1/endpoints").unwrap(),
            json!([])
        );
        assert_eq!(
            get("instances/ipvpn-test/route_targets/import").unwrap(),
            json!(["target:64512:512"])
        );
        assert_eq!(get("dataplane/").unwrap(), json!({"drivers": ["evpn"]}));
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for (path, item, at) in [
            ("nothing", "nothing", "http://127.0.0.1:18083/looking-glass"),
            (
                "instances/other",
                "other",
                "http://127.0.0.1:18083/looking-glass/instances",
            ),
            (
                "instances/ipvpn-test/ports/tapX",
                "tapX",
                "http://127.0.0.1:18083/looking-glass/instances/ipvpn-test/ports",
            ),
            // lists are not indexed, as in the original
            (
                "dataplane/drivers/0",
                "0",
                "http://127.0.0.1:18083/looking-glass/dataplane/drivers",
            ),
            (
                "instances/ipvpn-test/external_instance_id/x",
                "x",
                "http://127.0.0.1:18083/looking-glass/instances/ipvpn-test/external_instance_id",
            ),
        ] {
            assert_eq!(
                get(path),
                Err(LgError::NotFound {
                    item: item.into(),
                    at: at.into()
                }),
                "{path}"
            );
        }
        assert_eq!(
            get("nothing").unwrap_err().to_string(),
            "No such looking glass object: nothing at http://127.0.0.1:18083/looking-glass"
        );
    }

    #[test]
    fn links_quote_like_python() {
        assert_eq!(link("p", "a b/c~d_e.f-g"), "p/a%20b/c~d_e.f-g");
        assert_eq!(link("p", "é:x"), "p/%C3%A9%3Ax");
    }
}
