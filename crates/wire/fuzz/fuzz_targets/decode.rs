//! Message::decode on arbitrary bytes under an arbitrary session context: it must never
//! panic, and what decodes cleanly must re-encode to bytes that decode to the same value.
//!
//! Input: one octet of context, then the message after its marker (length, type, body). The
//! marker is always supplied and, unless bit 7 of the context octet is set, so is a length
//! field that matches, so that the fuzzer spends its time in the bodies.
#![no_main]

use bagpipe_wire::message::MARKER;
use bagpipe_wire::{CodecContext, Family, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else {
        return;
    };
    let ctx = CodecContext {
        four_octet_as: knobs & 1 != 0,
        extended_message: knobs & 2 != 0,
        // Bits 2-6 pick add-path families among the known ones.
        add_path: Family::KNOWN
            .iter()
            .enumerate()
            .filter(|(i, _)| knobs & (4 << (i % 5)) != 0)
            .map(|(_, f)| *f)
            .collect(),
    };
    let mut bytes = MARKER.to_vec();
    bytes.extend_from_slice(rest);
    if knobs & 0x80 == 0 && bytes.len() >= 18 && bytes.len() <= u16::MAX as usize {
        let len = (bytes.len() as u16).to_be_bytes();
        bytes[16..18].copy_from_slice(&len);
    }
    let Ok(decoded) = Message::decode(&bytes, &ctx) else {
        return;
    };
    if !decoded.issues.is_empty() {
        return;
    }
    let again = decoded
        .message
        .to_bytes(&ctx)
        .expect("a message that decoded cleanly re-encodes");
    let redecoded = Message::decode(&again, &ctx).expect("a re-encoded message decodes");
    assert_eq!(
        redecoded.message, decoded.message,
        "re-encoding changed the value"
    );
    assert!(redecoded.issues.is_empty(), "{:?}", redecoded.issues);
});
