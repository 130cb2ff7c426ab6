//! The task a driver runs in: it keeps the desired state of every instance, applies the
//! updates that arrive over a bounded channel (whole states, or the parts that changed),
//! coalesces bursts (a part changed ten times is reconciled once), retries failures with
//! backoff (a full reconcile of the instance), and keeps an error or a panic of the driver
//! from reaching the daemon.
//!
//! ```text
//!  VPN layer ── update(id, InstanceUpdate) ──► [bounded channel] ──► driver task
//!             ◄── resync / sweep / describe / flush replies ──┘   │ desired states
//!                                                                 │ reconcile_instance(
//!                                                                 ▼   changed parts)
//!                                                           kernel (netlink)
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use serde::Serialize;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::change::{Changed, InstanceState, InstanceUpdate};
use crate::driver::{DataplaneDriver, DriverError};

#[derive(Clone, Debug)]
pub struct DriverTaskConfig {
    /// Capacity of the channel: a sender waits once this many commands are queued.
    pub capacity: usize,
    /// How long the task lets a burst build up after its first update, before reconciling.
    /// Zero (the default): only what the tasks already running queue meanwhile (a yield) —
    /// a lone update is not held back, and while a reconcile runs the rest of a burst queues
    /// up and becomes the next one anyway.
    pub coalesce_delay: Duration,
    /// First and longest wait before retrying a failed instance.
    pub retry_min: Duration,
    pub retry_max: Duration,
}

impl Default for DriverTaskConfig {
    fn default() -> Self {
        DriverTaskConfig {
            capacity: 1024,
            coalesce_delay: Duration::ZERO,
            retry_min: Duration::from_millis(500),
            retry_max: Duration::from_secs(30),
        }
    }
}

/// The VPN layer's end of a driver task. Cheap to clone.
pub struct DriverHandle<S: InstanceState> {
    name: &'static str,
    tx: mpsc::Sender<Command<S>>,
}

impl<S: InstanceState> Clone for DriverHandle<S> {
    fn clone(&self) -> Self {
        DriverHandle {
            name: self.name,
            tx: self.tx.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the {0} dataplane driver task has stopped")]
pub struct DriverGone(pub &'static str);

enum Command<S: InstanceState> {
    Update(u32, InstanceUpdate<S>),
    Query(Query),
}

/// Commands that must see every update sent before them applied.
enum Query {
    Resync(oneshot::Sender<Result<usize, String>>),
    Sweep(oneshot::Sender<Result<usize, String>>),
    Describe(oneshot::Sender<serde_json::Value>),
    Flush(oneshot::Sender<BTreeMap<u32, String>>),
    Stats(oneshot::Sender<DriverStats>),
}

impl<S: InstanceState> DriverHandle<S> {
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Updates the desired state of an instance. Waits only while the channel is full.
    pub async fn update(&self, id: u32, update: InstanceUpdate<S>) -> Result<(), DriverGone> {
        self.send(Command::Update(id, update)).await
    }

    /// Re-reads the kernel and adopts our entries, after a daemon restart; answers how many
    /// it found.
    pub async fn resync(&self) -> Result<Result<usize, String>, DriverGone> {
        self.ask(Query::Resync).await
    }

    /// Removes adopted entries that no instance claimed; returns how many.
    pub async fn sweep_unclaimed(&self) -> Result<Result<usize, String>, DriverGone> {
        self.ask(Query::Sweep).await
    }

    /// The driver's looking-glass view, with the task's counters.
    pub async fn describe(&self) -> Result<serde_json::Value, DriverGone> {
        self.ask(Query::Describe).await
    }

    /// What the task has done so far, and what it has now (for the metrics). Answered at
    /// once, pending reconciles left pending: a scrape does not wait for the kernel.
    pub async fn stats(&self) -> Result<DriverStats, DriverGone> {
        self.ask(Query::Stats).await
    }

    /// Waits until every update sent before has been applied or has failed; returns the
    /// instances whose last attempt failed, with the error.
    pub async fn flush(&self) -> Result<BTreeMap<u32, String>, DriverGone> {
        self.ask(Query::Flush).await
    }

    async fn send(&self, command: Command<S>) -> Result<(), DriverGone> {
        self.tx
            .send(command)
            .await
            .map_err(|_| DriverGone(self.name))
    }

    async fn ask<T>(
        &self,
        query: impl FnOnce(oneshot::Sender<T>) -> Query,
    ) -> Result<T, DriverGone> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Query(query(reply))).await?;
        answer.await.map_err(|_| DriverGone(self.name))
    }
}

/// Runs `driver` in a task of the current tokio runtime.
pub fn spawn_driver<D: DataplaneDriver>(driver: D) -> DriverHandle<D::State> {
    spawn_driver_with(driver, DriverTaskConfig::default())
}

pub fn spawn_driver_with<D: DataplaneDriver>(
    driver: D,
    config: DriverTaskConfig,
) -> DriverHandle<D::State> {
    let (tx, rx) = mpsc::channel(config.capacity.max(1));
    let name = driver.name();
    tokio::spawn(
        Runner {
            driver,
            config,
            desired: BTreeMap::new(),
            pending: BTreeMap::new(),
            failed: BTreeMap::new(),
            panicked: BTreeSet::new(),
            retry: None,
            stats: TaskCounters::default(),
        }
        .run(rx),
    );
    DriverHandle { name, tx }
}

/// What a driver task has done since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TaskCounters {
    pub updates: u64,
    pub reconciles: u64,
    /// Reconciles of a whole instance (new, removed, retried), and parts reconciled by the
    /// others.
    pub full_reconciles: u64,
    pub parts_reconciled: u64,
    pub failures: u64,
    pub panics: u64,
    /// Kernel entries created, changed and removed by successful reconciles.
    pub created: u64,
    pub changed: u64,
    pub removed: u64,
}

/// A driver task's counters and present state, for the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverStats {
    /// The driver's name (`linux`, `dummy`...).
    pub driver: &'static str,
    pub counters: TaskCounters,
    /// Instances with a desired state.
    pub instances: usize,
    /// Instances whose last reconcile failed (retried with backoff meanwhile).
    pub failed_instances: usize,
    /// Instances with changes not reconciled yet.
    pub pending_instances: usize,
}

type Part<D> = <<D as DataplaneDriver>::State as InstanceState>::Part;

struct Runner<D: DataplaneDriver> {
    driver: D,
    config: DriverTaskConfig,
    /// The desired state of every instance.
    desired: BTreeMap<u32, D::State>,
    /// What changed in each instance since it was last reconciled.
    pending: BTreeMap<u32, Changed<Part<D>>>,
    /// Instances whose last reconcile failed, with the error.
    failed: BTreeMap<u32, String>,
    /// Instances whose driver call panicked: what the driver remembers of them may be off,
    /// so their next reconcile is a full one.
    panicked: BTreeSet<u32>,
    /// When to retry the failed instances, and the wait after that.
    retry: Option<(Instant, Duration)>,
    stats: TaskCounters,
}

impl<D: DataplaneDriver> Runner<D> {
    async fn run(mut self, mut rx: mpsc::Receiver<Command<D::State>>) {
        loop {
            let retry_at = self.retry.map(|(at, _)| at);
            let first = tokio::select! {
                command = rx.recv() => match command {
                    Some(c) => Some(c),
                    None => break,
                },
                _ = sleep_until(retry_at) => None,
            };
            match first {
                None => self.requeue_failed(),
                Some(Command::Update(id, state)) => {
                    self.take_update(id, state);
                    // Let the rest of a burst arrive, so it becomes one reconcile.
                    if self.config.coalesce_delay.is_zero() {
                        tokio::task::yield_now().await;
                    } else {
                        tokio::time::sleep(self.config.coalesce_delay).await;
                    }
                }
                Some(Command::Query(query)) => self.answer(query).await,
            }
            // Whatever else is queued joins this round.
            for _ in 0..self.config.capacity.max(1) * 4 {
                match rx.try_recv() {
                    Ok(Command::Update(id, state)) => self.take_update(id, state),
                    Ok(Command::Query(query)) => self.answer(query).await,
                    Err(_) => break,
                }
            }
            self.reconcile_pending().await;
        }
    }

    fn take_update(&mut self, id: u32, update: InstanceUpdate<D::State>) {
        self.stats.updates += 1;
        let changed = update.apply_to(id, &mut self.desired);
        self.pending
            .entry(id)
            .or_insert_with(Changed::nothing)
            .add(changed);
    }

    /// A retry reconciles the whole instance: whatever failed, and whatever was left undone
    /// because of it, is put right.
    fn requeue_failed(&mut self) {
        for id in self.failed.keys() {
            self.pending.insert(*id, Changed::All);
        }
    }

    /// Answers after applying every update received before the query (but the stats).
    async fn answer(&mut self, query: Query) {
        if !matches!(query, Query::Stats(_)) {
            self.reconcile_pending().await;
        }
        match query {
            Query::Resync(reply) => {
                let outcome = guard(self.driver.resync()).await;
                let _ = reply.send(self.tally(outcome));
            }
            Query::Sweep(reply) => {
                let outcome = guard(self.driver.sweep_unclaimed()).await;
                let _ = reply.send(self.tally(outcome));
            }
            Query::Describe(reply) => {
                let _ = reply.send(json!({
                    "driver": self.driver.describe(&self.desired),
                    "task": self.stats,
                    "failed_instances": self.failed,
                }));
            }
            Query::Flush(reply) => {
                let _ = reply.send(self.failed.clone());
            }
            Query::Stats(reply) => {
                let _ = reply.send(DriverStats {
                    driver: self.driver.name(),
                    counters: self.stats.clone(),
                    instances: self.desired.len(),
                    failed_instances: self.failed.len(),
                    pending_instances: self.pending.len(),
                });
            }
        }
    }

    async fn reconcile_pending(&mut self) {
        for (id, mut changed) in std::mem::take(&mut self.pending) {
            if self.panicked.remove(&id) {
                changed = Changed::All;
            }
            self.stats.reconciles += 1;
            match &changed {
                Changed::All => self.stats.full_reconciles += 1,
                Changed::Parts(parts) => self.stats.parts_reconciled += parts.len() as u64,
            }
            let desired = self.desired.get(&id);
            let outcome = guard(self.driver.reconcile_instance(id, desired, &changed)).await;
            if outcome.is_err() {
                self.panicked.insert(id);
            }
            match self.tally(outcome) {
                Ok(report) => {
                    self.failed.remove(&id);
                    self.stats.created += report.created as u64;
                    self.stats.changed += report.changed as u64;
                    self.stats.removed += report.removed as u64;
                    tracing::debug!(
                        driver = self.driver.name(),
                        instance = id,
                        ?report,
                        "reconciled"
                    );
                }
                Err(error) => {
                    self.stats.failures += 1;
                    tracing::warn!(driver = self.driver.name(), instance = id, %error, "dataplane reconcile failed, will retry");
                    self.failed.insert(id, error);
                }
            }
        }
        self.schedule_retry();
    }

    fn schedule_retry(&mut self) {
        self.retry = match (self.failed.is_empty(), self.retry) {
            (true, _) => None,
            (false, Some((at, wait))) if at > Instant::now() => Some((at, wait)),
            (false, previous) => {
                let wait = previous.map_or(self.config.retry_min, |(_, w)| {
                    (w * 2).min(self.config.retry_max)
                });
                Some((Instant::now() + wait, wait))
            }
        };
    }

    /// Counts panics; turns the outcome into what callers are told.
    fn tally<T>(&mut self, outcome: Result<Result<T, DriverError>, Panicked>) -> Result<T, String> {
        match outcome {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(Panicked) => {
                self.stats.panics += 1;
                Err("the driver panicked".into())
            }
        }
    }
}

struct Panicked;

/// Runs a driver call, catching a panic: the driver's state may then be off, but it is
/// level-triggered, so the next (full) reconcile puts things right.
async fn guard<T>(call: impl std::future::Future<Output = T>) -> Result<T, Panicked> {
    AssertUnwindSafe(call)
        .catch_unwind()
        .await
        .map_err(|_| Panicked)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
