//! Byte vectors captured from GoBGP, FRR and ExaBGP (testdata/captured/messages.jsonl, see its
//! README): each decodes cleanly in the session context it was captured in, every value its
//! `expect` object names is what we decode, and re-encoding gives back the very same bytes.
//!
//! E-VPN label fields are checked under both readings (raw 24-bit VNI, RFC 8365, and 20-bit
//! MPLS label); the test prints which reading each implementation uses.

#[path = "../common/mod.rs"]
mod common;
mod expect;
mod flowspec;

use std::collections::BTreeMap;
use std::path::PathBuf;

use bagpipe_wire::{CodecContext, Family, Message};
use serde_json::Value;

use common::{encode, hex_diff, hex_dump, unhex};

fn vectors_path() -> PathBuf {
    // CAPTURED_JSONL points at another capture, e.g. a fresh one before it is committed.
    std::env::var_os("CAPTURED_JSONL").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/captured/messages.jsonl"),
        PathBuf::from,
    )
}

fn context(v: &Value) -> CodecContext {
    let add_path = v["add_path_receive"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    let name = f.as_str().expect("family name");
                    name.parse::<Family>()
                        .unwrap_or_else(|e| panic!("{}: {e}", v["id"]))
                })
                .collect()
        })
        .unwrap_or_default();
    CodecContext {
        four_octet_as: v["four_octet_as"].as_bool().expect("four_octet_as"),
        extended_message: false,
        add_path,
    }
}

fn expect_of(v: &Value) -> &serde_json::Map<String, Value> {
    v["expect"].as_object().expect("an expect object")
}

/// Messages whose sender departs from an RFC that we read anyway but do not write back:
/// they must decode, and our re-encoding (the RFC form) must decode to the same values.
const NON_COMPLIANT: &[(&str, &str)] = &[(
    "gobgp-flow6-offset",
    "GoBGP writes an IPv6 FlowSpec prefix with an offset as the whole prefix, not the bits after the offset (RFC 8956 §3.1)",
)];

#[test]
fn captured_vectors_decode_check_and_re_encode() {
    let path = vectors_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("SKIPPED: {} is not captured yet", path.display());
        return;
    };
    let mut failures = Vec::new();
    let mut readings: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    let mut count = 0;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{} line {}: {e}", path.display(), n + 1));
        let id = format!("{} ({} -> {})", v["id"], v["sender"], v["receiver"]);
        let ctx = context(&v);
        let bytes = unhex(v["hex"].as_str().expect("hex"));
        count += 1;
        let d = match Message::decode(&bytes, &ctx) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{id}: does not decode: {e}\n{}", hex_dump(&bytes)));
                continue;
            }
        };
        if !d.issues.is_empty() {
            failures.push(format!("{id}: findings on a real message: {:?}", d.issues));
        }
        let again = encode(&d.message, &ctx);
        let non_compliant = NON_COMPLIANT.iter().find(|(i, _)| v["id"] == *i);
        if let Some((_, why)) = non_compliant {
            // We write the RFC form: it differs, and it is stable (decoding and re-encoding
            // it gives it back).
            let stable =
                Message::decode(&again, &ctx).is_ok_and(|r| encode(&r.message, &ctx) == again);
            if again == bytes || !stable {
                failures.push(format!("{id}: expected an RFC re-encoding ({why})"));
            }
        } else if again != bytes {
            failures.push(format!(
                "{id}: re-encoding differs\n{}",
                hex_diff(&bytes, &again)
            ));
        }
        let sender = v["sender"].as_str().unwrap_or("?").to_string();
        let (failed, label_readings) = expect::check(&d.message, &ctx, expect_of(&v));
        failures.extend(failed.into_iter().map(|f| format!("{id}: {f}")));
        for r in label_readings {
            *readings
                .entry(sender.clone())
                .or_default()
                .entry(r)
                .or_default() += 1;
        }
    }
    println!("{count} captured messages checked");
    for (sender, r) in &readings {
        println!("E-VPN/PMSI label field as sent by {sender}: {r:?}");
    }
    assert!(count > 0, "{} holds no message", path.display());
    assert!(
        failures.is_empty(),
        "{} failures in {count} captured messages:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
