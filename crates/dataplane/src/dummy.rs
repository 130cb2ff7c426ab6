//! The `dummy` driver: programs nothing, records the calls. The looking glass and tests see
//! what a real driver would have been asked to do: the calls here, the desired state of each
//! instance from the driver task (kept there once, not copied here: a call costs what it
//! changed, whatever the size of the instance).

use std::collections::{BTreeMap, VecDeque};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::json;

use crate::change::{Changed, InstanceState};
use crate::driver::{DataplaneDriver, DriverError, ReconcileReport};

/// Calls kept for the looking glass; older ones are only counted.
const HISTORY: usize = 1000;

pub struct DummyDriver<S> {
    record: Arc<Mutex<DummyRecord>>,
    state: PhantomData<fn() -> S>,
}

/// What the dummy driver was told, shared with whoever holds a [`DummyDriver::recorder`].
#[derive(Debug, Default, Serialize)]
pub struct DummyRecord {
    /// The latest calls, oldest first.
    pub calls: VecDeque<DummyCall>,
    pub reconcile_count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum DummyCall {
    Reconcile {
        instance: u32,
        removed: bool,
        /// How many parts changed; `None`: the whole instance.
        parts: Option<usize>,
    },
    Resync,
    SweepUnclaimed,
}

impl<S> Default for DummyDriver<S> {
    fn default() -> Self {
        DummyDriver {
            record: Arc::default(),
            state: PhantomData,
        }
    }
}

impl<S> DummyDriver<S> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A view of the record that stays valid once the driver is moved into its task.
    pub fn recorder(&self) -> Arc<Mutex<DummyRecord>> {
        Arc::clone(&self.record)
    }

    fn log(&self, call: DummyCall) -> std::sync::MutexGuard<'_, DummyRecord> {
        let mut record = self.record.lock().expect("dummy record");
        if record.calls.len() == HISTORY {
            record.calls.pop_front();
        }
        record.calls.push_back(call);
        record
    }
}

impl<S: InstanceState> DataplaneDriver for DummyDriver<S> {
    type State = S;

    fn name(&self) -> &'static str {
        "dummy"
    }

    async fn reconcile_instance(
        &mut self,
        id: u32,
        desired: Option<&S>,
        changed: &Changed<S::Part>,
    ) -> Result<ReconcileReport, DriverError> {
        let parts = match changed {
            Changed::All => None,
            Changed::Parts(p) => Some(p.len()),
        };
        let mut record = self.log(DummyCall::Reconcile {
            instance: id,
            removed: desired.is_none(),
            parts,
        });
        record.reconcile_count += 1;
        // Nothing is programmed: the parts count as changed, a removal as one removal.
        Ok(match desired {
            None => ReconcileReport {
                removed: 1,
                ..ReconcileReport::default()
            },
            Some(_) => ReconcileReport {
                changed: parts.unwrap_or(1),
                ..ReconcileReport::default()
            },
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

    fn describe(&self, desired: &BTreeMap<u32, S>) -> serde_json::Value {
        let record = self.record.lock().expect("dummy record");
        json!({
            "name": "dummy",
            "warning": "dummy dataplane driver: nothing is programmed",
            "reconcile_count": record.reconcile_count,
            "instances": desired,
            "recent_calls": record.calls,
        })
    }
}
