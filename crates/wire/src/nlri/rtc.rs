//! Route Target Constraint NLRI (RFC 4684 §4): origin AS and a route target, as a prefix of up
//! to 96 bits. Length 0 is the default route ("send me every VPN route"); lengths between 32
//! and 96 cover route targets by prefix.

use std::fmt;

use serde::Serialize;

use super::NlriError;
use crate::reader::Reader;
use crate::types::{ExtendedCommunity, RouteTarget};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RtcNlri {
    /// Origin AS (4 octets) then the route target (8), bits beyond `length` zero.
    key: [u8; 12],
    length: u8,
}

impl RtcNlri {
    /// The default RTC route (length 0).
    pub const DEFAULT: RtcNlri = RtcNlri {
        key: [0; 12],
        length: 0,
    };

    /// A full-length (96-bit) membership of `origin_as` in `rt`.
    pub fn new(origin_as: u32, rt: RouteTarget) -> Self {
        let mut key = [0u8; 12];
        key[..4].copy_from_slice(&origin_as.to_be_bytes());
        key[4..].copy_from_slice(&rt.0);
        RtcNlri { key, length: 96 }
    }

    /// `None` when `length` exceeds 96; bits beyond `length` are cleared.
    pub fn from_prefix(mut key: [u8; 12], length: u8) -> Option<Self> {
        if length > 96 {
            return None;
        }
        mask(&mut key, length);
        Some(RtcNlri { key, length })
    }

    pub fn length(&self) -> u8 {
        self.length
    }

    pub fn is_default(&self) -> bool {
        self.length == 0
    }

    pub fn origin_as(&self) -> Option<u32> {
        (self.length >= 32)
            .then(|| u32::from_be_bytes([self.key[0], self.key[1], self.key[2], self.key[3]]))
    }

    /// The route target, for a full-length NLRI.
    pub fn route_target(&self) -> Option<RouteTarget> {
        (self.length == 96).then(|| RouteTarget(self.key[4..].try_into().expect("8 octets")))
    }

    /// Whether this membership asks for routes carrying `rt` (any origin AS): the route
    /// target's bits covered by the prefix match (RFC 4684 §4).
    pub fn covers(&self, rt: &RouteTarget) -> bool {
        if self.length <= 32 {
            return true;
        }
        let mut k = [0u8; 12];
        k[4..].copy_from_slice(&rt.0);
        k[..4].copy_from_slice(&self.key[..4]);
        mask(&mut k, self.length);
        k == self.key
    }

    pub(crate) fn decode(r: &mut Reader) -> Result<RtcNlri, NlriError> {
        let at = r.offset();
        let length = r
            .u8()
            .map_err(|_| (at, "truncated RTC NLRI length".to_string()))?;
        if length != 0 && !(32..=96).contains(&length) {
            return Err((
                at,
                format!("RTC prefix length {length} is not 0 or 32 to 96 (RFC 4684 §4)"),
            ));
        }
        let n = length.div_ceil(8) as usize;
        let mut key = [0u8; 12];
        key[..n].copy_from_slice(r.take(n).map_err(|_| {
            (
                at,
                format!("RTC NLRI of {length} bits overruns the attribute"),
            )
        })?);
        Ok(RtcNlri::from_prefix(key, length).expect("length checked"))
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.length);
        out.extend_from_slice(&self.key[..self.length.div_ceil(8) as usize]);
    }
}

fn mask(key: &mut [u8; 12], length: u8) {
    for (i, b) in key.iter_mut().enumerate() {
        let bit = i * 8;
        let l = length as usize;
        if bit >= l {
            *b = 0;
        } else if l - bit < 8 {
            *b &= 0xffu8 << (8 - (l - bit));
        }
    }
}

impl fmt::Display for RtcNlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.origin_as(), self.route_target()) {
            _ if self.is_default() => f.write_str("rtc default"),
            (Some(asn), Some(rt)) => write!(f, "rtc {asn}:{}", ExtendedCommunity::from(rt)),
            (Some(asn), None) => {
                write!(f, "rtc {asn}:0x")?;
                self.key[4..]
                    .iter()
                    .try_for_each(|b| write!(f, "{b:02x}"))?;
                write!(f, "/{}", self.length)
            }
            (None, _) => write!(f, "rtc /{}", self.length),
        }
    }
}

impl fmt::Debug for RtcNlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for RtcNlri {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("length", &self.length)?;
        if let Some(asn) = self.origin_as() {
            m.serialize_entry("origin_as", &asn)?;
        }
        if let Some(rt) = self.route_target() {
            m.serialize_entry("route_target", &rt)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_coverage() {
        let rt: RouteTarget = "65000:100".parse().unwrap();
        let other: RouteTarget = "65001:100".parse().unwrap();
        let full = RtcNlri::new(64512, rt);
        assert!(full.covers(&rt));
        assert!(!full.covers(&other));
        assert!(RtcNlri::DEFAULT.covers(&other));
        // Type and subtype and the first octet of the AS: 65000 and 65001 share 0xfd.
        let mut key = full.key;
        key[7] = 0x55;
        let short = RtcNlri::from_prefix(key, 56).unwrap();
        assert!(short.covers(&rt) && short.covers(&other));
        assert_eq!(short.origin_as(), Some(64512));
        assert_eq!(short.route_target(), None);
    }
}
