//! The `logs` node: the last warnings and errors of the daemon, newest first, as the
//! original's `LookingGlassLogHandler` kept them (100 records, `"` turned into `'`).
//!
//! A [`LogRingLayer`] added to the tracing subscriber fills a [`LogRing`]; the looking
//! glass reads it. The ring is behind a mutex because any thread may log; it holds no
//! routing state.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use super::clock::local_time_text;

/// How many records the original kept.
pub const DEFAULT_LOG_RING_CAPACITY: usize = 100;

/// The levels of the records, by Python's names as the original showed them.
const WARNING: &str = "WARNING";
const ERROR: &str = "ERROR";

/// One record as the looking glass shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    /// `WARNING` or `ERROR`, Python's level names.
    pub level: &'static str,
    pub time: String,
    /// Where it was logged (the tracing target, a module path).
    pub name: String,
    pub message: String,
}

/// A bounded list of the last warnings and errors, and how many of each were logged in
/// all (for the metrics); cloning shares it.
#[derive(Debug, Clone)]
pub struct LogRing {
    records: Arc<Mutex<VecDeque<LogRecord>>>,
    capacity: usize,
    totals: Arc<[AtomicU64; 2]>,
}

impl LogRing {
    pub fn new(capacity: usize) -> Self {
        LogRing {
            records: Arc::new(Mutex::new(VecDeque::with_capacity(capacity))),
            capacity,
            totals: Arc::default(),
        }
    }

    pub fn push(&self, record: LogRecord) {
        let total = usize::from(record.level == ERROR);
        self.totals[total].fetch_add(1, Ordering::Relaxed);
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.push_front(record);
        records.truncate(self.capacity);
    }

    /// The records, newest first.
    pub fn records(&self) -> Vec<LogRecord> {
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.iter().cloned().collect()
    }

    /// Warnings and errors logged since the start, including those the ring let go.
    pub fn totals(&self) -> (u64, u64) {
        let [warnings, errors] = &*self.totals;
        (
            warnings.load(Ordering::Relaxed),
            errors.load(Ordering::Relaxed),
        )
    }

    pub fn len(&self) -> usize {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tracing layer that feeds this ring.
    pub fn layer(&self) -> LogRingLayer {
        LogRingLayer { ring: self.clone() }
    }
}

/// Records every WARN and ERROR event into a [`LogRing`].
pub struct LogRingLayer {
    ring: LogRing,
}

impl<S: Subscriber> Layer<S> for LogRingLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = match *meta.level() {
            Level::ERROR => ERROR,
            Level::WARN => WARNING,
            _ => return,
        };
        let mut message = MessageText::default();
        event.record(&mut message);
        self.ring.push(LogRecord {
            level,
            time: local_time_text(SystemTime::now(), true),
            name: meta.target().to_owned(),
            message: message.0.replace('"', "'"),
        });
    }
}

/// The event's message, then its other fields as ` key=value`.
#[derive(Default)]
struct MessageText(String);

impl Visit for MessageText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn keeps_warnings_and_errors_newest_first_bounded() {
        let ring = LogRing::new(2);
        let subscriber = tracing_subscriber::registry().with(ring.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("not kept");
            tracing::warn!(peer = "192.0.2.1", "peer \"down\"");
            tracing::error!("first error");
            tracing::error!(code = 3, "second error");
        });
        let records = ring.records();
        assert_eq!(ring.len(), 2);
        assert_eq!(records[0].message, "second error code=3");
        assert_eq!(records[1].message, "first error");
        assert_eq!(records[1].level, "ERROR");
        assert_eq!(records[1].name, module_path!());
        assert_eq!(
            ring.totals(),
            (1, 2),
            "the totals count what the ring let go"
        );
    }

    #[test]
    fn quotes_become_apostrophes() {
        let ring = LogRing::new(DEFAULT_LOG_RING_CAPACITY);
        let subscriber = tracing_subscriber::registry().with(ring.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(peer = "192.0.2.1", "peer \"down\"");
        });
        let record = &ring.records()[0];
        assert_eq!(record.level, "WARNING");
        assert_eq!(record.message, "peer 'down' peer=192.0.2.1");
    }
}
