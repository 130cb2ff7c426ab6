//! What the route table wants sent to one peer, coalesced per route.
//!
//! The engine must never wait for a slow peer (DESIGN.md "Concurrency"), so it does not send
//! to a bounded channel: it writes into this outbox, where a newer state of a route replaces
//! the older one still waiting, and the peer task drains it as fast as its socket allows.
//! Memory is thus bounded by the number of distinct routes, not by the number of changes.
//! Order is kept (first change of a route fixes its place), so markers such as End-of-RIB go
//! out after the routes queued before them.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::message::RouteRefresh;
use bagpipe_wire::nlri::PathNlri;
use bagpipe_wire::Family;
use tokio::sync::Notify;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutItem {
    Announce {
        family: Family,
        nlri: PathNlri,
        attrs: Arc<AttributeSet>,
    },
    Withdraw {
        family: Family,
        nlri: PathNlri,
    },
    EndOfRib(Family),
    /// A ROUTE-REFRESH message (a request, or the BoRR/EoRR markers of RFC 7313).
    RouteRefresh(RouteRefresh),
}

#[derive(Debug)]
enum Slot<K> {
    Route(K),
    Marker(OutItem),
}

#[derive(Debug)]
struct Queue<K> {
    order: VecDeque<Slot<K>>,
    routes: HashMap<K, OutItem>,
}

#[derive(Debug)]
pub struct Outbox<K> {
    queue: Mutex<Queue<K>>,
    ready: Notify,
}

impl<K: Hash + Eq + Clone> Default for Outbox<K> {
    fn default() -> Self {
        Outbox {
            queue: Mutex::new(Queue {
                order: VecDeque::new(),
                routes: HashMap::new(),
            }),
            ready: Notify::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> Outbox<K> {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Queues route changes (announce or withdraw, keyed by route) and markers, in order.
    pub fn push(&self, items: impl IntoIterator<Item = (Option<K>, OutItem)>) {
        let mut q = self.queue.lock().expect("outbox lock");
        let mut added = false;
        for (key, item) in items {
            added = true;
            match key {
                Some(k) => {
                    if q.routes.insert(k.clone(), item).is_none() {
                        q.order.push_back(Slot::Route(k));
                    }
                }
                None => q.order.push_back(Slot::Marker(item)),
            }
        }
        drop(q);
        if added {
            self.ready.notify_one();
        }
    }

    /// Takes up to `max` items from the front.
    pub fn drain(&self, max: usize) -> Vec<OutItem> {
        let mut q = self.queue.lock().expect("outbox lock");
        let mut out = Vec::with_capacity(max.min(q.order.len()));
        while out.len() < max {
            match q.order.pop_front() {
                Some(Slot::Route(k)) => out.extend(q.routes.remove(&k)),
                Some(Slot::Marker(item)) => out.push(item),
                None => break,
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.queue.lock().expect("outbox lock").order.is_empty()
    }

    pub fn len(&self) -> usize {
        self.queue.lock().expect("outbox lock").order.len()
    }

    /// Forgets everything queued (the session went down: the next one starts from a full
    /// table sync).
    pub fn clear(&self) {
        let mut q = self.queue.lock().expect("outbox lock");
        q.order.clear();
        q.routes.clear();
    }

    /// Resolves when something was pushed since the last call.
    pub async fn ready(&self) {
        self.ready.notified().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bagpipe_wire::nlri::Nlri;

    fn nlri(p: &str) -> PathNlri {
        Nlri::Unicast {
            prefix: p.parse().unwrap(),
        }
        .into()
    }

    fn announce(p: &str) -> OutItem {
        OutItem::Announce {
            family: Family::IPV4_UNICAST,
            nlri: nlri(p),
            attrs: Arc::new(AttributeSet::default()),
        }
    }

    #[test]
    fn coalesces_per_route_and_keeps_order() {
        let ob: Outbox<u32> = Outbox::default();
        ob.push([
            (Some(1), announce("10.0.0.0/8")),
            (Some(2), announce("10.1.0.0/16")),
        ]);
        ob.push([(None, OutItem::EndOfRib(Family::IPV4_UNICAST))]);
        // A newer state of route 1 replaces the queued one, in place.
        ob.push([(
            Some(1),
            OutItem::Withdraw {
                family: Family::IPV4_UNICAST,
                nlri: nlri("10.0.0.0/8"),
            },
        )]);
        assert_eq!(ob.len(), 3);
        let items = ob.drain(10);
        assert!(matches!(items[0], OutItem::Withdraw { .. }));
        assert!(matches!(items[1], OutItem::Announce { .. }));
        assert_eq!(items[2], OutItem::EndOfRib(Family::IPV4_UNICAST));
        assert!(ob.is_empty());
    }

    #[test]
    fn drain_respects_max_and_clear_empties() {
        let ob: Outbox<u32> = Outbox::default();
        ob.push((0..10).map(|i| (Some(i), announce("10.0.0.0/8"))));
        assert_eq!(ob.drain(4).len(), 4);
        assert_eq!(ob.len(), 6);
        ob.clear();
        assert!(ob.drain(10).is_empty());
    }
}
