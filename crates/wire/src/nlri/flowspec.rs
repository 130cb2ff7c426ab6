//! FlowSpec NLRI for IPv4 and IPv6 (RFC 8955, RFC 8956), plain and VPN (with an RD).
//!
//! Operator lists keep each value's encoded width so that a rule re-encodes to the bytes it
//! was read from.

use std::fmt;
use std::net::Ipv6Addr;

use serde::Serialize;

use super::{prefix, NlriError};
use crate::family::{AFI_IPV4, SAFI_FLOWSPEC_VPN};
use crate::reader::Reader;
use crate::types::{IpPrefix, Ipv6Prefix, RouteDistinguisher};
use crate::Family;

/// Component type codes (RFC 8955 §4.2.2, RFC 8956 §3).
pub mod component {
    pub const DESTINATION_PREFIX: u8 = 1;
    pub const SOURCE_PREFIX: u8 = 2;
    pub const IP_PROTOCOL: u8 = 3;
    pub const PORT: u8 = 4;
    pub const DESTINATION_PORT: u8 = 5;
    pub const SOURCE_PORT: u8 = 6;
    pub const ICMP_TYPE: u8 = 7;
    pub const ICMP_CODE: u8 = 8;
    pub const TCP_FLAGS: u8 = 9;
    pub const PACKET_LENGTH: u8 = 10;
    pub const DSCP: u8 = 11;
    pub const FRAGMENT: u8 = 12;
    pub const FLOW_LABEL: u8 = 13;
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FlowSpecRule {
    /// AFI_IPV4 or AFI_IPV6.
    pub afi: u16,
    /// Present for VPN FlowSpec (SAFI 134).
    pub rd: Option<RouteDistinguisher>,
    pub components: Vec<FlowComponent>,
}

/// A source or destination prefix; IPv6 ones may start at a bit offset (RFC 8956 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct FlowPrefix {
    pub prefix: IpPrefix,
    pub offset: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct NumericOp {
    /// Logical AND with the previous operation (otherwise OR).
    pub and: bool,
    pub lt: bool,
    pub gt: bool,
    pub eq: bool,
    pub value: u64,
    /// Encoded value width in octets: 1, 2, 4 or 8.
    pub width: u8,
}

impl NumericOp {
    /// The comparison its lt/gt/eq bits make, as text (RFC 8955 §4.2.1.1: all three set is
    /// always true, none always false).
    pub fn comparison(&self) -> &'static str {
        match (self.lt, self.gt, self.eq) {
            (false, false, true) => "=",
            (true, false, false) => "<",
            (false, true, false) => ">",
            (true, false, true) => "<=",
            (false, true, true) => ">=",
            (true, true, false) => "!=",
            (true, true, true) => "true",
            (false, false, false) => "false",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BitmaskOp {
    pub and: bool,
    pub not: bool,
    /// `match`: all bits of `value` set (otherwise any of them).
    pub matches: bool,
    pub value: u64,
    pub width: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FlowComponent {
    DestinationPrefix(FlowPrefix),
    SourcePrefix(FlowPrefix),
    /// Types 3–8, 10, 11, 13.
    Numeric {
        code: u8,
        ops: Vec<NumericOp>,
    },
    /// Types 9 (TCP flags) and 12 (fragment).
    Bitmask {
        code: u8,
        ops: Vec<BitmaskOp>,
    },
}

impl FlowComponent {
    pub fn code(&self) -> u8 {
        match self {
            FlowComponent::DestinationPrefix(_) => component::DESTINATION_PREFIX,
            FlowComponent::SourcePrefix(_) => component::SOURCE_PREFIX,
            FlowComponent::Numeric { code, .. } | FlowComponent::Bitmask { code, .. } => *code,
        }
    }

    pub fn name(&self) -> &'static str {
        component_name(self.code())
    }
}

fn component_name(code: u8) -> &'static str {
    use component::*;
    match code {
        DESTINATION_PREFIX => "destination",
        SOURCE_PREFIX => "source",
        IP_PROTOCOL => "protocol",
        PORT => "port",
        DESTINATION_PORT => "destination-port",
        SOURCE_PORT => "source-port",
        ICMP_TYPE => "icmp-type",
        ICMP_CODE => "icmp-code",
        TCP_FLAGS => "tcp-flags",
        PACKET_LENGTH => "packet-length",
        DSCP => "dscp",
        FRAGMENT => "fragment",
        FLOW_LABEL => "flow-label",
        _ => "unknown",
    }
}

fn width_code(width: u8) -> u8 {
    match width {
        1 => 0,
        2 => 1,
        4 => 2,
        _ => 3,
    }
}

/// The narrowest width that holds `value`, as encoders normally choose.
pub fn natural_width(value: u64) -> u8 {
    match value {
        0..=0xff => 1,
        0x100..=0xffff => 2,
        0x1_0000..=0xffff_ffff => 4,
        _ => 8,
    }
}

impl FlowSpecRule {
    pub fn family(&self) -> Family {
        let safi = if self.rd.is_some() {
            SAFI_FLOWSPEC_VPN
        } else {
            crate::family::SAFI_FLOWSPEC
        };
        Family::new(self.afi, safi)
    }

    pub(crate) fn decode(r: &mut Reader, family: Family) -> Result<FlowSpecRule, NlriError> {
        let at = r.offset();
        let first = r
            .u8()
            .map_err(|_| (at, "truncated FlowSpec NLRI length".to_string()))?;
        // RFC 8955 §4.1: lengths from 240 take two octets, 0xfnnn.
        let len = if first >= 0xf0 {
            let second = r
                .u8()
                .map_err(|_| (at, "truncated FlowSpec NLRI length".to_string()))?;
            (((first & 0x0f) as usize) << 8) | second as usize
        } else {
            first as usize
        };
        let mut v = r.sub(len).map_err(|_| {
            (
                at,
                format!("FlowSpec NLRI of length {len} overruns the attribute"),
            )
        })?;
        let rd = if family.safi == SAFI_FLOWSPEC_VPN {
            Some(RouteDistinguisher(v.array().map_err(|_| {
                (at, "VPN FlowSpec NLRI too short for its RD".to_string())
            })?))
        } else {
            None
        };
        let v4 = family.afi == AFI_IPV4;
        // GoBGP sends IPv6 prefixes with an offset as the whole prefix rather than the bits
        // from the offset on (RFC 8956 §3.1): when the RFC reading fails, that one is tried.
        let components = match decode_components(v.clone(), v4, false) {
            Ok(c) => c,
            Err(e) if !v4 => decode_components(v, v4, true).map_err(|_| e)?,
            Err(e) => return Err(e),
        };
        if components.is_empty() {
            return Err((at, "FlowSpec NLRI without components".to_string()));
        }
        Ok(FlowSpecRule {
            afi: family.afi,
            rd,
            components,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        if let Some(rd) = self.rd {
            body.extend_from_slice(&rd.0);
        }
        for c in &self.components {
            body.push(c.code());
            match c {
                FlowComponent::DestinationPrefix(p) | FlowComponent::SourcePrefix(p) => {
                    encode_flow_prefix(p, &mut body)
                }
                FlowComponent::Numeric { ops, .. } => {
                    let n = ops.len();
                    for (i, o) in ops.iter().enumerate() {
                        let op = end_bit(i, n)
                            | (o.and as u8) << 6
                            | width_code(o.width) << 4
                            | (o.lt as u8) << 2
                            | (o.gt as u8) << 1
                            | o.eq as u8;
                        push_op(&mut body, op, o.value, o.width);
                    }
                }
                FlowComponent::Bitmask { ops, .. } => {
                    let n = ops.len();
                    for (i, o) in ops.iter().enumerate() {
                        let op = end_bit(i, n)
                            | (o.and as u8) << 6
                            | width_code(o.width) << 4
                            | (o.not as u8) << 1
                            | o.matches as u8;
                        push_op(&mut body, op, o.value, o.width);
                    }
                }
            }
        }
        if body.len() < 240 {
            out.push(body.len() as u8);
        } else {
            out.extend_from_slice(&(0xf000 | body.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(&body);
    }
}

/// The components of one rule; `legacy_v6_offset` reads IPv6 prefix patterns from bit 0.
fn decode_components(
    mut v: Reader,
    v4: bool,
    legacy_v6_offset: bool,
) -> Result<Vec<FlowComponent>, NlriError> {
    let mut components: Vec<FlowComponent> = Vec::new();
    while !v.is_empty() {
        let cat = v.offset();
        let code = v.u8().expect("not empty");
        if let Some(prev) = components.last() {
            if prev.code() >= code {
                return Err((
                    cat,
                    format!("FlowSpec component {code} out of order (RFC 8955 §4.2)"),
                ));
            }
        }
        let comp = match code {
            component::DESTINATION_PREFIX | component::SOURCE_PREFIX => {
                let p = decode_flow_prefix(&mut v, cat, v4, legacy_v6_offset)?;
                if code == component::DESTINATION_PREFIX {
                    FlowComponent::DestinationPrefix(p)
                } else {
                    FlowComponent::SourcePrefix(p)
                }
            }
            component::TCP_FLAGS | component::FRAGMENT => FlowComponent::Bitmask {
                code,
                ops: decode_ops(&mut v, cat, |op, value, width| BitmaskOp {
                    and: op & 0x40 != 0,
                    not: op & 0x02 != 0,
                    matches: op & 0x01 != 0,
                    value,
                    width,
                })?,
            },
            component::IP_PROTOCOL..=component::ICMP_CODE
            | component::PACKET_LENGTH
            | component::DSCP => FlowComponent::Numeric {
                code,
                ops: decode_numeric(&mut v, cat)?,
            },
            component::FLOW_LABEL if !v4 => FlowComponent::Numeric {
                code,
                ops: decode_numeric(&mut v, cat)?,
            },
            _ => {
                return Err((
                    cat,
                    format!(
                        "unknown FlowSpec component type {code} (RFC 8955 §4.2: cannot be skipped)"
                    ),
                ))
            }
        };
        components.push(comp);
    }
    Ok(components)
}

fn end_bit(i: usize, n: usize) -> u8 {
    if i + 1 == n {
        0x80
    } else {
        0
    }
}

fn push_op(out: &mut Vec<u8>, op: u8, value: u64, width: u8) {
    out.push(op);
    out.extend_from_slice(&value.to_be_bytes()[8 - width as usize..]);
}

fn decode_numeric(v: &mut Reader, at: usize) -> Result<Vec<NumericOp>, NlriError> {
    decode_ops(v, at, |op, value, width| NumericOp {
        and: op & 0x40 != 0,
        lt: op & 0x04 != 0,
        gt: op & 0x02 != 0,
        eq: op & 0x01 != 0,
        value,
        width,
    })
}

/// Reads `op, value` pairs until the end-of-list bit.
fn decode_ops<T>(
    v: &mut Reader,
    at: usize,
    make: impl Fn(u8, u64, u8) -> T,
) -> Result<Vec<T>, NlriError> {
    let mut ops = Vec::new();
    loop {
        let op = v.u8().map_err(|_| {
            (
                at,
                "FlowSpec operator list ends without its end-of-list bit".to_string(),
            )
        })?;
        let width = 1u8 << ((op >> 4) & 0x3);
        let raw = v
            .take(width as usize)
            .map_err(|_| (at, "FlowSpec operator value overruns the NLRI".to_string()))?;
        let value = raw.iter().fold(0u64, |acc, b| acc << 8 | *b as u64);
        ops.push(make(op, value, width));
        if op & 0x80 != 0 {
            return Ok(ops);
        }
    }
}

fn decode_flow_prefix(
    v: &mut Reader,
    at: usize,
    v4: bool,
    legacy: bool,
) -> Result<FlowPrefix, NlriError> {
    let len = v
        .u8()
        .map_err(|_| (at, "truncated FlowSpec prefix".to_string()))?;
    if v4 {
        return Ok(FlowPrefix {
            prefix: IpPrefix::V4(prefix::v4_bits(v, at, len)?),
            offset: 0,
        });
    }
    let offset = v
        .u8()
        .map_err(|_| (at, "truncated FlowSpec IPv6 prefix offset".to_string()))?;
    if len > 128 || offset > len {
        return Err((
            at,
            format!("FlowSpec IPv6 prefix offset {offset} / length {len} invalid (RFC 8956 §3.1)"),
        ));
    }
    // The pattern holds bits offset..len of the address (or, read the legacy way, bits
    // 0..len).
    let (bits, shift) = if legacy {
        (len as usize, 0)
    } else {
        ((len - offset) as usize, offset)
    };
    let raw = v
        .take(bits.div_ceil(8))
        .map_err(|_| (at, "FlowSpec IPv6 prefix overruns the NLRI".to_string()))?;
    let mut b = [0u8; 16];
    b[..raw.len()].copy_from_slice(raw);
    // An offset of 128 (a /128 matched from its last bit on) leaves no pattern bits; a plain
    // shift by 128 would overflow.
    let pattern = u128::from_be_bytes(b)
        .checked_shr(shift.into())
        .unwrap_or(0);
    let prefix = Ipv6Prefix::new(Ipv6Addr::from(pattern), len).expect("length checked");
    Ok(FlowPrefix {
        prefix: IpPrefix::V6(prefix),
        offset,
    })
}

fn encode_flow_prefix(p: &FlowPrefix, out: &mut Vec<u8>) {
    match p.prefix {
        IpPrefix::V4(v) => {
            out.push(v.length());
            out.extend_from_slice(&v.addr().octets()[..p.prefix.significant_octets()]);
        }
        IpPrefix::V6(v) => {
            out.push(v.length());
            out.push(p.offset);
            let bits = (v.length() - p.offset) as usize;
            let pattern = u128::from(v.addr())
                .checked_shl(p.offset.into())
                .unwrap_or(0);
            out.extend_from_slice(&pattern.to_be_bytes()[..bits.div_ceil(8)]);
        }
    }
}

impl fmt::Display for FlowSpecRule {
    /// `destination 10.0.0.0/24 protocol =6 destination-port >=80&<=90`, in the style of
    /// exabgp and GoBGP.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rd) = self.rd {
            write!(f, "rd {rd} ")?;
        }
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{} ", c.name())?;
            match c {
                FlowComponent::DestinationPrefix(p) | FlowComponent::SourcePrefix(p) => {
                    write!(f, "{}", p.prefix)?;
                    if p.offset != 0 {
                        write!(f, " offset {}", p.offset)?;
                    }
                }
                FlowComponent::Numeric { ops, .. } => {
                    for (j, o) in ops.iter().enumerate() {
                        if j > 0 {
                            f.write_str(if o.and { "&" } else { " " })?;
                        }
                        write!(f, "{}{}", o.comparison(), o.value)?;
                    }
                }
                FlowComponent::Bitmask { ops, .. } => {
                    for (j, o) in ops.iter().enumerate() {
                        if j > 0 {
                            f.write_str(if o.and { "&" } else { " " })?;
                        }
                        let cmp = match (o.not, o.matches) {
                            (false, false) => "",
                            (false, true) => "=",
                            (true, false) => "!",
                            (true, true) => "!=",
                        };
                        write!(f, "{cmp}0x{:x}", o.value)?;
                    }
                }
            }
        }
        Ok(())
    }
}
