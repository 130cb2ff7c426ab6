//! The bagpipe-bgp daemon: configuration, REST API, looking glass, start-up and shutdown.

pub mod api;
mod bgp_thread;
pub mod config;
pub mod engine;
pub mod log_file;
pub mod looking_glass;
pub mod metrics;
pub mod open_files;
pub mod startup;
