//! Path attributes (RFC 4271 §4.3 / §5 and the extensions BGP VPNs use), decoded with the
//! RFC 7606 error handling of each one.

mod accessors;
mod aspath;
mod community;
mod mp;
mod pmsi;
mod set;
mod tunnel_encap;

use std::net::Ipv4Addr;

use serde::Serialize;

pub(crate) use accessors::attribute_accessors;
pub use aspath::{AsPath, Segment, SegmentType};
pub use community::{Community, LargeCommunity};
pub use mp::{MpReach, MpUnreach, NextHop};
pub use pmsi::{PmsiTunnel, PMSI_INGRESS_REPLICATION};
pub use set::AttributeSet;
pub use tunnel_encap::{sub_tlv, SubTlv, SubTlvView, Tunnel};

use crate::context::CodecContext;
use crate::error::{DecodeError, ErrorAction};
use crate::message::notification::{code as ncode, update as usub};
use crate::reader::Reader;
use crate::types::{ExtendedCommunity, Ipv6ExtendedCommunity};

/// Attribute flag bits (RFC 4271 §4.3).
pub mod flags {
    pub const OPTIONAL: u8 = 0x80;
    pub const TRANSITIVE: u8 = 0x40;
    pub const PARTIAL: u8 = 0x20;
    pub const EXTENDED_LENGTH: u8 = 0x10;
}

/// Attribute type codes.
pub mod code {
    pub const ORIGIN: u8 = 1;
    pub const AS_PATH: u8 = 2;
    pub const NEXT_HOP: u8 = 3;
    pub const MED: u8 = 4;
    pub const LOCAL_PREF: u8 = 5;
    pub const ATOMIC_AGGREGATE: u8 = 6;
    pub const AGGREGATOR: u8 = 7;
    pub const COMMUNITIES: u8 = 8;
    pub const ORIGINATOR_ID: u8 = 9;
    pub const CLUSTER_LIST: u8 = 10;
    pub const MP_REACH_NLRI: u8 = 14;
    pub const MP_UNREACH_NLRI: u8 = 15;
    pub const EXTENDED_COMMUNITIES: u8 = 16;
    pub const AS4_PATH: u8 = 17;
    pub const AS4_AGGREGATOR: u8 = 18;
    pub const PMSI_TUNNEL: u8 = 22;
    pub const TUNNEL_ENCAPSULATION: u8 = 23;
    pub const IPV6_EXTENDED_COMMUNITIES: u8 = 25;
    pub const LARGE_COMMUNITIES: u8 = 32;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Igp,
    Egp,
    Incomplete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Aggregator {
    pub asn: u32,
    pub addr: Ipv4Addr,
}

/// One attribute's value, typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "attribute", content = "value", rename_all = "kebab-case")]
pub enum AttrValue {
    Origin(Origin),
    AsPath(AsPath),
    NextHop(Ipv4Addr),
    Med(u32),
    LocalPref(u32),
    AtomicAggregate,
    Aggregator(Aggregator),
    Communities(Vec<Community>),
    OriginatorId(Ipv4Addr),
    ClusterList(Vec<Ipv4Addr>),
    MpReach(MpReach),
    MpUnreach(MpUnreach),
    ExtendedCommunities(Vec<ExtendedCommunity>),
    As4Path(AsPath),
    As4Aggregator(Aggregator),
    PmsiTunnel(PmsiTunnel),
    TunnelEncapsulation(Vec<Tunnel>),
    Ipv6ExtendedCommunities(Vec<Ipv6ExtendedCommunity>),
    LargeCommunities(Vec<LargeCommunity>),
    /// An attribute this codec does not know, kept with its bytes so that an optional
    /// transitive one can be passed on unchanged (with the partial bit set).
    Unknown {
        code: u8,
        #[serde(serialize_with = "crate::message::serialize_hex")]
        data: Vec<u8>,
    },
}

/// An attribute with the flags it came with (kept so that it re-encodes identically).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PathAttribute {
    pub flags: u8,
    #[serde(flatten)]
    pub value: AttrValue,
}

impl AttrValue {
    pub fn code(&self) -> u8 {
        use code::*;
        match self {
            AttrValue::Origin(_) => ORIGIN,
            AttrValue::AsPath(_) => AS_PATH,
            AttrValue::NextHop(_) => NEXT_HOP,
            AttrValue::Med(_) => MED,
            AttrValue::LocalPref(_) => LOCAL_PREF,
            AttrValue::AtomicAggregate => ATOMIC_AGGREGATE,
            AttrValue::Aggregator(_) => AGGREGATOR,
            AttrValue::Communities(_) => COMMUNITIES,
            AttrValue::OriginatorId(_) => ORIGINATOR_ID,
            AttrValue::ClusterList(_) => CLUSTER_LIST,
            AttrValue::MpReach(_) => MP_REACH_NLRI,
            AttrValue::MpUnreach(_) => MP_UNREACH_NLRI,
            AttrValue::ExtendedCommunities(_) => EXTENDED_COMMUNITIES,
            AttrValue::As4Path(_) => AS4_PATH,
            AttrValue::As4Aggregator(_) => AS4_AGGREGATOR,
            AttrValue::PmsiTunnel(_) => PMSI_TUNNEL,
            AttrValue::TunnelEncapsulation(_) => TUNNEL_ENCAPSULATION,
            AttrValue::Ipv6ExtendedCommunities(_) => IPV6_EXTENDED_COMMUNITIES,
            AttrValue::LargeCommunities(_) => LARGE_COMMUNITIES,
            AttrValue::Unknown { code, .. } => *code,
        }
    }
}

/// The optional and transitive bits each known attribute must carry (RFC 4271 §5, and the
/// defining RFC of each extension); `None` for unknown codes.
fn expected_flags(code: u8) -> Option<u8> {
    use code::*;
    use flags::*;
    Some(match code {
        ORIGIN | AS_PATH | NEXT_HOP | LOCAL_PREF | ATOMIC_AGGREGATE => TRANSITIVE,
        MED | ORIGINATOR_ID | CLUSTER_LIST | MP_REACH_NLRI | MP_UNREACH_NLRI => OPTIONAL,
        AGGREGATOR
        | COMMUNITIES
        | EXTENDED_COMMUNITIES
        | AS4_PATH
        | AS4_AGGREGATOR
        | PMSI_TUNNEL
        | TUNNEL_ENCAPSULATION
        | IPV6_EXTENDED_COMMUNITIES
        | LARGE_COMMUNITIES => OPTIONAL | TRANSITIVE,
        _ => return None,
    })
}

/// What RFC 7606 §7 (and RFC 6793 §6, RFC 9012 §13) says to do when a known attribute is
/// malformed.
fn malformed_action(code: u8, data: &[u8]) -> (ErrorAction, &'static str) {
    use code::*;
    match code {
        ORIGIN => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.1: malformed ORIGIN",
        ),
        AS_PATH => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.2: malformed AS_PATH",
        ),
        NEXT_HOP => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.3: malformed NEXT_HOP",
        ),
        MED => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.4: malformed MULTI_EXIT_DISC",
        ),
        LOCAL_PREF => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.5: malformed LOCAL_PREF",
        ),
        ATOMIC_AGGREGATE => (
            ErrorAction::AttributeDiscard,
            "RFC 7606 §7.6: malformed ATOMIC_AGGREGATE",
        ),
        AGGREGATOR => (
            ErrorAction::AttributeDiscard,
            "RFC 7606 §7.7: malformed AGGREGATOR",
        ),
        COMMUNITIES => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.8: malformed COMMUNITIES",
        ),
        ORIGINATOR_ID => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.9: malformed ORIGINATOR_ID",
        ),
        CLUSTER_LIST => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.10: malformed CLUSTER_LIST",
        ),
        EXTENDED_COMMUNITIES => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.14: malformed EXTENDED_COMMUNITIES",
        ),
        AS4_PATH => (
            ErrorAction::AttributeDiscard,
            "RFC 6793 §6: malformed AS4_PATH",
        ),
        AS4_AGGREGATOR => (
            ErrorAction::AttributeDiscard,
            "RFC 6793 §6: malformed AS4_AGGREGATOR",
        ),
        PMSI_TUNNEL => (
            ErrorAction::TreatAsWithdraw,
            "RFC 6514 §5 / RFC 7606 §3: malformed PMSI_TUNNEL",
        ),
        TUNNEL_ENCAPSULATION => (
            ErrorAction::AttributeDiscard,
            "RFC 9012 §13: malformed TUNNEL_ENCAPSULATION",
        ),
        LARGE_COMMUNITIES => (
            ErrorAction::TreatAsWithdraw,
            "RFC 8092 §6: malformed LARGE_COMMUNITIES",
        ),
        IPV6_EXTENDED_COMMUNITIES => (
            ErrorAction::TreatAsWithdraw,
            "RFC 7606 §7.14 (RFC 5701): malformed IPv6 Address Specific Extended Community",
        ),
        // MP_REACH / MP_UNREACH: RFC 7606 §7.11 — the NLRI cannot be located safely.
        _ => (
            ErrorAction::SessionReset(crate::message::Notification::new(
                ncode::UPDATE_MESSAGE,
                usub::OPTIONAL_ATTRIBUTE_ERROR,
                data.to_vec(),
            )),
            "RFC 7606 §7.11: malformed MP_REACH_NLRI / MP_UNREACH_NLRI",
        ),
    }
}

/// RFC 7606 §3 c: optional / transitive bits that conflict with the type make the attribute
/// malformed with treat-as-withdraw, whatever its own malformed handling is (no attribute here
/// mandates another handling for flags). MP_REACH_NLRI / MP_UNREACH_NLRI stay a session reset
/// (§7.11: their NLRI cannot be trusted), with the subcode of RFC 4271 §6.3.
fn flags_conflict(flags: u8, code: u8, raw: &[u8], at: usize) -> DecodeError {
    let detail = format!("flags 0x{flags:02x} do not match attribute {code}");
    if code == code::MP_REACH_NLRI || code == code::MP_UNREACH_NLRI {
        return DecodeError::reset(
            at,
            "RFC 4271 §6.3 / RFC 7606 §7.11: MP_REACH_NLRI / MP_UNREACH_NLRI flags conflict",
            detail,
            ncode::UPDATE_MESSAGE,
            usub::ATTRIBUTE_FLAGS_ERROR,
            wire_form(flags, code, raw),
        );
    }
    DecodeError::new(
        at,
        "RFC 7606 §3 c: attribute flags conflict with the attribute type",
        detail,
        ErrorAction::TreatAsWithdraw,
    )
}

/// The attribute's full wire form (flags, type, length, value), for NOTIFICATION data.
fn wire_form(flags: u8, code: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![flags, code];
    if flags & flags::EXTENDED_LENGTH != 0 {
        v.extend_from_slice(&(value.len() as u16).to_be_bytes());
    } else {
        v.push(value.len() as u8);
    }
    v.extend_from_slice(value);
    v
}

impl PathAttribute {
    /// A new attribute with the flags its type requires.
    pub fn new(value: AttrValue) -> Self {
        let flags = expected_flags(value.code()).unwrap_or(flags::OPTIONAL | flags::TRANSITIVE);
        PathAttribute { flags, value }
    }

    pub fn code(&self) -> u8 {
        self.value.code()
    }

    pub fn is_optional(&self) -> bool {
        self.flags & flags::OPTIONAL != 0
    }

    pub fn is_transitive(&self) -> bool {
        self.flags & flags::TRANSITIVE != 0
    }

    /// Decodes one attribute value. `Err` is the RFC 7606 verdict for it.
    pub(crate) fn decode(
        flags: u8,
        code: u8,
        r: &mut Reader,
        ctx: &CodecContext,
    ) -> Result<PathAttribute, DecodeError> {
        let at = r.offset();
        let raw = r.rest();
        let fail = |detail: String| {
            let (action, rule) = malformed_action(code, &wire_form(flags, code, raw));
            DecodeError::new(at, rule, detail, action)
        };
        if let Some(expected) = expected_flags(code) {
            let got = flags & (flags::OPTIONAL | flags::TRANSITIVE);
            if got != expected {
                return Err(flags_conflict(flags, code, raw, at));
            }
        }
        let len = raw.len();
        let exact = |n: usize| {
            if len == n {
                Ok(())
            } else {
                Err(fail(format!("length {len}, expected {n}")))
            }
        };
        let multiple = |n: usize| {
            if len % n == 0 && (len > 0 || n == 0) {
                Ok(())
            } else {
                Err(fail(format!(
                    "length {len} is not a non-zero multiple of {n}"
                )))
            }
        };
        let aggregator_width = if ctx.four_octet_as { 8 } else { 6 };
        let value = match code {
            code::ORIGIN => {
                exact(1)?;
                AttrValue::Origin(match r.u8().expect("length checked") {
                    0 => Origin::Igp,
                    1 => Origin::Egp,
                    2 => Origin::Incomplete,
                    v => return Err(fail(format!("undefined ORIGIN value {v}"))),
                })
            }
            code::AS_PATH => {
                AttrValue::AsPath(AsPath::decode(r, ctx.four_octet_as).map_err(|(_, d)| fail(d))?)
            }
            code::AS4_PATH => {
                AttrValue::As4Path(AsPath::decode(r, true).map_err(|(_, d)| fail(d))?)
            }
            code::NEXT_HOP => {
                exact(4)?;
                AttrValue::NextHop(r.ipv4().expect("length checked"))
            }
            code::MED => {
                exact(4)?;
                AttrValue::Med(r.u32().expect("length checked"))
            }
            code::LOCAL_PREF => {
                exact(4)?;
                AttrValue::LocalPref(r.u32().expect("length checked"))
            }
            code::ATOMIC_AGGREGATE => {
                exact(0)?;
                AttrValue::AtomicAggregate
            }
            code::AGGREGATOR | code::AS4_AGGREGATOR => {
                let four = code == code::AS4_AGGREGATOR || ctx.four_octet_as;
                exact(if code == code::AS4_AGGREGATOR {
                    8
                } else {
                    aggregator_width
                })?;
                let asn = if four {
                    r.u32()
                } else {
                    r.u16().map(u32::from)
                }
                .expect("length checked");
                let agg = Aggregator {
                    asn,
                    addr: r.ipv4().expect("length checked"),
                };
                if code == code::AGGREGATOR {
                    AttrValue::Aggregator(agg)
                } else {
                    AttrValue::As4Aggregator(agg)
                }
            }
            code::COMMUNITIES => {
                multiple(4)?;
                AttrValue::Communities(
                    raw.chunks_exact(4)
                        .map(|c| Community(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                        .collect(),
                )
            }
            code::ORIGINATOR_ID => {
                exact(4)?;
                AttrValue::OriginatorId(r.ipv4().expect("length checked"))
            }
            code::CLUSTER_LIST => {
                multiple(4)?;
                AttrValue::ClusterList(
                    raw.chunks_exact(4)
                        .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
                        .collect(),
                )
            }
            code::EXTENDED_COMMUNITIES => {
                multiple(8)?;
                AttrValue::ExtendedCommunities(
                    raw.chunks_exact(8)
                        .map(|c| ExtendedCommunity(c.try_into().expect("8 octets")))
                        .collect(),
                )
            }
            code::LARGE_COMMUNITIES => {
                multiple(12)?;
                AttrValue::LargeCommunities(
                    raw.chunks_exact(12)
                        .map(|c| LargeCommunity {
                            global: u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                            local1: u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
                            local2: u32::from_be_bytes([c[8], c[9], c[10], c[11]]),
                        })
                        .collect(),
                )
            }
            code::IPV6_EXTENDED_COMMUNITIES => {
                multiple(20)?;
                AttrValue::Ipv6ExtendedCommunities(
                    raw.chunks_exact(20)
                        .map(|c| Ipv6ExtendedCommunity(c.try_into().expect("20 octets")))
                        .collect(),
                )
            }
            code::PMSI_TUNNEL => AttrValue::PmsiTunnel(
                PmsiTunnel::decode(r)
                    .ok_or_else(|| fail(format!("length {len}, at least 5 expected")))?,
            ),
            code::TUNNEL_ENCAPSULATION => AttrValue::TunnelEncapsulation(
                Tunnel::decode_all(r)
                    .ok_or_else(|| fail("a tunnel TLV or sub-TLV overruns its container".into()))?,
            ),
            code::MP_REACH_NLRI => AttrValue::MpReach(
                MpReach::decode(r, &|f| ctx.add_path(f)).map_err(|(off, d)| DecodeError {
                    offset: off,
                    ..fail(d)
                })?,
            ),
            code::MP_UNREACH_NLRI => AttrValue::MpUnreach(
                MpUnreach::decode(r, &|f| ctx.add_path(f)).map_err(|(off, d)| DecodeError {
                    offset: off,
                    ..fail(d)
                })?,
            ),
            code => AttrValue::Unknown {
                code,
                data: raw.to_vec(),
            },
        };
        // The extended-length bit is kept only where the sender chose it without need, so
        // that the attribute re-encodes identically; where the length needs it, encoding
        // sets it anyway.
        let flags = if len > 255 {
            flags & !flags::EXTENDED_LENGTH
        } else {
            flags
        };
        Ok(PathAttribute { flags, value })
    }

    /// Appends flags, type, length and value.
    pub(crate) fn encode(&self, out: &mut Vec<u8>, ctx: &CodecContext) {
        let mut value = Vec::new();
        match &self.value {
            AttrValue::Origin(o) => value.push(match o {
                Origin::Igp => 0,
                Origin::Egp => 1,
                Origin::Incomplete => 2,
            }),
            AttrValue::AsPath(p) => p.encode(&mut value, ctx.four_octet_as),
            AttrValue::As4Path(p) => p.encode(&mut value, true),
            AttrValue::NextHop(a) | AttrValue::OriginatorId(a) => {
                value.extend_from_slice(&a.octets())
            }
            AttrValue::Med(v) | AttrValue::LocalPref(v) => {
                value.extend_from_slice(&v.to_be_bytes())
            }
            AttrValue::AtomicAggregate => {}
            AttrValue::Aggregator(a) => {
                if ctx.four_octet_as {
                    value.extend_from_slice(&a.asn.to_be_bytes());
                } else {
                    let two = u16::try_from(a.asn).unwrap_or(crate::message::AS_TRANS);
                    value.extend_from_slice(&two.to_be_bytes());
                }
                value.extend_from_slice(&a.addr.octets());
            }
            AttrValue::As4Aggregator(a) => {
                value.extend_from_slice(&a.asn.to_be_bytes());
                value.extend_from_slice(&a.addr.octets());
            }
            AttrValue::Communities(cs) => cs
                .iter()
                .for_each(|c| value.extend_from_slice(&c.0.to_be_bytes())),
            AttrValue::ClusterList(ids) => ids
                .iter()
                .for_each(|a| value.extend_from_slice(&a.octets())),
            AttrValue::ExtendedCommunities(cs) => {
                cs.iter().for_each(|c| value.extend_from_slice(&c.0))
            }
            AttrValue::LargeCommunities(cs) => cs.iter().for_each(|c| {
                value.extend_from_slice(&c.global.to_be_bytes());
                value.extend_from_slice(&c.local1.to_be_bytes());
                value.extend_from_slice(&c.local2.to_be_bytes());
            }),
            AttrValue::Ipv6ExtendedCommunities(cs) => {
                cs.iter().for_each(|c| value.extend_from_slice(&c.0))
            }
            AttrValue::PmsiTunnel(p) => p.encode(&mut value),
            AttrValue::TunnelEncapsulation(t) => Tunnel::encode_all(t, &mut value),
            AttrValue::MpReach(m) => m.encode(&mut value, ctx.add_path(m.family)),
            AttrValue::MpUnreach(m) => m.encode(&mut value, ctx.add_path(m.family)),
            AttrValue::Unknown { data, .. } => value.extend_from_slice(data),
        }
        let mut fl = self.flags;
        if value.len() > 255 {
            fl |= flags::EXTENDED_LENGTH;
        }
        out.push(fl);
        out.push(self.code());
        if fl & flags::EXTENDED_LENGTH != 0 {
            out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        } else {
            out.push(value.len() as u8);
        }
        out.extend_from_slice(&value);
    }
}
