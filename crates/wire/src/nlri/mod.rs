//! NLRI of every family bagpipe-bgp speaks, with add-path identifiers (RFC 7911).

mod evpn;
mod flowspec;
mod prefix;
mod rtc;
mod vpn;

use std::fmt;

use serde::Serialize;

pub use evpn::EvpnRoute;
pub use flowspec::{
    component as flow_component, natural_width, BitmaskOp, FlowComponent, FlowPrefix, FlowSpecRule,
    NumericOp,
};
pub use rtc::RtcNlri;
pub use vpn::VpnPrefix;

use crate::reader::Reader;
use crate::types::IpPrefix;
use crate::Family;

/// Why an NLRI could not be read: where, and what was wrong.
pub type NlriError = (usize, String);

/// One reachability entry of any family.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Nlri {
    Unicast { prefix: IpPrefix },
    Vpn(VpnPrefix),
    Evpn(EvpnRoute),
    Rtc(RtcNlri),
    FlowSpec(FlowSpecRule),
}

/// An NLRI with its add-path identifier, when the session negotiated add-path for the family.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PathNlri {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_id: Option<u32>,
    #[serde(flatten)]
    pub nlri: Nlri,
}

impl Nlri {
    pub fn family(&self) -> Family {
        match self {
            Nlri::Unicast { prefix } if prefix.is_ipv4() => Family::IPV4_UNICAST,
            Nlri::Unicast { .. } => Family::IPV6_UNICAST,
            Nlri::Vpn(v) if v.prefix.is_ipv4() => Family::VPNV4,
            Nlri::Vpn(_) => Family::VPNV6,
            Nlri::Evpn(_) => Family::EVPN,
            Nlri::Rtc(_) => Family::RTC,
            Nlri::FlowSpec(f) => f.family(),
        }
    }
}

impl fmt::Display for Nlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Nlri::Unicast { prefix } => prefix.fmt(f),
            Nlri::Vpn(v) => v.fmt(f),
            Nlri::Evpn(e) => e.fmt(f),
            Nlri::Rtc(r) => r.fmt(f),
            Nlri::FlowSpec(r) => r.fmt(f),
        }
    }
}

impl From<Nlri> for PathNlri {
    fn from(nlri: Nlri) -> Self {
        PathNlri {
            path_id: None,
            nlri,
        }
    }
}

/// Whether this codec can decode NLRI of `family` into typed values.
pub fn is_supported(family: Family) -> bool {
    family.is_known()
}

/// Decodes every NLRI of `family` in `r`. `withdraw` relaxes the label checks of labelled
/// families (RFC 8277 §2.4). The caller makes sure the family is supported.
pub(crate) fn decode_all(
    family: Family,
    r: &mut Reader,
    add_path: bool,
    withdraw: bool,
) -> Result<Vec<PathNlri>, NlriError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        let path_id = if add_path {
            let at = r.offset();
            Some(
                r.u32()
                    .map_err(|_| (at, "truncated add-path identifier".to_string()))?,
            )
        } else {
            None
        };
        let nlri = decode_one(family, r, withdraw)?;
        out.push(PathNlri { path_id, nlri });
    }
    Ok(out)
}

fn decode_one(family: Family, r: &mut Reader, withdraw: bool) -> Result<Nlri, NlriError> {
    Ok(match family {
        Family::IPV4_UNICAST => Nlri::Unicast {
            prefix: prefix::decode_v4(r)?.into(),
        },
        Family::IPV6_UNICAST => Nlri::Unicast {
            prefix: prefix::decode_v6(r)?.into(),
        },
        Family::VPNV4 | Family::VPNV6 => Nlri::Vpn(VpnPrefix::decode(r, family.afi, withdraw)?),
        Family::EVPN => Nlri::Evpn(EvpnRoute::decode(r)?),
        Family::RTC => Nlri::Rtc(RtcNlri::decode(r)?),
        Family::FLOWSPEC4 | Family::FLOWSPEC6 | Family::VPN_FLOWSPEC4 | Family::VPN_FLOWSPEC6 => {
            Nlri::FlowSpec(FlowSpecRule::decode(r, family)?)
        }
        other => return Err((r.offset(), format!("NLRI of unsupported family {other}"))),
    })
}

/// Appends the wire form of `n` (with its path id when `add_path`).
pub fn encode(n: &PathNlri, add_path: bool, out: &mut Vec<u8>) {
    if add_path {
        out.extend_from_slice(&n.path_id.unwrap_or(0).to_be_bytes());
    }
    match &n.nlri {
        Nlri::Unicast { prefix } => prefix::encode(prefix, out),
        Nlri::Vpn(v) => v.encode(out),
        Nlri::Evpn(e) => e.encode(out),
        Nlri::Rtc(r) => r.encode(out),
        Nlri::FlowSpec(f) => f.encode(out),
    }
}
