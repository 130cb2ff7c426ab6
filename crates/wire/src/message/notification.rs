//! NOTIFICATION messages (RFC 4271 §4.5) and their error codes.

use std::fmt;

use serde::Serialize;

use crate::reader::Reader;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub code: u8,
    pub subcode: u8,
    #[serde(serialize_with = "crate::message::serialize_hex")]
    pub data: Vec<u8>,
}

/// Error codes (RFC 4271 §4.5, RFC 7313 for ROUTE-REFRESH).
pub mod code {
    pub const MESSAGE_HEADER: u8 = 1;
    pub const OPEN_MESSAGE: u8 = 2;
    pub const UPDATE_MESSAGE: u8 = 3;
    pub const HOLD_TIMER_EXPIRED: u8 = 4;
    pub const FSM: u8 = 5;
    pub const CEASE: u8 = 6;
    pub const ROUTE_REFRESH: u8 = 7;
}

/// Message Header Error subcodes.
pub mod header {
    pub const CONNECTION_NOT_SYNCHRONIZED: u8 = 1;
    pub const BAD_MESSAGE_LENGTH: u8 = 2;
    pub const BAD_MESSAGE_TYPE: u8 = 3;
}

/// OPEN Message Error subcodes.
pub mod open {
    pub const UNSUPPORTED_VERSION: u8 = 1;
    pub const BAD_PEER_AS: u8 = 2;
    pub const BAD_BGP_IDENTIFIER: u8 = 3;
    pub const UNSUPPORTED_OPTIONAL_PARAMETER: u8 = 4;
    pub const UNACCEPTABLE_HOLD_TIME: u8 = 6;
    pub const UNSUPPORTED_CAPABILITY: u8 = 7;
}

/// UPDATE Message Error subcodes.
pub mod update {
    pub const MALFORMED_ATTRIBUTE_LIST: u8 = 1;
    pub const UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: u8 = 2;
    pub const MISSING_WELL_KNOWN_ATTRIBUTE: u8 = 3;
    pub const ATTRIBUTE_FLAGS_ERROR: u8 = 4;
    pub const ATTRIBUTE_LENGTH_ERROR: u8 = 5;
    pub const INVALID_ORIGIN: u8 = 6;
    pub const INVALID_NEXT_HOP: u8 = 8;
    pub const OPTIONAL_ATTRIBUTE_ERROR: u8 = 9;
    pub const INVALID_NETWORK_FIELD: u8 = 10;
    pub const MALFORMED_AS_PATH: u8 = 11;
}

/// FSM Error subcodes (RFC 6608).
pub mod fsm {
    pub const UNSPECIFIED: u8 = 0;
    pub const UNEXPECTED_IN_OPENSENT: u8 = 1;
    pub const UNEXPECTED_IN_OPENCONFIRM: u8 = 2;
    pub const UNEXPECTED_IN_ESTABLISHED: u8 = 3;
}

/// Cease subcodes (RFC 4486, RFC 8538).
pub mod cease {
    pub const MAX_PREFIXES: u8 = 1;
    pub const ADMINISTRATIVE_SHUTDOWN: u8 = 2;
    pub const PEER_DECONFIGURED: u8 = 3;
    pub const ADMINISTRATIVE_RESET: u8 = 4;
    pub const CONNECTION_REJECTED: u8 = 5;
    pub const OTHER_CONFIGURATION_CHANGE: u8 = 6;
    pub const CONNECTION_COLLISION_RESOLUTION: u8 = 7;
    pub const OUT_OF_RESOURCES: u8 = 8;
    pub const HARD_RESET: u8 = 9;
}

impl Notification {
    pub fn new(code: u8, subcode: u8, data: Vec<u8>) -> Self {
        Notification {
            code,
            subcode,
            data,
        }
    }

    pub fn cease(subcode: u8) -> Self {
        Notification::new(code::CEASE, subcode, Vec::new())
    }

    pub(crate) fn decode(r: &mut Reader) -> Notification {
        // The header already guaranteed at least two bytes.
        let code = r.u8().unwrap_or(0);
        let subcode = r.u8().unwrap_or(0);
        Notification {
            code,
            subcode,
            data: r.rest().to_vec(),
        }
    }

    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        out.push(self.code);
        out.push(self.subcode);
        out.extend_from_slice(&self.data);
    }

    pub fn code_name(&self) -> &'static str {
        match self.code {
            code::MESSAGE_HEADER => "Message Header Error",
            code::OPEN_MESSAGE => "OPEN Message Error",
            code::UPDATE_MESSAGE => "UPDATE Message Error",
            code::HOLD_TIMER_EXPIRED => "Hold Timer Expired",
            code::FSM => "Finite State Machine Error",
            code::CEASE => "Cease",
            code::ROUTE_REFRESH => "ROUTE-REFRESH Message Error",
            _ => "Unknown error code",
        }
    }

    pub fn subcode_name(&self) -> &'static str {
        match (self.code, self.subcode) {
            (code::MESSAGE_HEADER, 1) => "Connection Not Synchronized",
            (code::MESSAGE_HEADER, 2) => "Bad Message Length",
            (code::MESSAGE_HEADER, 3) => "Bad Message Type",
            (code::OPEN_MESSAGE, 1) => "Unsupported Version Number",
            (code::OPEN_MESSAGE, 2) => "Bad Peer AS",
            (code::OPEN_MESSAGE, 3) => "Bad BGP Identifier",
            (code::OPEN_MESSAGE, 4) => "Unsupported Optional Parameter",
            (code::OPEN_MESSAGE, 6) => "Unacceptable Hold Time",
            (code::OPEN_MESSAGE, 7) => "Unsupported Capability",
            (code::UPDATE_MESSAGE, 1) => "Malformed Attribute List",
            (code::UPDATE_MESSAGE, 2) => "Unrecognized Well-known Attribute",
            (code::UPDATE_MESSAGE, 3) => "Missing Well-known Attribute",
            (code::UPDATE_MESSAGE, 4) => "Attribute Flags Error",
            (code::UPDATE_MESSAGE, 5) => "Attribute Length Error",
            (code::UPDATE_MESSAGE, 6) => "Invalid ORIGIN Attribute",
            (code::UPDATE_MESSAGE, 8) => "Invalid NEXT_HOP Attribute",
            (code::UPDATE_MESSAGE, 9) => "Optional Attribute Error",
            (code::UPDATE_MESSAGE, 10) => "Invalid Network Field",
            (code::UPDATE_MESSAGE, 11) => "Malformed AS_PATH",
            (code::FSM, 1) => "Receive Unexpected Message in OpenSent State",
            (code::FSM, 2) => "Receive Unexpected Message in OpenConfirm State",
            (code::FSM, 3) => "Receive Unexpected Message in Established State",
            (code::CEASE, 1) => "Maximum Number of Prefixes Reached",
            (code::CEASE, 2) => "Administrative Shutdown",
            (code::CEASE, 3) => "Peer De-configured",
            (code::CEASE, 4) => "Administrative Reset",
            (code::CEASE, 5) => "Connection Rejected",
            (code::CEASE, 6) => "Other Configuration Change",
            (code::CEASE, 7) => "Connection Collision Resolution",
            (code::CEASE, 8) => "Out of Resources",
            (code::CEASE, 9) => "Hard Reset",
            (code::ROUTE_REFRESH, 1) => "Invalid Message Length",
            (_, 0) => "Unspecific",
            _ => "Unknown subcode",
        }
    }

    /// `code/subcode (names)`, as logs and the looking glass show it.
    pub fn describe(&self) -> String {
        format!(
            "{}/{} ({}, {})",
            self.code,
            self.subcode,
            self.code_name(),
            self.subcode_name()
        )
    }
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}
