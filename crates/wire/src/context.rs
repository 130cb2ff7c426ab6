//! What a session negotiated that changes how messages are encoded and decoded.

use crate::Family;

/// The negotiated context of one direction of a session.
///
/// A session keeps two: one for decoding what it receives (add-path families that *we* receive)
/// and one for encoding what it sends (add-path families that *we* send).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodecContext {
    /// RFC 6793: AS numbers in AS_PATH and AGGREGATOR are four octets.
    pub four_octet_as: bool,
    /// RFC 8654: messages up to 65535 octets (otherwise 4096), except OPEN and KEEPALIVE.
    pub extended_message: bool,
    /// RFC 7911: families whose NLRI carry a path identifier in this direction.
    pub add_path: Vec<Family>,
}

pub const MAX_MESSAGE_LEN: usize = 4096;
pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;

impl CodecContext {
    /// The context before OPENs are exchanged: 2-octet AS, no add-path, 4096-octet messages.
    pub fn initial() -> Self {
        Self::default()
    }

    pub fn add_path(&self, family: Family) -> bool {
        self.add_path.contains(&family)
    }

    /// The largest UPDATE / NOTIFICATION / ROUTE-REFRESH this context allows.
    pub fn max_message_len(&self) -> usize {
        if self.extended_message {
            MAX_EXTENDED_MESSAGE_LEN
        } else {
            MAX_MESSAGE_LEN
        }
    }
}
