//! E-VPN instances (RFC 7432 with VXLAN, RFC 8365): the routes an EVI advertises (one type 3
//! inclusive multicast route, one type 2 MAC/IP route per endpoint) and what its imported
//! routes mean for the dataplane (remote MACs, the flood list), with MAC mobility.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use bagpipe_dataplane::{
    EvpnChange, EvpnGatewayPort, EvpnInstanceState, EvpnLocalPort, FloodEntry, InstanceState,
    RemoteMac,
};
use bagpipe_rib::decision::{compare, Candidate};
use bagpipe_wire::attr::{
    AsPath, AttrValue, AttributeSet, Origin, PathAttribute, PmsiTunnel, PMSI_INGRESS_REPLICATION,
};
use bagpipe_wire::nlri::{EvpnRoute, Nlri};
use bagpipe_wire::{
    Esi, ExtCommunityKind, ExtendedCommunity, Label, MacAddress, RouteDistinguisher, RouteTarget,
    TunnelType,
};

use crate::changes::{if_changed, Dirty, EviTold};
use crate::instance::{update_group, Endpoint, Instance, PathGroup, ReceivedPath};

/// The paths an EVI imported, grouped as the dataplane uses them.
#[derive(Debug, Default)]
pub struct EviImports {
    /// MAC/IP routes by MAC.
    pub macs: HashMap<MacAddress, PathGroup>,
    /// Inclusive multicast routes by (originator, RD).
    pub floods: HashMap<(IpAddr, RouteDistinguisher), PathGroup>,
}

/// RFC 7432 §15: the MAC mobility sequence number of a route (0 without the community).
pub fn mobility_seq(attrs: &AttributeSet) -> u32 {
    attrs
        .ext_communities()
        .iter()
        .find_map(|c| match c.kind() {
            ExtCommunityKind::MacMobility { sequence, .. } => Some(sequence),
            _ => None,
        })
        .unwrap_or(0)
}

fn common_attributes(
    export_rts: &[RouteTarget],
    extra: Vec<ExtendedCommunity>,
    next_hop: IpAddr,
) -> AttributeSet {
    let mut comms: Vec<ExtendedCommunity> = export_rts
        .iter()
        .map(|rt| ExtendedCommunity::from(*rt))
        .collect();
    comms.push(ExtendedCommunity::encapsulation(TunnelType::VXLAN));
    comms.extend(extra);
    AttributeSet::new(
        Some(next_hop),
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
            PathAttribute::new(AttrValue::ExtendedCommunities(comms)),
        ],
    )
}

/// The type 3 route of an EVI: our VTEP in its flood list (RFC 8365 §5.1.3: ingress
/// replication, the VNI in the PMSI label).
pub fn multicast_route(inst: &Instance, local: IpAddr) -> (Nlri, AttributeSet) {
    let nlri = Nlri::Evpn(EvpnRoute::InclusiveMulticast {
        rd: inst.rd,
        etag: 0,
        originator: local,
    });
    let mut attrs = common_attributes(&inst.export_rts, vec![], local);
    attrs.set(PathAttribute::new(AttrValue::PmsiTunnel(
        PmsiTunnel::ingress_replication(Label::vni(inst.label), local),
    )));
    (nlri, attrs)
}

/// The type 2 route of one endpoint, carrying the VNI (RFC 8365 §5.1.3), with the
/// endpoint's consistent hash sort order and LOCAL_PREF as the original's E-VPN routes.
pub fn mac_route(inst: &Instance, ep: &Endpoint, seq: u32, local: IpAddr) -> (Nlri, AttributeSet) {
    let nlri = mac_nlri(inst, ep.mac, ep.ip.map(|i| i.addr));
    let mut extra = vec![ExtendedCommunity::consistent_hash_sort_order(ep.lb_order)];
    if seq > 0 {
        extra.push(ExtendedCommunity::mac_mobility(false, seq));
    }
    let mut attrs = common_attributes(&inst.export_rts, extra, local);
    attrs.set(PathAttribute::new(AttrValue::LocalPref(
        ep.advertised_local_pref(),
    )));
    (nlri, attrs)
}

/// The type 2 route of a MAC the instance's bridge learnt: MAC only, default preference.
pub fn learned_mac_route(
    inst: &Instance,
    mac: MacAddress,
    seq: u32,
    local: IpAddr,
) -> (Nlri, AttributeSet) {
    let extra = (seq > 0)
        .then(|| ExtendedCommunity::mac_mobility(false, seq))
        .into_iter()
        .collect();
    (
        mac_nlri(inst, mac, None),
        common_attributes(&inst.export_rts, extra, local),
    )
}

pub fn mac_nlri(inst: &Instance, mac: MacAddress, ip: Option<IpAddr>) -> Nlri {
    Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
        rd: inst.rd,
        esi: Esi::ZERO,
        etag: 0,
        mac,
        ip,
        label: Label::vni(inst.label),
        label2: None,
    })
}

/// Whether a route's encapsulation is one our VXLAN dataplane can use: VXLAN, or none said
/// (RFC 8365 requires the community, but some implementations omit it).
fn vxlan_capable(attrs: &AttributeSet) -> bool {
    let encaps: Vec<TunnelType> = attrs
        .ext_communities()
        .iter()
        .filter_map(|c| match c.kind() {
            ExtCommunityKind::Encapsulation(t) => Some(t),
            _ => None,
        })
        .collect();
    encaps.is_empty() || encaps.contains(&TunnelType::VXLAN)
}

/// Best path for a MAC: highest MAC mobility sequence first (RFC 7432 §15.1), then the BGP
/// decision process.
fn best_mac_path<'a>(paths: impl Iterator<Item = &'a ReceivedPath>) -> Option<&'a ReceivedPath> {
    paths.min_by(|a, b| {
        mobility_seq(&b.attrs)
            .cmp(&mobility_seq(&a.attrs))
            .then_with(|| {
                let ca = Candidate {
                    attrs: &a.attrs,
                    origin: *a.origin,
                    path_id: a.path_id,
                };
                let cb = Candidate {
                    attrs: &b.attrs,
                    origin: *b.origin,
                    path_id: b.path_id,
                };
                compare(&ca, &cb)
            })
    })
}

impl EviImports {
    /// Records a path (or its removal). Paths whose next hop is ourselves (another EVI of
    /// this node) are ignored: traffic to them never leaves the node.
    /// Returns the MAC of a MAC/IP route (whose dataplane state may have changed).
    pub fn apply(
        &mut self,
        path: ReceivedPath,
        removed: bool,
        local: IpAddr,
    ) -> Option<MacAddress> {
        let Nlri::Evpn(route) = &path.nlri else {
            return None;
        };
        if path.next_hop() == Some(local) && !removed {
            return None;
        }
        match *route {
            EvpnRoute::MacIpAdvertisement { mac, .. } => {
                update_group(&mut self.macs, mac, path, removed);
                Some(mac)
            }
            EvpnRoute::InclusiveMulticast { originator, rd, .. } => {
                update_group(&mut self.floods, (originator, rd), path, removed);
                None
            }
            _ => None,
        }
    }

    /// The highest MAC mobility sequence number received for `mac`.
    pub fn remote_seq(&self, mac: &MacAddress) -> Option<u32> {
        self.macs
            .get(mac)
            .and_then(|g| g.values().map(|p| mobility_seq(&p.attrs)).max())
    }

    /// Best paths, for the looking glass: by MAC, then by flood originator.
    pub fn best_paths(&self) -> Vec<&ReceivedPath> {
        let macs = self.macs.values().filter_map(|g| best_mac_path(g.values()));
        let floods = self
            .floods
            .values()
            .filter_map(|g| best_mac_path(g.values()));
        macs.chain(floods).collect()
    }

    /// MACs and flooding originators with at least one imported path.
    pub fn destinations(&self) -> usize {
        self.macs.len() + self.floods.len()
    }

    pub fn all_paths(&self) -> impl Iterator<Item = &ReceivedPath> {
        self.macs
            .values()
            .chain(self.floods.values())
            .flat_map(|g| g.values())
    }
}

/// The dataplane state of one local port: the MAC of its first endpoint, the IPs of all.
pub fn local_port(inst: &Instance, ifname: &str) -> Option<EvpnLocalPort> {
    let mut endpoints = inst.endpoints.on_port(ifname).peekable();
    let mut port = EvpnLocalPort {
        mac: Some(endpoints.peek()?.mac),
        ips: Vec::new(),
    };
    for ip in endpoints.filter_map(|ep| ep.ip) {
        if !port.ips.contains(&ip.addr) {
            port.ips.push(ip.addr);
        }
    }
    Some(port)
}

/// Where the dataplane sends traffic for a remote MAC: the VTEP of its best route, with the
/// IPs of that VTEP's routes for the MAC (for ARP/ND suppression).
pub fn remote_mac(inst: &Instance, imports: &EviImports, mac: &MacAddress) -> Option<RemoteMac> {
    let group = imports.macs.get(mac)?;
    let best = best_mac_path(group.values().filter(|p| vxlan_capable(&p.attrs)))?;
    // A MAC plugged (or learnt) here stays here, unless a remote route says it moved later
    // than our advertisement (a higher sequence number).
    let local_seq = inst
        .macs
        .get(mac)
        .map(|m| m.mobility_seq)
        .or_else(|| inst.learned.get(mac).map(|l| l.mobility_seq));
    if let Some(local_seq) = local_seq {
        if mobility_seq(&best.attrs).cmp(&local_seq) != Ordering::Greater {
            return None;
        }
    }
    let (Some(vtep), Nlri::Evpn(EvpnRoute::MacIpAdvertisement { label, .. })) =
        (best.next_hop(), &best.nlri)
    else {
        return None;
    };
    let ips = group
        .values()
        .filter(|p| p.next_hop() == Some(vtep))
        .filter_map(|p| match &p.nlri {
            Nlri::Evpn(EvpnRoute::MacIpAdvertisement { ip, .. }) => *ip,
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Some(RemoteMac {
        vtep,
        vni: label.raw(),
        ips,
    })
}

/// The head-end replication list: the tunnel of each remote VTEP's best inclusive multicast
/// route with an ingress replication PMSI tunnel.
pub fn flood_list(imports: &EviImports) -> BTreeSet<FloodEntry> {
    let mut flood_list = BTreeSet::new();
    for group in imports.floods.values() {
        let Some(best) = best_mac_path(group.values().filter(|p| vxlan_capable(&p.attrs))) else {
            continue;
        };
        let Some(pmsi) = best.attrs.pmsi_tunnel() else {
            continue;
        };
        if pmsi.tunnel_type != PMSI_INGRESS_REPLICATION {
            continue;
        }
        if let Some(vtep) = pmsi.endpoint().or(best.next_hop()) {
            flood_list.insert(FloodEntry {
                vtep,
                vni: pmsi.label.raw(),
            });
        }
    }
    flood_list
}

/// The instance's own fields, as a change of the dataplane state.
pub fn header(inst: &Instance) -> EvpnChange {
    EvpnChange::Instance {
        vni: inst.label,
        linux_bridge: inst.linuxbr.clone(),
        gateway_port: inst.stitch.as_ref().map(|s| EvpnGatewayPort {
            ifname: s.evpn_if.clone(),
            veth_peer: s.veth.then(|| s.ipvpn_if.clone()),
            gateway_ip: s.gateway_ip,
        }),
    }
}

/// What the dataplane should do for this EVI: the whole state.
pub fn dataplane_state(inst: &Instance, imports: &EviImports) -> EvpnInstanceState {
    let mut state = EvpnInstanceState {
        instance_id: inst.id,
        local_ports: inst
            .endpoints
            .ports()
            .into_iter()
            .filter_map(|p| Some((p.to_owned(), local_port(inst, p)?)))
            .collect(),
        remote_macs: imports
            .macs
            .keys()
            .filter_map(|mac| Some((*mac, remote_mac(inst, imports, mac)?)))
            .collect(),
        flood_list: flood_list(imports),
        ..EvpnInstanceState::default()
    };
    state.apply(header(inst));
    state
}

/// The changes of the dirty parts of this EVI's dataplane state, and of its header and
/// flood list where they differ from what the driver was `told`.
pub fn changes(
    inst: &Instance,
    imports: &EviImports,
    dirty: &Dirty,
    told: &mut EviTold,
) -> Vec<EvpnChange> {
    let mut out: Vec<EvpnChange> = if_changed(&mut told.header, header(inst))
        .into_iter()
        .collect();
    for ifname in &dirty.ports {
        out.push(EvpnChange::LocalPort(
            ifname.clone(),
            local_port(inst, ifname),
        ));
    }
    for mac in &dirty.macs {
        out.push(EvpnChange::RemoteMac(*mac, remote_mac(inst, imports, mac)));
    }
    let floods = flood_list(imports);
    for gone in told.floods.difference(&floods) {
        out.push(EvpnChange::Flood(*gone, false));
    }
    for new in floods.difference(&told.floods) {
        out.push(EvpnChange::Flood(*new, true));
    }
    told.floods = floods;
    out
}
