//! The request handlers: validate, hand over to the engine, turn its reply into HTTP.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{OriginalUri, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bagpipe_vpn::request::{AttachRequest, DetachRequest};
use serde_json::{json, Value};
use tokio::sync::oneshot;
// Optional log fields as plain text (`ip=10.0.0.1/24`, not `Some("10.0.0.1/24")`), left out
// when absent.
use tracing::field::display as plain;

use super::body::json_body;
use super::command::ApiCommand;
use super::error::HttpError;
use super::streaming;
use super::ApiState;
use crate::looking_glass::{Answer, LOOKING_GLASS_BASE};

pub(crate) async fn attach(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, HttpError> {
    let json = json_body(&headers, body, state.body_timeout).await?;
    let request = Box::new(AttachRequest::from_json(&json)?);
    // One short line per request at the default level (the original wrote ~6 KB per
    // attach); the whole request at debug.
    tracing::info!(instance = %request.vpn_instance_id, vpn_type = %request.vpn_type, mac = %request.mac_address,
        ip = request.ip_address.as_ref().map(plain), port = request.local_port.linuxif.as_deref().map(plain),
        "attach");
    tracing::debug!(?request, "attach request");
    let (reply, answer) = oneshot::channel();
    ask(&state, ApiCommand::Attach { request, reply }, answer).await??;
    // The original's controller returned None, which its framework sent as `null`.
    Ok(Json(Value::Null))
}

pub(crate) async fn detach(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, HttpError> {
    let json = json_body(&headers, body, state.body_timeout).await?;
    let request = DetachRequest::from_json(&json)?;
    tracing::info!(instance = %request.vpn_instance_id, vpn_type = %request.vpn_type, mac = %request.mac_address,
        ip = request.ip_address.as_ref().map(plain), "detach");
    tracing::debug!(?request, "detach request");
    let (reply, answer) = oneshot::channel();
    ask(&state, ApiCommand::Detach { request, reply }, answer).await??;
    Ok(Json(Value::Null))
}

pub(crate) async fn looking_glass(
    State(state): State<ApiState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, HttpError> {
    let path = lg_path(uri.path())?;
    // Links point back where the client came from, as the original built them from the
    // request's Host header.
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| state.local_addr.to_string(), str::to_owned);
    let base_url = format!("http://{host}");
    // The turn is taken before the engine is asked: a route list's rows are copied out of
    // the engine when it answers (~200 B a route), and requests waiting for their turn with
    // their copy could hold gigabytes. A small answer waits only while two lists are written.
    let turn = Arc::clone(&state.lg_writers)
        .acquire_owned()
        .await
        .expect("never closed");
    let (reply, answer) = oneshot::channel();
    let command = ApiCommand::LookingGlass {
        path,
        base_url,
        reply,
    };
    match ask(&state, command, answer).await?? {
        Answer::Ready(v) => Ok(Json(v).into_response()),
        // Written on a blocking thread, two at a time: the main thread, which the engine and
        // the dataplane share, goes on meanwhile.
        Answer::Stream(write) => {
            let body = streaming::written_by(write, turn, state.write_stall_timeout);
            Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
        }
        Answer::Later(build) => {
            let json = tokio::task::spawn_blocking(move || {
                build().map(|v| serde_json::to_vec(&v).expect("JSON into memory"))
            })
            .await
            .map_err(|_| HttpError::engine_unavailable())??;
            drop(turn);
            Ok(([(CONTENT_TYPE, "application/json")], json).into_response())
        }
    }
}

/// The decoded segments after `/looking-glass`.
fn lg_path(uri_path: &str) -> Result<Vec<String>, HttpError> {
    let rest = uri_path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(LOOKING_GLASS_BASE))
        .unwrap_or("");
    rest.split('/')
        .map(|segment| {
            percent_decode(segment).ok_or_else(|| {
                HttpError::bad_request(format!("invalid percent-encoding in {segment:?}"))
            })
        })
        .collect()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub(crate) async fn metrics(State(state): State<ApiState>) -> Result<Response, HttpError> {
    let (reply, answer) = oneshot::channel();
    let engine = ask(&state, ApiCommand::Metrics { reply }, answer).await?;
    let text = crate::metrics::exposition(engine, &state.requests);
    Ok(([(CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response())
}

pub(crate) async fn ping(State(state): State<ApiState>) -> Response {
    ([(CONTENT_TYPE, "application/json")], state.ping.json()).into_response()
}

/// `GET` on `/`, `/attach_localport`, `/detach_localport`: `{}`, as the original.
pub(crate) async fn empty_object() -> Json<Value> {
    Json(json!({}))
}

pub(crate) async fn method_not_allowed() -> HttpError {
    HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this path",
    )
}

pub(crate) async fn not_found(OriginalUri(uri): OriginalUri) -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        format!("no such path: {}", uri.path()),
    )
}

/// Sends `command` to the engine and waits for its answer on `answer`.
async fn ask<T>(
    state: &ApiState,
    command: ApiCommand,
    answer: oneshot::Receiver<T>,
) -> Result<T, HttpError> {
    state
        .commands
        .send(command)
        .await
        .map_err(|_| HttpError::engine_unavailable())?;
    match tokio::time::timeout(state.engine_timeout, answer).await {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(_dropped)) => Err(HttpError::engine_unavailable()),
        Err(_elapsed) => Err(HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the daemon did not answer in time: retry later",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looking_glass_paths_are_decoded() {
        assert_eq!(lg_path("/looking-glass").unwrap(), [""]);
        assert_eq!(lg_path("/looking-glass/").unwrap(), ["", ""]);
        assert_eq!(
            lg_path("/looking-glass/vpns/instances/a%20b").unwrap(),
            ["", "vpns", "instances", "a b"]
        );
        assert!(lg_path("/looking-glass/%zz").is_err());
        assert!(lg_path("/looking-glass/%c3").is_err());
    }
}
