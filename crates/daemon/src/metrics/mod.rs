//! Prometheus metrics: `GET /metrics` on the REST API's address, in the OpenMetrics text
//! format (which Prometheus reads).
//!
//! Gathered at each scrape, from three places:
//! - the engine: BGP sessions, the route table, the VPN instances, the dataplane drivers'
//!   tasks and the warnings logged ([`EngineMetrics`]), a snapshot the engine takes when
//!   asked, so that no lock is put around routing state; it costs O(peers + instances),
//!   never O(routes);
//! - the REST API's own requests, counted as they are answered ([`RequestMetrics`]);
//! - the process: memory, CPU time, open files, read from `/proc/self`.

mod engine;
mod families;
mod process;
mod requests;

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::registry::Registry;

pub use engine::{EngineMetrics, InstanceMetrics, PeerMetrics};
pub use requests::RequestMetrics;

/// The media type of [`exposition`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The text of one scrape.
pub fn exposition(engine: EngineMetrics, requests: &RequestMetrics) -> String {
    let mut scrape = Registry::default();
    scrape.register_collector(Box::new(engine));
    scrape.register_collector(Box::new(process::ProcessMetrics::read()));
    let mut text = String::new();
    // Writing into a String cannot fail.
    encode_registry(&mut text, &scrape).expect("metrics into memory");
    encode_registry(&mut text, requests.registry()).expect("metrics into memory");
    encode_eof(&mut text).expect("metrics into memory");
    text
}
