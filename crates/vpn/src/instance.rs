//! What E-VPN instances and VRFs have in common: identity, route targets, the endpoints
//! (MAC, IP) plugged on local ports, and the paths received for them.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use bagpipe_rib::{PathOrigin, RouteKey, SourceId};
use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::{MacAddress, RouteDistinguisher, RouteTarget};
use serde_json::Value;

use crate::evi::EviImports;
use crate::request::{Direction, IpWithLength, LocalPort, VpnType};
use crate::vrf::VrfImports;

/// One (MAC, IP) plugged on a port; the IP is absent for MAC-only E-VPN attachments.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub mac: MacAddress,
    pub ip: Option<IpWithLength>,
    pub ifname: String,
    pub local_port: LocalPort,
    pub direction: Direction,
    pub local_pref: Option<u32>,
    pub lb_order: u32,
    pub advertise_subnet: bool,
    pub description: Option<Value>,
    /// The endpoint's own RD (used for subnet routes), allocated per endpoint as the original.
    pub rd: RouteDistinguisher,
    pub rd_number: u32,
    /// The route advertised for it, if its direction advertises.
    pub route: Option<Nlri>,
}

/// Per MAC: the port it is on and its MPLS label (the original allocates one per port MAC).
#[derive(Debug, Clone)]
pub struct MacData {
    pub ifname: String,
    pub local_port: LocalPort,
    pub label: u32,
    /// MAC mobility sequence number of our advertisement (RFC 7432 §15).
    pub mobility_seq: u32,
}

/// A path an instance imported.
#[derive(Debug, Clone)]
pub struct ReceivedPath {
    pub key: RouteKey,
    pub nlri: Nlri,
    pub origin: PathOrigin,
    pub path_id: u32,
    pub attrs: Arc<AttributeSet>,
}

pub type PathId = (RouteKey, SourceId, u32);

impl ReceivedPath {
    pub fn id(&self) -> PathId {
        (self.key.clone(), self.origin.source, self.path_id)
    }

    pub fn next_hop(&self) -> Option<IpAddr> {
        self.attrs.next_hop
    }
}

#[derive(Debug)]
pub enum Imports {
    Evi(EviImports),
    Vrf(VrfImports),
}

#[derive(Debug)]
pub struct Instance {
    /// The dataplane id (`instance_dataplane_id`), stable for the instance's life.
    pub id: u32,
    pub external_id: String,
    pub vpn_type: VpnType,
    pub source: SourceId,
    pub rd: RouteDistinguisher,
    pub rd_number: u32,
    /// The instance label: the VNI for VXLAN.
    pub label: u32,
    pub forced_vni: bool,
    pub import_rts: Vec<RouteTarget>,
    pub export_rts: Vec<RouteTarget>,
    pub gateway_ip: Option<IpAddr>,
    pub subnet_len: Option<u8>,
    pub linuxbr: Option<String>,
    pub description: Option<Value>,
    pub endpoints: BTreeMap<(MacAddress, Option<IpWithLength>), Endpoint>,
    pub macs: BTreeMap<MacAddress, MacData>,
    /// Routes we advertise, for the looking glass: (NLRI, attributes).
    pub advertised: Vec<(Nlri, Arc<AttributeSet>)>,
    pub imports: Imports,
}

impl Instance {
    /// `EVI-2`, `VRF-1`: the names the original's looking glass uses.
    pub fn name(&self) -> String {
        match self.vpn_type {
            VpnType::Evpn => format!("EVI-{}", self.id),
            VpnType::Ipvpn => format!("VRF-{}", self.id),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    pub fn set_advertised(&mut self, nlri: &Nlri, attrs: Option<Arc<AttributeSet>>) {
        self.advertised.retain(|(n, _)| n != nlri);
        if let Some(a) = attrs {
            self.advertised.push((nlri.clone(), a));
        }
    }
}
