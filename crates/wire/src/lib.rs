//! The BGP wire codec of bagpipe-rs: BGP-4 messages (RFC 4271) with the multiprotocol
//! extensions that BGP VPNs use — IP VPN (RFC 4364/4659), E-VPN (RFC 7432/9136/8365),
//! RT Constraint (RFC 4684), FlowSpec and VPN FlowSpec (RFC 8955/8956).
//!
//! Pure: bytes in, typed values out, and back. No I/O, no logging, no async. Decoding and
//! encoding take the context the session negotiated ([`CodecContext`]). A malformed message
//! never panics: decoding says what RFC 7606 / RFC 4271 §6 want done about it
//! ([`ErrorAction`]).

pub mod attr;
mod context;
mod error;
pub mod family;
pub mod hex;
pub mod message;
pub mod nlri;
mod reader;
mod text;
pub mod types;

pub use context::{CodecContext, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN};
pub use error::{DecodeError, EncodeError, ErrorAction};
pub use family::Family;
pub use message::{Decoded, Message};
pub use text::TextError;
pub use types::*;
