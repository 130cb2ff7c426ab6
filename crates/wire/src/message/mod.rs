//! BGP messages (RFC 4271 §4): the 19-octet header, and OPEN, UPDATE, NOTIFICATION,
//! KEEPALIVE and ROUTE-REFRESH bodies.

mod capability;
pub(crate) mod notification;
mod open;
mod route_refresh;
mod update;

use serde::Serialize;

pub use capability::{
    AddPathMode, Capability, ExtendedNextHop, GracefulRestart, GracefulRestartFamily,
};
pub use notification::{
    cease, code as error_code, fsm as fsm_error, header as header_error, open as open_error,
    update as update_error, Notification,
};
pub use open::{Open, OptionalParameter, AS_TRANS};
pub use route_refresh::{RefreshSubtype, RouteRefresh};
pub use update::{DecodedUpdate, Update};

use crate::context::CodecContext;
use crate::error::{DecodeError, EncodeError};
use crate::reader::Reader;

pub const MARKER: [u8; 16] = [0xff; 16];
pub const HEADER_LEN: usize = 19;

pub mod kind {
    pub const OPEN: u8 = 1;
    pub const UPDATE: u8 = 2;
    pub const NOTIFICATION: u8 = 3;
    pub const KEEPALIVE: u8 = 4;
    pub const ROUTE_REFRESH: u8 = 5;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "body", rename_all = "kebab-case")]
pub enum Message {
    Open(Open),
    Update(Update),
    Notification(Notification),
    Keepalive,
    RouteRefresh(RouteRefresh),
}

/// A decoded message, with the RFC 7606 findings (UPDATE only) that did not reset the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub message: Message,
    pub issues: Vec<DecodeError>,
}

fn header_error(
    offset: usize,
    rule: &'static str,
    detail: String,
    subcode: u8,
    data: Vec<u8>,
) -> DecodeError {
    DecodeError::reset(
        offset,
        rule,
        detail,
        error_code::MESSAGE_HEADER,
        subcode,
        data,
    )
}

/// Checks the header at the start of `buf` and returns the whole message's length, or
/// `Ok(None)` when fewer than 19 octets are buffered. For splitting a TCP stream.
pub fn frame_length(buf: &[u8], ctx: &CodecContext) -> Result<Option<usize>, DecodeError> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    if buf[..16] != MARKER {
        return Err(header_error(
            0,
            "RFC 4271 §6.1: the marker must be all ones",
            "marker is not all ones".into(),
            header_error::CONNECTION_NOT_SYNCHRONIZED,
            vec![],
        ));
    }
    let len = u16::from_be_bytes([buf[16], buf[17]]) as usize;
    let kind = buf[18];
    // RFC 8654 §4: OPEN and KEEPALIVE stay within 4096 octets even with extended messages.
    let max = match kind {
        kind::OPEN | kind::KEEPALIVE => crate::context::MAX_MESSAGE_LEN,
        _ => ctx.max_message_len(),
    };
    let min = match kind {
        kind::OPEN => 29,
        kind::UPDATE => 23,
        kind::NOTIFICATION => 21,
        kind::KEEPALIVE => 19,
        kind::ROUTE_REFRESH => 23,
        other => {
            return Err(header_error(
                18,
                "RFC 4271 §6.1: unknown message type",
                format!("message type {other}"),
                header_error::BAD_MESSAGE_TYPE,
                vec![other],
            ));
        }
    };
    let bad_len = (kind == kind::KEEPALIVE && len != 19) || len < min || len > max;
    if bad_len {
        return Err(header_error(
            16,
            "RFC 4271 §6.1: message length out of range for its type",
            format!("length {len} for message type {kind} (allowed {min}..={max})"),
            header_error::BAD_MESSAGE_LENGTH,
            (len as u16).to_be_bytes().to_vec(),
        ));
    }
    Ok(Some(len))
}

impl Message {
    /// Decodes exactly one message (header included) from `buf`.
    pub fn decode(buf: &[u8], ctx: &CodecContext) -> Result<Decoded, DecodeError> {
        let len = match frame_length(buf, ctx)? {
            Some(len) => len,
            None => {
                return Err(header_error(
                    0,
                    "RFC 4271 §4.1: a message is at least 19 octets",
                    format!("only {} octets", buf.len()),
                    header_error::BAD_MESSAGE_LENGTH,
                    vec![],
                ));
            }
        };
        if len != buf.len() {
            return Err(header_error(
                16,
                "RFC 4271 §4.1: the length field gives the whole message",
                format!("length field {len}, {} octets given", buf.len()),
                header_error::BAD_MESSAGE_LENGTH,
                (len as u16).to_be_bytes().to_vec(),
            ));
        }
        let mut r = Reader::new(&buf[HEADER_LEN..], HEADER_LEN);
        let plain = |message| {
            Ok(Decoded {
                message,
                issues: Vec::new(),
            })
        };
        match buf[18] {
            kind::OPEN => plain(Message::Open(Open::decode(&mut r)?)),
            kind::UPDATE => {
                let d = Update::decode(&mut r, ctx)?;
                Ok(Decoded {
                    message: Message::Update(d.update),
                    issues: d.issues,
                })
            }
            kind::NOTIFICATION => plain(Message::Notification(Notification::decode(&mut r))),
            kind::KEEPALIVE => plain(Message::Keepalive),
            _ => plain(Message::RouteRefresh(RouteRefresh::decode(&mut r, buf)?)),
        }
    }

    pub fn kind(&self) -> u8 {
        match self {
            Message::Open(_) => kind::OPEN,
            Message::Update(_) => kind::UPDATE,
            Message::Notification(_) => kind::NOTIFICATION,
            Message::Keepalive => kind::KEEPALIVE,
            Message::RouteRefresh(_) => kind::ROUTE_REFRESH,
        }
    }

    /// Appends the whole message (header included) to `out`.
    pub fn encode(&self, ctx: &CodecContext, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        out.extend_from_slice(&MARKER);
        out.extend_from_slice(&[0, 0, self.kind()]);
        match self {
            Message::Open(o) => o.encode_body(out)?,
            Message::Update(u) => u.encode_body(out, ctx)?,
            Message::Notification(n) => n.encode_body(out),
            Message::Keepalive => {}
            Message::RouteRefresh(r) => r.encode_body(out),
        }
        let len = out.len() - start;
        let max = match self {
            Message::Open(_) | Message::Keepalive => crate::context::MAX_MESSAGE_LEN,
            _ => ctx.max_message_len(),
        };
        if len > max {
            out.truncate(start);
            return Err(EncodeError::TooLong { length: len, max });
        }
        out[start + 16..start + 18].copy_from_slice(&(len as u16).to_be_bytes());
        Ok(())
    }

    /// The message as a new buffer.
    pub fn to_bytes(&self, ctx: &CodecContext) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode(ctx, &mut out)?;
        Ok(out)
    }
}

/// Serializes bytes as a lowercase hex string in JSON output.
pub(crate) fn serialize_hex<S: serde::Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&crate::hex::Hex(data))
}
