//! The server against `crates/daemon/openapi.yaml`: every documented path and method
//! answers as documented, every request example gets its `x-expected-status` (400s with
//! the `Error` shape and the `x-expected-field`), and answers match their schemas.

use std::net::SocketAddr;

use serde_json::{Map, Value};

use super::client::{Answer, Client};
use super::fake_engine::start;

const SPEC: &str = include_str!("../../../openapi.yaml");

fn spec() -> Value {
    serde_yaml::from_str(SPEC).expect("openapi.yaml is valid YAML")
}

/// Follows a `#/components/...` reference.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("local reference");
            resolve(
                spec,
                spec.pointer(pointer).unwrap_or_else(|| panic!("no {r}")),
            )
        }
        None => v,
    }
}

/// Checks `value` against the subset of JSON Schema the spec uses; returns what differs.
fn check(spec: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(spec, schema);
    let mut problems = Vec::new();
    if value.is_null() && schema["nullable"] == Value::Bool(true) {
        return problems;
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        if !options.iter().any(|s| check(spec, s, value, at).is_empty()) {
            problems.push(format!("{at}: matches none of oneOf"));
        }
        return problems;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            problems.push(format!("{at}: {value} not in {allowed:?}"));
        }
    }
    let type_ok = match schema.get("type").and_then(Value::as_str) {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        // JSON Schema's integer: no fractional part (the ping number exceeds 64 bits,
        // which serde_json reads as a float).
        Some("integer") => value.as_f64().is_some_and(|f| f.fract() == 0.0),
        Some("boolean") => value.is_boolean(),
        Some(other) => panic!("type {other} not handled by this checker"),
    };
    if !type_ok {
        problems.push(format!("{at}: {value} is not of type {}", schema["type"]));
        return problems;
    }
    if let Some(object) = value.as_object() {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !object.contains_key(name.as_str().unwrap()) {
                problems.push(format!("{at}: missing {name}"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, member) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(s) => problems.extend(check(spec, s, member, &format!("{at}.{name}"))),
                None if schema["additionalProperties"] == Value::Bool(false) => {
                    problems.push(format!("{at}: unexpected member {name}"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, item) in list.iter().enumerate() {
            problems.extend(check(spec, items, item, &format!("{at}[{i}]")));
        }
    }
    problems
}

/// Checks an answer against the response the operation documents for its status.
fn check_answer(spec: &Value, operation: &Value, answer: &Answer, what: &str) {
    let status = answer.status.to_string();
    let documented = operation["responses"]
        .get(&status)
        .unwrap_or_else(|| panic!("{what}: status {status} is not documented: {answer:?}"));
    let documented = resolve(spec, documented);
    let Some(content) = documented.get("content").and_then(Value::as_object) else {
        return;
    };
    let (media_type, media) = content.iter().next().expect("one media type");
    let header = &answer.headers["content-type"];
    if media_type != "application/json" {
        // Text (the metrics): the media type, with its parameters.
        assert!(header.starts_with(media_type.as_str()), "{what}: {header}");
        assert!(!answer.body.is_empty(), "{what}");
        return;
    }
    assert_eq!(header, "application/json", "{what}");
    let problems = check(spec, &media["schema"], &answer.json(), "body");
    assert!(
        problems.is_empty(),
        "{what}: {problems:?} in {}",
        answer.body
    );
}

fn examples(v: &Value) -> impl Iterator<Item = (&String, &Value)> {
    v.as_object().into_iter().flat_map(Map::iter)
}

#[tokio::test]
async fn server_answers_as_documented() {
    let spec = spec();
    let server = start(SocketAddr::from(([127, 0, 21, 1], 19100))).await;
    let mut client = Client::connect(server.addr).await;
    let mut checked = 0;
    for (path, item) in examples(&spec["paths"]) {
        for (method, operation) in examples(item) {
            let what = format!("{} {path}", method.to_uppercase());
            let method = method.to_uppercase();
            if let Some(body) = operation.pointer("/requestBody/content/application~1json") {
                for (name, example) in examples(&body["examples"]) {
                    let what = format!("{what} example {name}");
                    let sent = serde_json::to_string(&example["value"]).unwrap();
                    let answer = client
                        .send(
                            &method,
                            path,
                            &[("Content-Type", "application/json")],
                            Some(&sent),
                        )
                        .await;
                    assert_eq!(json_status(example), answer.status, "{what}: {answer:?}");
                    check_answer(&spec, operation, &answer, &what);
                    if answer.status == 200 {
                        let problems = check(&spec, &body["schema"], &example["value"], "request");
                        assert!(
                            problems.is_empty(),
                            "{what}: example off its schema: {problems:?}"
                        );
                    } else {
                        assert_eq!(
                            answer.json()["field"],
                            example["x-expected-field"],
                            "{what}"
                        );
                    }
                    checked += 1;
                }
            } else if path.contains("{path}") {
                let parameter = &operation["parameters"][0];
                for (name, example) in examples(&parameter["examples"]) {
                    let target = path.replace("{path}", example["value"].as_str().unwrap());
                    let answer = client.send(&method, &target, &[], None).await;
                    let what = format!("{what} example {name}");
                    assert_eq!(json_status(example), answer.status, "{what}: {answer:?}");
                    check_answer(&spec, operation, &answer, &what);
                    checked += 1;
                }
                if !parameter["examples"].is_object() {
                    // a method without examples: its only documented answer
                    let target = path.replace("{path}", "summary");
                    let answer = client.send(&method, &target, &[], Some("{}")).await;
                    assert_eq!(only_status(operation), answer.status, "{what}");
                    check_answer(&spec, operation, &answer, &what);
                    checked += 1;
                }
            } else {
                let body = (method != "GET").then_some("{}");
                let answer = client.send(&method, path, &[], body).await;
                assert_eq!(only_status(operation), answer.status, "{what}: {answer:?}");
                check_answer(&spec, operation, &answer, &what);
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} checks: is the spec read?");
}

fn json_status(example: &Value) -> u16 {
    example["x-expected-status"]
        .as_u64()
        .expect("each example says its x-expected-status") as u16
}

/// The status of an operation without examples: its success, or its only answer (405).
fn only_status(operation: &Value) -> u16 {
    let codes: Vec<u16> = operation["responses"]
        .as_object()
        .unwrap()
        .keys()
        .map(|c| c.parse().unwrap())
        .collect();
    codes
        .iter()
        .copied()
        .find(|c| (200..300).contains(c))
        .unwrap_or(codes[0])
}
