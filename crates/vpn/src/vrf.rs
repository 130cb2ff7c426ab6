//! IP VPN VRFs (RFC 4364/4659): the VPN route each endpoint gets (its /32 or /128, or its
//! subnet with `advertise_subnet`), and the routes a VRF receives, selected per prefix with
//! the BGP decision process and its multipath set (ECMP), for the dataplane.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use bagpipe_dataplane::{
    Encapsulation, InstanceState, InterfaceAddress, RemoteNextHop, TrafficRedirect, VrfChange,
    VrfFallback, VrfLocalPort, VrfState,
};
use bagpipe_rib::decision::{multipath_set, Candidate};
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::nlri::{FlowSpecRule, Nlri, VpnPrefix};
use bagpipe_wire::{
    ExtCommunityKind, ExtendedCommunity, IpPrefix, Label, MacAddress, RouteDistinguisher,
    RouteTarget, TunnelType,
};

use smallvec::SmallVec;

use crate::changes::{if_changed, Dirty};
use crate::instance::{update_group, Endpoint, Instance, PathGroup, ReceivedPath};
use crate::manager::VpnConfig;

/// The paths a VRF received: those it imports, and those it only readvertises.
#[derive(Debug, Default)]
pub struct VrfImports {
    /// VPN routes by IP prefix (RD stripped: routes of several RDs compete for one prefix).
    pub prefixes: HashMap<IpPrefix, PathGroup>,
    /// VPN FlowSpec routes by rule.
    pub flows: HashMap<FlowSpecRule, PathGroup>,
}

/// How this node's VRFs encapsulate: fixed by the dataplane driver's configuration.
pub fn tunnel_type(encap: Encapsulation) -> TunnelType {
    match encap {
        Encapsulation::Vxlan => TunnelType::VXLAN,
        Encapsulation::Mpls => TunnelType::MPLS,
        Encapsulation::MplsOverGre => TunnelType::MPLS_IN_GRE,
    }
}

/// The router MAC of a VRF's VXLAN device, derived from the node address and the instance
/// id so that it is stable across restarts: locally administered, unicast.
pub fn router_mac(local: IpAddr, instance_id: u32) -> MacAddress {
    let ip = match local {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(a) => {
            let o = a.octets();
            [o[12], o[13], o[14], o[15]]
        }
    };
    let id = (instance_id as u16).to_be_bytes();
    MacAddress([0x02, ip[1], ip[2], ip[3], id[0], id[1]])
}

/// How a route of this VRF brings traffic to one of its ports: the route distinguisher, the
/// port's MPLS label (its MAC's), and its consistent hash sort order (load balancing).
#[derive(Debug, Clone, Copy)]
pub struct Via {
    pub rd: RouteDistinguisher,
    pub mac_label: u32,
    pub lb_order: u32,
}

impl Via {
    /// Through endpoint `ep`, with its own RD (the original's per-endpoint RD); `None` if its
    /// MAC has no label (not plugged).
    pub fn endpoint(inst: &Instance, ep: &Endpoint) -> Option<Via> {
        Some(Via {
            rd: ep.rd,
            mac_label: inst.macs.get(&ep.mac)?.label,
            lb_order: ep.lb_order,
        })
    }
}

/// A VPN route of this VRF to `prefix` through `via`, with this node as next hop and the
/// encapsulation of its dataplane; `extra` communities are added to the route targets'.
pub fn vpn_route(
    inst: &Instance,
    config: &VpnConfig,
    via: Via,
    prefix: IpPrefix,
    targets: &[RouteTarget],
    extra: Vec<ExtendedCommunity>,
    local_pref: Option<u32>,
) -> (Nlri, AttributeSet) {
    let encap = config.ipvpn_encapsulation;
    let label = match encap {
        // A VPN NLRI's label field is an MPLS label stack entry (RFC 8277 §2): the VNI goes in
        // the label value, with the bottom-of-stack bit (as the original sent it). A raw
        // 24-bit VNI makes receivers (ours, GoBGP) read on into the RD whenever its lowest
        // bit is 0, and reset the session.
        Encapsulation::Vxlan => Label::mpls(inst.label, true),
        _ => Label::mpls(via.mac_label, true),
    };
    let nlri = Nlri::Vpn(VpnPrefix::new(via.rd, label, prefix));
    let mut comms: Vec<ExtendedCommunity> = targets
        .iter()
        .map(|rt| ExtendedCommunity::from(*rt))
        .collect();
    comms.push(ExtendedCommunity::encapsulation(tunnel_type(encap)));
    comms.extend(extra);
    comms.push(ExtendedCommunity::consistent_hash_sort_order(via.lb_order));
    if encap == Encapsulation::Vxlan {
        comms.push(ExtendedCommunity::router_mac(router_mac(
            config.local_address,
            inst.id,
        )));
    }
    let mut attrs = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::default())),
        PathAttribute::new(AttrValue::ExtendedCommunities(comms)),
    ];
    attrs.extend(local_pref.map(|lp| PathAttribute::new(AttrValue::LocalPref(lp))));
    (nlri, AttributeSet::new(Some(config.local_address), attrs))
}

/// The VPN route of one endpoint: its address (/32, /128), or its subnet with
/// `advertise_subnet` under the endpoint's own RD, as the original.
pub fn endpoint_route(
    inst: &Instance,
    ep: &Endpoint,
    config: &VpnConfig,
) -> Option<(Nlri, AttributeSet)> {
    let ip = ep.ip?;
    let mut via = Via::endpoint(inst, ep)?;
    let prefix = if ep.advertise_subnet {
        ep_subnet(ep)?
    } else {
        via.rd = inst.rd;
        ip.host_prefix()
    };
    Some(vpn_route(
        inst,
        config,
        via,
        prefix,
        &inst.export_rts,
        Vec::new(),
        Some(ep.advertised_local_pref()),
    ))
}

fn ep_subnet(ep: &Endpoint) -> Option<IpPrefix> {
    ep.ip.map(|ip| ip.subnet())
}

fn encapsulation_of(attrs: &AttributeSet) -> Option<Encapsulation> {
    let mut found = None;
    for c in attrs.ext_communities() {
        if let ExtCommunityKind::Encapsulation(t) = c.kind() {
            found = match t {
                TunnelType::VXLAN => Some(Encapsulation::Vxlan),
                TunnelType::MPLS => Some(Encapsulation::Mpls),
                TunnelType::MPLS_IN_GRE | TunnelType::GRE => Some(Encapsulation::MplsOverGre),
                _ => found,
            };
        }
    }
    found
}

fn router_mac_of(attrs: &AttributeSet) -> Option<MacAddress> {
    attrs.ext_communities().iter().find_map(|c| match c.kind() {
        ExtCommunityKind::RouterMac(m) => Some(m),
        _ => None,
    })
}

impl VrfImports {
    /// Records a path (or its removal). Returns the prefix of a VPN route (whose dataplane
    /// state may have changed).
    pub fn apply(&mut self, path: ReceivedPath, removed: bool) -> Option<IpPrefix> {
        match &path.nlri {
            Nlri::Vpn(v) => {
                let prefix = v.prefix;
                update_group(&mut self.prefixes, prefix, path, removed);
                Some(prefix)
            }
            Nlri::FlowSpec(rule) => {
                let rule = rule.clone();
                update_group(&mut self.flows, rule, path, removed);
                None
            }
            _ => None,
        }
    }

    /// The best path, then the others of its multipath set, of each prefix and flow rule.
    pub fn best_paths(&self) -> Vec<Vec<&ReceivedPath>> {
        self.prefixes
            .values()
            .chain(self.flows.values())
            .map(|g| best_set(g.values().collect()))
            .collect()
    }

    /// Prefixes and flow rules with at least one imported path.
    pub fn destinations(&self) -> usize {
        self.prefixes.len() + self.flows.len()
    }

    pub fn all_paths(&self) -> impl Iterator<Item = &ReceivedPath> {
        self.prefixes
            .values()
            .chain(self.flows.values())
            .flat_map(|g| g.values())
    }
}

/// The best path followed by those multipath-equal to it.
pub fn best_set(paths: Vec<&ReceivedPath>) -> Vec<&ReceivedPath> {
    let cands: Vec<Candidate> = paths
        .iter()
        .map(|p| Candidate {
            attrs: &p.attrs,
            origin: *p.origin,
            path_id: p.path_id,
        })
        .collect();
    multipath_set(&cands)
        .into_iter()
        .map(|i| paths[i])
        .collect()
}

fn consistent_hash_order(attrs: &AttributeSet) -> u32 {
    attrs
        .ext_communities()
        .iter()
        .find_map(|c| match c.kind() {
            ExtCommunityKind::ConsistentHashSortOrder(o) => Some(o),
            _ => None,
        })
        .unwrap_or(0)
}

/// The next hops of one prefix for the dataplane: the multipath set of the imported paths
/// it can use, sorted by their consistent hash sort order (the original's OVS driver made
/// that order the group bucket, so that a flow keeps its next hop while others come and go).
fn next_hops(inst: &Instance, group: &PathGroup, config: &VpnConfig) -> Vec<RemoteNextHop> {
    let encap = config.ipvpn_encapsulation;
    // Routes of this node's other VRFs are kept for readvertisement, but their traffic never
    // leaves the node: no tunnel to ourselves.
    let usable: Vec<&ReceivedPath> = group
        .values()
        .filter(|p| inst.is_imported(&p.attrs))
        .filter(|p| p.next_hop() != Some(config.local_address))
        .filter(|p| encapsulation_of(&p.attrs).unwrap_or(Encapsulation::Mpls) == encap)
        .collect();
    let mut hops: Vec<(u32, RemoteNextHop)> = best_set(usable)
        .into_iter()
        .filter_map(|p| {
            let Nlri::Vpn(v) = &p.nlri else { return None };
            let label = v.label()?;
            let hop = RemoteNextHop {
                pe: p.next_hop()?,
                label: label.mpls_value(),
                encapsulation: encap,
                router_mac: router_mac_of(&p.attrs),
            };
            Some((consistent_hash_order(&p.attrs), hop))
        })
        .collect();
    hops.sort();
    // Several routes may lead to the same tunnel (ports of one remote VRF with VXLAN).
    let mut seen = BTreeSet::new();
    let mut unique: Vec<RemoteNextHop> = hops
        .into_iter()
        .map(|(_, hop)| hop)
        .filter(|hop| seen.insert(hop.clone()))
        .collect();
    // Kept in the dataplane state of every route: no spare capacity.
    unique.shrink_to_fit();
    unique
}

/// The dataplane state of one local port: the MAC of its first endpoint, the addresses of
/// all, and the gateway it answers for.
pub fn local_port(inst: &Instance, ifname: &str) -> Option<VrfLocalPort> {
    let mut endpoints = inst.endpoints.on_port(ifname).peekable();
    let mut port = VrfLocalPort {
        mac: endpoints.peek()?.mac,
        addresses: SmallVec::new(),
        gateway_ips: inst.gateway_ip.into_iter().collect(),
    };
    for ip in endpoints.filter_map(|ep| ep.ip) {
        let a = InterfaceAddress {
            ip: ip.addr,
            prefix_len: ip.len,
        };
        if !port.addresses.contains(&a) {
            port.addresses.push(a);
        }
    }
    Some(port)
}

/// The next hops of one prefix (none: no route).
pub fn route(
    inst: &Instance,
    imports: &VrfImports,
    prefix: &IpPrefix,
    config: &VpnConfig,
) -> Vec<RemoteNextHop> {
    imports
        .prefixes
        .get(prefix)
        .map(|group| next_hops(inst, group, config))
        .unwrap_or_default()
}

/// The VRF's own fields, as a change of the dataplane state.
pub fn header(inst: &Instance, config: &VpnConfig, redirects: Vec<TrafficRedirect>) -> VrfChange {
    VrfChange::Instance {
        vni: inst.label,
        router_mac: router_mac(config.local_address, inst.id),
        fallback: inst.options.fallback.as_ref().map(|f| VrfFallback {
            src_mac: f.src_mac,
            dst_mac: f.dst_mac,
            ovs_port_name: f.ovs_port_name.clone(),
            ovs_port_number: f.ovs_port_number,
        }),
        redirects,
    }
}

/// What the dataplane should do for this VRF: the whole state. Routes whose encapsulation
/// the dataplane does not use are left out, as are routes received only to be readvertised.
pub fn dataplane_state(
    inst: &Instance,
    imports: &VrfImports,
    config: &VpnConfig,
    redirects: Vec<TrafficRedirect>,
) -> VrfState {
    let mut state = VrfState {
        instance_id: inst.id,
        local_ports: inst
            .endpoints
            .ports()
            .into_iter()
            .filter_map(|p| Some((p.to_owned(), local_port(inst, p)?)))
            .collect(),
        routes: imports
            .prefixes
            .iter()
            .map(|(prefix, group)| (*prefix, next_hops(inst, group, config)))
            .filter(|(_, hops)| !hops.is_empty())
            .collect(),
        ..VrfState::default()
    };
    state.apply(header(inst, config, redirects));
    state
}

/// The changes of the dirty parts of this VRF's dataplane state, and of its header where it
/// differs from what the driver was `told`.
pub fn changes(
    inst: &Instance,
    imports: &VrfImports,
    config: &VpnConfig,
    redirects: Vec<TrafficRedirect>,
    dirty: &Dirty,
    told: &mut VrfChange,
) -> Vec<VrfChange> {
    let mut out: Vec<VrfChange> = if_changed(told, header(inst, config, redirects))
        .into_iter()
        .collect();
    for ifname in &dirty.ports {
        out.push(VrfChange::LocalPort(
            ifname.clone(),
            local_port(inst, ifname),
        ));
    }
    for prefix in &dirty.prefixes {
        out.push(VrfChange::Route(
            *prefix,
            route(inst, imports, prefix, config),
        ));
    }
    out
}
