//! IEEE 802 MAC addresses, written as operators know them (`52:54:00:aa:bb:01`).

use std::fmt;
use std::str::FromStr;

use crate::text::{serialize_display, TextError};

/// A 48-bit MAC address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddress(pub [u8; 6]);

impl MacAddress {
    pub const ZERO: MacAddress = MacAddress([0; 6]);

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }

    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl fmt::Debug for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for MacAddress {
    type Err = TextError;

    /// Accepts `aa:bb:cc:dd:ee:ff` and `aa-bb-cc-dd-ee-ff`, any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || {
            TextError::new(
                "MAC address",
                s,
                "expected six hex octets like 52:54:00:aa:bb:01",
            )
        };
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for byte in out.iter_mut() {
            let part = parts.next().ok_or_else(err)?;
            if part.is_empty() || part.len() > 2 {
                return Err(err());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| err())?;
        }
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(MacAddress(out))
    }
}

serialize_display!(MacAddress);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip() {
        let mac: MacAddress = "52:54:00:AA:bb:01".parse().unwrap();
        assert_eq!(mac.0, [0x52, 0x54, 0, 0xaa, 0xbb, 1]);
        assert_eq!(mac.to_string(), "52:54:00:aa:bb:01");
        assert_eq!("52-54-00-aa-bb-01".parse::<MacAddress>().unwrap(), mac);
    }

    #[test]
    fn rejects_bad_text() {
        for bad in [
            "",
            "52:54:00:aa:bb",
            "52:54:00:aa:bb:01:02",
            "52:54:00:aa:bb:zz",
            "525:4:00:aa:bb:01",
        ] {
            assert!(bad.parse::<MacAddress>().is_err(), "{bad}");
        }
    }
}
