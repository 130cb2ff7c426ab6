//! Which local workers import which route targets, per family.

use std::collections::{BTreeSet, HashMap};

use bagpipe_wire::{Family, RouteTarget};

use crate::source::SourceId;

#[derive(Default)]
pub struct Subscriptions {
    by_target: HashMap<(Family, RouteTarget), BTreeSet<SourceId>>,
    /// How many (worker, family) subscriptions each route target has: RT Constraint routes
    /// are originated for route targets with at least one.
    per_target: HashMap<RouteTarget, usize>,
}

impl Subscriptions {
    /// Adds the subscription; returns true when it is the first one for `rt`.
    pub fn add(&mut self, worker: SourceId, family: Family, rt: RouteTarget) -> Option<bool> {
        if !self
            .by_target
            .entry((family, rt))
            .or_default()
            .insert(worker)
        {
            return None;
        }
        let n = self.per_target.entry(rt).or_default();
        *n += 1;
        Some(*n == 1)
    }

    /// Removes the subscription; returns true when it was the last one for `rt`.
    pub fn remove(&mut self, worker: SourceId, family: Family, rt: RouteTarget) -> Option<bool> {
        let set = self.by_target.get_mut(&(family, rt))?;
        if !set.remove(&worker) {
            return None;
        }
        if set.is_empty() {
            self.by_target.remove(&(family, rt));
        }
        let n = self.per_target.get_mut(&rt).expect("counted on add");
        *n -= 1;
        if *n == 0 {
            self.per_target.remove(&rt);
            return Some(true);
        }
        Some(false)
    }

    pub fn subscribers(
        &self,
        family: Family,
        rt: &RouteTarget,
    ) -> impl Iterator<Item = SourceId> + '_ {
        self.by_target
            .get(&(family, *rt))
            .into_iter()
            .flatten()
            .copied()
    }

    pub fn is_subscribed(&self, worker: SourceId, family: Family, rt: &RouteTarget) -> bool {
        self.by_target
            .get(&(family, *rt))
            .is_some_and(|s| s.contains(&worker))
    }

    /// Every subscription of `worker`.
    pub fn of(&self, worker: SourceId) -> Vec<(Family, RouteTarget)> {
        self.by_target
            .iter()
            .filter(|(_, s)| s.contains(&worker))
            .map(|(k, _)| *k)
            .collect()
    }
}
