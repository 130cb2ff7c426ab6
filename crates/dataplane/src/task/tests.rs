use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::*;
use crate::driver::ReconcileReport;
use crate::dummy::{DummyCall, DummyDriver};

/// A state of numbered values, each a part of its own.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct Values(BTreeMap<u32, u32>);

impl InstanceState for Values {
    type Part = u32;
    type Change = (u32, u32);

    fn apply(&mut self, (part, value): (u32, u32)) -> u32 {
        self.0.insert(part, value);
        part
    }
}

fn values(n: u32) -> Values {
    Values((0..n).map(|i| (i, 0)).collect())
}

#[tokio::test]
async fn a_burst_becomes_a_few_reconciles_of_the_latest_state() {
    let driver = DummyDriver::<Values>::new();
    let record = driver.recorder();
    let handle = spawn_driver(driver);
    for id in 0..2 {
        handle
            .update(id, InstanceUpdate::Replace(values(10)))
            .await
            .unwrap();
    }
    for i in 0..10_000u32 {
        let change = InstanceUpdate::Changes(vec![(i % 10, i)]);
        handle.update(i % 2, change).await.unwrap();
    }
    assert!(handle.flush().await.unwrap().is_empty());
    let described = handle.describe().await.unwrap();
    let instances = &described["driver"]["instances"];
    assert_eq!(instances["0"]["8"], 9_998);
    assert_eq!(instances["1"]["9"], 9_999);
    let count = record.lock().unwrap().reconcile_count;
    println!("10,000 updates: {count} reconciles");
    assert!(count <= 100, "10,000 updates took {count} reconciles");
}

#[tokio::test]
async fn a_change_reconciles_its_part_only_a_new_instance_all_of_it() {
    let driver = DummyDriver::<Values>::new();
    let record = driver.recorder();
    let handle = spawn_driver(driver);
    handle
        .update(3, InstanceUpdate::Replace(values(1000)))
        .await
        .unwrap();
    handle.flush().await.unwrap();
    handle
        .update(3, InstanceUpdate::Changes(vec![(7, 1), (7, 2), (8, 1)]))
        .await
        .unwrap();
    handle.flush().await.unwrap();
    let calls: Vec<DummyCall> = record.lock().unwrap().calls.iter().cloned().collect();
    let reconcile = |parts| DummyCall::Reconcile {
        instance: 3,
        removed: false,
        parts,
    };
    assert_eq!(calls, vec![reconcile(None), reconcile(Some(2))]);
    let described = handle.describe().await.unwrap();
    assert_eq!(described["driver"]["instances"]["3"]["7"], 2);
    assert_eq!(described["task"]["parts_reconciled"], 2);
    assert_eq!(described["task"]["full_reconciles"], 1);
}

#[tokio::test]
async fn removal_reaches_the_driver() {
    let driver = DummyDriver::<Values>::new();
    let record = driver.recorder();
    let handle = spawn_driver(driver);
    handle
        .update(7, InstanceUpdate::Replace(values(1)))
        .await
        .unwrap();
    handle.update(7, InstanceUpdate::Remove).await.unwrap();
    handle.flush().await.unwrap();
    let described = handle.describe().await.unwrap();
    assert_eq!(described["driver"]["instances"], serde_json::json!({}));
    let last = record.lock().unwrap().calls.back().cloned();
    assert_eq!(
        last,
        Some(DummyCall::Reconcile {
            instance: 7,
            removed: true,
            parts: None
        })
    );
}

/// Fails its first `failures` reconciles, then panics once, then works; records whether
/// each call was a full one.
struct Flaky {
    calls: Arc<AtomicUsize>,
    failures: usize,
    full: Arc<Mutex<Vec<bool>>>,
}

impl DataplaneDriver for Flaky {
    type State = Values;

    fn name(&self) -> &'static str {
        "flaky"
    }

    async fn reconcile_instance(
        &mut self,
        _: u32,
        _: Option<&Values>,
        changed: &Changed<u32>,
    ) -> Result<ReconcileReport, DriverError> {
        self.full
            .lock()
            .unwrap()
            .push(matches!(changed, Changed::All));
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if call < self.failures {
            return Err(DriverError::Kernel("not yet".into()));
        }
        if call == self.failures {
            panic!("a bug in the driver");
        }
        Ok(ReconcileReport::default())
    }

    async fn resync(&mut self) -> Result<usize, DriverError> {
        Ok(0)
    }

    async fn sweep_unclaimed(&mut self) -> Result<usize, DriverError> {
        Ok(0)
    }

    fn describe(&self, _: &BTreeMap<u32, Values>) -> serde_json::Value {
        serde_json::Value::Null
    }
}

#[tokio::test(start_paused = true)]
async fn failures_and_panics_are_retried_in_full_and_reported_never_fatal() {
    let calls = Arc::new(AtomicUsize::new(0));
    let full = Arc::new(Mutex::new(Vec::new()));
    let handle = spawn_driver(Flaky {
        calls: Arc::clone(&calls),
        failures: 1,
        full: Arc::clone(&full),
    });
    handle
        .update(1, InstanceUpdate::Replace(values(2)))
        .await
        .unwrap();
    let failed = handle.flush().await.unwrap();
    assert_eq!(failed.get(&1).map(String::as_str), Some("netlink: not yet"));
    // A change while the instance is failing is applied as a change.
    handle
        .update(1, InstanceUpdate::Changes(vec![(0, 1)]))
        .await
        .unwrap();
    handle.flush().await.unwrap();
    // Retries come by themselves, with backoff, in full: the panic, then success.
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_secs(31)).await;
    }
    assert!(handle.flush().await.unwrap().is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(*full.lock().unwrap(), vec![true, false, true]);
    let described = handle.describe().await.unwrap();
    assert_eq!(described["task"]["panics"], 1);
    assert_eq!(described["task"]["failures"], 2);
}

#[tokio::test(start_paused = true)]
async fn stats_count_what_the_task_did_and_show_failing_instances() {
    let handle = spawn_driver(Flaky {
        calls: Arc::new(AtomicUsize::new(0)),
        failures: 1,
        full: Arc::default(),
    });
    for id in [1, 2] {
        handle
            .update(id, InstanceUpdate::Replace(values(2)))
            .await
            .unwrap();
    }
    handle.flush().await.unwrap();
    let stats = handle.stats().await.unwrap();
    assert_eq!(stats.driver, "flaky");
    assert_eq!((stats.instances, stats.failed_instances), (2, 2));
    assert_eq!(stats.pending_instances, 0);
    assert_eq!(stats.counters.updates, 2);
    assert_eq!(stats.counters.reconciles, 2);
    // The first call failed, the second panicked: both instances are failing.
    assert_eq!((stats.counters.failures, stats.counters.panics), (2, 1));
    handle
        .update(3, InstanceUpdate::Replace(values(1)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(31)).await;
    handle.flush().await.unwrap();
    let stats = handle.stats().await.unwrap();
    assert_eq!((stats.instances, stats.failed_instances), (3, 0));
    assert_eq!(stats.counters.updates, 3);
    assert_eq!(stats.counters.failures, 2);
}
