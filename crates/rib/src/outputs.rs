//! What an operation on the route table asks of the rest of the daemon: route changes to send
//! to peers, and route events for local workers (VPN instances).

use std::sync::Arc;

use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::Family;

use crate::family::RouteKey;
use crate::source::{PathOrigin, SourceId};

/// A change to advertise to one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advert {
    Announce {
        family: Family,
        nlri: Nlri,
        attrs: Arc<AttributeSet>,
    },
    Withdraw {
        family: Family,
        nlri: Nlri,
    },
    EndOfRib(Family),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerChange {
    pub peer: SourceId,
    /// The route the change is about (None for markers), so that the peer's outbox keeps only
    /// the latest change per route.
    pub key: Option<RouteKey>,
    pub advert: Advert,
}

/// A path that a local worker imports appeared, changed (`attrs` Some) or went (`attrs` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEvent {
    pub worker: SourceId,
    pub family: Family,
    /// The route (its key: [`RouteKey::of`]).
    pub nlri: Nlri,
    /// Shared by the events of one source.
    pub origin: Arc<PathOrigin>,
    pub path_id: u32,
    pub attrs: Option<Arc<AttributeSet>>,
}

#[derive(Debug, Default)]
pub struct Outputs {
    pub peers: Vec<PeerChange>,
    pub locals: Vec<RouteEvent>,
}

impl Outputs {
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty() && self.locals.is_empty()
    }
}
