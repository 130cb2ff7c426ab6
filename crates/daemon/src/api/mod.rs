//! The REST API of the original bagpipe-bgp, served with axum:
//!
//! | path | GET | POST | other methods |
//! |---|---|---|---|
//! | `/` | `{}` | 405 | 405 |
//! | `/attach_localport` | `{}` | attach ([`AttachRequest`](bagpipe_vpn::request::AttachRequest)) | 405 |
//! | `/detach_localport` | `{}` | detach ([`DetachRequest`](bagpipe_vpn::request::DetachRequest)) | 405 |
//! | `/ping` | the restart-detection number | 405 | 405 |
//! | `/metrics` | Prometheus metrics ([`crate::metrics`]) | 405 | 405 |
//! | `/looking-glass[/...]` | the looking glass | 405 | 405 |
//!
//! Every error has a JSON body (see [`error`]); `crates/daemon/openapi.yaml` describes it
//! all. Handlers validate the request and hand it to the engine as an [`ApiCommand`]; the
//! server itself holds no routing state.

mod body;
pub mod command;
mod connections;
mod error;
mod handlers;
mod ping;
mod recording;
mod streaming;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{mpsc, Semaphore};

pub use command::{ApiCommand, ApiError};
pub use error::HttpError;
pub use ping::PingToken;

use crate::metrics::RequestMetrics;

/// How long a request waits for the engine before answering 503.
pub const DEFAULT_ENGINE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a connection may take to send a request head, or stay idle between requests
/// (the agents open a connection per request; an operator's client keeping one alive
/// reconnects); and how long a request body may take to arrive whole.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a stop waits for the API requests being answered before closing their
/// connections.
pub const SHUTDOWN_DRAIN: Duration = Duration::from_secs(5);

/// How long a client may take nothing of a looking-glass answer being written before it is
/// cut short (it holds one of the writers' turns meanwhile).
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Looking-glass answers written at once on blocking threads (route lists: the JSON of a
/// full table is hundreds of megabytes); more wait for their turn.
const LOOKING_GLASS_WRITERS: usize = 2;

/// What every handler shares.
#[derive(Clone)]
pub struct ApiState {
    pub commands: mpsc::Sender<ApiCommand>,
    pub ping: PingToken,
    pub engine_timeout: Duration,
    /// How long a client may leave a streamed answer unread before losing it.
    pub write_stall_timeout: Duration,
    /// How long a request body may take to arrive whole.
    pub body_timeout: Duration,
    /// Used for looking-glass links when a client sends no `Host` header.
    pub local_addr: SocketAddr,
    /// Turns to write a looking-glass answer away from the engine.
    pub lg_writers: Arc<Semaphore>,
    /// The requests answered, for the metrics.
    pub requests: Arc<RequestMetrics>,
}

impl ApiState {
    pub fn new(commands: mpsc::Sender<ApiCommand>, local_addr: SocketAddr) -> Self {
        ApiState {
            commands,
            ping: PingToken::random(),
            engine_timeout: DEFAULT_ENGINE_TIMEOUT,
            write_stall_timeout: WRITE_STALL_TIMEOUT,
            body_timeout: HEADER_TIMEOUT,
            local_addr,
            lg_writers: Arc::new(Semaphore::new(LOOKING_GLASS_WRITERS)),
            requests: Arc::default(),
        }
    }
}

pub fn router(state: ApiState) -> Router {
    use handlers::*;
    let get_only = || get(empty_object).fallback(method_not_allowed);
    Router::new()
        .route("/", get_only())
        .route(
            "/attach_localport",
            get(empty_object).post(attach).fallback(method_not_allowed),
        )
        .route(
            "/detach_localport",
            get(empty_object).post(detach).fallback(method_not_allowed),
        )
        .route("/ping", get(ping).fallback(method_not_allowed))
        .route("/metrics", get(metrics).fallback(method_not_allowed))
        .route(
            "/looking-glass",
            get(looking_glass).fallback(method_not_allowed),
        )
        // The original CLI asks for the root as `/looking-glass/`.
        .route(
            "/looking-glass/",
            get(looking_glass).fallback(method_not_allowed),
        )
        .route(
            "/looking-glass/{*path}",
            get(looking_glass).fallback(method_not_allowed),
        )
        // Matched routes only: a request's `path` label is its route, of which there are few.
        .route_layer(from_fn_with_state(state.clone(), recording::record_request))
        .fallback(not_found)
        .with_state(state)
}

/// A listening socket with a backlog of `backlog` connections (the default of std and
/// tokio, 128 or 1024, is short when a rack of agents reconnects at once).
pub fn bind(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Serves the API on `listener` until `shutdown` completes; connections are kept alive
/// between requests (HTTP/1.1) and served concurrently.
pub async fn serve(
    listener: TcpListener,
    state: ApiState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let limits = connections::Limits {
        header_timeout: HEADER_TIMEOUT,
        shutdown_drain: SHUTDOWN_DRAIN,
    };
    connections::serve_http1(listener, router(state), limits, shutdown).await;
}
