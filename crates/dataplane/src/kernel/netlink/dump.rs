//! Reading back what is ours from the kernel's tables, in the shape the drivers render, so
//! that what a previous run installed compares equal to what this run wants.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use bagpipe_wire::{IpPrefix, MacAddress};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVxlan, LinkAttribute, LinkInfo, LinkMessage,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteType,
};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage as Msg};

use super::build::mac_of;
use super::{Errno, NetlinkKernel};
use crate::kernel::{
    Entry, FdbEntry, FdbKind, NextHop, RouteEntry, RouteKind, RuleEntry, VxlanDevice,
};
use crate::owned::{
    is_owned_device, EVPN_BRIDGE_PREFIX, RT_PROTO_BAGPIPE, STITCH_EVPN_END_PREFIX,
    STITCH_VRF_END_PREFIX,
};

/// What the link dump says about each device.
struct Links {
    names: HashMap<u32, String>,
    /// Devices plugged into one of our bridges (and not ours themselves), by index.
    ports_of_ours: HashMap<u32, String>,
}

impl Links {
    fn name(&self, index: u32) -> Option<&str> {
        self.names.get(&index).map(String::as_str)
    }

    fn exists(&self, name: &str) -> bool {
        self.names.values().any(|n| n == name)
    }
}

impl NetlinkKernel {
    pub(super) async fn read_owned(&self) -> Result<Vec<Entry>, Errno> {
        let mut out = Vec::new();
        let links = self.read_links(&mut out).await?;
        for m in self.dump(Msg::GetNeighbour(fdb_query())).await? {
            if let Msg::NewNeighbour(n) = m {
                out.extend(fdb_entry(&n, &links));
            }
        }
        for m in self
            .dump(Msg::GetNeighbour(NeighbourMessage::default()))
            .await?
        {
            if let Msg::NewNeighbour(n) = m {
                out.extend(neigh_entry(&n, &links));
            }
        }
        for m in self
            .dump(Msg::GetAddress(AddressMessage::default()))
            .await?
        {
            if let Msg::NewAddress(a) = m {
                out.extend(addr_entry(&a, &links));
            }
        }
        let mut routed_ports = BTreeSet::new();
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut query = RuleMessage::default();
            query.header.family = family;
            for m in self.dump(Msg::GetRule(query)).await? {
                if let Msg::NewRule(r) = m {
                    if let Some(Entry::Rule(rule)) = rule_entry(&r) {
                        // A port we route for has a rule of ours leading its traffic in: a
                        // VM's, or the VRF end of a stitching.
                        routed_ports.extend(rule.iif.clone().filter(|i| {
                            i != "lo"
                                && (!is_owned_device(i) || i.starts_with(STITCH_VRF_END_PREFIX))
                                && links.exists(i)
                        }));
                        out.push(Entry::Rule(rule));
                    }
                }
            }
            let mut query = RouteMessage::default();
            query.header.address_family = family;
            for m in self.dump(Msg::GetRoute(query)).await? {
                if let Msg::NewRoute(r) = m {
                    out.extend(route_entry(&r, &links));
                }
            }
        }
        out.extend(
            routed_ports
                .into_iter()
                .map(|name| Entry::RoutedPort { name }),
        );
        Ok(out)
    }

    /// Our bridges and VXLAN devices, and the ports plugged into our bridges.
    async fn read_links(&self, out: &mut Vec<Entry>) -> Result<Links, Errno> {
        let all: Vec<LinkMessage> = self
            .dump(Msg::GetLink(LinkMessage::default()))
            .await?
            .into_iter()
            .filter_map(|m| match m {
                Msg::NewLink(l) => Some(l),
                _ => None,
            })
            .collect();
        let mut names = HashMap::new();
        for l in &all {
            if let Some(name) = link_name(l) {
                self.remember(name, l.header.index);
                names.insert(l.header.index, name.to_string());
            }
        }
        let mut ports_of_ours = HashMap::new();
        for l in &all {
            let Some(name) = link_name(l) else { continue };
            let master = l.attributes.iter().find_map(|a| match a {
                LinkAttribute::Controller(i) => names.get(i).cloned(),
                _ => None,
            });
            let master_is_ours = master
                .as_deref()
                .is_some_and(|m| m.starts_with(EVPN_BRIDGE_PREFIX) && is_owned_device(m));
            if !is_owned_device(name) {
                if let (true, Some(bridge)) = (master_is_ours, master) {
                    ports_of_ours.insert(l.header.index, name.to_string());
                    out.push(Entry::BridgePort {
                        name: name.to_string(),
                        bridge,
                    });
                }
                continue;
            }
            match info_data(l) {
                Some((InfoKind::Bridge, _)) => out.push(Entry::Bridge {
                    name: name.to_string(),
                }),
                Some((InfoKind::Vxlan, Some(InfoData::Vxlan(info)))) => {
                    out.extend(vxlan_device(name, l, info, master));
                }
                // A stitching pair is described from its bridge end.
                Some((InfoKind::Veth, _)) if name.starts_with(STITCH_EVPN_END_PREFIX) => {
                    let peer = l.attributes.iter().find_map(|a| match a {
                        LinkAttribute::Link(i) => names.get(i).cloned(),
                        _ => None,
                    });
                    if let Some(peer) = peer {
                        out.push(Entry::Veth {
                            name: name.to_string(),
                            peer,
                            bridge: master,
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(Links {
            names,
            ports_of_ours,
        })
    }
}

fn link_name(l: &LinkMessage) -> Option<&str> {
    l.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.as_str()),
        _ => None,
    })
}

fn info_data(l: &LinkMessage) -> Option<(InfoKind, Option<&InfoData>)> {
    let infos = l.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(i) => Some(i),
        _ => None,
    })?;
    let kind = infos.iter().find_map(|i| match i {
        LinkInfo::Kind(k) => Some(k.clone()),
        _ => None,
    })?;
    let data = infos.iter().find_map(|i| match i {
        LinkInfo::Data(d) => Some(d),
        _ => None,
    });
    Some((kind, data))
}

fn vxlan_device(
    name: &str,
    l: &LinkMessage,
    info: &[InfoVxlan],
    bridge: Option<String>,
) -> Option<Entry> {
    let mut vni = None;
    let mut local = None;
    let mut dst_port = None;
    for i in info {
        match i {
            InfoVxlan::Id(v) => vni = Some(*v),
            InfoVxlan::Local(a) => local = Some(IpAddr::V4(*a)),
            InfoVxlan::Local6(a) => local = Some(IpAddr::V6(*a)),
            InfoVxlan::Port(p) => dst_port = Some(*p),
            _ => {}
        }
    }
    let mac = l.attributes.iter().find_map(|a| match a {
        LinkAttribute::Address(b) => mac_of(b),
        _ => None,
    });
    Some(Entry::Vxlan(VxlanDevice {
        name: name.to_string(),
        vni: vni?,
        local: local?,
        dst_port: dst_port?,
        mac,
        bridge,
    }))
}

fn fdb_query() -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = AddressFamily::Bridge;
    m
}

/// Ours: everything a VXLAN device of ours holds itself, and the static bridge entries on
/// our VXLAN devices and on the ports of our bridges (learnt and host entries are the
/// kernel's).
fn fdb_entry(n: &NeighbourMessage, links: &Links) -> Option<Entry> {
    let dev = links.name(n.header.ifindex)?;
    let on_our_device = is_owned_device(dev);
    if !on_our_device && !links.ports_of_ours.contains_key(&n.header.ifindex) {
        return None;
    }
    let mut mac = None;
    let mut dst = None;
    let mut vni = None;
    // The bridge's own entries say which bridge in an attribute, not in the flags.
    let mut in_bridge = false;
    for a in &n.attributes {
        match a {
            NeighbourAttribute::LinkLayerAddress(b) => mac = mac_of(b),
            NeighbourAttribute::Destination(d) => dst = ip_of_neigh(d),
            NeighbourAttribute::Vni(v) => vni = Some(*v),
            NeighbourAttribute::Controller(_) => in_bridge = true,
            _ => {}
        }
    }
    let mac = mac?;
    let kind = if n.header.flags.contains(NeighbourFlags::Own) && on_our_device {
        let dst = dst?;
        if mac == MacAddress::ZERO {
            FdbKind::Flood { dst, vni }
        } else {
            FdbKind::Tunnel { dst, vni }
        }
    } else if in_bridge && n.header.state == NeighbourState::Noarp {
        FdbKind::Bridge
    } else {
        return None;
    };
    Some(Entry::Fdb(FdbEntry {
        dev: dev.to_string(),
        mac,
        kind,
    }))
}

fn neigh_entry(n: &NeighbourMessage, links: &Links) -> Option<Entry> {
    let mut ours = false;
    let mut ip = None;
    let mut mac = None;
    for a in &n.attributes {
        match a {
            NeighbourAttribute::Protocol(p) => ours = u8::from(*p) == RT_PROTO_BAGPIPE,
            NeighbourAttribute::Destination(d) => ip = ip_of_neigh(d),
            NeighbourAttribute::LinkLayerAddress(b) => mac = mac_of(b),
            _ => {}
        }
    }
    if !ours {
        return None;
    }
    Some(Entry::Neigh {
        dev: links.name(n.header.ifindex)?.to_string(),
        ip: ip?,
        mac: mac?,
    })
}

fn addr_entry(a: &AddressMessage, links: &Links) -> Option<Entry> {
    let ours = a
        .attributes
        .iter()
        .any(|x| matches!(x, AddressAttribute::Protocol(p) if u8::from(*p) == RT_PROTO_BAGPIPE));
    if !ours {
        return None;
    }
    // IPv4 puts the interface's own address in LOCAL, IPv6 only has ADDRESS.
    let ip = a
        .attributes
        .iter()
        .find_map(|x| match x {
            AddressAttribute::Local(ip) => Some(*ip),
            _ => None,
        })
        .or_else(|| {
            a.attributes.iter().find_map(|x| match x {
                AddressAttribute::Address(ip) => Some(*ip),
                _ => None,
            })
        })?;
    Some(Entry::Addr {
        dev: links.name(a.header.index)?.to_string(),
        ip,
    })
}

fn rule_entry(r: &RuleMessage) -> Option<Entry> {
    let mut ours = false;
    let mut entry = RuleEntry {
        v6: r.header.family == AddressFamily::Inet6,
        priority: 0,
        iif: None,
        src: None,
        table: u32::from(r.header.table),
    };
    for a in &r.attributes {
        match a {
            RuleAttribute::Protocol(p) => ours = u8::from(*p) == RT_PROTO_BAGPIPE,
            RuleAttribute::Priority(p) => entry.priority = *p,
            RuleAttribute::Iifname(n) => entry.iif = Some(n.clone()),
            RuleAttribute::Source(ip) => entry.src = Some(*ip),
            RuleAttribute::Table(t) => entry.table = *t,
            _ => {}
        }
    }
    (ours && r.header.action == RuleAction::ToTable).then_some(Entry::Rule(entry))
}

fn route_entry(r: &RouteMessage, links: &Links) -> Option<Entry> {
    if r.header.protocol != RouteProtocol::Other(RT_PROTO_BAGPIPE) {
        return None;
    }
    let v6 = r.header.address_family == AddressFamily::Inet6;
    let mut table = u32::from(r.header.table);
    let mut dst = None;
    let mut metric = 0;
    let mut gateway = None;
    let mut oif = None;
    let mut multipath = None;
    for a in &r.attributes {
        match a {
            RouteAttribute::Table(t) => table = *t,
            RouteAttribute::Destination(d) => dst = ip_of_route(d),
            RouteAttribute::Priority(p) => metric = *p,
            RouteAttribute::Gateway(g) => gateway = ip_of_route(g),
            RouteAttribute::Oif(i) => oif = Some(*i),
            RouteAttribute::MultiPath(m) => multipath = Some(m),
            _ => {}
        }
    }
    let unspecified = if v6 {
        IpAddr::from([0u16; 8])
    } else {
        IpAddr::from([0u8; 4])
    };
    let dst = IpPrefix::new(
        dst.unwrap_or(unspecified),
        r.header.destination_prefix_length,
    )?;
    let kind = if r.header.kind == RouteType::Unreachable {
        RouteKind::Unreachable
    } else if let Some(paths) = multipath {
        let mut hops = Vec::new();
        for p in paths {
            let gateway = p.attributes.iter().find_map(|a| match a {
                RouteAttribute::Gateway(g) => ip_of_route(g),
                _ => None,
            })?;
            hops.push(NextHop {
                gateway,
                dev: links.name(p.interface_index)?.to_string(),
            });
        }
        RouteKind::Via(hops)
    } else if let Some(gateway) = gateway {
        RouteKind::Via(vec![NextHop {
            gateway,
            dev: links.name(oif?)?.to_string(),
        }])
    } else {
        RouteKind::Dev(links.name(oif?)?.to_string())
    };
    Some(Entry::Route(RouteEntry {
        table,
        dst,
        metric,
        kind,
    }))
}

fn ip_of_neigh(a: &NeighbourAddress) -> Option<IpAddr> {
    match a {
        NeighbourAddress::Inet(a) => Some(IpAddr::V4(*a)),
        NeighbourAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

fn ip_of_route(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(a) => Some(IpAddr::V4(*a)),
        RouteAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}
