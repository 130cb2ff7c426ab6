//! The looking glass: the daemon's state as a browsable tree of JSON documents
//! (`GET /looking-glass/...`), in the shape the original's clients know.
//!
//! # How the engine plugs in
//!
//! The engine owns the BGP and VPN state, so it answers the looking glass itself. It
//! implements [`EngineLookingGlass`] (the summary counts, and the `bgp` and `vpns`
//! sub-trees as [`LgObject`]s), and for each `ApiCommand::LookingGlass { path, base_url,
//! reply }` it does:
//!
//! ```ignore
//! let root = DaemonLookingGlass { info: &info, config: &config, logs: &log_ring, engine: &self };
//! let _ = reply.send(looking_glass::answer(&root, &base_url, &path));
//! ```
//!
//! Its sub-trees are built from the kinds of [`LgEntry`] (a value shown inline, a sub-tree
//! built when addressed, here or on a blocking thread, a delegated object, a collection of
//! objects by id), which decide, as in the original, what is shown inline and what as an
//! `{"href": ...}` link. An [`Answer`] left for later is finished by the API handler on a
//! blocking thread.

pub(crate) mod clock;
mod config_view;
#[cfg(test)]
pub(crate) mod fake_engine;
mod logs;
mod root;
mod tree;

pub use logs::{LogRecord, LogRing, LogRingLayer, DEFAULT_LOG_RING_CAPACITY};
pub use root::{DaemonInfo, DaemonLookingGlass, EngineLookingGlass, SummaryCounts};
pub use tree::{
    answer, href, link, segments, Answer, LgCollection, LgEntry, LgError, LgObject,
    LOOKING_GLASS_BASE,
};
