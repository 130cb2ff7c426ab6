//! Entries turned into rtnetlink requests.

use std::net::IpAddr;

use bagpipe_wire::{IpPrefix, MacAddress};
use netlink_packet_core::{NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressMessage, AddressProtocol,
};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, BridgeStpState, In6AddrGenMode, InfoBridge, InfoBridgePort,
    InfoData, InfoKind, InfoPortData, InfoPortKind, InfoVeth, InfoVxlan, LinkAttribute, LinkFlags,
    LinkInfo, LinkMessage,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteNextHop, RouteNextHopFlags,
    RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage as Msg};

use super::{sysctl, Errno, NetlinkKernel};
use crate::kernel::{Entry, FdbEntry, FdbKind, RouteEntry, RouteKind, RuleEntry, VxlanDevice};
use crate::owned::RT_PROTO_BAGPIPE;
use crate::reconcile::recreates;

const CREATE_OR_REPLACE: u16 = NLM_F_CREATE | NLM_F_REPLACE;

impl NetlinkKernel {
    /// Creates `entry`, or turns `old` into it.
    pub(super) async fn install(&self, entry: &Entry, old: Option<&Entry>) -> Result<(), Errno> {
        match entry {
            Entry::Bridge { name } => self.create_bridge(name).await,
            Entry::Vxlan(v) => match old {
                Some(old) if !recreates(old, entry) => self.plug_vxlan(v).await,
                _ => self.create_vxlan(v).await,
            },
            Entry::Veth { name, peer, bridge } => match old {
                Some(old) if !recreates(old, entry) => {
                    self.plug_veth(name, peer, bridge.as_deref()).await
                }
                _ => self.create_veth(name, peer, bridge.as_deref()).await,
            },
            Entry::BridgePort { name, bridge } => {
                let master = self.index_of(bridge).await?;
                self.set_link(name, |l| {
                    l.attributes.push(LinkAttribute::Controller(master))
                })
                .await
            }
            Entry::RoutedPort { name } => {
                self.set_up(name).await?;
                sysctl::set_proxy_arp(name, true)
            }
            Entry::Fdb(f) => {
                if let (Some(Entry::Fdb(previous)), FdbKind::Flood { .. }) = (old, f.kind) {
                    // A flood entry is one of a list: appending would keep the old one.
                    self.remove_fdb(previous).await?;
                }
                self.add_fdb(f).await
            }
            Entry::Neigh { dev, ip, mac } => {
                let mut m = self.neigh_message(dev, *ip).await?;
                m.header.state = NeighbourState::Permanent;
                m.attributes
                    .push(NeighbourAttribute::LinkLayerAddress(mac.0.to_vec()));
                m.attributes
                    .push(NeighbourAttribute::Protocol(RouteProtocol::Other(
                        RT_PROTO_BAGPIPE,
                    )));
                self.call(Msg::NewNeighbour(m), CREATE_OR_REPLACE).await
            }
            Entry::Addr { dev, ip } => {
                let m = self.addr_message(dev, *ip).await?;
                self.call(Msg::NewAddress(m), CREATE_OR_REPLACE).await
            }
            Entry::Rule(r) => match self
                .call(Msg::NewRule(rule_message(r)), NLM_F_CREATE | NLM_F_EXCL)
                .await
            {
                // The kernel keeps duplicate rules unless told to refuse them.
                Err(Errno(libc::EEXIST)) => Ok(()),
                other => other,
            },
            Entry::Route(r) => {
                let m = self.route_message(r).await?;
                self.call(Msg::NewRoute(m), CREATE_OR_REPLACE).await
            }
        }
    }

    pub(super) async fn uninstall(&self, entry: &Entry) -> Result<(), Errno> {
        match entry {
            Entry::Bridge { name } => self.delete_link(name).await,
            Entry::Vxlan(v) => self.delete_link(&v.name).await,
            Entry::Veth { name, peer, .. } => {
                // The peer goes with it: its index must not be used again.
                self.forget(&[peer]);
                self.delete_link(name).await
            }
            Entry::BridgePort { name, .. } => {
                self.set_link(name, |l| l.attributes.push(LinkAttribute::Controller(0)))
                    .await
            }
            Entry::RoutedPort { name } => sysctl::set_proxy_arp(name, false),
            Entry::Fdb(f) => self.remove_fdb(f).await,
            Entry::Neigh { dev, ip, .. } => {
                let m = self.neigh_message(dev, *ip).await?;
                self.call(Msg::DelNeighbour(m), 0).await
            }
            Entry::Addr { dev, ip } => {
                let m = self.addr_message(dev, *ip).await?;
                self.call(Msg::DelAddress(m), 0).await
            }
            Entry::Rule(r) => self.call(Msg::DelRule(rule_message(r)), 0).await,
            Entry::Route(r) => {
                let mut m = route_header(r);
                m.attributes.push(RouteAttribute::Priority(r.metric));
                self.call(Msg::DelRoute(m), 0).await
            }
        }
    }

    async fn create_bridge(&self, name: &str) -> Result<(), Errno> {
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(name.to_string()));
        m.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Bridge),
            LinkInfo::Data(InfoData::Bridge(vec![
                InfoBridge::StpState(BridgeStpState::Disabled),
                InfoBridge::ForwardDelay(0),
            ])),
        ]));
        // Without EXCL an existing bridge of ours is just reconfigured.
        self.call(Msg::NewLink(m), NLM_F_CREATE).await?;
        self.quiet_ipv6(name).await?;
        self.set_up(name).await
    }

    async fn create_vxlan(&self, v: &VxlanDevice) -> Result<(), Errno> {
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(v.name.clone()));
        if let Some(mac) = v.mac {
            m.attributes.push(LinkAttribute::Address(mac.0.to_vec()));
        }
        let local = match v.local {
            IpAddr::V4(a) => InfoVxlan::Local(a),
            IpAddr::V6(a) => InfoVxlan::Local6(a),
        };
        m.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Vxlan),
            LinkInfo::Data(InfoData::Vxlan(vec![
                InfoVxlan::Id(v.vni),
                local,
                InfoVxlan::Port(v.dst_port),
                InfoVxlan::Learning(false),
            ])),
        ]));
        match self
            .call(Msg::NewLink(m.clone()), NLM_F_CREATE | NLM_F_EXCL)
            .await
        {
            // A device of ours by that name, with other parameters: start afresh.
            Err(Errno(libc::EEXIST)) => {
                self.delete_link(&v.name).await?;
                self.call(Msg::NewLink(m), NLM_F_CREATE | NLM_F_EXCL)
                    .await?;
            }
            other => other?,
        }
        self.quiet_ipv6(&v.name).await?;
        self.plug_vxlan(v).await
    }

    /// Plugs a VXLAN device into its bridge (or out of any), then brings it up.
    async fn plug_vxlan(&self, v: &VxlanDevice) -> Result<(), Errno> {
        let master = match &v.bridge {
            Some(b) => self.index_of(b).await?,
            None => 0,
        };
        self.set_link(&v.name, |l| {
            l.attributes.push(LinkAttribute::Controller(master))
        })
        .await?;
        if master != 0 {
            // ARP and ND for MACs behind this port are answered from the bridge's neighbour
            // table instead of being flooded to every VTEP (the kernel's ARP suppression).
            let index = self.index_of(&v.name).await?;
            let mut m = LinkMessage::default();
            m.header.index = index;
            m.attributes.push(LinkAttribute::LinkInfo(vec![
                LinkInfo::PortKind(InfoPortKind::Bridge),
                LinkInfo::PortData(InfoPortData::BridgePort(vec![
                    InfoBridgePort::NeighSupress(true),
                ])),
            ]));
            self.call(Msg::NewLink(m), 0).await?;
        }
        self.set_up(&v.name).await
    }

    async fn create_veth(&self, name: &str, peer: &str, bridge: Option<&str>) -> Result<(), Errno> {
        let mut peer_message = LinkMessage::default();
        peer_message
            .attributes
            .push(LinkAttribute::IfName(peer.to_string()));
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(name.to_string()));
        m.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_message))),
        ]));
        match self
            .call(Msg::NewLink(m.clone()), NLM_F_CREATE | NLM_F_EXCL)
            .await
        {
            // A pair of ours by that name with another peer: start afresh (the peer's index
            // dies with it).
            Err(Errno(libc::EEXIST)) => {
                self.forget(&[peer]);
                self.delete_link(name).await?;
                self.call(Msg::NewLink(m), NLM_F_CREATE | NLM_F_EXCL)
                    .await?;
            }
            other => other?,
        }
        // The bridge end carries frames only: no address of its own.
        self.quiet_ipv6(name).await?;
        self.plug_veth(name, peer, bridge).await
    }

    /// Plugs the bridge end of a veth pair into `bridge` (or out of any), then brings both
    /// ends up.
    async fn plug_veth(&self, name: &str, peer: &str, bridge: Option<&str>) -> Result<(), Errno> {
        let master = match bridge {
            Some(b) => self.index_of(b).await?,
            None => 0,
        };
        self.set_link(name, |l| {
            l.attributes.push(LinkAttribute::Controller(master))
        })
        .await?;
        self.set_up(name).await?;
        self.set_up(peer).await
    }

    /// No IPv6 link-local address, hence no router solicitations nor MLD reports sent by the
    /// device itself into the VPN; neighbour entries can still be added to it.
    async fn quiet_ipv6(&self, name: &str) -> Result<(), Errno> {
        self.set_link(name, |l| {
            l.attributes
                .push(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
                    vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::None)],
                )]))
        })
        .await
    }

    async fn set_up(&self, name: &str) -> Result<(), Errno> {
        self.set_link(name, |l| {
            l.header.flags = LinkFlags::Up;
            l.header.change_mask = LinkFlags::Up;
        })
        .await
    }

    async fn set_link(&self, name: &str, edit: impl FnOnce(&mut LinkMessage)) -> Result<(), Errno> {
        let mut m = LinkMessage::default();
        m.header.index = self.index_of(name).await?;
        edit(&mut m);
        self.call(Msg::SetLink(m), 0).await
    }

    async fn delete_link(&self, name: &str) -> Result<(), Errno> {
        let mut m = LinkMessage::default();
        m.header.index = self.index_of(name).await?;
        self.forget(&[name]);
        self.call(Msg::DelLink(m), 0).await
    }

    async fn fdb_message(&self, f: &FdbEntry) -> Result<NeighbourMessage, Errno> {
        let mut m = NeighbourMessage::default();
        m.header.family = AddressFamily::Bridge;
        m.header.ifindex = self.index_of(&f.dev).await?;
        m.attributes
            .push(NeighbourAttribute::LinkLayerAddress(f.mac.0.to_vec()));
        match f.kind {
            FdbKind::Tunnel { dst, vni } | FdbKind::Flood { dst, vni } => {
                m.header.flags = NeighbourFlags::Own;
                m.header.state = NeighbourState::Permanent;
                m.attributes
                    .push(NeighbourAttribute::Destination(neigh_address(dst)));
                if let Some(vni) = vni {
                    m.attributes.push(NeighbourAttribute::Vni(vni));
                }
            }
            FdbKind::Bridge => {
                m.header.flags = NeighbourFlags::Controller;
                // NOARP is "static" to the bridge; PERMANENT would mean "local to the host".
                m.header.state = NeighbourState::Noarp;
            }
        }
        Ok(m)
    }

    async fn add_fdb(&self, f: &FdbEntry) -> Result<(), Errno> {
        let flags = match f.kind {
            FdbKind::Flood { .. } => NLM_F_CREATE | NLM_F_APPEND,
            _ => CREATE_OR_REPLACE,
        };
        let m = self.fdb_message(f).await?;
        self.call(Msg::NewNeighbour(m), flags).await
    }

    async fn remove_fdb(&self, f: &FdbEntry) -> Result<(), Errno> {
        let mut m = self.fdb_message(f).await?;
        if let FdbKind::Tunnel { .. } = f.kind {
            // Without a destination the whole entry goes, whichever VTEP it points to now.
            m.attributes.retain(|a| {
                !matches!(
                    a,
                    NeighbourAttribute::Destination(_) | NeighbourAttribute::Vni(_)
                )
            });
        }
        match self.call(Msg::DelNeighbour(m), 0).await {
            // A port that left its bridge (the bridge was deleted) has no bridge entries.
            Err(Errno(libc::EOPNOTSUPP)) if f.kind == FdbKind::Bridge => Ok(()),
            other => other,
        }
    }

    async fn neigh_message(&self, dev: &str, ip: IpAddr) -> Result<NeighbourMessage, Errno> {
        let mut m = NeighbourMessage::default();
        m.header.family = family(ip);
        m.header.ifindex = self.index_of(dev).await?;
        m.attributes
            .push(NeighbourAttribute::Destination(neigh_address(ip)));
        Ok(m)
    }

    async fn addr_message(&self, dev: &str, ip: IpAddr) -> Result<AddressMessage, Errno> {
        let mut m = AddressMessage::default();
        m.header.family = family(ip);
        m.header.prefix_len = host_len(ip);
        m.header.index = self.index_of(dev).await?;
        m.attributes.push(AddressAttribute::Local(ip));
        m.attributes.push(AddressAttribute::Address(ip));
        m.attributes.push(AddressAttribute::Flags(
            AddressFlags::Noprefixroute | AddressFlags::Nodad,
        ));
        m.attributes
            .push(AddressAttribute::Protocol(AddressProtocol::from(
                RT_PROTO_BAGPIPE,
            )));
        Ok(m)
    }

    async fn route_message(&self, r: &RouteEntry) -> Result<RouteMessage, Errno> {
        let mut m = route_header(r);
        m.attributes.push(RouteAttribute::Priority(r.metric));
        match &r.kind {
            RouteKind::Unreachable => {}
            RouteKind::Dev(dev) => {
                m.header.scope = RouteScope::Link;
                m.attributes
                    .push(RouteAttribute::Oif(self.index_of(dev).await?));
            }
            RouteKind::Via(hops) if hops.len() == 1 => {
                m.header.flags = RouteFlags::Onlink;
                m.attributes
                    .push(RouteAttribute::Gateway(route_address(hops[0].gateway)));
                m.attributes
                    .push(RouteAttribute::Oif(self.index_of(&hops[0].dev).await?));
            }
            RouteKind::Via(hops) => {
                let mut paths = Vec::with_capacity(hops.len());
                for hop in hops {
                    let mut nh = RouteNextHop::default();
                    nh.flags = RouteNextHopFlags::Onlink;
                    nh.interface_index = self.index_of(&hop.dev).await?;
                    nh.attributes
                        .push(RouteAttribute::Gateway(route_address(hop.gateway)));
                    paths.push(nh);
                }
                m.attributes.push(RouteAttribute::MultiPath(paths));
            }
        }
        Ok(m)
    }
}

/// The part of a route message that identifies the route.
fn route_header(r: &RouteEntry) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header.address_family = family(r.dst.addr());
    m.header.destination_prefix_length = r.dst.length();
    m.header.protocol = RouteProtocol::Other(RT_PROTO_BAGPIPE);
    // IPv4 only deletes a route of the type asked for.
    m.header.kind = match r.kind {
        RouteKind::Unreachable => RouteType::Unreachable,
        _ => RouteType::Unicast,
    };
    m.header.table = table_byte(r.table);
    m.attributes.push(RouteAttribute::Table(r.table));
    if r.dst.length() > 0 {
        m.attributes
            .push(RouteAttribute::Destination(route_address(r.dst.addr())));
    }
    m
}

fn rule_message(r: &RuleEntry) -> RuleMessage {
    let mut m = RuleMessage::default();
    m.header.family = if r.v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    m.header.action = RuleAction::ToTable;
    m.header.table = table_byte(r.table);
    m.attributes.push(RuleAttribute::Table(r.table));
    m.attributes.push(RuleAttribute::Priority(r.priority));
    m.attributes
        .push(RuleAttribute::Protocol(RouteProtocol::Other(
            RT_PROTO_BAGPIPE,
        )));
    if let Some(iif) = &r.iif {
        m.attributes.push(RuleAttribute::Iifname(iif.clone()));
    }
    if let Some(src) = r.src {
        m.header.src_len = host_len(src);
        m.attributes.push(RuleAttribute::Source(src));
    }
    m
}

/// Tables above 255 only fit the attribute; the header then says "unspecified".
fn table_byte(table: u32) -> u8 {
    u8::try_from(table).unwrap_or(0)
}

fn family(ip: IpAddr) -> AddressFamily {
    match ip {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

fn host_len(ip: IpAddr) -> u8 {
    IpPrefix::host(ip).length()
}

fn neigh_address(ip: IpAddr) -> NeighbourAddress {
    match ip {
        IpAddr::V4(a) => NeighbourAddress::Inet(a),
        IpAddr::V6(a) => NeighbourAddress::Inet6(a),
    }
}

fn route_address(ip: IpAddr) -> RouteAddress {
    match ip {
        IpAddr::V4(a) => RouteAddress::Inet(a),
        IpAddr::V6(a) => RouteAddress::Inet6(a),
    }
}

/// The MAC of a link-layer address attribute, when it is one.
pub(super) fn mac_of(bytes: &[u8]) -> Option<MacAddress> {
    <[u8; 6]>::try_from(bytes).ok().map(MacAddress)
}
