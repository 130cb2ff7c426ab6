use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;
use crate::driver::ReconcileReport;
use crate::dummy::DummyDriver;

#[tokio::test]
async fn a_burst_becomes_a_few_reconciles_of_the_latest_state() {
    let driver = DummyDriver::<u32>::new();
    let record = driver.recorder();
    let handle = spawn_driver(driver);
    for i in 0..10_000u32 {
        handle.update(i % 2, Some(i)).await.unwrap();
    }
    assert!(handle.flush().await.unwrap().is_empty());
    let record = record.lock().unwrap();
    assert_eq!(record.instances.get(&0), Some(&9_998));
    assert_eq!(record.instances.get(&1), Some(&9_999));
    println!("10,000 updates: {} reconciles", record.reconcile_count);
    assert!(
        record.reconcile_count <= 100,
        "10,000 updates took {} reconciles",
        record.reconcile_count
    );
}

#[tokio::test]
async fn removal_reaches_the_driver() {
    let driver = DummyDriver::<u32>::new();
    let record = driver.recorder();
    let handle = spawn_driver(driver);
    handle.update(7, Some(1)).await.unwrap();
    handle.update(7, None).await.unwrap();
    handle.flush().await.unwrap();
    assert!(record.lock().unwrap().instances.is_empty());
}

/// Fails its first `failures` reconciles, then panics once, then works.
struct Flaky {
    calls: Arc<AtomicUsize>,
    failures: usize,
}

impl DataplaneDriver for Flaky {
    type State = u32;

    fn name(&self) -> &'static str {
        "flaky"
    }

    async fn reconcile_instance(
        &mut self,
        _: u32,
        _: Option<&u32>,
    ) -> Result<ReconcileReport, DriverError> {
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

    fn describe(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

#[tokio::test(start_paused = true)]
async fn failures_and_panics_are_retried_and_reported_never_fatal() {
    let calls = Arc::new(AtomicUsize::new(0));
    let handle = spawn_driver(Flaky {
        calls: Arc::clone(&calls),
        failures: 2,
    });
    handle.update(1, Some(1)).await.unwrap();
    let failed = handle.flush().await.unwrap();
    assert_eq!(failed.get(&1).map(String::as_str), Some("netlink: not yet"));
    // Retries come by themselves, with backoff: an error, then a panic, then success.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(31)).await;
    }
    assert!(handle.flush().await.unwrap().is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    let described = handle.describe().await.unwrap();
    assert_eq!(described["task"]["panics"], 1);
    assert_eq!(described["task"]["failures"], 3);
}
