//! The `length, prefix` encoding shared by unicast, labelled and FlowSpec NLRI (RFC 4271 §4.3).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::NlriError;
use crate::reader::Reader;
use crate::types::{IpPrefix, Ipv4Prefix, Ipv6Prefix};

pub(crate) fn decode_v4(r: &mut Reader) -> Result<Ipv4Prefix, NlriError> {
    let at = r.offset();
    let len = r
        .u8()
        .map_err(|_| (at, "truncated prefix length".to_string()))?;
    v4_bits(r, at, len)
}

pub(crate) fn decode_v6(r: &mut Reader) -> Result<Ipv6Prefix, NlriError> {
    let at = r.offset();
    let len = r
        .u8()
        .map_err(|_| (at, "truncated prefix length".to_string()))?;
    v6_bits(r, at, len)
}

/// Reads the `ceil(len/8)` address octets of an IPv4 prefix of `len` bits.
pub(crate) fn v4_bits(r: &mut Reader, at: usize, len: u8) -> Result<Ipv4Prefix, NlriError> {
    if len > 32 {
        return Err((at, format!("IPv4 prefix length {len} exceeds 32")));
    }
    let mut b = [0u8; 4];
    let n = len.div_ceil(8) as usize;
    b[..n].copy_from_slice(
        r.take(n)
            .map_err(|_| (at, format!("prefix of length {len} overruns the NLRI")))?,
    );
    Ok(Ipv4Prefix::new(Ipv4Addr::from(b), len).expect("length checked"))
}

pub(crate) fn v6_bits(r: &mut Reader, at: usize, len: u8) -> Result<Ipv6Prefix, NlriError> {
    if len > 128 {
        return Err((at, format!("IPv6 prefix length {len} exceeds 128")));
    }
    let mut b = [0u8; 16];
    let n = len.div_ceil(8) as usize;
    b[..n].copy_from_slice(
        r.take(n)
            .map_err(|_| (at, format!("prefix of length {len} overruns the NLRI")))?,
    );
    Ok(Ipv6Prefix::new(Ipv6Addr::from(b), len).expect("length checked"))
}

/// The significant address octets only (the caller writes the length).
pub(crate) fn encode_bits(p: &IpPrefix, out: &mut Vec<u8>) {
    let n = p.significant_octets();
    match p {
        IpPrefix::V4(v) => out.extend_from_slice(&v.addr().octets()[..n]),
        IpPrefix::V6(v) => out.extend_from_slice(&v.addr().octets()[..n]),
    }
}

pub(crate) fn encode(p: &IpPrefix, out: &mut Vec<u8>) {
    out.push(p.length());
    encode_bits(p, out);
}
