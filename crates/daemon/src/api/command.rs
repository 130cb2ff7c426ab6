//! What the REST API asks of the engine, and how the engine answers.
//!
//! The API server owns no routing state: each request becomes one [`ApiCommand`] sent on a
//! bounded channel to the engine task, which replies on the command's oneshot sender. A
//! full channel makes requests wait (back-pressure); a closed one, or a dropped reply,
//! makes them answer 503.

use bagpipe_vpn::request::{AttachRequest, DetachRequest};
use tokio::sync::oneshot;

use crate::looking_glass::{Answer, LgError};
use crate::metrics::EngineMetrics;

#[derive(Debug)]
pub enum ApiCommand {
    /// `POST /attach_localport`, validated. Boxed: an attach request is ten times the size
    /// of the other commands, and every slot of the channel would pay for it.
    Attach {
        request: Box<AttachRequest>,
        reply: oneshot::Sender<Result<(), ApiError>>,
    },
    /// `POST /detach_localport`, validated.
    Detach {
        request: DetachRequest,
        reply: oneshot::Sender<Result<(), ApiError>>,
    },
    /// `GET /looking-glass/<path>`: answer with
    /// `looking_glass::answer(&DaemonLookingGlass {..}, &base_url, &path)`.
    LookingGlass {
        /// Decoded path segments after `/looking-glass` (may contain empty segments).
        path: Vec<String>,
        /// `http://<host:port the client used>`, for the `href` links.
        base_url: String,
        reply: oneshot::Sender<Result<Answer, LgError>>,
    },
    /// `GET /metrics`: the engine's part of the scrape.
    Metrics {
        reply: oneshot::Sender<EngineMetrics>,
    },
}

/// Why the engine did not carry out a valid request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The request conflicts with the daemon's state (a `vpn_type` different from the
    /// existing instance's, an endpoint that is not plugged, a VNI already in use, a MAC
    /// already bound to another port...): HTTP 400, naming the field when there is one.
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    /// The daemon failed to do what a valid request asked (a dataplane error): HTTP 500.
    #[error("{message}")]
    Failed { message: String },
}

impl ApiError {
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}
