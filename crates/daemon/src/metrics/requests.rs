//! The REST API's requests, counted as they are answered.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Upper bounds of the latency buckets, in seconds: an attach takes tens of microseconds
/// when all is well, a looking-glass route list of a large table seconds.
const LATENCY_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answered {
    method: &'static str,
    /// The route that matched (`/attach_localport`, `/looking-glass/{*path}`...): a
    /// bounded set, whatever clients ask.
    path: String,
    code: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: &'static str,
    path: String,
}

/// Counters and latency histograms of the API's requests, by route.
#[derive(Debug)]
pub struct RequestMetrics {
    registry: Registry,
    answered: Family<Answered, Counter>,
    latency: Family<Route, Histogram>,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        let answered = Family::<Answered, Counter>::default();
        let latency = Family::<Route, Histogram>::new_with_constructor(
            (|| Histogram::new(LATENCY_BUCKETS)) as fn() -> Histogram,
        );
        let mut registry = Registry::default();
        registry.register(
            "bagpipe_api_requests",
            "REST API requests answered, by route and status code",
            answered.clone(),
        );
        registry.register(
            "bagpipe_api_request_duration_seconds",
            "Time from a REST API request's arrival to its answer's head (a streamed looking-glass body is written after)",
            latency.clone(),
        );
        RequestMetrics {
            registry,
            answered,
            latency,
        }
    }
}

impl RequestMetrics {
    /// A request to the route `path` answered with `status` after `elapsed`.
    pub fn observe(&self, method: &Method, path: &str, status: StatusCode, elapsed: Duration) {
        let method = method_label(method);
        self.answered
            .get_or_create(&Answered {
                method,
                path: path.to_owned(),
                code: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&Route {
                method,
                path: path.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// The methods the API knows by name; any other is `other` (label values must stay few).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode_registry;

    #[test]
    fn requests_are_counted_by_route_and_code_with_their_latency() {
        let m = RequestMetrics::default();
        let ok = StatusCode::OK;
        m.observe(
            &Method::POST,
            "/attach_localport",
            ok,
            Duration::from_micros(80),
        );
        m.observe(
            &Method::POST,
            "/attach_localport",
            ok,
            Duration::from_millis(3),
        );
        m.observe(
            &Method::POST,
            "/attach_localport",
            StatusCode::BAD_REQUEST,
            Duration::from_micros(20),
        );
        m.observe(
            &Method::from_bytes(b"BREW").unwrap(),
            "/",
            StatusCode::METHOD_NOT_ALLOWED,
            Duration::ZERO,
        );
        let mut text = String::new();
        encode_registry(&mut text, m.registry()).unwrap();
        for line in [
            "bagpipe_api_requests_total{method=\"POST\",path=\"/attach_localport\",code=\"200\"} 2",
            "bagpipe_api_requests_total{method=\"POST\",path=\"/attach_localport\",code=\"400\"} 1",
            "bagpipe_api_requests_total{method=\"other\",path=\"/\",code=\"405\"} 1",
            "bagpipe_api_request_duration_seconds_count{method=\"POST\",path=\"/attach_localport\"} 3",
            // 20 µs and 80 µs under 100 µs; 3 ms under 5 ms only.
            "bagpipe_api_request_duration_seconds_bucket{le=\"0.0001\",method=\"POST\",path=\"/attach_localport\"} 2",
            "bagpipe_api_request_duration_seconds_bucket{le=\"0.0025\",method=\"POST\",path=\"/attach_localport\"} 2",
            "bagpipe_api_request_duration_seconds_bucket{le=\"0.005\",method=\"POST\",path=\"/attach_localport\"} 3",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
    }
}
