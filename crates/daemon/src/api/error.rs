//! Error answers: always a JSON body, for every status.
//!
//! `{"error": "...", "field": "..."|null}` says what is wrong and with which request field.
//! `code`, `title` and `description` repeat it the way the original's web framework
//! (pecan) answered clients that accept JSON, as the Neutron agents do.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bagpipe_vpn::request::RequestError;
use serde::Serialize;

use super::command::ApiError;
use crate::looking_glass::LgError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub status: StatusCode,
    pub message: String,
    pub field: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    field: Option<&'a str>,
    code: u16,
    title: &'a str,
    description: &'a str,
}

impl HttpError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        HttpError {
            status,
            message: message.into(),
            field: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        HttpError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn engine_unavailable() -> Self {
        HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the daemon is not running its engine (starting or stopping): retry later",
        )
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
            field: self.field.as_deref(),
            code: self.status.as_u16(),
            title: self.status.canonical_reason().unwrap_or("Error"),
            description: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<RequestError> for HttpError {
    fn from(e: RequestError) -> Self {
        HttpError {
            status: StatusCode::BAD_REQUEST,
            message: e.to_string(),
            field: (!e.field.is_empty()).then_some(e.field),
        }
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::BadRequest { field, message } => HttpError {
                status: StatusCode::BAD_REQUEST,
                message,
                field,
            },
            ApiError::Failed { message } => {
                HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
            }
        }
    }
}

impl From<LgError> for HttpError {
    fn from(e: LgError) -> Self {
        match e {
            LgError::NotFound { .. } => HttpError::new(StatusCode::NOT_FOUND, e.to_string()),
        }
    }
}
