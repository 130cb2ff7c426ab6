//! The routes of one address family: for each route key, the paths received from each source
//! (Adj-RIB-In of every peer and the local routes, in one map), stored compactly.

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

pub type Paths<D> = SmallVec<[Path<D>; 1]>;

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
        self.routes.get(key).map(|p| p.as_slice())
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
        let paths = self.routes.entry(key).or_default();
        let best_before = best(paths, origin_of).cloned();
        let old = match paths
            .iter_mut()
            .find(|p| p.source == path.source && p.path_id == path.path_id)
        {
            Some(slot) => Some(std::mem::replace(slot, path.clone())),
            None => {
                paths.push(path.clone());
                None
            }
        };
        let best_after = best(paths, origin_of).cloned();
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
            .iter()
            .position(|p| p.source == source && p.path_id == path_id)?;
        let best_before = best(paths, origin_of).cloned();
        let old = paths.remove(i);
        let best_after = best(paths, origin_of).cloned();
        if paths.is_empty() {
            self.routes.remove(key);
        }
        Some(Change {
            old: Some(old),
            new: None,
            best_before,
            best_after,
        })
    }

    /// Removes every path matching `pred`; returns each removal's key and change.
    pub fn remove_where(
        &mut self,
        pred: impl Fn(&F::Key, &Path<F::Data>) -> bool,
        origin_of: &dyn Fn(SourceId) -> PathOrigin,
    ) -> Vec<(F::Key, Change<F::Data>)> {
        let keys: Vec<F::Key> = self
            .routes
            .iter()
            .filter(|(k, ps)| ps.iter().any(|p| pred(k, p)))
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::new();
        for key in keys {
            let victims: Vec<(SourceId, u32)> = self.routes[&key]
                .iter()
                .filter(|p| pred(&key, p))
                .map(|p| (p.source, p.path_id))
                .collect();
            for (s, id) in victims {
                if let Some(c) = self.remove(&key, s, id, origin_of) {
                    out.push((key.clone(), c));
                }
            }
        }
        out
    }

    /// Marks every path of `source` stale (graceful restart of that peer).
    pub fn mark_stale(&mut self, source: SourceId) {
        for paths in self.routes.values_mut() {
            for p in paths.iter_mut().filter(|p| p.source == source) {
                p.stale = true;
            }
        }
    }

    pub fn count_paths(&self, pred: impl Fn(&Path<F::Data>) -> bool) -> usize {
        self.routes
            .values()
            .map(|ps| ps.iter().filter(|p| pred(p)).count())
            .sum()
    }
}
