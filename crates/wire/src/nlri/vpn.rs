//! Labelled VPN-IPv4/IPv6 NLRI (RFC 4364 §4.3.4, RFC 4659, RFC 8277).

use std::fmt;

use serde::Serialize;

use super::{prefix, NlriError};
use crate::family::AFI_IPV4;
use crate::reader::Reader;
use crate::types::{IpPrefix, Label, LabelStack, RouteDistinguisher};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct VpnPrefix {
    pub rd: RouteDistinguisher,
    pub labels: LabelStack,
    pub prefix: IpPrefix,
}

impl VpnPrefix {
    pub fn new(rd: RouteDistinguisher, label: Label, prefix: IpPrefix) -> Self {
        VpnPrefix {
            rd,
            labels: LabelStack::from_buf([label]),
            prefix,
        }
    }

    pub(crate) fn decode(r: &mut Reader, afi: u16, withdraw: bool) -> Result<VpnPrefix, NlriError> {
        let at = r.offset();
        let bits = r
            .u8()
            .map_err(|_| (at, "truncated NLRI length".to_string()))? as usize;
        let mut body = r.sub(bits.div_ceil(8)).map_err(|_| {
            (
                at,
                format!("VPN NLRI of {bits} bits overruns the attribute"),
            )
        })?;
        let mut labels = LabelStack::new();
        let mut left = bits;
        loop {
            if left < 24 + 64 {
                return Err((
                    at,
                    format!("VPN NLRI of {bits} bits has no room for its labels and RD"),
                ));
            }
            let label = Label::from_bytes(body.array().expect("length checked"));
            left -= 24;
            labels.push(label);
            // A withdrawal may carry the compatibility value 0x800000 (or 0) instead of a
            // real stack (RFC 8277 §2.4), neither with the bottom-of-stack bit.
            let withdraw_marker = withdraw && (label == Label::WITHDRAWN || label.raw() == 0);
            if label.bottom_of_stack() || withdraw_marker {
                break;
            }
        }
        let rd = RouteDistinguisher(body.array().expect("length checked"));
        left -= 64;
        let len = left as u8;
        let pfx = if afi == AFI_IPV4 {
            if left > 32 {
                return Err((at, format!("VPN-IPv4 prefix length {left} exceeds 32")));
            }
            IpPrefix::V4(prefix::v4_bits(&mut body, at, len)?)
        } else {
            if left > 128 {
                return Err((at, format!("VPN-IPv6 prefix length {left} exceeds 128")));
            }
            IpPrefix::V6(prefix::v6_bits(&mut body, at, len)?)
        };
        Ok(VpnPrefix {
            rd,
            labels,
            prefix: pfx,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let bits = self.labels.len() * 24 + 64 + self.prefix.length() as usize;
        out.push(bits as u8);
        for l in &self.labels {
            out.extend_from_slice(&l.to_bytes());
        }
        out.extend_from_slice(&self.rd.0);
        prefix::encode_bits(&self.prefix, out);
    }

    /// The label of the innermost (first) entry, the one VPN routes use.
    pub fn label(&self) -> Option<Label> {
        self.labels.first().copied()
    }
}

impl fmt::Display for VpnPrefix {
    /// `65000:2:10.2.0.0/24 label 200`, the route form operators read.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.rd, self.prefix)?;
        if let Some(l) = self.label() {
            write!(f, " label {}", l.mpls_value())?;
        }
        Ok(())
    }
}
