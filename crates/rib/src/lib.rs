//! The route table of bagpipe-rs (the `rib`/engine layer of DESIGN.md).
//!
//! Sources (BGP peers, local workers such as VPN instances) publish routes; local workers
//! subscribe to route targets and receive the paths that carry them; peers receive best paths
//! under the iBGP, route reflection (RFC 4456) and RT Constraint (RFC 4684) rules. Graceful
//! restart keeps a peer's routes as stale (RFC 4724). Everything is pure and single-owner:
//! the engine task calls [`RouteTable`] and carries out the [`Outputs`].

pub mod decision;
mod export;
pub mod family;
mod hash;
mod interner;
mod outputs;
mod route_table;
pub mod source;
mod subscriptions;
pub mod table;

pub use export::{uses_route_targets, TableConfig};
pub use family::{EvpnKey, RouteKey, VpnKey};
pub use outputs::{Advert, Outputs, PeerChange, RouteEvent};
pub use route_table::{RouteTable, Tables};
pub use source::{OriginKind, PathOrigin, Peer, Source, SourceId, SourceKind};
