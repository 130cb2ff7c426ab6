//! The `dummy` driver: programs nothing, remembers everything. The looking glass and tests
//! see what a real driver would have been asked to do.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::json;

use crate::driver::{DataplaneDriver, DriverError, ReconcileReport};

/// Calls kept for the looking glass; older ones are only counted.
const HISTORY: usize = 1000;

pub struct DummyDriver<S> {
    record: Arc<Mutex<DummyRecord<S>>>,
}

/// What the dummy driver was told, shared with whoever holds a [`DummyDriver::recorder`].
#[derive(Debug, Serialize)]
pub struct DummyRecord<S> {
    /// The state of each instance, as the last reconcile left it.
    pub instances: BTreeMap<u32, S>,
    /// The latest calls, oldest first.
    pub calls: VecDeque<DummyCall>,
    pub reconcile_count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum DummyCall {
    Reconcile { instance: u32, removed: bool },
    Resync,
    SweepUnclaimed,
}

impl<S> Default for DummyDriver<S> {
    fn default() -> Self {
        DummyDriver {
            record: Arc::new(Mutex::new(DummyRecord {
                instances: BTreeMap::new(),
                calls: VecDeque::new(),
                reconcile_count: 0,
            })),
        }
    }
}

impl<S> DummyDriver<S> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A view of the record that stays valid once the driver is moved into its task.
    pub fn recorder(&self) -> Arc<Mutex<DummyRecord<S>>> {
        Arc::clone(&self.record)
    }

    fn log(&self, call: DummyCall) -> std::sync::MutexGuard<'_, DummyRecord<S>> {
        let mut record = self.record.lock().expect("dummy record");
        if record.calls.len() == HISTORY {
            record.calls.pop_front();
        }
        record.calls.push_back(call);
        record
    }
}

impl<S> DataplaneDriver for DummyDriver<S>
where
    S: Clone + std::fmt::Debug + PartialEq + Serialize + Send + Sync + 'static,
{
    type State = S;

    fn name(&self) -> &'static str {
        "dummy"
    }

    async fn reconcile_instance(
        &mut self,
        id: u32,
        desired: Option<&S>,
    ) -> Result<ReconcileReport, DriverError> {
        let mut record = self.log(DummyCall::Reconcile {
            instance: id,
            removed: desired.is_none(),
        });
        record.reconcile_count += 1;
        let previous = match desired {
            Some(s) => record.instances.insert(id, s.clone()),
            None => record.instances.remove(&id),
        };
        Ok(ReconcileReport {
            created: usize::from(previous.is_none() && desired.is_some()),
            changed: usize::from(
                previous.is_some() && desired.is_some() && previous.as_ref() != desired,
            ),
            removed: usize::from(previous.is_some() && desired.is_none()),
        })
    }

    async fn resync(&mut self) -> Result<usize, DriverError> {
        drop(self.log(DummyCall::Resync));
        Ok(0)
    }

    async fn sweep_unclaimed(&mut self) -> Result<usize, DriverError> {
        drop(self.log(DummyCall::SweepUnclaimed));
        Ok(0)
    }

    fn describe(&self) -> serde_json::Value {
        let record = self.record.lock().expect("dummy record");
        json!({
            "name": "dummy",
            "warning": "dummy dataplane driver: nothing is programmed",
            "reconcile_count": record.reconcile_count,
            "instances": record.instances,
            "recent_calls": record.calls,
        })
    }
}
