//! Decode errors, and what RFC 4271 §6 and RFC 7606 want the session to do about each.

use std::fmt;

use crate::message::Notification;

/// What the receiving session must do about a malformed message (RFC 7606 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorAction {
    /// Close the session after sending this NOTIFICATION (RFC 4271 §6).
    SessionReset(Notification),
    /// Keep the session; every route the UPDATE announces is handled as withdrawn.
    TreatAsWithdraw,
    /// Keep the session and the routes; the malformed attribute is ignored.
    AttributeDiscard,
}

impl ErrorAction {
    pub fn name(&self) -> &'static str {
        match self {
            ErrorAction::SessionReset(_) => "session-reset",
            ErrorAction::TreatAsWithdraw => "treat-as-withdraw",
            ErrorAction::AttributeDiscard => "attribute-discard",
        }
    }
}

/// A malformed message or part of one: where, which rule it breaks, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset from the start of the message (marker included).
    pub offset: usize,
    /// The rule broken, citing the RFC section.
    pub rule: &'static str,
    /// What was found, in words.
    pub detail: String,
    pub action: ErrorAction,
}

impl DecodeError {
    pub fn new(
        offset: usize,
        rule: &'static str,
        detail: impl Into<String>,
        action: ErrorAction,
    ) -> Self {
        DecodeError {
            offset,
            rule,
            detail: detail.into(),
            action,
        }
    }

    /// A session reset with the given NOTIFICATION code, subcode and data.
    pub fn reset(
        offset: usize,
        rule: &'static str,
        detail: impl Into<String>,
        code: u8,
        subcode: u8,
        data: Vec<u8>,
    ) -> Self {
        Self::new(
            offset,
            rule,
            detail,
            ErrorAction::SessionReset(Notification {
                code,
                subcode,
                data,
            }),
        )
    }

    pub fn is_session_reset(&self) -> bool {
        matches!(self.action, ErrorAction::SessionReset(_))
    }

    /// The NOTIFICATION to send, when the session must be reset.
    pub fn notification(&self) -> Option<&Notification> {
        match &self.action {
            ErrorAction::SessionReset(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at byte {}: {} ({}); {}",
            self.offset,
            self.detail,
            self.rule,
            self.action.name()
        )?;
        if let ErrorAction::SessionReset(n) = &self.action {
            write!(f, " with NOTIFICATION {}", n.describe())?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// A message that cannot be encoded within the negotiated limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// The message would be longer than the session's maximum (4096, or 65535 with RFC 8654).
    TooLong { length: usize, max: usize },
    /// A field does not fit its wire encoding (e.g. more than 255 octets where one octet counts).
    FieldTooLong(&'static str),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLong { length, max } => {
                write!(f, "message of {length} octets exceeds the maximum of {max}")
            }
            EncodeError::FieldTooLong(what) => write!(f, "{what} is too long for its length field"),
        }
    }
}

impl std::error::Error for EncodeError {}
