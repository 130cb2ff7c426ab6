//! IP VPN VRFs (RFC 4364/4659): the VPN route each endpoint gets (its /32 or /128, or its
//! subnet with `advertise_subnet`), and the routes a VRF imports, selected per prefix with the
//! BGP decision process and its multipath set (ECMP), for the dataplane.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use bagpipe_dataplane::{Encapsulation, InterfaceAddress, RemoteNextHop, VrfLocalPort, VrfState};
use bagpipe_rib::decision::{multipath_set, Candidate, DEFAULT_LOCAL_PREF};
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::nlri::{Nlri, VpnPrefix};
use bagpipe_wire::{ExtCommunityKind, ExtendedCommunity, IpPrefix, Label, MacAddress, TunnelType};

use crate::instance::{Endpoint, Instance, PathId, ReceivedPath};

#[derive(Debug, Default)]
pub struct VrfImports {
    /// VPN routes by IP prefix (RD stripped: routes of several RDs compete for one prefix).
    pub prefixes: HashMap<IpPrefix, HashMap<PathId, ReceivedPath>>,
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

/// The VPN route of one endpoint.
pub fn endpoint_route(
    inst: &Instance,
    ep: &Endpoint,
    mac_label: u32,
    encap: Encapsulation,
    local: IpAddr,
) -> Option<(Nlri, AttributeSet)> {
    let ip = ep.ip?;
    let (prefix, rd) = if ep.advertise_subnet {
        (ep_subnet(ep)?, ep.rd)
    } else {
        (ip.host_prefix(), inst.rd)
    };
    let label = match encap {
        // RFC 9012 / RFC 8365 style: the VNI in the label field.
        Encapsulation::Vxlan => Label::vni(inst.label),
        _ => Label::mpls(mac_label, true),
    };
    let nlri = Nlri::Vpn(VpnPrefix::new(rd, label, prefix));
    let mut comms: Vec<ExtendedCommunity> = inst
        .export_rts
        .iter()
        .map(|rt| ExtendedCommunity::from(*rt))
        .collect();
    comms.push(ExtendedCommunity::encapsulation(tunnel_type(encap)));
    comms.push(ExtendedCommunity::consistent_hash_sort_order(ep.lb_order));
    if encap == Encapsulation::Vxlan {
        comms.push(ExtendedCommunity::router_mac(router_mac(local, inst.id)));
    }
    let attrs = AttributeSet::new(
        Some(local),
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
            PathAttribute::new(AttrValue::LocalPref(
                ep.local_pref.unwrap_or(DEFAULT_LOCAL_PREF),
            )),
            PathAttribute::new(AttrValue::ExtendedCommunities(comms)),
        ],
    );
    Some((nlri, attrs))
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
    pub fn apply(&mut self, path: ReceivedPath, removed: bool, local: IpAddr) {
        let Nlri::Vpn(v) = &path.nlri else { return };
        if path.next_hop() == Some(local) && !removed {
            return;
        }
        let id = path.id();
        let prefix = v.prefix;
        let group = self.prefixes.entry(prefix).or_default();
        if removed {
            group.remove(&id);
            if group.is_empty() {
                self.prefixes.remove(&prefix);
            }
        } else {
            group.insert(id, path);
        }
    }

    /// The multipath set of each prefix, best first.
    pub fn best_paths(&self) -> Vec<(IpPrefix, Vec<&ReceivedPath>)> {
        self.prefixes
            .iter()
            .map(|(p, g)| (*p, best_set(g.values().collect())))
            .collect()
    }

    pub fn all_paths(&self) -> impl Iterator<Item = &ReceivedPath> {
        self.prefixes.values().flat_map(|g| g.values())
    }
}

fn best_set(paths: Vec<&ReceivedPath>) -> Vec<&ReceivedPath> {
    let cands: Vec<Candidate> = paths
        .iter()
        .map(|p| Candidate {
            attrs: &p.attrs,
            origin: p.origin,
            path_id: p.path_id,
        })
        .collect();
    multipath_set(&cands)
        .into_iter()
        .map(|i| paths[i])
        .collect()
}

/// What the dataplane should do for this VRF. Routes whose encapsulation the dataplane does
/// not use are left out.
pub fn dataplane_state(
    inst: &Instance,
    imports: &VrfImports,
    encap: Encapsulation,
    local: IpAddr,
) -> VrfState {
    let mut local_ports: BTreeMap<String, VrfLocalPort> = BTreeMap::new();
    for ep in inst.endpoints.values() {
        let port = local_ports
            .entry(ep.ifname.clone())
            .or_insert_with(|| VrfLocalPort {
                mac: ep.mac,
                addresses: Vec::new(),
                gateway_ips: inst.gateway_ip.into_iter().collect(),
            });
        if let Some(ip) = ep.ip {
            let a = InterfaceAddress {
                ip: ip.addr,
                prefix_len: ip.len,
            };
            if !port.addresses.contains(&a) {
                port.addresses.push(a);
            }
        }
    }
    let mut routes = BTreeMap::new();
    for (prefix, group) in &imports.prefixes {
        let usable: Vec<&ReceivedPath> = group
            .values()
            .filter(|p| encapsulation_of(&p.attrs).unwrap_or(Encapsulation::Mpls) == encap)
            .collect();
        let hops: Vec<RemoteNextHop> = best_set(usable)
            .into_iter()
            .filter_map(|p| {
                let Nlri::Vpn(v) = &p.nlri else { return None };
                let label = v.label()?;
                Some(RemoteNextHop {
                    pe: p.next_hop()?,
                    label: if encap == Encapsulation::Vxlan {
                        label.raw()
                    } else {
                        label.mpls_value()
                    },
                    encapsulation: encap,
                    router_mac: router_mac_of(&p.attrs),
                })
            })
            .collect();
        if !hops.is_empty() {
            routes.insert(*prefix, hops);
        }
    }
    VrfState {
        instance_id: inst.id,
        vni: inst.label,
        router_mac: router_mac(local, inst.id),
        local_ports,
        routes,
        fallback: None,
        redirects: Vec::new(),
    }
}
