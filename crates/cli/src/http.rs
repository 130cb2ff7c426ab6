//! The HTTP requests the tools make to bagpipe-bgp's REST API.

use std::time::Duration;

use crate::json::Json;

/// Why a request got no usable answer.
#[derive(Debug)]
pub enum HttpError {
    /// The server answered with an error status.
    Status {
        code: u16,
        reason: String,
        body: String,
    },
    /// No answer: connection refused, timeout, bad URL...
    Transport(String),
    /// An answer that is not JSON.
    NotJson(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Status { code, reason, body } => write!(f, "{code} {reason}: {body}"),
            HttpError::Transport(e) => f.write_str(e),
            HttpError::NotJson(e) => write!(f, "the answer is not JSON: {e}"),
        }
    }
}

fn agent() -> ureq::Agent {
    // No overall timeout, as the original: a daemon busy with many attachments may take
    // long to answer, but a host that does not answer at all is reported soon.
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .build()
}

/// GETs `url` and reads its JSON answer, keys in the server's order.
pub fn get_json(url: &str) -> Result<Json, HttpError> {
    let text = answer_text(agent().get(url).call())?.1;
    text.parse()
        .map_err(|e: serde_json::Error| HttpError::NotJson(e.to_string()))
}

/// POSTs the JSON text `body` to `url`; returns the status and the body of a success.
pub fn post_json(url: &str, body: &str) -> Result<(u16, String), HttpError> {
    answer_text(
        agent()
            .post(url)
            .set("Content-Type", "application/json")
            .send_string(body),
    )
}

fn answer_text(answer: Result<ureq::Response, ureq::Error>) -> Result<(u16, String), HttpError> {
    match answer {
        Ok(response) => {
            let code = response.status();
            let text = response
                .into_string()
                .map_err(|e| HttpError::Transport(e.to_string()))?;
            Ok((code, text))
        }
        Err(ureq::Error::Status(code, response)) => Err(HttpError::Status {
            code,
            reason: response.status_text().to_owned(),
            body: response.into_string().unwrap_or_default(),
        }),
        Err(ureq::Error::Transport(e)) => Err(HttpError::Transport(e.to_string())),
    }
}

/// `http://server:port`, with an IPv6 address in brackets.
pub fn base_url(server: &str, port: u16) -> String {
    if server.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("http://[{server}]:{port}")
    } else {
        format!("http://{server}:{port}")
    }
}
