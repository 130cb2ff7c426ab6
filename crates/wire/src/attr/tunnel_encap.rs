//! TUNNEL_ENCAPSULATION (RFC 9012): tunnels with sub-TLVs. Sub-TLV values are kept as bytes
//! (so unknown ones pass unchanged) with a typed view of the ones VXLAN, GRE and
//! MPLS-over-GRE/UDP use.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::ser::SerializeStruct;
use serde::Serialize;

use crate::reader::Reader;
use crate::types::{MacAddress, TunnelType};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tunnel {
    pub tunnel_type: TunnelType,
    pub sub_tlvs: Vec<SubTlv>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubTlv {
    pub kind: u8,
    pub value: Vec<u8>,
}

pub mod sub_tlv {
    pub const ENCAPSULATION: u8 = 1;
    pub const PROTOCOL_TYPE: u8 = 2;
    pub const COLOR: u8 = 4;
    pub const EGRESS_ENDPOINT: u8 = 6;
    pub const DS_FIELD: u8 = 7;
    pub const UDP_DESTINATION_PORT: u8 = 8;
}

/// The typed view of a sub-TLV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "sub_tlv")]
pub enum SubTlvView {
    /// RFC 9012 §3.2.1: VXLAN encapsulation; the V and M flags say whether VNI and MAC are set.
    VxlanEncapsulation {
        vni: Option<u32>,
        mac: Option<MacAddress>,
    },
    /// RFC 9012 §3.2.6/3.2.7: a GRE or MPLS-in-GRE key.
    GreKey {
        key: u32,
    },
    ProtocolType {
        ethertype: u16,
    },
    Color {
        color: u32,
    },
    EgressEndpoint {
        address: Option<IpAddr>,
    },
    DsField {
        dscp: u8,
    },
    UdpDestinationPort {
        port: u16,
    },
    Other {
        kind: u8,
    },
}

impl SubTlv {
    pub fn view(&self, tunnel: TunnelType) -> SubTlvView {
        let v = &self.value;
        let u16_at = |i: usize| v.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        let u32_at = |i: usize| {
            v.get(i..i + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        let other = SubTlvView::Other { kind: self.kind };
        match self.kind {
            sub_tlv::ENCAPSULATION if tunnel == TunnelType::VXLAN && v.len() == 12 => {
                let vni = (v[0] & 0x80 != 0).then(|| u32::from_be_bytes([0, v[1], v[2], v[3]]));
                let mac =
                    (v[0] & 0x40 != 0).then(|| MacAddress([v[4], v[5], v[6], v[7], v[8], v[9]]));
                SubTlvView::VxlanEncapsulation { vni, mac }
            }
            sub_tlv::ENCAPSULATION
                if matches!(tunnel, TunnelType::GRE | TunnelType::MPLS_IN_GRE) && v.len() == 4 =>
            {
                SubTlvView::GreKey {
                    key: u32_at(0).expect("length checked"),
                }
            }
            sub_tlv::PROTOCOL_TYPE => {
                u16_at(0).map_or(other, |ethertype| SubTlvView::ProtocolType { ethertype })
            }
            sub_tlv::COLOR => u32_at(4).map_or(other, |color| SubTlvView::Color { color }),
            sub_tlv::EGRESS_ENDPOINT => {
                // Reserved (4), AFI (2), address: RFC 9012 §3.1.
                let address = match (u16_at(4), v.len()) {
                    (Some(1), 10) => Some(IpAddr::V4(Ipv4Addr::new(v[6], v[7], v[8], v[9]))),
                    (Some(2), 22) => <[u8; 16]>::try_from(&v[6..22])
                        .ok()
                        .map(|a| IpAddr::V6(Ipv6Addr::from(a))),
                    _ => None,
                };
                SubTlvView::EgressEndpoint { address }
            }
            sub_tlv::DS_FIELD => v
                .first()
                .map_or(other, |d| SubTlvView::DsField { dscp: d >> 2 }),
            sub_tlv::UDP_DESTINATION_PORT => {
                u16_at(0).map_or(other, |port| SubTlvView::UdpDestinationPort { port })
            }
            _ => other,
        }
    }

    /// A VXLAN encapsulation sub-TLV with the VNI (and MAC when given) set.
    pub fn vxlan(vni: u32, mac: Option<MacAddress>) -> SubTlv {
        let mut value = vec![0u8; 12];
        value[0] = 0x80 | if mac.is_some() { 0x40 } else { 0 };
        value[1..4].copy_from_slice(&vni.to_be_bytes()[1..]);
        if let Some(m) = mac {
            value[4..10].copy_from_slice(&m.0);
        }
        SubTlv {
            kind: sub_tlv::ENCAPSULATION,
            value,
        }
    }

    pub fn udp_destination_port(port: u16) -> SubTlv {
        SubTlv {
            kind: sub_tlv::UDP_DESTINATION_PORT,
            value: port.to_be_bytes().to_vec(),
        }
    }
}

impl Tunnel {
    /// `None` when a TLV or sub-TLV overruns its container: RFC 9012 §13 then discards the
    /// whole attribute.
    pub(crate) fn decode_all(r: &mut Reader) -> Option<Vec<Tunnel>> {
        let mut tunnels = Vec::new();
        while !r.is_empty() {
            let tunnel_type = TunnelType(r.u16().ok()?);
            let len = r.u16().ok()? as usize;
            let mut tr = r.sub(len).ok()?;
            let mut sub_tlvs = Vec::new();
            while !tr.is_empty() {
                let kind = tr.u8().ok()?;
                let len = if kind < 128 {
                    tr.u8().ok()? as usize
                } else {
                    tr.u16().ok()? as usize
                };
                sub_tlvs.push(SubTlv {
                    kind,
                    value: tr.take(len).ok()?.to_vec(),
                });
            }
            tunnels.push(Tunnel {
                tunnel_type,
                sub_tlvs,
            });
        }
        Some(tunnels)
    }

    pub(crate) fn encode_all(tunnels: &[Tunnel], out: &mut Vec<u8>) {
        for t in tunnels {
            out.extend_from_slice(&t.tunnel_type.0.to_be_bytes());
            let len_at = out.len();
            out.extend_from_slice(&[0, 0]);
            for s in &t.sub_tlvs {
                out.push(s.kind);
                if s.kind < 128 {
                    out.push(s.value.len() as u8);
                } else {
                    out.extend_from_slice(&(s.value.len() as u16).to_be_bytes());
                }
                out.extend_from_slice(&s.value);
            }
            let len = (out.len() - len_at - 2) as u16;
            out[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
        }
    }
}

impl Serialize for Tunnel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let views: Vec<SubTlvView> = self
            .sub_tlvs
            .iter()
            .map(|t| t.view(self.tunnel_type))
            .collect();
        let mut st = s.serialize_struct("Tunnel", 2)?;
        st.serialize_field("tunnel_type", &self.tunnel_type.to_string())?;
        st.serialize_field("sub_tlvs", &views)?;
        st.end()
    }
}
