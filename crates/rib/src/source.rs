//! Where routes come from and go to: BGP peers and local workers (VPN instances, the API).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use bagpipe_wire::nlri::RtcNlri;
use bagpipe_wire::Family;
use serde::Serialize;

pub type SourceId = u32;

/// What best-path selection needs to know about where a path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PathOrigin {
    pub source: SourceId,
    pub kind: OriginKind,
    /// The peer's BGP identifier (ours for local routes).
    pub router_id: Ipv4Addr,
    pub address: Option<IpAddr>,
    pub asn: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OriginKind {
    Local,
    Ibgp,
    Ebgp,
}

/// A BGP peer as the route table sees it.
#[derive(Debug, Clone)]
pub struct Peer {
    pub address: IpAddr,
    /// Our address on this session: the next hop we set toward eBGP peers.
    pub local_address: Option<IpAddr>,
    pub asn: u32,
    pub router_id: Ipv4Addr,
    pub rr_client: bool,
    /// Families negotiated; empty while the session is down.
    pub families: Vec<Family>,
    /// The peer negotiated RT Constraint (RFC 4684).
    pub rtc: bool,
    /// The peer's RTC End-of-RIB arrived: VPN routes may now be sent (RFC 4684 §6).
    pub rtc_eor: bool,
    /// The route targets the peer asked for with RTC routes.
    pub interests: HashSet<RtcNlri>,
    /// The session is down but its routes are kept as stale (RFC 4724).
    pub restarting: bool,
    /// IPv4 families whose routes the peer takes with an IPv6 next hop (RFC 8950).
    pub ipv6_next_hop: Vec<Family>,
}

impl Peer {
    pub fn new(address: IpAddr, asn: u32, router_id: Ipv4Addr, rr_client: bool) -> Self {
        Peer {
            address,
            local_address: None,
            asn,
            router_id,
            rr_client,
            families: Vec::new(),
            rtc: false,
            rtc_eor: false,
            interests: HashSet::new(),
            restarting: false,
            ipv6_next_hop: Vec::new(),
        }
    }

    pub fn is_up(&self) -> bool {
        !self.families.is_empty()
    }

    pub fn has_family(&self, f: Family) -> bool {
        self.families.contains(&f)
    }
}

#[derive(Debug, Clone)]
pub enum SourceKind {
    Local { name: String },
    Peer(Peer),
}

#[derive(Debug, Clone)]
pub struct Source {
    pub id: SourceId,
    pub kind: SourceKind,
}

impl Source {
    pub fn peer(&self) -> Option<&Peer> {
        match &self.kind {
            SourceKind::Peer(p) => Some(p),
            SourceKind::Local { .. } => None,
        }
    }

    pub fn peer_mut(&mut self) -> Option<&mut Peer> {
        match &mut self.kind {
            SourceKind::Peer(p) => Some(p),
            SourceKind::Local { .. } => None,
        }
    }

    pub fn name(&self) -> String {
        match &self.kind {
            SourceKind::Local { name } => name.clone(),
            SourceKind::Peer(p) => format!("BGP-{}", p.address),
        }
    }

    pub fn origin(&self, local_asn: u32, local_id: Ipv4Addr) -> PathOrigin {
        match &self.kind {
            SourceKind::Local { .. } => PathOrigin {
                source: self.id,
                kind: OriginKind::Local,
                router_id: local_id,
                address: None,
                asn: local_asn,
            },
            SourceKind::Peer(p) => PathOrigin {
                source: self.id,
                kind: if p.asn == local_asn {
                    OriginKind::Ibgp
                } else {
                    OriginKind::Ebgp
                },
                router_id: p.router_id,
                address: Some(p.address),
                asn: p.asn,
            },
        }
    }
}
