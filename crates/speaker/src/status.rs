//! What the looking glass shows of a peer: state, negotiated session, counters, last error.
//! Written by the peer task, read by anyone; counters are atomics so that counting messages
//! costs no lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Serialize;

use crate::fsm::State;
use crate::negotiate::Negotiated;

#[derive(Debug, Default)]
pub struct Counters {
    pub messages_received: AtomicU64,
    pub messages_sent: AtomicU64,
    pub updates_received: AtomicU64,
    pub updates_sent: AtomicU64,
    pub notifications_received: AtomicU64,
    pub notifications_sent: AtomicU64,
    pub malformed_updates: AtomicU64,
    pub established_transitions: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters now (each read on its own: a scrape may see one message counted in one
    /// counter and not yet in another).
    pub fn snapshot(&self) -> CountersSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CountersSnapshot {
            messages_received: g(&self.messages_received),
            messages_sent: g(&self.messages_sent),
            updates_received: g(&self.updates_received),
            updates_sent: g(&self.updates_sent),
            notifications_received: g(&self.notifications_received),
            notifications_sent: g(&self.notifications_sent),
            malformed_updates: g(&self.malformed_updates),
            established_transitions: g(&self.established_transitions),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CountersSnapshot {
    pub messages_received: u64,
    pub messages_sent: u64,
    pub updates_received: u64,
    pub updates_sent: u64,
    pub notifications_received: u64,
    pub notifications_sent: u64,
    pub malformed_updates: u64,
    pub established_transitions: u64,
}

#[derive(Debug, Clone)]
pub struct Info {
    pub state: State,
    /// The state before the last transition, and when that transition happened.
    pub previous_state: Option<State>,
    pub state_since: SystemTime,
    pub established_at: Option<SystemTime>,
    pub negotiated: Option<Negotiated>,
    pub last_error: Option<String>,
}

impl Info {
    /// Seconds since the session was established, if it is.
    fn uptime_seconds(&self) -> Option<u64> {
        self.established_at
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .map(|d| d.as_secs())
    }
}

#[derive(Debug)]
pub struct PeerShared {
    pub counters: Counters,
    pub info: Mutex<Info>,
}

impl Default for PeerShared {
    fn default() -> Self {
        PeerShared {
            counters: Counters::default(),
            info: Mutex::new(Info {
                state: State::Idle,
                previous_state: None,
                state_since: SystemTime::now(),
                established_at: None,
                negotiated: None,
                last_error: None,
            }),
        }
    }
}

/// A point-in-time copy for display.
#[derive(Debug, Clone, Serialize)]
pub struct PeerStatus {
    pub state: &'static str,
    pub uptime_seconds: Option<u64>,
    pub peer_as: Option<u32>,
    pub peer_router_id: Option<String>,
    pub hold_time: Option<u16>,
    pub families: Vec<String>,
    pub capabilities: Vec<serde_json::Value>,
    pub counters: CountersSnapshot,
    pub last_error: Option<String>,
}

impl PeerShared {
    pub fn status(&self) -> PeerStatus {
        let info = self.info.lock().expect("status lock").clone();
        let n = info.negotiated.as_ref();
        PeerStatus {
            state: info.state.name(),
            uptime_seconds: info.uptime_seconds(),
            peer_as: n.map(|n| n.peer_asn),
            peer_router_id: n.map(|n| n.peer_id.to_string()),
            hold_time: n.map(|n| n.hold_time),
            families: n.map_or_else(Vec::new, |n| {
                n.families.iter().map(|f| f.to_string()).collect()
            }),
            capabilities: n.map_or_else(Vec::new, |n| {
                n.peer_capabilities
                    .iter()
                    .filter_map(|c| serde_json::to_value(c).ok())
                    .collect()
            }),
            counters: self.counters.snapshot(),
            last_error: info.last_error,
        }
    }

    pub fn state(&self) -> State {
        self.info.lock().expect("status lock").state
    }

    /// The state and how long the session has been established, read together (a metrics
    /// scrape: without the capability lists `status` builds).
    pub fn state_and_uptime(&self) -> (State, Option<u64>) {
        let info = self.info.lock().expect("status lock");
        (info.state, info.uptime_seconds())
    }

    pub fn update(&self, f: impl FnOnce(&mut Info)) {
        f(&mut self.info.lock().expect("status lock"));
    }
}
