//! The route table against what its outputs say, under random sequences of operations: peers
//! (iBGP route-reflector clients or not, with RT Constraint or not, and an eBGP one) coming up, going down (with
//! graceful restart or not) and sending VPNv4 routes, RT Constraint routes and End-of-RIB;
//! local workers announcing routes and subscribing to route targets. After each operation:
//! - no change is addressed to a peer that is down;
//! - what each peer has been sent since its session came up adds up to what the table would
//!   send it now (its Adj-RIB-Out, recomputed);
//! - what each worker has been delivered adds up to the paths of other sources that carry a
//!   route target it subscribes to.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bagpipe_rib::{Advert, Outputs, Peer, RouteTable, SourceId, TableConfig};
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{Nlri, PathNlri, RtcNlri, VpnPrefix};
use bagpipe_wire::{ExtendedCommunity, Family, Label, RouteTarget};
use proptest::prelude::*;

const ASN: u32 = 64512;
const TARGETS: [&str; 3] = ["64512:1", "64512:2", "64512:3"];
/// The peers: their AS, whether each is a route-reflector client, and whether it negotiates
/// RT Constraint.
const PEERS: [(u32, bool, bool); 4] = [
    (ASN, true, true),
    (ASN, true, false),
    (ASN, false, true),
    (65001, false, false),
];
const WORKERS: usize = 2;

#[derive(Debug, Clone)]
enum Op {
    Up(usize),
    Down {
        peer: usize,
        graceful: bool,
    },
    Purge(usize),
    Announce {
        peer: usize,
        route: (u8, u8),
        target: usize,
        pref: u32,
    },
    Withdraw {
        peer: usize,
        route: (u8, u8),
    },
    /// The peer asks for a route target (RT Constraint), or no longer does.
    Interest {
        peer: usize,
        target: usize,
        withdraw: bool,
    },
    RtcEndOfRib(usize),
    /// The peer's VPNv4 End-of-RIB: after a graceful restart, its stale routes go (as the
    /// engine does it).
    VpnEndOfRib(usize),
    LocalAnnounce {
        worker: usize,
        route: (u8, u8),
        target: usize,
    },
    LocalWithdraw {
        worker: usize,
        route: (u8, u8),
    },
    Subscribe {
        worker: usize,
        target: usize,
        on: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let peer = 0..PEERS.len();
    let route = (0..2u8, 0..3u8);
    let target = 0..TARGETS.len();
    prop_oneof![
        2 => peer.clone().prop_map(Op::Up),
        1 => (peer.clone(), any::<bool>()).prop_map(|(peer, graceful)| Op::Down { peer, graceful }),
        1 => peer.clone().prop_map(Op::Purge),
        4 => (peer.clone(), route.clone(), target.clone(), prop::sample::select(vec![100u32, 200]))
            .prop_map(|(peer, route, target, pref)| Op::Announce { peer, route, target, pref }),
        2 => (peer.clone(), route.clone()).prop_map(|(peer, route)| Op::Withdraw { peer, route }),
        2 => (peer.clone(), target.clone(), prop::bool::weighted(0.3))
            .prop_map(|(peer, target, withdraw)| Op::Interest { peer, target, withdraw }),
        1 => peer.clone().prop_map(Op::RtcEndOfRib),
        1 => peer.prop_map(Op::VpnEndOfRib),
        3 => (0..WORKERS, route.clone(), target.clone())
            .prop_map(|(worker, route, target)| Op::LocalAnnounce { worker, route, target }),
        1 => (0..WORKERS, route).prop_map(|(worker, route)| Op::LocalWithdraw { worker, route }),
        2 => (0..WORKERS, target, any::<bool>())
            .prop_map(|(worker, target, on)| Op::Subscribe { worker, target, on }),
    ]
}

fn rt(target: usize) -> RouteTarget {
    TARGETS[target].parse().unwrap()
}

/// A VPNv4 route: one of two RDs, one of three prefixes.
fn vpn((rd, prefix): (u8, u8)) -> Nlri {
    Nlri::Vpn(VpnPrefix::new(
        format!("64512:{}", 10 + u32::from(rd)).parse().unwrap(),
        Label::mpls(100, true),
        format!("10.{prefix}.0.0/16").parse().unwrap(),
    ))
}

/// Attributes of a route from an AS (`ASN`: iBGP or local, with an empty AS path).
fn attrs(asn: u32, next_hop: Ipv4Addr, targets: &[RouteTarget], pref: Option<u32>) -> AttributeSet {
    let path = if asn == ASN {
        AsPath::default()
    } else {
        AsPath::sequence(vec![asn])
    };
    let mut list = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(path)),
        PathAttribute::new(AttrValue::ExtendedCommunities(
            targets
                .iter()
                .map(|r| ExtendedCommunity::from(*r))
                .collect(),
        )),
    ];
    // LOCAL_PREF is for iBGP only.
    if let Some(p) = pref.filter(|_| asn == ASN) {
        list.push(PathAttribute::new(AttrValue::LocalPref(p)));
    }
    AttributeSet::new(Some(IpAddr::V4(next_hop)), list)
}

fn address(peer: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, 2 + peer as u8)
}

struct World {
    table: RouteTable,
    peers: Vec<SourceId>,
    workers: Vec<SourceId>,
    up: HashSet<SourceId>,
    /// What each peer has been sent since its session came up.
    sent: HashMap<SourceId, HashMap<Nlri, Arc<AttributeSet>>>,
    /// What each worker has been delivered: per path (NLRI, source), its attributes.
    delivered: HashMap<SourceId, HashMap<(Nlri, SourceId), Arc<AttributeSet>>>,
    subscriptions: HashMap<SourceId, HashSet<RouteTarget>>,
}

impl World {
    fn new() -> World {
        let mut table = RouteTable::new(TableConfig {
            local_asn: ASN,
            router_id: Ipv4Addr::new(10, 0, 0, 1),
            cluster_id: Some(Ipv4Addr::new(10, 0, 0, 1)),
            next_hop: "10.0.0.1".parse().unwrap(),
        });
        let peers = PEERS
            .iter()
            .enumerate()
            .map(|(i, (asn, client, _))| {
                let a = address(i);
                table.add_peer(Peer::new(IpAddr::V4(a), *asn, a, *client))
            })
            .collect();
        let workers = (0..WORKERS)
            .map(|w| table.add_local(format!("worker-{w}")))
            .collect();
        World {
            table,
            peers,
            workers,
            up: HashSet::new(),
            sent: HashMap::new(),
            delivered: HashMap::new(),
            subscriptions: HashMap::new(),
        }
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let out = match *op {
            Op::Up(i) => {
                let p = self.peers[i];
                if !self.up.insert(p) {
                    return Ok(());
                }
                let mut families = vec![Family::VPNV4];
                if PEERS[i].2 {
                    families.push(Family::RTC);
                }
                self.table.peer_up(p, families, address(i), None)
            }
            Op::Down { peer, graceful } => {
                let p = self.peers[peer];
                if !self.up.remove(&p) {
                    return Ok(());
                }
                // The session is gone: the peer no longer has what it was sent.
                self.sent.remove(&p);
                self.table.peer_down(p, graceful)
            }
            Op::Purge(i) => self.table.purge_stale(self.peers[i], None),
            Op::Announce {
                peer,
                route,
                target,
                pref,
            } => {
                let p = self.peers[peer];
                if !self.up.contains(&p) {
                    return Ok(());
                }
                let a = attrs(PEERS[peer].0, address(peer), &[rt(target)], Some(pref));
                let update = Update::announce(
                    Family::VPNV4,
                    a.next_hop,
                    a.attributes.clone(),
                    vec![PathNlri::from(vpn(route))],
                );
                self.table.receive(p, &update, false)
            }
            Op::Withdraw { peer, route } => {
                let p = self.peers[peer];
                if !self.up.contains(&p) {
                    return Ok(());
                }
                let update = Update::withdraw(Family::VPNV4, vec![PathNlri::from(vpn(route))]);
                self.table.receive(p, &update, false)
            }
            Op::Interest {
                peer,
                target,
                withdraw,
            } => {
                let p = self.peers[peer];
                if !self.up.contains(&p) || !PEERS[peer].2 {
                    return Ok(());
                }
                let nlri = PathNlri::from(Nlri::Rtc(RtcNlri::new(ASN, rt(target))));
                let update = if withdraw {
                    Update::withdraw(Family::RTC, vec![nlri])
                } else {
                    let a = attrs(PEERS[peer].0, address(peer), &[], None);
                    Update::announce(Family::RTC, a.next_hop, a.attributes.clone(), vec![nlri])
                };
                self.table.receive(p, &update, false)
            }
            Op::RtcEndOfRib(i) => {
                let p = self.peers[i];
                if !self.up.contains(&p) || !PEERS[i].2 {
                    return Ok(());
                }
                self.table
                    .receive(p, &Update::end_of_rib(Family::RTC), false)
            }
            Op::VpnEndOfRib(i) => {
                let p = self.peers[i];
                if !self.up.contains(&p) {
                    return Ok(());
                }
                let mut out = self
                    .table
                    .receive(p, &Update::end_of_rib(Family::VPNV4), false);
                if self.table.is_restarting(p) {
                    let purged = self.table.purge_stale(p, Some(Family::VPNV4));
                    out.peers.extend(purged.peers);
                    out.locals.extend(purged.locals);
                }
                out
            }
            Op::LocalAnnounce {
                worker,
                route,
                target,
            } => {
                let w = self.workers[worker];
                let a = attrs(ASN, Ipv4Addr::new(10, 0, 0, 1), &[rt(target)], None);
                self.table.announce_local(w, &vpn(route), a)
            }
            Op::LocalWithdraw { worker, route } => {
                self.table.withdraw_local(self.workers[worker], &vpn(route))
            }
            Op::Subscribe { worker, target, on } => {
                let w = self.workers[worker];
                let subs = self.subscriptions.entry(w).or_default();
                if on {
                    if !subs.insert(rt(target)) {
                        return Ok(());
                    }
                    self.table.subscribe(w, Family::VPNV4, rt(target))
                } else {
                    if !subs.remove(&rt(target)) {
                        return Ok(());
                    }
                    self.table.unsubscribe(w, Family::VPNV4, rt(target))
                }
            }
        };
        self.absorb(out)
    }

    fn absorb(&mut self, out: Outputs) -> Result<(), TestCaseError> {
        for change in out.peers {
            prop_assert!(
                self.up.contains(&change.peer),
                "{change:?} for a peer that is down"
            );
            let sent = self.sent.entry(change.peer).or_default();
            match change.advert {
                Advert::Announce { nlri, attrs, .. } => {
                    sent.insert(nlri, attrs);
                }
                Advert::Withdraw { nlri, .. } => {
                    sent.remove(&nlri);
                }
                Advert::EndOfRib(_) => {}
            }
        }
        for event in out.locals {
            let delivered = self.delivered.entry(event.worker).or_default();
            let path = (event.nlri, event.origin.source);
            match event.attrs {
                Some(attrs) => {
                    delivered.insert(path, attrs);
                }
                None => {
                    delivered.remove(&path);
                }
            }
        }
        Ok(())
    }

    fn check(&self) -> Result<(), TestCaseError> {
        for (i, p) in self.peers.iter().enumerate() {
            if !self.up.contains(p) {
                continue;
            }
            let sent: HashMap<&Nlri, &AttributeSet> = self
                .sent
                .get(p)
                .into_iter()
                .flatten()
                .map(|(n, a)| (n, &**a))
                .collect();
            let rib_out = self.table.adj_rib_out(*p);
            let now: HashMap<&Nlri, &AttributeSet> = rib_out
                .iter()
                .filter_map(|a| match a {
                    Advert::Announce { nlri, attrs, .. } => Some((nlri, &**attrs)),
                    _ => None,
                })
                .collect();
            prop_assert_eq!(
                sent,
                now,
                "peer {}: what it was sent, and its Adj-RIB-Out",
                i
            );
        }
        for (w, worker) in self.workers.iter().enumerate() {
            let subs = self.subscriptions.get(worker);
            let wanted: HashMap<(Nlri, SourceId), &AttributeSet> = self
                .table
                .tables()
                .paths_where(&|s| s != *worker)
                .into_iter()
                .filter(|(nlri, _, a)| {
                    nlri.family() == Family::VPNV4
                        && a.route_targets()
                            .any(|r| subs.is_some_and(|s| s.contains(&r)))
                })
                .map(|(nlri, source, a)| ((nlri, source), &**a))
                .collect();
            let delivered: HashMap<(Nlri, SourceId), &AttributeSet> = self
                .delivered
                .get(worker)
                .into_iter()
                .flatten()
                .map(|(k, a)| (k.clone(), &**a))
                .collect();
            prop_assert_eq!(
                delivered,
                wanted,
                "worker {}: what it was delivered, and the paths it imports",
                w
            );
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn outputs_add_up_to_the_table(ops in prop::collection::vec(op(), 1..60)) {
        let mut world = World::new();
        for op in &ops {
            world.apply(op)?;
            world.check()?;
        }
    }
}
