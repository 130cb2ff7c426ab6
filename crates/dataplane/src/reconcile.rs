//! The diff engine shared by the Linux drivers: what each instance wants, what the kernel
//! holds, and the operations between the two.
//!
//! Entries are keyed by what identifies them in the kernel ([`Key`]). Each instance claims
//! the entries its desired state renders to; an entry is wanted while some instance claims
//! it (the lowest instance id wins a conflict). A reconcile first compares the instance's
//! new claim with its previous one, so its cost beyond rendering is that of what changed.
//! `installed` only changes when the kernel said yes, and keys whose operation failed are
//! looked at again by the next reconcile of their instance.
//!
//! After a restart, `resync` adopts what the previous run left, and only `sweep_unclaimed`
//! removes what no instance claimed since: a reconcile never does, because the first states
//! the daemon sends after a restart are partial (an instance exists as soon as its first
//! port is re-attached, its remote routes arrive later) and removing the entries they lack
//! would cut traffic that the next states restore.

use std::collections::{BTreeMap, BTreeSet};

use crate::driver::{DriverError, ReconcileReport};
use crate::kernel::{Entry, Kernel, Key, Op, RouteKind};

/// Whether an entry found in the kernel among those marked as ours (see [`crate::owned`]) is
/// this driver's rather than the other's (both Linux drivers mark their entries alike).
pub type Owns = fn(&Entry) -> bool;

pub struct Reconciler<K> {
    kernel: K,
    installed: BTreeMap<Key, Entry>,
    /// Per instance, what it claims.
    claims: BTreeMap<u32, BTreeMap<Key, Entry>>,
    /// Per key, the instances claiming it (several only when their states conflict).
    claimants: BTreeMap<Key, BTreeSet<u32>>,
    /// Keys whose last operation failed.
    failed: BTreeSet<Key>,
    /// Adopted by `resync` and claimed by no instance since.
    unclaimed: BTreeSet<Key>,
    owns: Owns,
}

impl<K: Kernel> Reconciler<K> {
    pub(crate) fn new(kernel: K, owns: Owns) -> Self {
        Reconciler {
            kernel,
            installed: BTreeMap::new(),
            claims: BTreeMap::new(),
            claimants: BTreeMap::new(),
            failed: BTreeSet::new(),
            unclaimed: BTreeSet::new(),
            owns,
        }
    }

    pub(crate) fn installed(&self) -> impl Iterator<Item = &Entry> {
        self.installed.values()
    }

    pub(crate) fn unclaimed_count(&self) -> usize {
        self.unclaimed.len()
    }

    /// Makes `entries` the whole claim of instance `id` and applies the difference.
    pub(crate) async fn reconcile(
        &mut self,
        id: u32,
        entries: Vec<Entry>,
    ) -> Result<ReconcileReport, DriverError> {
        let mut claim = BTreeMap::new();
        for entry in entries {
            claim.entry(entry.key()).or_insert(entry);
        }
        let previous = self.claims.remove(&id).unwrap_or_default();
        let mut touched = BTreeSet::new();
        for (key, entry) in &previous {
            match claim.get(key) {
                Some(same) if same == entry => {}
                Some(_) => {
                    touched.insert(key.clone());
                }
                None => {
                    touched.insert(key.clone());
                    // Whatever failed for it no longer matters; a failed removal re-adds it.
                    self.failed.remove(key);
                    if let Some(ids) = self.claimants.get_mut(key) {
                        ids.remove(&id);
                        if ids.is_empty() {
                            self.claimants.remove(key);
                        }
                    }
                }
            }
        }
        for key in claim.keys().filter(|k| !previous.contains_key(*k)) {
            touched.insert(key.clone());
            self.claimants.entry(key.clone()).or_default().insert(id);
        }
        let retry = self
            .failed
            .iter()
            .filter(|k| claim.contains_key(*k) || previous.contains_key(*k));
        touched.extend(retry.cloned());
        if !claim.is_empty() {
            self.claims.insert(id, claim);
        }
        self.converge(touched).await
    }

    /// Forgets what we believed and adopts what the kernel holds of ours, then re-applies
    /// every claim (so drift made while we were not looking heals). Returns how many
    /// entries were found.
    pub(crate) async fn resync(&mut self) -> Result<usize, DriverError> {
        let found = self
            .kernel
            .dump_owned()
            .await
            .map_err(|e| DriverError::Kernel(e.to_string()))?;
        self.installed = found
            .into_iter()
            .filter(self.owns)
            .map(|e| (e.key(), e))
            .collect();
        self.unclaimed = self
            .installed
            .keys()
            .filter(|k| !self.claimants.contains_key(*k))
            .cloned()
            .collect();
        let claimed = self.claimants.keys().cloned().collect();
        let found = self.installed.len();
        self.converge(claimed).await.map(|_| found)
    }

    /// Removes what `resync` adopted and no instance claimed since.
    pub(crate) async fn sweep_unclaimed(&mut self) -> Result<ReconcileReport, DriverError> {
        let keys = std::mem::take(&mut self.unclaimed);
        self.converge(keys).await
    }

    fn desired(&self, key: &Key) -> Option<&Entry> {
        let first = self.claimants.get(key)?.first()?;
        self.claims.get(first)?.get(key)
    }

    /// Brings the entries of `keys` to what is wanted of them: links first, since deleting
    /// or re-creating a device takes the entries living on it along.
    async fn converge(&mut self, keys: BTreeSet<Key>) -> Result<ReconcileReport, DriverError> {
        let (links, others): (BTreeSet<Key>, BTreeSet<Key>) =
            keys.into_iter().partition(|k| matches!(k, Key::Link(_)));
        let mut outcome = Outcome::default();
        let link_ops = self.plan(&links);
        let dead: BTreeSet<String> = self
            .execute(link_ops, &mut outcome)
            .await
            .into_iter()
            .filter_map(|op| match op {
                Op::Remove(e) => link_name(&e),
                Op::Change { old, new } if recreates(&old, &new) => link_name(&old),
                _ => None,
            })
            .collect();
        if !dead.is_empty() {
            let gone: Vec<Key> = self
                .installed
                .iter()
                .filter(|(_, e)| dies_with_link(e, &dead))
                .map(|(k, _)| k.clone())
                .collect();
            for key in &gone {
                self.forget(key);
                outcome.report.removed += 1;
            }
        }
        let other_ops = self.plan(&others);
        self.execute(other_ops, &mut outcome).await;
        outcome.into_result()
    }

    fn plan(&self, keys: &BTreeSet<Key>) -> Vec<Op> {
        let mut ops = Vec::new();
        let mut displaced = BTreeSet::new();
        for key in keys {
            let op = match (self.installed.get(key), self.desired(key)) {
                (None, Some(want)) => Op::Create(want.clone()),
                (Some(have), Some(want)) if !have.satisfies(want) => Op::Change {
                    old: have.clone(),
                    new: want.clone(),
                },
                (Some(have), None) => Op::Remove(have.clone()),
                _ => continue,
            };
            if let Op::Create(want) | Op::Change { new: want, .. } = &op {
                for k in self.in_the_way(want) {
                    if !keys.contains(&k) && displaced.insert(k.clone()) {
                        ops.push(Op::Remove(self.installed[&k].clone()));
                    }
                }
            }
            ops.push(op);
        }
        ops
    }

    /// Adopted entries nobody claimed since that keep `want` from being created, to remove
    /// first: a VXLAN device of the previous run holding the VNI an instance now wants on a
    /// device of another name (instance ids follow the order of the attachments, which an
    /// agent replaying them after a restart need not keep). Waiting for the sweep would leave
    /// the instance without its device until then.
    fn in_the_way(&self, want: &Entry) -> Vec<Key> {
        self.unclaimed
            .iter()
            .filter(|k| {
                self.installed
                    .get(*k)
                    .is_some_and(|have| have.conflicts_with(want))
            })
            .cloned()
            .collect()
    }

    /// Applies `ops` stage by stage (removals backwards, then the rest forwards) and returns
    /// those the kernel accepted.
    async fn execute(&mut self, ops: Vec<Op>, outcome: &mut Outcome) -> Vec<Op> {
        let mut batches: BTreeMap<(bool, i16), Vec<Op>> = BTreeMap::new();
        for op in ops {
            let stage = i16::from(op.entry().stage());
            let order = match op {
                Op::Remove(_) => (false, -stage),
                _ => (true, stage),
            };
            batches.entry(order).or_default().push(op);
        }
        let mut applied = Vec::new();
        for batch in batches.into_values() {
            outcome.attempted += batch.len();
            let results = self.kernel.apply(&batch).await;
            for (op, result) in batch.into_iter().zip(results) {
                let key = op.entry().key();
                if let Err(e) = result {
                    outcome.failures.push(e);
                    self.failed.insert(key);
                    continue;
                }
                self.failed.remove(&key);
                match &op {
                    Op::Create(e) | Op::Change { new: e, .. } => {
                        self.unclaimed.remove(&key);
                        self.installed.insert(key, e.clone());
                    }
                    Op::Remove(_) => self.forget(&key),
                }
                outcome.count(&op);
                applied.push(op);
            }
        }
        applied
    }

    fn forget(&mut self, key: &Key) {
        self.installed.remove(key);
        self.unclaimed.remove(key);
    }
}

#[derive(Default)]
struct Outcome {
    report: ReconcileReport,
    attempted: usize,
    failures: Vec<crate::kernel::KernelError>,
}

impl Outcome {
    fn count(&mut self, op: &Op) {
        match op {
            Op::Create(_) => self.report.created += 1,
            Op::Change { .. } => self.report.changed += 1,
            Op::Remove(_) => self.report.removed += 1,
        }
    }

    fn into_result(self) -> Result<ReconcileReport, DriverError> {
        match self.failures.first() {
            None => Ok(self.report),
            Some(first) => Err(DriverError::Partial {
                failed: self.failures.len(),
                attempted: self.attempted,
                first: first.to_string(),
            }),
        }
    }
}

fn link_name(entry: &Entry) -> Option<String> {
    match entry {
        Entry::Bridge { name } => Some(name.clone()),
        Entry::Vxlan(v) => Some(v.name.clone()),
        _ => None,
    }
}

/// Whether changing a link means deleting and creating it again (only the bridge a VXLAN
/// device is plugged into can change in place).
pub(crate) fn recreates(old: &Entry, new: &Entry) -> bool {
    match (old, new) {
        (Entry::Vxlan(a), Entry::Vxlan(b)) => {
            (a.vni, a.local, a.dst_port) != (b.vni, b.local, b.dst_port)
                || (b.mac.is_some() && a.mac != b.mac)
        }
        _ => old != new,
    }
}

/// Whether the kernel removes `entry` by itself when these links are deleted.
fn dies_with_link(entry: &Entry, links: &BTreeSet<String>) -> bool {
    match entry {
        Entry::Fdb(f) => links.contains(&f.dev),
        Entry::Neigh { dev, .. } => links.contains(dev),
        Entry::BridgePort { bridge, .. } => links.contains(bridge),
        Entry::Route(r) => match &r.kind {
            RouteKind::Dev(dev) => links.contains(dev),
            RouteKind::Via(hops) => hops.iter().any(|h| links.contains(&h.dev)),
            RouteKind::Unreachable => false,
        },
        _ => false,
    }
}
