//! JSON over HTTP to a server, from this process or from inside a namespace: there, each
//! request is made by a thread that first enters the namespace, so that its socket lives
//! there (as the client of an agent running on that node would).

use std::time::Duration;

use serde_json::Value;

use crate::netns::in_netns;

/// `GET url` from namespace `ns` (None: from here): the JSON body, or why there is none.
pub fn get(ns: Option<&str>, url: &str) -> Result<Value, String> {
    let url = url.to_string();
    from(ns, move || {
        call_get(&url)?.into_json().map_err(|e| e.to_string())
    })
}

/// `GET url` from namespace `ns` (None: from here): the body as text.
pub fn get_text(ns: Option<&str>, url: &str) -> Result<String, String> {
    let url = url.to_string();
    from(ns, move || {
        call_get(&url)?.into_string().map_err(|e| e.to_string())
    })
}

/// `POST url` with a JSON body from namespace `ns` (None: from here): the status and the
/// JSON answer (`Null` when there is none), whatever the status.
pub fn post(ns: Option<&str>, url: &str, body: &Value) -> Result<(u16, Value), String> {
    let (url, body) = (url.to_string(), body.clone());
    from(ns, move || {
        match ureq::post(&url)
            .timeout(Duration::from_secs(10))
            .send_json(body)
        {
            Ok(r) => Ok((r.status(), r.into_json().unwrap_or(Value::Null))),
            Err(ureq::Error::Status(code, r)) => Ok((code, r.into_json().unwrap_or(Value::Null))),
            Err(e) => Err(e.to_string()),
        }
    })
}

fn call_get(url: &str) -> Result<ureq::Response, String> {
    ureq::get(url)
        .timeout(Duration::from_secs(5))
        .call()
        .map_err(|e| e.to_string())
}

/// Runs `f` inside `ns`, or on this thread when there is no namespace.
fn from<T: Send + 'static>(ns: Option<&str>, f: impl FnOnce() -> T + Send + 'static) -> T {
    match ns {
        Some(ns) => in_netns(ns, f),
        None => f(),
    }
}
