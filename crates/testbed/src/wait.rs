//! Polling until something is true: what a test does while a daemon converges, and what a
//! benchmark does until a receiver holds every route.

use std::time::{Duration, Instant};

/// Polls `check` every `every` until it returns `Some`, or `None` once `timeout` has passed.
pub fn poll<T>(
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(every);
    }
}

/// Polls `check` every 20 ms until it returns `Some`, or panics after `timeout`, naming
/// `what` it waited for.
pub fn wait_for<T>(timeout: Duration, what: &str, check: impl FnMut() -> Option<T>) -> T {
    poll(timeout, Duration::from_millis(20), check)
        .unwrap_or_else(|| panic!("timed out after {timeout:?} waiting for {what}"))
}
