//! `GET /ping`: a number that stays the same while the daemon runs and changes when it
//! restarts. The Neutron agents poll it, and re-send all their attachments when it changes.
//!
//! The original answered `int(uuid.uuid4())`, a random 128-bit integer, as a bare JSON
//! number; so does this.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingToken(u128);

impl PingToken {
    /// A fresh random token. The standard library seeds each `RandomState` from the
    /// operating system's randomness; the clock and process id are mixed in so that two
    /// processes can never share a token through a seeding accident.
    pub fn random() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let half =
            |salt: u64| RandomState::new().hash_one((salt, nanos, std::process::id())) as u128;
        let mut value = (half(1) << 64) | half(2);
        // Version 4, variant 1: the value is a UUIDv4 like the original's.
        value = (value & !(0xf << 76)) | (0x4 << 76);
        value = (value & !(0x3 << 62)) | (0x2 << 62);
        PingToken(value)
    }

    /// The JSON text of the answer: the decimal number.
    pub fn json(self) -> String {
        self.0.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_look_like_uuid4() {
        let (a, b) = (PingToken::random(), PingToken::random());
        assert_ne!(a, b);
        assert_eq!((a.0 >> 76) & 0xf, 4);
        assert_eq!((a.0 >> 62) & 0x3, 2);
        assert!(a.json().bytes().all(|c| c.is_ascii_digit()));
    }
}
