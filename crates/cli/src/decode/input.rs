//! Turning the command's input into whole messages: hex text (marker optional) or a raw
//! stream split by the message headers.

use std::fmt;
use std::io;

use bagpipe_wire::hex::parse_hex;
use bagpipe_wire::message::{frame_length, MARKER};
use bagpipe_wire::{CodecContext, DecodeError};
use serde_json::json;

/// One message's bytes, and where it started in a raw stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub stream_offset: Option<usize>,
    pub bytes: Vec<u8>,
}

/// Where a raw stream stopped making sense: a header that is not one, or a message cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingError {
    /// Offset of the offending message in the stream.
    pub stream_offset: usize,
    pub error: Option<DecodeError>,
    /// Octets left over, for a message cut short.
    pub left: usize,
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error {
            Some(e) => write!(
                f,
                "stream offset {}: not a BGP message header, {e}; the rest of the stream \
                 cannot be split",
                self.stream_offset
            ),
            None => write!(
                f,
                "stream offset {}: {} octets left, less than the message they start",
                self.stream_offset, self.left
            ),
        }
    }
}

impl FramingError {
    pub fn to_json(&self, index: usize) -> serde_json::Value {
        json!({
            "index": index,
            "stream_offset": self.stream_offset,
            "error": match &self.error {
                Some(e) => super::report::error_json(e),
                None => json!({
                    "rule": "RFC 4271 §4.1: the length field gives the whole message",
                    "detail": format!("stream ends {} octets into a message", self.left),
                }),
            },
        })
    }
}

/// Each hex text is one message; the marker is prepended when it is absent. Blank lines and
/// `#` comments are skipped.
pub fn from_hex(texts: &[String]) -> io::Result<Vec<Frame>> {
    let mut frames = Vec::new();
    for (n, text) in texts.iter().enumerate() {
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let mut bytes = parse_hex(text).map_err(|at| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "input {}: not hex at character {at} ({:?}); expected e.g. \
                     ffffffffffffffffffffffffffffffff001304",
                    n + 1,
                    text.chars().nth(at).unwrap_or(' ')
                ),
            )
        })?;
        if !bytes.starts_with(&MARKER) {
            bytes.splice(0..0, MARKER);
        }
        frames.push(Frame {
            stream_offset: None,
            bytes,
        });
    }
    Ok(frames)
}

/// Splits a raw stream into messages; stops at the first header that makes no sense.
pub fn frames(data: &[u8], ctx: &CodecContext) -> (Vec<Frame>, Option<FramingError>) {
    let mut frames = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let rest = &data[at..];
        match frame_length(rest, ctx) {
            Ok(Some(len)) if len <= rest.len() => {
                frames.push(Frame {
                    stream_offset: Some(at),
                    bytes: rest[..len].to_vec(),
                });
                at += len;
            }
            Ok(_) => {
                let e = FramingError {
                    stream_offset: at,
                    error: None,
                    left: rest.len(),
                };
                return (frames, Some(e));
            }
            Err(error) => {
                let e = FramingError {
                    stream_offset: at,
                    error: Some(error),
                    left: rest.len(),
                };
                return (frames, Some(e));
            }
        }
    }
    (frames, None)
}
