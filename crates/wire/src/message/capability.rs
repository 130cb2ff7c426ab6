//! Capabilities advertised in OPEN (RFC 5492) and the ones BGP VPN sessions negotiate.

use serde::Serialize;

use crate::error::DecodeError;
use crate::message::notification::code;
use crate::reader::Reader;
use crate::Family;

/// Add-path directions (RFC 7911 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddPathMode {
    Receive,
    Send,
    Both,
}

impl AddPathMode {
    fn from_wire(v: u8) -> Option<Self> {
        Some(match v {
            1 => AddPathMode::Receive,
            2 => AddPathMode::Send,
            3 => AddPathMode::Both,
            _ => return None,
        })
    }

    fn to_wire(self) -> u8 {
        match self {
            AddPathMode::Receive => 1,
            AddPathMode::Send => 2,
            AddPathMode::Both => 3,
        }
    }

    pub fn can_receive(self) -> bool {
        matches!(self, AddPathMode::Receive | AddPathMode::Both)
    }

    pub fn can_send(self) -> bool {
        matches!(self, AddPathMode::Send | AddPathMode::Both)
    }
}

/// Per-family graceful restart state (RFC 4724 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GracefulRestartFamily {
    pub family: Family,
    /// The F bit: forwarding state was preserved across the restart.
    pub forwarding_preserved: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GracefulRestart {
    /// The R bit: the sender has restarted.
    pub restarting: bool,
    /// The N bit (RFC 8538): the sender supports notification messages under GR.
    pub notification: bool,
    /// Seconds the peer should keep our routes after the session drops.
    pub restart_time: u16,
    pub families: Vec<GracefulRestartFamily>,
}

/// RFC 8950 extended next hop: NLRI of `family` may carry a next hop of `next_hop_afi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExtendedNextHop {
    pub family: Family,
    pub next_hop_afi: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum Capability {
    /// Code 1, RFC 4760.
    Multiprotocol { family: Family },
    /// Code 2, RFC 2918.
    RouteRefresh,
    /// Code 5, RFC 8950.
    ExtendedNextHop { entries: Vec<ExtendedNextHop> },
    /// Code 6, RFC 8654.
    ExtendedMessage,
    /// Code 64, RFC 4724.
    GracefulRestart(GracefulRestart),
    /// Code 65, RFC 6793.
    FourOctetAs { asn: u32 },
    /// Code 69, RFC 7911.
    AddPath {
        families: Vec<(Family, AddPathMode)>,
    },
    /// Code 70, RFC 7313.
    EnhancedRouteRefresh,
    /// Any other capability, kept as bytes.
    Unknown {
        code: u8,
        /// Well-known name of the code, when there is one (e.g. `fqdn`).
        #[serde(skip_serializing_if = "Option::is_none")]
        known_as: Option<&'static str>,
        #[serde(serialize_with = "crate::message::serialize_hex")]
        data: Vec<u8>,
    },
}

const CAP_MULTIPROTOCOL: u8 = 1;
const CAP_ROUTE_REFRESH: u8 = 2;
const CAP_EXTENDED_NEXT_HOP: u8 = 5;
const CAP_EXTENDED_MESSAGE: u8 = 6;
const CAP_GRACEFUL_RESTART: u8 = 64;
const CAP_FOUR_OCTET_AS: u8 = 65;
const CAP_ADD_PATH: u8 = 69;
const CAP_ENHANCED_ROUTE_REFRESH: u8 = 70;

fn unknown_name(code: u8) -> Option<&'static str> {
    Some(match code {
        3 => "outbound-route-filtering",
        7 => "bgpsec",
        8 => "multiple-labels",
        9 => "bgp-role",
        71 => "long-lived-graceful-restart",
        73 => "fqdn",
        74 => "bfd",
        75 => "software-version",
        128 => "route-refresh-cisco",
        131 => "multisession-cisco",
        _ => return None,
    })
}

fn bad_capability(offset: usize, detail: String) -> DecodeError {
    DecodeError::reset(
        offset,
        "RFC 5492 §4: capability value does not match its code",
        detail,
        code::OPEN_MESSAGE,
        0,
        vec![],
    )
}

impl Capability {
    pub fn code(&self) -> u8 {
        match self {
            Capability::Multiprotocol { .. } => CAP_MULTIPROTOCOL,
            Capability::RouteRefresh => CAP_ROUTE_REFRESH,
            Capability::ExtendedNextHop { .. } => CAP_EXTENDED_NEXT_HOP,
            Capability::ExtendedMessage => CAP_EXTENDED_MESSAGE,
            Capability::GracefulRestart(_) => CAP_GRACEFUL_RESTART,
            Capability::FourOctetAs { .. } => CAP_FOUR_OCTET_AS,
            Capability::AddPath { .. } => CAP_ADD_PATH,
            Capability::EnhancedRouteRefresh => CAP_ENHANCED_ROUTE_REFRESH,
            Capability::Unknown { code, .. } => *code,
        }
    }

    /// Decodes one capability value; `r` covers exactly its bytes.
    pub(crate) fn decode(cap_code: u8, r: &mut Reader) -> Result<Capability, DecodeError> {
        let start = r.offset();
        let len = r.remaining();
        let wrong_len = |expected: &str| {
            bad_capability(
                start,
                format!("capability {cap_code} has length {len}, expected {expected}"),
            )
        };
        let cap = match cap_code {
            CAP_MULTIPROTOCOL => {
                if len != 4 {
                    return Err(wrong_len("4"));
                }
                let [a0, a1, _reserved, safi] = r.array().expect("length checked");
                Capability::Multiprotocol {
                    family: Family::new(u16::from_be_bytes([a0, a1]), safi),
                }
            }
            CAP_ROUTE_REFRESH | CAP_EXTENDED_MESSAGE | CAP_ENHANCED_ROUTE_REFRESH => {
                if len != 0 {
                    return Err(wrong_len("0"));
                }
                match cap_code {
                    CAP_ROUTE_REFRESH => Capability::RouteRefresh,
                    CAP_EXTENDED_MESSAGE => Capability::ExtendedMessage,
                    _ => Capability::EnhancedRouteRefresh,
                }
            }
            CAP_EXTENDED_NEXT_HOP => {
                if len % 6 != 0 {
                    return Err(wrong_len("a multiple of 6"));
                }
                let mut entries = Vec::with_capacity(len / 6);
                while !r.is_empty() {
                    let [a0, a1, s0, s1, n0, n1] = r.array().expect("length checked");
                    let safi = u16::from_be_bytes([s0, s1]);
                    entries.push(ExtendedNextHop {
                        family: Family::new(u16::from_be_bytes([a0, a1]), safi as u8),
                        next_hop_afi: u16::from_be_bytes([n0, n1]),
                    });
                }
                Capability::ExtendedNextHop { entries }
            }
            CAP_GRACEFUL_RESTART => {
                if len < 2 || (len - 2) % 4 != 0 {
                    return Err(wrong_len("2 + 4 per family"));
                }
                let head = r.u16().expect("length checked");
                let mut families = Vec::with_capacity((len - 2) / 4);
                while !r.is_empty() {
                    let [a0, a1, safi, flags] = r.array().expect("length checked");
                    families.push(GracefulRestartFamily {
                        family: Family::new(u16::from_be_bytes([a0, a1]), safi),
                        forwarding_preserved: flags & 0x80 != 0,
                    });
                }
                Capability::GracefulRestart(GracefulRestart {
                    restarting: head & 0x8000 != 0,
                    notification: head & 0x4000 != 0,
                    restart_time: head & 0x0fff,
                    families,
                })
            }
            CAP_FOUR_OCTET_AS => {
                if len != 4 {
                    return Err(wrong_len("4"));
                }
                Capability::FourOctetAs {
                    asn: r.u32().expect("length checked"),
                }
            }
            CAP_ADD_PATH => {
                if len % 4 != 0 {
                    return Err(wrong_len("a multiple of 4"));
                }
                let raw = r.rest();
                let families: Option<Vec<_>> = raw
                    .chunks_exact(4)
                    .map(|c| {
                        let mode = AddPathMode::from_wire(c[3])?;
                        Some((Family::new(u16::from_be_bytes([c[0], c[1]]), c[2]), mode))
                    })
                    .collect();
                match families {
                    Some(families) => Capability::AddPath { families },
                    // RFC 7911 §4: a Send/Receive value other than 1-3 makes the capability
                    // one not understood, ignored as RFC 5492 says, not a reason to reset.
                    None => Capability::Unknown {
                        code: CAP_ADD_PATH,
                        known_as: Some("add-path"),
                        data: raw.to_vec(),
                    },
                }
            }
            code => Capability::Unknown {
                code,
                known_as: unknown_name(code),
                data: r.rest().to_vec(),
            },
        };
        Ok(cap)
    }

    pub(crate) fn encode_value(&self, out: &mut Vec<u8>) {
        match self {
            Capability::Multiprotocol { family } => {
                out.extend_from_slice(&family.afi.to_be_bytes());
                out.push(0);
                out.push(family.safi);
            }
            Capability::RouteRefresh
            | Capability::ExtendedMessage
            | Capability::EnhancedRouteRefresh => {}
            Capability::ExtendedNextHop { entries } => {
                for e in entries {
                    out.extend_from_slice(&e.family.afi.to_be_bytes());
                    out.extend_from_slice(&(e.family.safi as u16).to_be_bytes());
                    out.extend_from_slice(&e.next_hop_afi.to_be_bytes());
                }
            }
            Capability::GracefulRestart(gr) => {
                let head = (gr.restarting as u16) << 15
                    | (gr.notification as u16) << 14
                    | (gr.restart_time & 0x0fff);
                out.extend_from_slice(&head.to_be_bytes());
                for f in &gr.families {
                    out.extend_from_slice(&f.family.afi.to_be_bytes());
                    out.push(f.family.safi);
                    out.push(if f.forwarding_preserved { 0x80 } else { 0 });
                }
            }
            Capability::FourOctetAs { asn } => out.extend_from_slice(&asn.to_be_bytes()),
            Capability::AddPath { families } => {
                for (family, mode) in families {
                    out.extend_from_slice(&family.afi.to_be_bytes());
                    out.push(family.safi);
                    out.push(mode.to_wire());
                }
            }
            Capability::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }
}
