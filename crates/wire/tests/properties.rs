//! Property tests: encode → decode is the identity for generated messages of every kind, in
//! every session context; decode never panics on arbitrary or mutated bytes, and what it
//! decodes cleanly survives a re-encode.

mod common;

use bagpipe_wire::message::MARKER;
use bagpipe_wire::{EncodeError, Message};
use common::strategies::{context, message_in_context};
use common::*;
use proptest::collection::vec;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encode_then_decode_is_the_identity((ctx, m) in message_in_context()) {
        let bytes = match m.to_bytes(&ctx) {
            Ok(b) => b,
            // Large generated UPDATEs may not fit 4096 octets: refusing them is right.
            Err(EncodeError::TooLong { .. }) => return Err(TestCaseError::reject("too long")),
            Err(e) => panic!("{e}: {m:?}"),
        };
        let d = Message::decode(&bytes, &ctx)
            .unwrap_or_else(|e| panic!("{e}\n{m:?}\n{}", hex_dump(&bytes)));
        prop_assert!(d.issues.is_empty(), "{:?}\n{}", d.issues, hex_dump(&bytes));
        prop_assert_eq!(&d.message, &m);
        assert_same_bytes(&bytes, &encode(&d.message, &ctx), "re-encoded");
    }

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(
        ctx in context(),
        kind in 0u8..=6,
        body in vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = MARKER.to_vec();
        bytes.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
        bytes.push(kind);
        bytes.extend_from_slice(&body);
        check_decode(&bytes, &ctx);
    }

    #[test]
    fn decode_never_panics_on_mutated_messages(
        (ctx, m) in message_in_context(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..6),
    ) {
        let Ok(mut bytes) = m.to_bytes(&ctx) else {
            return Err(TestCaseError::reject("too long"));
        };
        for (at, value, how) in edits {
            let i = 16 + at.index(bytes.len() - 16);
            match how {
                0 => bytes[i] = value,
                1 => bytes[i] ^= 1 << (value % 8),
                2 => bytes.insert(i, value),
                _ => bytes.truncate(i.max(19)),
            }
        }
        // Keep the length field right half of the time, so the bodies are what gets tested.
        if bytes.len() % 2 == 0 && bytes.len() <= usize::from(u16::MAX) {
            let len = (bytes.len() as u16).to_be_bytes();
            bytes[16..18].copy_from_slice(&len);
        }
        check_decode(&bytes, &ctx);
    }
}

/// Decoding must not panic; a clean decode must re-encode to bytes that decode to the same
/// value.
fn check_decode(bytes: &[u8], ctx: &bagpipe_wire::CodecContext) {
    let Ok(d) = Message::decode(bytes, ctx) else {
        return;
    };
    if !d.issues.is_empty() {
        return;
    }
    let again = encode(&d.message, ctx);
    let d2 = Message::decode(&again, ctx).unwrap_or_else(|e| {
        panic!(
            "re-encoded message does not decode: {e}\n{}",
            hex_diff(bytes, &again)
        )
    });
    assert_eq!(d2.message, d.message, "{}", hex_diff(bytes, &again));
}
