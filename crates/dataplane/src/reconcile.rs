//! The diff engine shared by the Linux drivers: what each instance wants, what the kernel
//! holds, and the operations between the two.
//!
//! Entries are keyed by what identifies them in the kernel ([`Key`]). A driver renders each
//! part of an instance's state (its own fields, a port, a remote MAC, a prefix...) into the
//! entries it needs; the instance claims the entries of all its parts. Parts may share an
//! entry (the neighbour and FDB entries of a remote PE serve every prefix behind it): the
//! entry stays while one part still renders it, and where two parts render different values
//! for one key, the first part's wins. An entry is wanted while some instance claims it (the
//! lowest instance id wins a conflict). A reconcile replaces the rendering of the parts that
//! changed and looks at their entries only, so its cost is that of what changed, whatever
//! the size of the instance. `installed` only changes when the kernel said yes, and keys whose
//! operation failed are looked at again by the next reconcile of their instance.
//!
//! After a restart, `resync` adopts what the previous run left, and only `sweep_unclaimed`
//! removes what no instance claimed since: a reconcile never does, because the first states
//! the daemon sends after a restart are partial (an instance exists as soon as its first
//! port is re-attached, its remote routes arrive later) and removing the entries they lack
//! would cut traffic that the next states restore.

use std::collections::{BTreeMap, BTreeSet};

use crate::driver::{DriverError, ReconcileReport};
use crate::kernel::{Entry, Kernel, Key, Op};

/// Whether an entry found in the kernel among those marked as ours (see [`crate::owned`]) is
/// this driver's rather than the other's (both Linux drivers mark their entries alike).
pub type Owns = fn(&Entry) -> bool;

pub struct Reconciler<K, P> {
    kernel: K,
    installed: BTreeMap<Key, Entry>,
    /// Per instance, what it claims.
    claims: BTreeMap<u32, Claim<P>>,
    /// Per key, the instances claiming it (several only when their states conflict).
    claimants: BTreeMap<Key, BTreeSet<u32>>,
    /// Keys whose last operation failed.
    failed: BTreeSet<Key>,
    /// Adopted by `resync` and claimed by no instance since.
    unclaimed: BTreeSet<Key>,
    owns: Owns,
}

/// What one instance claims, part by part.
struct Claim<P> {
    /// The keys each part rendered.
    parts: BTreeMap<P, Vec<Key>>,
    /// Per key, the entry each part rendering it wants, in part order.
    entries: BTreeMap<Key, Vec<(P, Entry)>>,
}

impl<P> Default for Claim<P> {
    fn default() -> Self {
        Claim {
            parts: BTreeMap::new(),
            entries: BTreeMap::new(),
        }
    }
}

impl<K: Kernel, P: Ord + Clone> Reconciler<K, P> {
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

    /// Makes `rendered` what these parts of instance `id` claim (a part rendering nothing
    /// claims nothing) and applies the difference. `whole`: these are all of its parts, and
    /// the others it had claim nothing any more.
    pub(crate) async fn reconcile(
        &mut self,
        id: u32,
        rendered: Vec<(P, Vec<Entry>)>,
        whole: bool,
    ) -> Result<ReconcileReport, DriverError> {
        let mut claim = self.claims.remove(&id).unwrap_or_default();
        let mut touched = BTreeSet::new();
        if whole {
            let given: BTreeSet<&P> = rendered.iter().map(|(p, _)| p).collect();
            let dropped: Vec<P> = claim
                .parts
                .keys()
                .filter(|p| !given.contains(p))
                .cloned()
                .collect();
            for part in dropped {
                self.set_part(id, &mut claim, part, Vec::new(), &mut touched);
            }
        }
        for (part, entries) in rendered {
            self.set_part(id, &mut claim, part, entries, &mut touched);
        }
        let retry = self
            .failed
            .iter()
            .filter(|k| claim.entries.contains_key(*k));
        touched.extend(retry.cloned());
        if !claim.parts.is_empty() {
            self.claims.insert(id, claim);
        }
        self.converge(touched).await
    }

    /// Replaces what `part` of instance `id` renders, noting the keys it touches.
    fn set_part(
        &mut self,
        id: u32,
        claim: &mut Claim<P>,
        part: P,
        entries: Vec<Entry>,
        touched: &mut BTreeSet<Key>,
    ) {
        let mut keys = Vec::with_capacity(entries.len());
        let mut wanted = Vec::with_capacity(entries.len());
        for entry in entries {
            let key = entry.key();
            // A part rendering one key twice means the first.
            if !keys.contains(&key) {
                keys.push(key.clone());
                wanted.push((key, entry));
            }
        }
        for key in claim.parts.remove(&part).unwrap_or_default() {
            if keys.contains(&key) {
                continue;
            }
            let Some(by_part) = claim.entries.get_mut(&key) else {
                continue;
            };
            by_part.retain(|(p, _)| *p != part);
            if by_part.is_empty() {
                claim.entries.remove(&key);
                // Whatever failed for it no longer matters; a failed removal re-adds it.
                self.failed.remove(&key);
                if let Some(ids) = self.claimants.get_mut(&key) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        self.claimants.remove(&key);
                    }
                }
            }
            touched.insert(key);
        }
        for (key, entry) in wanted {
            let by_part = claim.entries.entry(key.clone()).or_insert_with(|| {
                self.claimants.entry(key.clone()).or_default().insert(id);
                Vec::new()
            });
            match by_part.binary_search_by(|(p, _)| p.cmp(&part)) {
                Ok(i) if by_part[i].1 == entry => continue,
                Ok(i) => by_part[i].1 = entry,
                Err(i) => by_part.insert(i, (part.clone(), entry)),
            }
            touched.insert(key);
        }
        if !keys.is_empty() {
            claim.parts.insert(part, keys);
        }
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
        let (_, entry) = self.claims.get(first)?.entries.get(key)?.first()?;
        Some(entry)
    }

    /// Brings the entries of `keys` to what is wanted of them: links first, since deleting
    /// or re-creating a device takes the entries living on it along.
    async fn converge(&mut self, keys: BTreeSet<Key>) -> Result<ReconcileReport, DriverError> {
        let (links, mut others): (BTreeSet<Key>, BTreeSet<Key>) =
            keys.into_iter().partition(|k| matches!(k, Key::Link(_)));
        let mut outcome = Outcome::default();
        let link_ops = self.plan(&links);
        let dead: BTreeSet<String> = self
            .execute(link_ops, &mut outcome)
            .await
            .into_iter()
            .flat_map(|op| match op {
                Op::Remove(e) => link_names(&e),
                Op::Change { old, new } if recreates(&old, &new) => link_names(&old),
                _ => Vec::new(),
            })
            .collect();
        if !dead.is_empty() {
            let gone: Vec<Key> = self
                .installed
                .iter()
                .filter(|(_, e)| dead.iter().any(|d| e.lives_on(d)))
                .map(|(k, _)| k.clone())
                .collect();
            for key in gone {
                self.forget(&key);
                outcome.report.removed += 1;
                // Still wanted (on the device created again): to create again.
                if self.claimants.contains_key(&key) {
                    others.insert(key);
                }
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
                // Out of the old bridge first (removals run before creations): if the new
                // bridge cannot be had, the port is in none rather than left in the network
                // it was moved out of. Plugged in later, when its retry succeeds.
                (Some(have @ Entry::BridgePort { .. }), Some(want)) if have != want => {
                    ops.push(Op::Remove(have.clone()));
                    Op::Create(want.clone())
                }
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
        // Only links conflict: spare every other entry a walk over what is unclaimed.
        if !matches!(want, Entry::Vxlan(_)) {
            return Vec::new();
        }
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

/// The devices a link entry is (both ends of a veth pair).
fn link_names(entry: &Entry) -> Vec<String> {
    match entry {
        Entry::Bridge { name } => vec![name.clone()],
        Entry::Vxlan(v) => vec![v.name.clone()],
        Entry::Veth { name, peer, .. } => vec![name.clone(), peer.clone()],
        _ => Vec::new(),
    }
}

/// Whether changing a link means deleting and creating it again (only the bridge a VXLAN
/// device or a veth pair is plugged into can change in place).
pub(crate) fn recreates(old: &Entry, new: &Entry) -> bool {
    match (old, new) {
        (
            Entry::Veth { name, peer, .. },
            Entry::Veth {
                name: n, peer: p, ..
            },
        ) => (name, peer) != (n, p),
        (Entry::Vxlan(a), Entry::Vxlan(b)) => {
            (a.vni, a.local, a.dst_port) != (b.vni, b.local, b.dst_port)
                || (b.mac.is_some() && a.mac != b.mac)
        }
        _ => old != new,
    }
}

#[cfg(test)]
mod properties;
