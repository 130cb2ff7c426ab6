//! The JSON object printed for each message: the decoded message itself (the codec's serde
//! form), a readable line per route, and what RFC 7606 / RFC 4271 §6 say about it.

use bagpipe_wire::hex::Hex;
use bagpipe_wire::message::Update;
use bagpipe_wire::{CodecContext, DecodeError, ErrorAction, Message};
use serde_json::{json, Map, Value};

use super::input::Frame;

/// What a message's findings mean for the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// Only attributes were discarded: the routes stand.
    AttributesDiscarded,
    /// Session reset or treat-as-withdraw, with the first reason in words.
    Malformed(String),
}

/// The JSON line for one message, and its verdict.
pub fn report(index: usize, frame: &Frame, ctx: &CodecContext) -> (Value, Verdict) {
    let mut obj = Map::new();
    obj.insert("index".into(), json!(index));
    if let Some(at) = frame.stream_offset {
        obj.insert("stream_offset".into(), json!(at));
    }
    obj.insert("length".into(), json!(frame.bytes.len()));
    let verdict = match Message::decode(&frame.bytes, ctx) {
        Err(e) => {
            obj.insert("hex".into(), json!(Hex(&frame.bytes).to_string()));
            obj.insert("error".into(), error_json(&e));
            obj.insert("verdict".into(), json!(e.action.name()));
            Verdict::Malformed(e.to_string())
        }
        Ok(d) => {
            if let Message::Update(u) = &d.message {
                obj.insert("routes".into(), routes(u));
                if let Some(f) = u.is_end_of_rib() {
                    obj.insert("end_of_rib".into(), json!(f));
                }
            }
            obj.insert(
                "message".into(),
                serde_json::to_value(&d.message).expect("messages serialize"),
            );
            obj.insert(
                "issues".into(),
                Value::Array(d.issues.iter().map(error_json).collect()),
            );
            let strongest = d
                .issues
                .iter()
                .find(|i| i.action == ErrorAction::TreatAsWithdraw)
                .or(d.issues.first());
            obj.insert(
                "verdict".into(),
                json!(strongest.map_or("clean", |i| i.action.name())),
            );
            match strongest {
                None => Verdict::Clean,
                Some(i) if i.action == ErrorAction::AttributeDiscard => {
                    Verdict::AttributesDiscarded
                }
                Some(i) => Verdict::Malformed(i.to_string()),
            }
        }
    };
    (Value::Object(obj), verdict)
}

/// Every announced and withdrawn route as one readable line, with its family.
fn routes(u: &Update) -> Value {
    let announced: Vec<Value> = u
        .announced()
        .map(|(family, next_hop, n)| {
            json!({
                "family": family,
                "next_hop": next_hop,
                "path_id": n.path_id,
                "route": n.nlri.to_string(),
            })
        })
        .collect();
    let withdrawn: Vec<Value> = u
        .withdrawals()
        .map(|(family, n)| {
            json!({
                "family": family,
                "path_id": n.path_id,
                "route": n.nlri.to_string(),
            })
        })
        .collect();
    json!({ "announced": announced, "withdrawn": withdrawn })
}

/// A finding: where, which rule, what was found, what to do, and the NOTIFICATION to send.
pub fn error_json(e: &DecodeError) -> Value {
    let mut v = json!({
        "offset": e.offset,
        "rule": e.rule,
        "detail": e.detail,
        "action": e.action.name(),
    });
    if let Some(n) = e.notification() {
        v["notification"] = json!({
            "code": n.code,
            "subcode": n.subcode,
            "data": Hex(&n.data).to_string(),
            "description": n.describe(),
        });
    }
    v
}
