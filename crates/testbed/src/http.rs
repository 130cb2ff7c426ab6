//! JSON over HTTP to a server that listens inside a namespace: each request is made by a
//! thread that first enters the namespace, so its socket lives there (as the client of an
//! agent running on that node would).

use std::time::Duration;

use serde_json::Value;

use crate::netns::in_netns;

/// `GET url` from namespace `ns`: the JSON body, or why there is none.
pub fn get(ns: &str, url: &str) -> Result<Value, String> {
    let url = url.to_string();
    in_netns(ns, move || {
        ureq::get(&url)
            .timeout(Duration::from_secs(5))
            .call()
            .map_err(|e| e.to_string())?
            .into_json()
            .map_err(|e| e.to_string())
    })
}

/// `POST url` with a JSON body from namespace `ns`: the status and the JSON answer.
pub fn post(ns: &str, url: &str, body: &Value) -> Result<(u16, Value), String> {
    let (url, body) = (url.to_string(), body.clone());
    in_netns(ns, move || {
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

/// `GET url` from namespace `ns`: the body as text.
pub fn get_text(ns: &str, url: &str) -> Result<String, String> {
    let url = url.to_string();
    in_netns(ns, move || {
        ureq::get(&url)
            .timeout(Duration::from_secs(5))
            .call()
            .map_err(|e| e.to_string())?
            .into_string()
            .map_err(|e| e.to_string())
    })
}
