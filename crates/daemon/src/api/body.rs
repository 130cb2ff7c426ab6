//! Reading the JSON body of a POST.
//!
//! The original parsed the body as JSON whatever its `Content-Type` (WebOb's
//! `request.json` ignores it), so clients that send none, or `curl -d`'s
//! `application/x-www-form-urlencoded`, or `text/plain`, worked; those are accepted here
//! too. A type that says the body is something else (`multipart/form-data`,
//! `application/xml`...) is refused.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::error::HttpError;

/// The most a request body may hold (axum's default limit for a body read whole).
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The JSON object a POST carries: its body must arrive whole within `timeout` (a client
/// sending it a byte at a time would otherwise hold its connection and a task for ever).
pub(crate) async fn json_body(
    headers: &HeaderMap,
    body: Body,
    timeout: Duration,
) -> Result<Value, HttpError> {
    check_content_type(headers)?;
    let body = match tokio::time::timeout(timeout, axum::body::to_bytes(body, BODY_LIMIT)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => return Err(HttpError::bad_request(format!("cannot read the body: {e}"))),
        Err(_) => {
            return Err(HttpError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!("the body did not arrive whole within {timeout:?}"),
            ))
        }
    };
    parse(&body)
}

fn parse(body: &Bytes) -> Result<Value, HttpError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(HttpError::bad_request(
            "no local port details received: the body must be a JSON object",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| HttpError::bad_request(format!("the body is not valid JSON: {e}")))
}

fn check_content_type(headers: &HeaderMap) -> Result<(), HttpError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let mime = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let accepted = matches!(
        mime.as_str(),
        "application/json" | "text/plain" | "application/x-www-form-urlencoded" | ""
    ) || mime.ends_with("+json");
    if accepted {
        Ok(())
    } else {
        Err(HttpError::bad_request(format!(
            "unsupported Content-Type {mime:?}: send application/json"
        )))
    }
}
