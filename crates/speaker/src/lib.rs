//! BGP sessions for bagpipe-rs.
//!
//! - [`fsm`]: the RFC 4271 §8 state machine as pure transitions;
//! - [`negotiate`]: OPEN checks and what two OPENs agree on;
//! - [`session`]: the task of one peer (collisions, timers, back-off, I/O);
//! - [`listener`]: the passive side, handing incoming connections to peers;
//! - [`outbox`] and [`pack`]: what the route table sends to a peer, coalesced and packed.

pub mod backoff;
pub mod config;
mod connection;
pub mod fsm;
pub mod listener;
mod md5;
pub mod negotiate;
pub mod open;
pub mod outbox;
pub mod pack;
pub mod session;
pub mod status;

pub use config::{GracefulRestartConfig, PeerConfig, DEFAULT_UPDATE_HOLD};
pub use fsm::{DownReason, State};
pub use negotiate::Negotiated;
pub use outbox::{OutItem, Outbox};
pub use session::{spawn_peer, PeerCommand, PeerEvent, PeerHandle, PeerId};
