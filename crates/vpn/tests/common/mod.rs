//! A small network of nodes for VPN tests without sockets: each node is a route table and a
//! VPN manager; what a node sends a peer is handed to that node's route table as an UPDATE,
//! until nothing moves. The nodes are a full iBGP mesh (AS 64512, no RT Constraint), plus one
//! external router per node whose routes tests write by hand. The desired dataplane state of
//! each instance is kept as the dataplane tasks would.

#![allow(dead_code)] // each test binary uses part of it

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};

use bagpipe_dataplane::{Encapsulation, EvpnInstanceState, VrfState};
use bagpipe_rib::{Advert, Peer, PeerChange, RouteTable, SourceId, TableConfig};
use bagpipe_vpn::instance::Instance;
use bagpipe_vpn::request::{AttachRequest, DetachRequest};
use bagpipe_vpn::{VpnConfig, VpnError, VpnManager, VpnOutputs};
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{Nlri, PathNlri};
use bagpipe_wire::{ExtendedCommunity, Family, RouteTarget};
use serde_json::Value;

pub const FAMILIES: [Family; 5] = [
    Family::VPNV4,
    Family::VPNV6,
    Family::EVPN,
    Family::VPN_FLOWSPEC4,
    Family::VPN_FLOWSPEC6,
];

/// The external router's address (the same on every node's side).
pub const ROUTER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 100);

pub struct Node {
    pub address: IpAddr,
    pub rib: RouteTable,
    pub vpn: VpnManager,
    /// Our peers: the other nodes (by index) and the external router (`None`).
    peers: Vec<(Option<usize>, SourceId)>,
    pub evpn: BTreeMap<u32, EvpnInstanceState>,
    pub ipvpn: BTreeMap<u32, VrfState>,
    /// Every change this node sent its peers, in order (deduplicated per peer: the first
    /// peer's copy).
    pub sent: Vec<Advert>,
}

pub struct Net {
    pub nodes: Vec<Node>,
}

pub fn address(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, i as u8 + 1)
}

pub fn rt(s: &str) -> RouteTarget {
    s.parse().unwrap()
}

impl Net {
    /// `n` nodes at 10.0.0.1, 10.0.0.2... whose VRFs use `encap`.
    pub fn new(n: usize, encap: Encapsulation) -> Net {
        let nodes = (0..n)
            .map(|i| {
                let ip = address(i);
                let mut rib = RouteTable::new(TableConfig {
                    local_asn: 64512,
                    router_id: ip,
                    cluster_id: None,
                    next_hop: IpAddr::V4(ip),
                });
                let mut peers = Vec::new();
                let others = (0..n).filter(|j| *j != i).map(|j| (Some(j), address(j)));
                for (j, other) in others.chain([(None, ROUTER)]) {
                    let id = rib.add_peer(Peer::new(IpAddr::V4(other), 64512, other, false));
                    rib.peer_up(id, FAMILIES.to_vec(), other, None);
                    peers.push((j, id));
                }
                let vpn = VpnManager::new(VpnConfig {
                    local_address: IpAddr::V4(ip),
                    rd_admin: ip,
                    ipvpn_encapsulation: encap,
                });
                Node {
                    address: IpAddr::V4(ip),
                    rib,
                    vpn,
                    peers,
                    evpn: BTreeMap::new(),
                    ipvpn: BTreeMap::new(),
                    sent: Vec::new(),
                }
            })
            .collect();
        Net { nodes }
    }

    pub fn try_attach(&mut self, i: usize, body: Value) -> Result<(), VpnError> {
        let req = AttachRequest::from_json(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        let n = &mut self.nodes[i];
        let out = n.vpn.attach(&mut n.rib, &req)?;
        self.run(i, out);
        Ok(())
    }

    pub fn attach(&mut self, i: usize, body: Value) {
        self.try_attach(i, body.clone())
            .unwrap_or_else(|e| panic!("attach refused: {e}: {body}"));
    }

    pub fn try_detach(&mut self, i: usize, body: Value) -> Result<(), VpnError> {
        let req = DetachRequest::from_json(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        let n = &mut self.nodes[i];
        let out = n.vpn.detach(&mut n.rib, &req)?;
        self.run(i, out);
        Ok(())
    }

    pub fn detach(&mut self, i: usize, body: Value) {
        self.try_detach(i, body.clone())
            .unwrap_or_else(|e| panic!("detach refused: {e}: {body}"));
    }

    /// The bridge of E-VPN instance `ext` on node `i` learnt (or forgot) `mac` on `port`.
    pub fn learn(&mut self, i: usize, ext: &str, port: &str, mac: &str, learnt: bool) {
        let id = self.instance(i, ext).id;
        self.learn_in(i, id, port, mac, learnt);
    }

    /// The bridge of the E-VPN instance of dataplane id `id` (which may not exist yet) on
    /// node `i` learnt (or forgot) `mac` on `port`.
    pub fn learn_in(&mut self, i: usize, id: u32, port: &str, mac: &str, learnt: bool) {
        let n = &mut self.nodes[i];
        let out = n
            .vpn
            .mac_learned(&mut n.rib, id, port, mac.parse().unwrap(), learnt);
        self.run(i, out);
    }

    /// The external router of node `i` announces (`Some` attributes) or withdraws `nlri`.
    pub fn router(&mut self, i: usize, nlri: Nlri, attrs: Option<AttributeSet>) {
        let n = &mut self.nodes[i];
        let router = n.peers.iter().find(|(j, _)| j.is_none()).expect("router").1;
        let family = nlri.family();
        let update = match attrs {
            Some(a) => Update::announce(family, a.next_hop, a.attributes, vec![nlri.into()]),
            None => Update::withdraw(family, vec![PathNlri::from(nlri)]),
        };
        let out = n.rib.receive(router, &update, false);
        let vo = n.vpn.route_events(&mut n.rib, out.locals);
        self.run(i, vo);
    }

    /// Applies node `from`'s outputs, and those they cause, until nothing moves.
    fn run(&mut self, from: usize, out: VpnOutputs) {
        let mut queue = VecDeque::from([(from, out)]);
        // Nodes that never settle (routes derived from each other's, changing in turn) are a
        // bug to report, not a test to hang.
        let mut rounds = 0;
        while let Some((i, out)) = queue.pop_front() {
            rounds += 1;
            assert!(rounds < 100_000, "the nodes do not settle");
            let node = &mut self.nodes[i];
            for (id, update) in out.evpn {
                update.apply_to(id, &mut node.evpn);
            }
            for (id, update) in out.ipvpn {
                update.apply_to(id, &mut node.ipvpn);
            }
            let first_peer = node.peers[0].1;
            for PeerChange { peer, advert, .. } in out.peers {
                let node = &mut self.nodes[i];
                if peer == first_peer {
                    node.sent.push(advert.clone());
                }
                let Some(&(Some(j), _)) = node.peers.iter().find(|(_, id)| *id == peer) else {
                    continue; // to the external router
                };
                let to = &mut self.nodes[j];
                let as_peer = to
                    .peers
                    .iter()
                    .find(|(k, _)| *k == Some(i))
                    .expect("full mesh")
                    .1;
                let update = match advert {
                    Advert::Announce {
                        family,
                        nlri,
                        attrs,
                    } => Update::announce(
                        family,
                        attrs.next_hop,
                        attrs.attributes.clone(),
                        vec![PathNlri::from(nlri)],
                    ),
                    Advert::Withdraw { family, nlri } => {
                        Update::withdraw(family, vec![PathNlri::from(nlri)])
                    }
                    Advert::EndOfRib(f) => Update::end_of_rib(f),
                };
                let rib_out = to.rib.receive(as_peer, &update, false);
                let mut vo = to.vpn.route_events(&mut to.rib, rib_out.locals);
                vo.peers.extend(rib_out.peers);
                queue.push_back((j, vo));
            }
        }
        // Once every output is applied, the parts sent one operation after another add up
        // to the whole state.
        for (i, node) in self.nodes.iter().enumerate() {
            let (evpn, ipvpn) = node.vpn.dataplane_states();
            assert_eq!(node.evpn, evpn, "E-VPN dataplane state of node {i}");
            assert_eq!(node.ipvpn, ipvpn, "IP VPN dataplane state of node {i}");
        }
    }

    /// The paths node `i`'s route table has from node `j`.
    pub fn paths_from_node(&self, i: usize, j: usize) -> usize {
        let node = &self.nodes[i];
        let peer = node
            .peers
            .iter()
            .find(|(k, _)| *k == Some(j))
            .expect("full mesh");
        node.rib.paths_from(peer.1)
    }

    pub fn instance(&self, i: usize, ext: &str) -> &Instance {
        self.nodes[i]
            .vpn
            .instance(ext)
            .unwrap_or_else(|| panic!("no instance {ext} on node {i}"))
    }

    /// The desired dataplane state of VRF `ext` on node `i`.
    pub fn vrf(&self, i: usize, ext: &str) -> &VrfState {
        let id = self.instance(i, ext).id;
        &self.nodes[i].ipvpn[&id]
    }

    pub fn evi(&self, i: usize, ext: &str) -> &EvpnInstanceState {
        let id = self.instance(i, ext).id;
        &self.nodes[i].evpn[&id]
    }

    /// What node `i` advertises now: its instances' routes.
    pub fn advertised(&self, i: usize) -> Vec<(Nlri, AttributeSet)> {
        let node = &self.nodes[i];
        let ours: Vec<SourceId> = node.vpn.instances().map(|inst| inst.source).collect();
        node.rib
            .tables()
            .paths_where(&|s| ours.contains(&s))
            .into_iter()
            .map(|(n, _, a)| (n, (**a).clone()))
            .collect()
    }
}

/// Attributes of a route from the external router: next hop, route targets and other
/// extended communities.
pub fn router_attrs(
    next_hop: Option<IpAddr>,
    targets: &[&str],
    extra: Vec<ExtendedCommunity>,
) -> AttributeSet {
    let mut comms: Vec<ExtendedCommunity> = targets
        .iter()
        .map(|t| ExtendedCommunity::from(rt(t)))
        .collect();
    comms.extend(extra);
    AttributeSet::new(
        next_hop,
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
            PathAttribute::new(AttrValue::ExtendedCommunities(comms)),
        ],
    )
}

/// The route targets of a route.
pub fn targets_of(attrs: &AttributeSet) -> Vec<String> {
    attrs.route_targets().map(|rt| rt.to_string()).collect()
}
