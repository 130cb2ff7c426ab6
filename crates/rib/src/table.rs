//! The routes of one address family: for each route key, the paths received from each source
//! (Adj-RIB-In of every peer and the local routes, in one map), stored compactly.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use bagpipe_wire::attr::AttributeSet;
use smallvec::SmallVec;

use crate::decision::{best_index, Candidate};
use crate::family::AddressFamily;
use crate::hash::FastState;
use crate::source::{PathOrigin, SourceId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path<D> {
    pub source: SourceId,
    /// RFC 7911 path identifier (0 without add-path).
    pub path_id: u32,
    /// Kept from a peer in graceful restart, until refreshed or purged (RFC 4724 §4.2).
    pub stale: bool,
    pub data: D,
    pub attrs: Arc<AttributeSet>,
}

impl<D: PartialEq> Path<D> {
    /// The same advertisement: same source, data and (shared) attribute set.
    pub fn same_as(&self, other: &Path<D>) -> bool {
        self.source == other.source
            && self.path_id == other.path_id
            && self.data == other.data
            && Arc::ptr_eq(&self.attrs, &other.attrs)
    }
}

/// What one insertion or removal changed at a route key.
#[derive(Debug, Clone)]
pub struct Change<D> {
    /// The path of the same source and path id before the change.
    pub old: Option<Path<D>>,
    /// That path after the change.
    pub new: Option<Path<D>>,
    pub best_before: Option<Path<D>>,
    pub best_after: Option<Path<D>>,
}

impl<D: PartialEq> Change<D> {
    pub fn best_changed(&self) -> bool {
        match (&self.best_before, &self.best_after) {
            (None, None) => false,
            (Some(a), Some(b)) => !a.same_as(b),
            _ => true,
        }
    }
}

/// The paths of one route. Nearly every route has exactly one: it is stored in the map entry
/// itself, and a route with several keeps them in an allocation of their own. A VPNv4 entry
/// (13-octet key) is thus 40 octets, where a `SmallVec<[Path; 1]>` made it 48 — a sixth of
/// the memory of a large table.
#[derive(Debug)]
pub enum Paths<D> {
    One(Path<D>),
    /// Two or more.
    Many(Box<Vec<Path<D>>>),
}

impl<D> Paths<D> {
    pub fn as_slice(&self) -> &[Path<D>] {
        match self {
            Paths::One(p) => std::slice::from_ref(p),
            Paths::Many(v) => v,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [Path<D>] {
        match self {
            Paths::One(p) => std::slice::from_mut(p),
            Paths::Many(v) => v,
        }
    }

    fn push(&mut self, path: Path<D>) {
        match self {
            Paths::Many(v) => v.push(path),
            Paths::One(_) => {
                let Paths::One(first) =
                    std::mem::replace(self, Paths::Many(Box::new(Vec::with_capacity(2))))
                else {
                    unreachable!("matched One")
                };
                if let Paths::Many(v) = self {
                    v.extend([first, path]);
                }
            }
        }
    }

    /// Removes path `i` of a route that has several; one left goes back inline.
    fn remove_one_of_many(&mut self, i: usize) -> Path<D> {
        let Paths::Many(v) = self else {
            unreachable!("a route with one path is removed from the map instead")
        };
        let old = v.remove(i);
        if v.len() == 1 {
            let last = v.pop().expect("one left");
            *self = Paths::One(last);
        }
        old
    }
}

pub struct Table<F: AddressFamily> {
    routes: HashMap<F::Key, Paths<F::Data>, FastState>,
}

impl<F: AddressFamily> Default for Table<F> {
    fn default() -> Self {
        Table {
            routes: HashMap::default(),
        }
    }
}

/// The best of `paths`; `origin_of` tells where each source is.
pub fn best<'a, D>(
    paths: &'a [Path<D>],
    origin_of: &dyn Fn(SourceId) -> PathOrigin,
) -> Option<&'a Path<D>> {
    best_among(paths.iter(), origin_of)
}

/// The best of some paths of a route (e.g. those a given peer may receive).
pub fn best_among<'a, D: 'a>(
    paths: impl Iterator<Item = &'a Path<D>>,
    origin_of: &dyn Fn(SourceId) -> PathOrigin,
) -> Option<&'a Path<D>> {
    let paths: SmallVec<[&Path<D>; 2]> = paths.collect();
    match paths.as_slice() {
        [] => None,
        [only] => Some(only),
        _ => {
            let cands: Vec<Candidate> = paths
                .iter()
                .map(|p| Candidate {
                    attrs: &p.attrs,
                    origin: origin_of(p.source),
                    path_id: p.path_id,
                })
                .collect();
            best_index(&cands).map(|i| paths[i])
        }
    }
}

impl<F: AddressFamily> Table<F> {
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    pub fn get(&self, key: &F::Key) -> Option<&[Path<F::Data>]> {
        self.routes.get(key).map(Paths::as_slice)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&F::Key, &[Path<F::Data>])> {
        self.routes.iter().map(|(k, p)| (k, p.as_slice()))
    }

    /// Adds or replaces the path of `path.source` / `path.path_id` at `key`.
    pub fn insert(
        &mut self,
        key: F::Key,
        path: Path<F::Data>,
        origin_of: &dyn Fn(SourceId) -> PathOrigin,
    ) -> Change<F::Data> {
        let paths = match self.routes.entry(key) {
            Entry::Vacant(v) => {
                // A new route (the common case while a table fills): its only path is best.
                v.insert(Paths::One(path.clone()));
                return Change {
                    old: None,
                    best_before: None,
                    best_after: Some(path.clone()),
                    new: Some(path),
                };
            }
            Entry::Occupied(o) => o.into_mut(),
        };
        let best_before = best(paths.as_slice(), origin_of).cloned();
        let old = match paths
            .as_mut_slice()
            .iter_mut()
            .find(|p| p.source == path.source && p.path_id == path.path_id)
        {
            Some(slot) => Some(std::mem::replace(slot, path.clone())),
            None => {
                paths.push(path.clone());
                None
            }
        };
        let best_after = best(paths.as_slice(), origin_of).cloned();
        Change {
            old,
            new: Some(path),
            best_before,
            best_after,
        }
    }

    /// Removes the path of `source` / `path_id` at `key`, if there is one.
    pub fn remove(
        &mut self,
        key: &F::Key,
        source: SourceId,
        path_id: u32,
        origin_of: &dyn Fn(SourceId) -> PathOrigin,
    ) -> Option<Change<F::Data>> {
        let paths = self.routes.get_mut(key)?;
        let i = paths
            .as_slice()
            .iter()
            .position(|p| p.source == source && p.path_id == path_id)?;
        if let Paths::One(_) = paths {
            let Some(Paths::One(old)) = self.routes.remove(key) else {
                unreachable!("matched One")
            };
            return Some(Change {
                best_before: Some(old.clone()),
                old: Some(old),
                new: None,
                best_after: None,
            });
        }
        let best_before = best(paths.as_slice(), origin_of).cloned();
        let old = paths.remove_one_of_many(i);
        let best_after = best(paths.as_slice(), origin_of).cloned();
        Some(Change {
            old: Some(old),
            new: None,
            best_before,
            best_after,
        })
    }

    /// The keys of the routes with a path matching `pred`.
    pub fn keys_where(&self, pred: impl Fn(&F::Key, &Path<F::Data>) -> bool) -> Vec<F::Key> {
        self.routes
            .iter()
            .filter(|(k, ps)| ps.as_slice().iter().any(|p| pred(k, p)))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Marks every path of `source` stale (graceful restart of that peer).
    pub fn mark_stale(&mut self, source: SourceId) {
        for paths in self.routes.values_mut() {
            for p in paths
                .as_mut_slice()
                .iter_mut()
                .filter(|p| p.source == source)
            {
                p.stale = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::{VpnKey, Vpnv4};
    use bagpipe_wire::{Ipv4Prefix, Label};

    fn path(source: SourceId) -> Path<Label> {
        Path {
            source,
            path_id: 0,
            stale: false,
            data: Label::mpls(16, true),
            attrs: Arc::new(AttributeSet::default()),
        }
    }

    #[test]
    fn a_vpnv4_entry_is_40_octets() {
        assert_eq!(
            std::mem::size_of::<(VpnKey<Ipv4Prefix>, Paths<Label>)>(),
            40
        );
    }

    #[test]
    fn paths_go_out_of_line_and_back() {
        let mut t: Table<Vpnv4> = Table::default();
        let key = VpnKey {
            rd: "65000:1".parse().unwrap(),
            prefix: "10.0.0.1/32".parse().unwrap(),
        };
        let origin = |source| PathOrigin {
            source,
            kind: crate::source::OriginKind::Local,
            router_id: std::net::Ipv4Addr::new(192, 0, 2, source as u8),
            address: None,
            asn: 65000,
        };
        let c = t.insert(key, path(1), &origin);
        assert!(c.best_changed() && c.old.is_none());
        t.insert(key, path(2), &origin);
        t.insert(key, path(3), &origin);
        assert_eq!(t.get(&key).unwrap().len(), 3);
        t.remove(&key, 1, 0, &origin).unwrap();
        t.remove(&key, 3, 0, &origin).unwrap();
        assert!(matches!(t.routes[&key], Paths::One(ref p) if p.source == 2));
        let c = t.remove(&key, 2, 0, &origin).unwrap();
        assert!(c.best_changed() && c.best_after.is_none());
        assert!(t.is_empty());
        assert!(t.remove(&key, 2, 0, &origin).is_none());
    }
}
