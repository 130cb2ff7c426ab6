//! UPDATE messages (RFC 4271 §4.3), decoded with the error handling of RFC 7606.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use crate::attr::{code, flags, AttrValue, MpReach, MpUnreach, NextHop, PathAttribute};
use crate::context::CodecContext;
use crate::error::{DecodeError, EncodeError, ErrorAction};
use crate::message::notification::{code as ncode, update as usub};
use crate::nlri::{self, PathNlri};
use crate::reader::Reader;
use crate::Family;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Update {
    /// The classic Withdrawn Routes field (IPv4 unicast).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withdrawn: Vec<PathNlri>,
    /// Attributes in the order they came, MP_REACH_NLRI / MP_UNREACH_NLRI included.
    pub attributes: Vec<PathAttribute>,
    /// The classic NLRI field (IPv4 unicast).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nlri: Vec<PathNlri>,
}

/// An UPDATE and the RFC 7606 verdicts that did not require a session reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedUpdate {
    pub update: Update,
    /// Treat-as-withdraw and attribute-discard findings, in message order.
    pub issues: Vec<DecodeError>,
}

impl DecodedUpdate {
    /// RFC 7606 §2: any treat-as-withdraw finding turns every announced route into a withdrawal.
    pub fn treat_as_withdraw(&self) -> bool {
        self.issues
            .iter()
            .any(|e| e.action == ErrorAction::TreatAsWithdraw)
    }
}

fn reset(at: usize, rule: &'static str, detail: String, subcode: u8, data: Vec<u8>) -> DecodeError {
    DecodeError::reset(at, rule, detail, ncode::UPDATE_MESSAGE, subcode, data)
}

impl Update {
    /// The End-of-RIB marker of `family` (RFC 4724 §2).
    pub fn end_of_rib(family: Family) -> Update {
        if family == Family::IPV4_UNICAST {
            return Update::default();
        }
        Update {
            attributes: vec![PathAttribute::new(AttrValue::MpUnreach(MpUnreach {
                family,
                withdrawn: Vec::new(),
                opaque: Vec::new(),
            }))],
            ..Update::default()
        }
    }

    /// The family this UPDATE marks the end of, if it is an End-of-RIB marker.
    pub fn is_end_of_rib(&self) -> Option<Family> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() {
            return None;
        }
        match self.attributes.as_slice() {
            [] => Some(Family::IPV4_UNICAST),
            [PathAttribute {
                value: AttrValue::MpUnreach(m),
                ..
            }] if m.withdrawn.is_empty() && m.opaque.is_empty() => Some(m.family),
            _ => None,
        }
    }

    pub fn get(&self, attr_code: u8) -> Option<&AttrValue> {
        self.attributes
            .iter()
            .find(|a| a.code() == attr_code)
            .map(|a| &a.value)
    }

    pub fn mp_reach(&self) -> Option<&MpReach> {
        match self.get(code::MP_REACH_NLRI) {
            Some(AttrValue::MpReach(m)) => Some(m),
            _ => None,
        }
    }

    pub fn mp_unreach(&self) -> Option<&MpUnreach> {
        match self.get(code::MP_UNREACH_NLRI) {
            Some(AttrValue::MpUnreach(m)) => Some(m),
            _ => None,
        }
    }

    /// The classic NEXT_HOP attribute.
    pub fn next_hop(&self) -> Option<Ipv4Addr> {
        match self.get(code::NEXT_HOP) {
            Some(AttrValue::NextHop(a)) => Some(*a),
            _ => None,
        }
    }

    /// Every announced route with its family and next hop (classic then MP).
    pub fn announced(&self) -> impl Iterator<Item = (Family, Option<IpAddr>, &PathNlri)> + '_ {
        let classic_nh = self.next_hop().map(IpAddr::V4);
        let classic = self
            .nlri
            .iter()
            .map(move |n| (Family::IPV4_UNICAST, classic_nh, n));
        let mp = self.mp_reach().into_iter().flat_map(|m| {
            let nh = m.next_hop.addr();
            m.nlri.iter().map(move |n| (m.family, nh, n))
        });
        classic.chain(mp)
    }

    /// Every withdrawn route with its family (classic then MP).
    pub fn withdrawals(&self) -> impl Iterator<Item = (Family, &PathNlri)> + '_ {
        let classic = self.withdrawn.iter().map(|n| (Family::IPV4_UNICAST, n));
        let mp = self
            .mp_unreach()
            .into_iter()
            .flat_map(|m| m.withdrawn.iter().map(move |n| (m.family, n)));
        classic.chain(mp)
    }

    /// Builds an UPDATE announcing `nlri` of one family with `attributes` (no MP attribute
    /// among them) and `next_hop`. IPv4 unicast goes in the classic fields.
    pub fn announce(
        family: Family,
        next_hop: Option<IpAddr>,
        mut attributes: Vec<PathAttribute>,
        nlri: Vec<PathNlri>,
    ) -> Update {
        if family == Family::IPV4_UNICAST {
            if let Some(IpAddr::V4(nh)) = next_hop {
                attributes.push(PathAttribute::new(AttrValue::NextHop(nh)));
            }
            attributes.sort_by_key(|a| a.code());
            return Update {
                withdrawn: Vec::new(),
                attributes,
                nlri,
            };
        }
        let next_hop = next_hop.map_or(NextHop::None, |a| NextHop::for_family(family, a));
        attributes.push(PathAttribute::new(AttrValue::MpReach(MpReach {
            family,
            next_hop,
            nlri,
            opaque: Vec::new(),
        })));
        attributes.sort_by_key(|a| a.code());
        Update {
            withdrawn: Vec::new(),
            attributes,
            nlri: Vec::new(),
        }
    }

    /// Builds an UPDATE withdrawing `nlri` of one family.
    pub fn withdraw(family: Family, nlri: Vec<PathNlri>) -> Update {
        if family == Family::IPV4_UNICAST {
            return Update {
                withdrawn: nlri,
                ..Update::default()
            };
        }
        Update {
            attributes: vec![PathAttribute::new(AttrValue::MpUnreach(MpUnreach {
                family,
                withdrawn: nlri,
                opaque: Vec::new(),
            }))],
            ..Update::default()
        }
    }

    /// Decodes an UPDATE body; `r` starts after the 19-octet header.
    pub(crate) fn decode(r: &mut Reader, ctx: &CodecContext) -> Result<DecodedUpdate, DecodeError> {
        let body_start = r.offset();
        let too_short = |_| {
            reset(
                body_start,
                "RFC 4271 §6.3: UPDATE too short",
                "UPDATE body shorter than 4 octets".into(),
                usub::MALFORMED_ATTRIBUTE_LIST,
                vec![],
            )
        };
        let wlen = r.u16().map_err(too_short)? as usize;
        let mut wr = r.sub(wlen).map_err(|s| {
            reset(
                body_start,
                "RFC 4271 §6.3: Withdrawn Routes Length exceeds the message",
                format!("withdrawn routes length {wlen}, {} octets left", s.left),
                usub::MALFORMED_ATTRIBUTE_LIST,
                vec![],
            )
        })?;
        let alen_at = r.offset();
        let alen = r.u16().map_err(|_| {
            reset(
                alen_at,
                "RFC 4271 §6.3: Total Path Attribute Length missing",
                "no room for the attribute length".into(),
                usub::MALFORMED_ATTRIBUTE_LIST,
                vec![],
            )
        })? as usize;
        let mut ar = r.sub(alen).map_err(|s| {
            reset(
                alen_at,
                "RFC 4271 §6.3: Total Path Attribute Length exceeds the message",
                format!("attribute length {alen}, {} octets left", s.left),
                usub::MALFORMED_ATTRIBUTE_LIST,
                vec![],
            )
        })?;
        let classic_add_path = ctx.add_path(Family::IPV4_UNICAST);
        let withdrawn = nlri::decode_all(Family::IPV4_UNICAST, &mut wr, classic_add_path, true)
            .map_err(|(at, d)| {
                reset(
                    at,
                    "RFC 7606 §5.3: malformed Withdrawn Routes field",
                    d,
                    usub::INVALID_NETWORK_FIELD,
                    vec![],
                )
            })?;

        let mut attributes: Vec<PathAttribute> = Vec::new();
        let mut issues = Vec::new();
        let mut seen = [false; 256];
        let mut cut_short = false;
        while !ar.is_empty() {
            let at = ar.offset();
            // RFC 7606 §4: an attribute that overruns the path attributes, or a header cut
            // short, is treat-as-withdraw: the Total Path Attribute Length still locates the
            // NLRI field, but nothing after this point can be read. An MP_REACH_NLRI /
            // MP_UNREACH_NLRI cut short hides NLRI that could not be withdrawn: session reset
            // (§5.3), with the Optional Attribute Error of RFC 4760 §7.
            let rest = ar.rest();
            let overrun = |ac: Option<u8>, detail: String| {
                if matches!(ac, Some(code::MP_REACH_NLRI | code::MP_UNREACH_NLRI)) {
                    reset(
                        at,
                        "RFC 7606 §4, §5.3: MP_REACH_NLRI / MP_UNREACH_NLRI overruns the path attributes",
                        detail,
                        usub::OPTIONAL_ATTRIBUTE_ERROR,
                        rest.to_vec(),
                    )
                } else {
                    DecodeError::new(
                        at,
                        "RFC 7606 §4: attribute overruns the path attributes",
                        detail,
                        ErrorAction::TreatAsWithdraw,
                    )
                }
            };
            let header = match (ar.u8(), ar.u8()) {
                (Ok(f), Ok(c)) => Ok((f, c)),
                _ => Err(overrun(None, "truncated attribute header".into())),
            };
            let framed = header.and_then(|(fl, ac)| {
                let len = if fl & flags::EXTENDED_LENGTH != 0 {
                    ar.u16().map(|v| v as usize)
                } else {
                    ar.u8().map(|v| v as usize)
                }
                .map_err(|_| overrun(Some(ac), format!("truncated length of attribute {ac}")))?;
                let vr = ar.sub(len).map_err(|s| {
                    overrun(
                        Some(ac),
                        format!("attribute {ac} of length {len} has {} octets left", s.left),
                    )
                })?;
                Ok((fl, ac, len, vr))
            });
            let (fl, ac, len, mut vr) = match framed {
                Ok(f) => f,
                Err(e) if e.is_session_reset() => return Err(e),
                Err(e) => {
                    issues.push(e);
                    cut_short = true;
                    break;
                }
            };
            if seen[ac as usize] {
                if ac == code::MP_REACH_NLRI || ac == code::MP_UNREACH_NLRI {
                    return Err(reset(
                        at,
                        "RFC 7606 §3 g: MP_REACH_NLRI / MP_UNREACH_NLRI more than once",
                        format!("attribute {ac} repeated"),
                        usub::MALFORMED_ATTRIBUTE_LIST,
                        vec![],
                    ));
                }
                issues.push(DecodeError::new(
                    at,
                    "RFC 7606 §3 g: repeated attribute, all but the first discarded",
                    format!("attribute {ac} repeated"),
                    ErrorAction::AttributeDiscard,
                ));
                continue;
            }
            seen[ac as usize] = true;
            if fl & flags::OPTIONAL == 0 && !is_known(ac) {
                let mut data = vec![fl, ac];
                data.extend_from_slice(
                    &(len as u16).to_be_bytes()[if fl & flags::EXTENDED_LENGTH != 0 {
                        0
                    } else {
                        1
                    }..],
                );
                data.extend_from_slice(vr.rest());
                return Err(reset(
                    at,
                    "RFC 4271 §6.3: unrecognized well-known attribute",
                    format!("attribute {ac} is well-known but unknown"),
                    usub::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
                    data,
                ));
            }
            match PathAttribute::decode(fl, ac, &mut vr, ctx) {
                Ok(a) => attributes.push(a),
                Err(e) if e.is_session_reset() => return Err(e),
                Err(e) => issues.push(e),
            }
        }

        let nlri = nlri::decode_all(Family::IPV4_UNICAST, r, classic_add_path, false).map_err(
            |(at, d)| {
                reset(
                    at,
                    "RFC 7606 §5.3: malformed NLRI field",
                    d,
                    usub::INVALID_NETWORK_FIELD,
                    vec![],
                )
            },
        )?;

        let update = Update {
            withdrawn,
            attributes,
            nlri,
        };
        // Attributes after a §4 overrun were never seen: do not report them missing.
        if !cut_short {
            check_mandatory(&update, &seen, body_start, &mut issues);
        }
        Ok(DecodedUpdate { update, issues })
    }

    pub(crate) fn encode_body(
        &self,
        out: &mut Vec<u8>,
        ctx: &CodecContext,
    ) -> Result<(), EncodeError> {
        let classic_add_path = ctx.add_path(Family::IPV4_UNICAST);
        let wlen_at = out.len();
        out.extend_from_slice(&[0, 0]);
        for n in &self.withdrawn {
            nlri::encode(n, classic_add_path, out);
        }
        let wlen = out.len() - wlen_at - 2;
        out[wlen_at..wlen_at + 2].copy_from_slice(
            &u16::try_from(wlen)
                .map_err(|_| EncodeError::FieldTooLong("withdrawn routes"))?
                .to_be_bytes(),
        );
        let alen_at = out.len();
        out.extend_from_slice(&[0, 0]);
        for a in &self.attributes {
            a.encode(out, ctx);
        }
        let alen = out.len() - alen_at - 2;
        out[alen_at..alen_at + 2].copy_from_slice(
            &u16::try_from(alen)
                .map_err(|_| EncodeError::FieldTooLong("path attributes"))?
                .to_be_bytes(),
        );
        for n in &self.nlri {
            nlri::encode(n, classic_add_path, out);
        }
        Ok(())
    }
}

fn is_known(attr_code: u8) -> bool {
    matches!(
        attr_code,
        code::ORIGIN
            | code::AS_PATH
            | code::NEXT_HOP
            | code::MED
            | code::LOCAL_PREF
            | code::ATOMIC_AGGREGATE
            | code::AGGREGATOR
            | code::COMMUNITIES
            | code::ORIGINATOR_ID
            | code::CLUSTER_LIST
            | code::MP_REACH_NLRI
            | code::MP_UNREACH_NLRI
            | code::EXTENDED_COMMUNITIES
            | code::AS4_PATH
            | code::AS4_AGGREGATOR
            | code::PMSI_TUNNEL
            | code::TUNNEL_ENCAPSULATION
            | code::IPV6_EXTENDED_COMMUNITIES
            | code::LARGE_COMMUNITIES
    )
}

/// RFC 7606 §3 d: a route announced without ORIGIN or AS_PATH (or NEXT_HOP, for the classic
/// NLRI field) is treated as withdrawn. `seen` includes attributes found malformed.
fn check_mandatory(u: &Update, seen: &[bool; 256], at: usize, issues: &mut Vec<DecodeError>) {
    let announces = !u.nlri.is_empty()
        || u.mp_reach()
            .is_some_and(|m| !m.nlri.is_empty() || !m.opaque.is_empty());
    if !announces {
        return;
    }
    let mut missing = Vec::new();
    if !seen[code::ORIGIN as usize] {
        missing.push("ORIGIN");
    }
    if !seen[code::AS_PATH as usize] {
        missing.push("AS_PATH");
    }
    if !u.nlri.is_empty() && !seen[code::NEXT_HOP as usize] {
        missing.push("NEXT_HOP");
    }
    if !missing.is_empty() {
        issues.push(DecodeError::new(
            at,
            "RFC 7606 §3 d: missing well-known mandatory attribute",
            format!("missing {}", missing.join(", ")),
            ErrorAction::TreatAsWithdraw,
        ));
    }
}

crate::attr::attribute_accessors!(Update);
