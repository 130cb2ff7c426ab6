//! E-VPN NLRI (RFC 7432 §7, RFC 9136 §3): route types 1 to 5; unknown types kept as bytes
//! so that they can be ignored or passed on (RFC 7606 §5.4).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use serde::Serialize;

use super::{prefix, NlriError};
use crate::reader::Reader;
use crate::types::{Esi, IpPrefix, Label, MacAddress, RouteDistinguisher};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "route_type", rename_all = "kebab-case")]
pub enum EvpnRoute {
    /// Type 1.
    EthernetAutoDiscovery {
        rd: RouteDistinguisher,
        esi: Esi,
        etag: u32,
        label: Label,
    },
    /// Type 2. `labels` holds one or two labels (the second for symmetric IRB, RFC 9135).
    MacIpAdvertisement {
        rd: RouteDistinguisher,
        esi: Esi,
        etag: u32,
        mac: MacAddress,
        ip: Option<IpAddr>,
        label: Label,
        label2: Option<Label>,
    },
    /// Type 3.
    InclusiveMulticast {
        rd: RouteDistinguisher,
        etag: u32,
        originator: IpAddr,
    },
    /// Type 4.
    EthernetSegment {
        rd: RouteDistinguisher,
        esi: Esi,
        originator: IpAddr,
    },
    /// Type 5 (RFC 9136). The gateway address is `::`/`0.0.0.0` when unused.
    IpPrefix {
        rd: RouteDistinguisher,
        esi: Esi,
        etag: u32,
        prefix: IpPrefix,
        gateway: IpAddr,
        label: Label,
    },
    /// Any other route type, as bytes.
    Unknown {
        code: u8,
        #[serde(serialize_with = "crate::message::serialize_hex")]
        data: Vec<u8>,
    },
}

impl EvpnRoute {
    pub fn route_type(&self) -> u8 {
        match self {
            EvpnRoute::EthernetAutoDiscovery { .. } => 1,
            EvpnRoute::MacIpAdvertisement { .. } => 2,
            EvpnRoute::InclusiveMulticast { .. } => 3,
            EvpnRoute::EthernetSegment { .. } => 4,
            EvpnRoute::IpPrefix { .. } => 5,
            EvpnRoute::Unknown { code, .. } => *code,
        }
    }

    pub fn rd(&self) -> Option<RouteDistinguisher> {
        match self {
            EvpnRoute::EthernetAutoDiscovery { rd, .. }
            | EvpnRoute::MacIpAdvertisement { rd, .. }
            | EvpnRoute::InclusiveMulticast { rd, .. }
            | EvpnRoute::EthernetSegment { rd, .. }
            | EvpnRoute::IpPrefix { rd, .. } => Some(*rd),
            EvpnRoute::Unknown { .. } => None,
        }
    }

    pub(crate) fn decode(r: &mut Reader) -> Result<EvpnRoute, NlriError> {
        let at = r.offset();
        let (code, len) = match (r.u8(), r.u8()) {
            (Ok(c), Ok(l)) => (c, l as usize),
            _ => return Err((at, "truncated E-VPN route header".into())),
        };
        let mut v = r.sub(len).map_err(|_| {
            (
                at,
                format!("E-VPN route type {code} of length {len} overruns the NLRI"),
            )
        })?;
        let bad_len = || {
            (
                at,
                format!("E-VPN route type {code} has an invalid length {len}"),
            )
        };
        let route = match code {
            1 => {
                if len != 25 {
                    return Err(bad_len());
                }
                EvpnRoute::EthernetAutoDiscovery {
                    rd: RouteDistinguisher(v.array().expect("length checked")),
                    esi: Esi(v.array().expect("length checked")),
                    etag: v.u32().expect("length checked"),
                    label: Label::from_bytes(v.array().expect("length checked")),
                }
            }
            2 => {
                // RD 8, ESI 10, tag 4, MAC length 1, MAC 6, IP length 1, IP 0/4/16, labels 3/6.
                if len < 33 {
                    return Err(bad_len());
                }
                let rd = RouteDistinguisher(v.array().expect("length checked"));
                let esi = Esi(v.array().expect("length checked"));
                let etag = v.u32().expect("length checked");
                let mac_bits = v.u8().expect("length checked");
                if mac_bits != 48 {
                    return Err((
                        at,
                        format!("E-VPN MAC length {mac_bits} is not 48 (RFC 7432 §7.2)"),
                    ));
                }
                let mac = MacAddress(v.array().expect("length checked"));
                let ip_bits = v.u8().expect("length checked");
                let ip = read_ip(&mut v, ip_bits).ok_or_else(|| {
                    (at, format!("E-VPN IP length {ip_bits} does not fit the route (RFC 7432 §7.2: 0, 32 or 128)"))
                })?;
                let label = Label::from_bytes(v.array().map_err(|_| bad_len())?);
                let label2 = match v.remaining() {
                    0 => None,
                    3 => Some(Label::from_bytes(v.array().expect("length checked"))),
                    _ => return Err(bad_len()),
                };
                EvpnRoute::MacIpAdvertisement {
                    rd,
                    esi,
                    etag,
                    mac,
                    ip,
                    label,
                    label2,
                }
            }
            3 => {
                if len != 17 && len != 29 {
                    return Err(bad_len());
                }
                let rd = RouteDistinguisher(v.array().expect("length checked"));
                let etag = v.u32().expect("length checked");
                let ip_bits = v.u8().expect("length checked");
                let originator = read_ip(&mut v, ip_bits)
                    .flatten()
                    .filter(|_| v.is_empty())
                    .ok_or_else(bad_len)?;
                EvpnRoute::InclusiveMulticast {
                    rd,
                    etag,
                    originator,
                }
            }
            4 => {
                if len != 23 && len != 35 {
                    return Err(bad_len());
                }
                let rd = RouteDistinguisher(v.array().expect("length checked"));
                let esi = Esi(v.array().expect("length checked"));
                let ip_bits = v.u8().expect("length checked");
                let originator = read_ip(&mut v, ip_bits)
                    .flatten()
                    .filter(|_| v.is_empty())
                    .ok_or_else(bad_len)?;
                EvpnRoute::EthernetSegment {
                    rd,
                    esi,
                    originator,
                }
            }
            5 => {
                // RFC 9136 §3.1: 34 octets for IPv4, 58 for IPv6.
                let v6 = match len {
                    34 => false,
                    58 => true,
                    _ => return Err(bad_len()),
                };
                let rd = RouteDistinguisher(v.array().expect("length checked"));
                let esi = Esi(v.array().expect("length checked"));
                let etag = v.u32().expect("length checked");
                let plen = v.u8().expect("length checked");
                let (prefix, gateway) = if v6 {
                    let mut addr = v.take(16).expect("length checked");
                    let p = prefix::v6_bits(
                        &mut Reader::new(&addr[..(plen.min(128) as usize).div_ceil(8)], at),
                        at,
                        plen,
                    )?;
                    addr = v.take(16).expect("length checked");
                    (
                        IpPrefix::V6(p),
                        IpAddr::V6(Ipv6Addr::from(
                            <[u8; 16]>::try_from(addr).expect("16 octets"),
                        )),
                    )
                } else {
                    let addr = v.take(4).expect("length checked");
                    let p = prefix::v4_bits(
                        &mut Reader::new(&addr[..(plen.min(32) as usize).div_ceil(8)], at),
                        at,
                        plen,
                    )?;
                    (
                        IpPrefix::V4(p),
                        IpAddr::V4(v.ipv4().expect("length checked")),
                    )
                };
                let label = Label::from_bytes(v.array().expect("length checked"));
                EvpnRoute::IpPrefix {
                    rd,
                    esi,
                    etag,
                    prefix,
                    gateway,
                    label,
                }
            }
            code => EvpnRoute::Unknown {
                code,
                data: v.rest().to_vec(),
            },
        };
        Ok(route)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.route_type());
        let len_at = out.len();
        out.push(0);
        match self {
            EvpnRoute::EthernetAutoDiscovery {
                rd,
                esi,
                etag,
                label,
            } => {
                out.extend_from_slice(&rd.0);
                out.extend_from_slice(&esi.0);
                out.extend_from_slice(&etag.to_be_bytes());
                out.extend_from_slice(&label.to_bytes());
            }
            EvpnRoute::MacIpAdvertisement {
                rd,
                esi,
                etag,
                mac,
                ip,
                label,
                label2,
            } => {
                out.extend_from_slice(&rd.0);
                out.extend_from_slice(&esi.0);
                out.extend_from_slice(&etag.to_be_bytes());
                out.push(48);
                out.extend_from_slice(&mac.0);
                write_ip(out, *ip);
                out.extend_from_slice(&label.to_bytes());
                if let Some(l2) = label2 {
                    out.extend_from_slice(&l2.to_bytes());
                }
            }
            EvpnRoute::InclusiveMulticast {
                rd,
                etag,
                originator,
            } => {
                out.extend_from_slice(&rd.0);
                out.extend_from_slice(&etag.to_be_bytes());
                write_ip(out, Some(*originator));
            }
            EvpnRoute::EthernetSegment {
                rd,
                esi,
                originator,
            } => {
                out.extend_from_slice(&rd.0);
                out.extend_from_slice(&esi.0);
                write_ip(out, Some(*originator));
            }
            EvpnRoute::IpPrefix {
                rd,
                esi,
                etag,
                prefix,
                gateway,
                label,
            } => {
                out.extend_from_slice(&rd.0);
                out.extend_from_slice(&esi.0);
                out.extend_from_slice(&etag.to_be_bytes());
                out.push(prefix.length());
                match prefix.addr() {
                    IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
                    IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
                }
                match gateway {
                    IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
                    IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
                }
                out.extend_from_slice(&label.to_bytes());
            }
            EvpnRoute::Unknown { data, .. } => out.extend_from_slice(data),
        }
        out[len_at] = (out.len() - len_at - 1) as u8;
    }
}

/// Reads an address given its length in bits: `Some(None)` for 0, `None` when malformed.
fn read_ip(r: &mut Reader, bits: u8) -> Option<Option<IpAddr>> {
    match bits {
        0 => Some(None),
        32 => r.ipv4().ok().map(|a| Some(IpAddr::V4(a))),
        128 => r.ipv6().ok().map(|a| Some(IpAddr::V6(a))),
        _ => None,
    }
}

fn write_ip(out: &mut Vec<u8>, ip: Option<IpAddr>) {
    match ip {
        None => out.push(0),
        Some(IpAddr::V4(a)) => {
            out.push(32);
            out.extend_from_slice(&a.octets());
        }
        Some(IpAddr::V6(a)) => {
            out.push(128);
            out.extend_from_slice(&a.octets());
        }
    }
}

impl fmt::Display for EvpnRoute {
    /// One readable line per route type, e.g. `type2 rd 65000:1 mac 52:54:00:aa:bb:01 ip 10.0.0.1 label 100`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let esi = |f: &mut fmt::Formatter<'_>, esi: &Esi| {
            if esi.is_zero() {
                Ok(())
            } else {
                write!(f, " esi {esi}")
            }
        };
        match self {
            EvpnRoute::EthernetAutoDiscovery {
                rd,
                esi: e,
                etag,
                label,
            } => {
                write!(f, "type1 rd {rd}")?;
                esi(f, e)?;
                write!(f, " etag {etag} label {}", label.raw())
            }
            EvpnRoute::MacIpAdvertisement {
                rd,
                esi: e,
                etag,
                mac,
                ip,
                label,
                label2,
            } => {
                write!(f, "type2 rd {rd}")?;
                esi(f, e)?;
                write!(f, " etag {etag} mac {mac}")?;
                if let Some(ip) = ip {
                    write!(f, " ip {ip}")?;
                }
                write!(f, " label {}", label.raw())?;
                if let Some(l2) = label2 {
                    write!(f, " label2 {}", l2.raw())?;
                }
                Ok(())
            }
            EvpnRoute::InclusiveMulticast {
                rd,
                etag,
                originator,
            } => {
                write!(f, "type3 rd {rd} etag {etag} originator {originator}")
            }
            EvpnRoute::EthernetSegment {
                rd,
                esi,
                originator,
            } => {
                write!(f, "type4 rd {rd} esi {esi} originator {originator}")
            }
            EvpnRoute::IpPrefix {
                rd,
                esi: e,
                etag,
                prefix,
                gateway,
                label,
            } => {
                write!(f, "type5 rd {rd}")?;
                esi(f, e)?;
                write!(f, " etag {etag} prefix {prefix}")?;
                if !gateway.is_unspecified() {
                    write!(f, " gateway {gateway}")?;
                }
                write!(f, " label {}", label.raw())
            }
            EvpnRoute::Unknown { code, data } => write!(f, "type{code} ({} octets)", data.len()),
        }
    }
}
