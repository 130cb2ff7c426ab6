//! Helpers shared by the wire codec's integration tests: building raw messages byte by byte,
//! decoding with a hex dump on failure, checking RFC 7606 verdicts, and comparing bytes with a
//! hex diff (STYLE.md habit 7).
//!
//! Each test crate uses a subset of these helpers, so unused ones are expected per crate.
#![allow(dead_code)]

pub mod strategies;

use std::fmt::Write as _;

use bagpipe_wire::hex::Hex;
use bagpipe_wire::message::MARKER;
use bagpipe_wire::{CodecContext, DecodeError, Decoded, ErrorAction, Family, Message};

/// A session that negotiated 4-octet AS numbers (the usual case), no add-path.
pub fn ctx4() -> CodecContext {
    CodecContext {
        four_octet_as: true,
        ..CodecContext::default()
    }
}

/// A session with an old speaker: 2-octet AS numbers.
pub fn ctx2() -> CodecContext {
    CodecContext::initial()
}

/// `ctx4()` with add-path receive on `families`.
pub fn ctx_add_path(families: &[Family]) -> CodecContext {
    CodecContext {
        add_path: families.to_vec(),
        ..ctx4()
    }
}

/// A whole message: marker, length, type, body.
pub fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = MARKER.to_vec();
    m.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
    m.push(kind);
    m.extend_from_slice(body);
    m
}

/// An UPDATE message from its three raw fields.
pub fn update(withdrawn: &[u8], attributes: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut body = (withdrawn.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(withdrawn);
    body.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
    body.extend_from_slice(attributes);
    body.extend_from_slice(nlri);
    message(2, &body)
}

/// One path attribute: flags, type code, length (1 or 2 octets by the extended-length flag),
/// value.
pub fn attr(flags: u8, code: u8, value: &[u8]) -> Vec<u8> {
    let mut a = vec![flags, code];
    if flags & 0x10 != 0 {
        a.extend_from_slice(&(value.len() as u16).to_be_bytes());
    } else {
        a.push(value.len() as u8);
    }
    a.extend_from_slice(value);
    a
}

pub fn origin_igp() -> Vec<u8> {
    attr(0x40, 1, &[0])
}

/// AS_PATH with one AS_SEQUENCE `65001 65002` in 4-octet form.
pub fn as_path4() -> Vec<u8> {
    attr(0x40, 2, &[2, 2, 0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea])
}

/// AS_PATH with one AS_SEQUENCE `65001` in 2-octet form.
pub fn as_path2() -> Vec<u8> {
    attr(0x40, 2, &[2, 1, 0xfd, 0xe9])
}

pub fn next_hop() -> Vec<u8> {
    attr(0x40, 3, &[192, 0, 2, 1])
}

/// MP_REACH_NLRI of `afi`/`safi` with a raw next hop and raw NLRI bytes.
pub fn mp_reach(afi: u16, safi: u8, nh: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut v = afi.to_be_bytes().to_vec();
    v.push(safi);
    v.push(nh.len() as u8);
    v.extend_from_slice(nh);
    v.push(0);
    v.extend_from_slice(nlri);
    attr(0x90, 14, &v)
}

pub fn mp_unreach(afi: u16, safi: u8, nlri: &[u8]) -> Vec<u8> {
    let mut v = afi.to_be_bytes().to_vec();
    v.push(safi);
    v.extend_from_slice(nlri);
    attr(0x90, 15, &v)
}

pub fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Decodes `bytes`, panicking with the error and a hex dump when it does not decode.
pub fn decode(bytes: &[u8], ctx: &CodecContext) -> Decoded {
    Message::decode(bytes, ctx)
        .unwrap_or_else(|e| panic!("decode failed: {e}\n{}", hex_dump(bytes)))
}

/// Decodes `bytes`, expecting a session reset.
pub fn decode_err(bytes: &[u8], ctx: &CodecContext) -> DecodeError {
    match Message::decode(bytes, ctx) {
        Ok(d) => panic!(
            "expected a decode error, got {:?} with issues {:?}\n{}",
            d.message,
            d.issues,
            hex_dump(bytes)
        ),
        Err(e) => e,
    }
}

/// What RFC 7606 / RFC 4271 §6 want done about a message, reduced to what tests compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// Attribute discard (RFC 7606 §2), with no stronger finding.
    Discard,
    /// Treat-as-withdraw (RFC 7606 §2).
    Withdraw,
    /// Session reset with this NOTIFICATION code, subcode and data.
    Reset(u8, u8, Vec<u8>),
}

/// The strongest verdict of a decode (RFC 7606 §3 h).
pub fn verdict(bytes: &[u8], ctx: &CodecContext) -> Verdict {
    match Message::decode(bytes, ctx) {
        Err(e) => {
            let n = e
                .notification()
                .unwrap_or_else(|| panic!("a decode error must be a session reset: {e}"));
            Verdict::Reset(n.code, n.subcode, n.data.clone())
        }
        Ok(d) if d.issues.is_empty() => Verdict::Clean,
        Ok(d) => {
            assert!(
                d.issues.iter().all(|i| !i.is_session_reset()),
                "a decoded message cannot carry a session reset: {:?}",
                d.issues
            );
            if d.issues
                .iter()
                .any(|i| i.action == ErrorAction::TreatAsWithdraw)
            {
                Verdict::Withdraw
            } else {
                Verdict::Discard
            }
        }
    }
}

/// Encodes `m` in `ctx`, panicking with the message on failure.
pub fn encode(m: &Message, ctx: &CodecContext) -> Vec<u8> {
    m.to_bytes(ctx)
        .unwrap_or_else(|e| panic!("encode failed: {e}\n{m:?}"))
}

/// Decodes `bytes` cleanly and checks that re-encoding gives them back, octet for octet.
pub fn assert_reencodes(bytes: &[u8], ctx: &CodecContext, what: &str) -> Decoded {
    let d = decode(bytes, ctx);
    let again = encode(&d.message, ctx);
    assert_same_bytes(bytes, &again, what);
    d
}

/// Fails with a hex diff when `got` differs from `expected`.
pub fn assert_same_bytes(expected: &[u8], got: &[u8], what: &str) {
    if expected != got {
        panic!("{what}: bytes differ\n{}", hex_diff(expected, got));
    }
}

/// 16 octets a line, offset first.
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        let _ = writeln!(s, "{:04x}  {}", i * 16, spaced(line));
    }
    s
}

fn spaced(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Both byte strings side by side, 16 octets a line, lines that differ marked with `!` and a
/// caret under each differing octet.
pub fn hex_diff(expected: &[u8], got: &[u8]) -> String {
    let first = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(got.len()));
    let mut s = format!(
        "expected {} octets, got {}; first difference at offset {first} (0x{first:x})\n",
        expected.len(),
        got.len()
    );
    let lines = expected.len().max(got.len()).div_ceil(16);
    for line in 0..lines {
        let range = |b: &[u8]| {
            let start = (line * 16).min(b.len());
            let end = (line * 16 + 16).min(b.len());
            b[start..end].to_vec()
        };
        let (e, g) = (range(expected), range(got));
        let mark = if e == g { ' ' } else { '!' };
        let _ = writeln!(s, "{mark} {:04x} expected {}", line * 16, spaced(&e));
        let _ = writeln!(s, "{mark} {:04x} got      {}", line * 16, spaced(&g));
        if e != g {
            let carets: String = (0..16)
                .map(|i| if e.get(i) == g.get(i) { "   " } else { "^^ " })
                .collect();
            let _ = writeln!(s, "                {}", carets.trim_end());
        }
    }
    let _ = writeln!(s, "expected: {}\ngot:      {}", Hex(expected), Hex(got));
    s
}

/// Parses hex text (with or without separators) into bytes, panicking on bad input.
pub fn unhex(text: &str) -> Vec<u8> {
    bagpipe_wire::hex::parse_hex(text)
        .unwrap_or_else(|at| panic!("bad hex at character {at}: {text}"))
}
