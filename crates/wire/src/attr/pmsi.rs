//! PMSI_TUNNEL (RFC 6514 §5), used by E-VPN inclusive multicast routes (RFC 7432 §11.2) to
//! say how broadcast traffic reaches the sender: for VXLAN, ingress replication to an address.

use std::net::IpAddr;

use serde::Serialize;

use crate::reader::Reader;
use crate::types::Label;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PmsiTunnel {
    /// Bit 0x01: leaf information required.
    pub flags: u8,
    pub tunnel_type: u8,
    /// The MPLS label, or the VNI for VXLAN (RFC 8365 §5.1.3).
    pub label: Label,
    /// The tunnel identifier; for ingress replication, the endpoint address.
    #[serde(serialize_with = "crate::message::serialize_hex")]
    pub tunnel_id: Vec<u8>,
}

pub const PMSI_INGRESS_REPLICATION: u8 = 6;

impl PmsiTunnel {
    pub fn ingress_replication(label: Label, endpoint: IpAddr) -> Self {
        let tunnel_id = match endpoint {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        PmsiTunnel {
            flags: 0,
            tunnel_type: PMSI_INGRESS_REPLICATION,
            label,
            tunnel_id,
        }
    }

    pub fn tunnel_type_name(&self) -> &'static str {
        match self.tunnel_type {
            0 => "no-tunnel-information",
            1 => "rsvp-te-p2mp",
            2 => "mldp-p2mp",
            3 => "pim-ssm",
            4 => "pim-sm",
            5 => "bidir-pim",
            PMSI_INGRESS_REPLICATION => "ingress-replication",
            7 => "mldp-mp2mp",
            _ => "unknown",
        }
    }

    /// The ingress replication endpoint, when the tunnel id is an address.
    pub fn endpoint(&self) -> Option<IpAddr> {
        match self.tunnel_id.len() {
            4 => <[u8; 4]>::try_from(self.tunnel_id.as_slice())
                .ok()
                .map(IpAddr::from),
            16 => <[u8; 16]>::try_from(self.tunnel_id.as_slice())
                .ok()
                .map(IpAddr::from),
            _ => None,
        }
    }

    pub(crate) fn decode(r: &mut Reader) -> Option<PmsiTunnel> {
        let flags = r.u8().ok()?;
        let tunnel_type = r.u8().ok()?;
        let label = Label::from_bytes(r.array().ok()?);
        Some(PmsiTunnel {
            flags,
            tunnel_type,
            label,
            tunnel_id: r.rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.flags);
        out.push(self.tunnel_type);
        out.extend_from_slice(&self.label.to_bytes());
        out.extend_from_slice(&self.tunnel_id);
    }
}
