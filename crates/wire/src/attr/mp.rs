//! MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3, §4) and their next hops.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use crate::nlri::{self, NlriError, PathNlri};
use crate::reader::Reader;
use crate::Family;

/// The next hop field of MP_REACH_NLRI, read by its length as every family here uses one of
/// these forms (RFC 4760, RFC 4364 §4.3.2, RFC 4659 §3.2.1, RFC 8950).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NextHop {
    /// Length 0 (FlowSpec).
    None,
    Ipv4 {
        addr: Ipv4Addr,
    },
    Ipv6 {
        addr: Ipv6Addr,
        link_local: Option<Ipv6Addr>,
    },
    /// VPN forms: an all-zero RD before the address.
    VpnIpv4 {
        addr: Ipv4Addr,
    },
    VpnIpv6 {
        addr: Ipv6Addr,
        link_local: Option<Ipv6Addr>,
    },
    /// Any other length, as bytes.
    Other {
        #[serde(serialize_with = "crate::message::serialize_hex")]
        data: Vec<u8>,
    },
}

impl NextHop {
    /// The usual form for `family`: VPN families carry the RD-prefixed form (RFC 4364).
    pub fn for_family(family: Family, addr: IpAddr) -> NextHop {
        let vpn = family.safi == crate::family::SAFI_MPLS_VPN;
        match (addr, vpn) {
            (IpAddr::V4(addr), false) => NextHop::Ipv4 { addr },
            (IpAddr::V4(addr), true) => NextHop::VpnIpv4 { addr },
            (IpAddr::V6(addr), false) => NextHop::Ipv6 {
                addr,
                link_local: None,
            },
            (IpAddr::V6(addr), true) => NextHop::VpnIpv6 {
                addr,
                link_local: None,
            },
        }
    }

    /// The global next-hop address, when there is one.
    pub fn addr(&self) -> Option<IpAddr> {
        match self {
            NextHop::Ipv4 { addr } | NextHop::VpnIpv4 { addr } => Some(IpAddr::V4(*addr)),
            NextHop::Ipv6 { addr, .. } | NextHop::VpnIpv6 { addr, .. } => Some(IpAddr::V6(*addr)),
            NextHop::None | NextHop::Other { .. } => None,
        }
    }

    fn decode(raw: &[u8]) -> NextHop {
        let v6 = |b: &[u8]| Ipv6Addr::from(<[u8; 16]>::try_from(b).expect("16 octets"));
        let zero_rd = |b: &[u8]| b.iter().all(|x| *x == 0);
        match raw.len() {
            0 => NextHop::None,
            4 => NextHop::Ipv4 {
                addr: Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]),
            },
            16 => NextHop::Ipv6 {
                addr: v6(raw),
                link_local: None,
            },
            32 => NextHop::Ipv6 {
                addr: v6(&raw[..16]),
                link_local: Some(v6(&raw[16..])),
            },
            12 if zero_rd(&raw[..8]) => NextHop::VpnIpv4 {
                addr: Ipv4Addr::new(raw[8], raw[9], raw[10], raw[11]),
            },
            24 if zero_rd(&raw[..8]) => NextHop::VpnIpv6 {
                addr: v6(&raw[8..]),
                link_local: None,
            },
            48 if zero_rd(&raw[..8]) && zero_rd(&raw[24..32]) => NextHop::VpnIpv6 {
                addr: v6(&raw[8..24]),
                link_local: Some(v6(&raw[32..])),
            },
            _ => NextHop::Other { data: raw.to_vec() },
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            NextHop::None => {}
            NextHop::Ipv4 { addr } => out.extend_from_slice(&addr.octets()),
            NextHop::Ipv6 { addr, link_local } => {
                out.extend_from_slice(&addr.octets());
                if let Some(ll) = link_local {
                    out.extend_from_slice(&ll.octets());
                }
            }
            NextHop::VpnIpv4 { addr } => {
                out.extend_from_slice(&[0; 8]);
                out.extend_from_slice(&addr.octets());
            }
            NextHop::VpnIpv6 { addr, link_local } => {
                out.extend_from_slice(&[0; 8]);
                out.extend_from_slice(&addr.octets());
                if let Some(ll) = link_local {
                    out.extend_from_slice(&[0; 8]);
                    out.extend_from_slice(&ll.octets());
                }
            }
            NextHop::Other { data } => out.extend_from_slice(data),
        }
    }
}

/// RFC 7606 §7.11: a next hop length that the family cannot carry means the NLRI cannot be
/// located safely. The forms are those of RFC 4760, RFC 8950 (IPv6 next hops for IPv4
/// families), RFC 4364 §4.3.2 / RFC 4659 §3.2.1 (VPN), RFC 7432 §7 and RFC 4684 §4. FlowSpec
/// next hops are not checked: receivers ignore them (RFC 8955 §4) and some speakers put the
/// redirect-to-IP address there.
fn next_hop_length_fits(family: Family, len: usize) -> bool {
    let lengths: &[usize] = match family {
        Family::IPV4_UNICAST | Family::EVPN | Family::RTC => &[4, 16, 32],
        Family::IPV6_UNICAST => &[16, 32],
        Family::VPNV4 => &[12, 24, 48],
        Family::VPNV6 => &[24, 48],
        _ => return true,
    };
    lengths.contains(&len)
}

/// MP_REACH_NLRI. `opaque` holds the NLRI bytes of a family this codec does not decode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MpReach {
    pub family: Family,
    pub next_hop: NextHop,
    pub nlri: Vec<PathNlri>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::message::serialize_hex"
    )]
    pub opaque: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MpUnreach {
    pub family: Family,
    pub withdrawn: Vec<PathNlri>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::message::serialize_hex"
    )]
    pub opaque: Vec<u8>,
}

fn decode_nlri_or_opaque(
    family: Family,
    r: &mut Reader,
    add_path: bool,
    withdraw: bool,
) -> Result<(Vec<PathNlri>, Vec<u8>), NlriError> {
    if nlri::is_supported(family) {
        Ok((nlri::decode_all(family, r, add_path, withdraw)?, Vec::new()))
    } else {
        Ok((Vec::new(), r.rest().to_vec()))
    }
}

impl MpReach {
    pub(crate) fn decode(
        r: &mut Reader,
        add_path: &dyn Fn(Family) -> bool,
    ) -> Result<MpReach, NlriError> {
        let at = r.offset();
        let short = |_| (at, "MP_REACH_NLRI too short for its header".to_string());
        let afi = r.u16().map_err(short)?;
        let safi = r.u8().map_err(short)?;
        let family = Family::new(afi, safi);
        let nh_len = r.u8().map_err(short)? as usize;
        let nh = r.take(nh_len).map_err(|_| {
            (
                at,
                format!("next hop of length {nh_len} overruns MP_REACH_NLRI"),
            )
        })?;
        if !next_hop_length_fits(family, nh_len) {
            return Err((
                at,
                format!("next hop of length {nh_len} is not one that {family} can carry"),
            ));
        }
        r.u8()
            .map_err(|_| (at, "MP_REACH_NLRI lacks its reserved octet".to_string()))?;
        let (nlri, opaque) = decode_nlri_or_opaque(family, r, add_path(family), false)?;
        Ok(MpReach {
            family,
            next_hop: NextHop::decode(nh),
            nlri,
            opaque,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>, add_path: bool) {
        out.extend_from_slice(&self.family.afi.to_be_bytes());
        out.push(self.family.safi);
        let len_at = out.len();
        out.push(0);
        self.next_hop.encode(out);
        out[len_at] = (out.len() - len_at - 1) as u8;
        out.push(0);
        for n in &self.nlri {
            nlri::encode(n, add_path, out);
        }
        out.extend_from_slice(&self.opaque);
    }
}

impl MpUnreach {
    pub(crate) fn decode(
        r: &mut Reader,
        add_path: &dyn Fn(Family) -> bool,
    ) -> Result<MpUnreach, NlriError> {
        let at = r.offset();
        let short = |_| (at, "MP_UNREACH_NLRI too short for its header".to_string());
        let afi = r.u16().map_err(short)?;
        let safi = r.u8().map_err(short)?;
        let family = Family::new(afi, safi);
        let (withdrawn, opaque) = decode_nlri_or_opaque(family, r, add_path(family), true)?;
        Ok(MpUnreach {
            family,
            withdrawn,
            opaque,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>, add_path: bool) {
        out.extend_from_slice(&self.family.afi.to_be_bytes());
        out.push(self.family.safi);
        for n in &self.withdrawn {
            nlri::encode(n, add_path, out);
        }
        out.extend_from_slice(&self.opaque);
    }
}
