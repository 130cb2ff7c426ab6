//! Ethernet Segment Identifiers (RFC 7432 §5): ten octets, the first giving the type.

use std::fmt;

use crate::text::serialize_display;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Esi(pub [u8; 10]);

impl Esi {
    /// The all-zero ESI of single-homed segments.
    pub const ZERO: Esi = Esi([0; 10]);

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 10]
    }
}

impl fmt::Display for Esi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Esi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Esi({self})")
    }
}

impl std::str::FromStr for Esi {
    type Err = crate::text::TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err =
            || crate::text::TextError::new("ESI", s, "expected ten hex octets separated by ':'");
        let mut out = [0u8; 10];
        let mut parts = s.split(':');
        for b in out.iter_mut() {
            *b = u8::from_str_radix(parts.next().ok_or_else(err)?, 16).map_err(|_| err())?;
        }
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(Esi(out))
    }
}

serialize_display!(Esi);
