//! The route table: one owner (the engine task) calls these operations; each returns what
//! must be sent to peers and delivered to local workers. Pure: no I/O, no clock.
//!
//! Routes are published by sources (BGP peers, local workers) and delivered by route target
//! to the local workers that subscribed to it (the publish/subscribe design of the original
//! bagpipe-bgp); best paths go to peers under the iBGP, route reflection and RT Constraint
//! rules of `export`.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bagpipe_wire::attr::{code, AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{Nlri, RtcNlri};
use bagpipe_wire::{Family, RouteTarget};
use smallvec::SmallVec;

use crate::export::{eligible, uses_route_targets, Exporter, TableConfig};
use crate::family::{
    AddressFamily, Evpn, FlowSpec, Ipv4Unicast, Ipv6Unicast, RouteKey, Rtc, Vpnv4, Vpnv6,
};
use crate::interner::Interner;
use crate::outputs::{Advert, Outputs, PeerChange, RouteEvent};
use crate::source::{PathOrigin, Peer, Source, SourceId, SourceKind};
use crate::subscriptions::Subscriptions;
use crate::table::{best, best_among, Change, Path, Table};

#[derive(Default)]
pub struct Tables {
    pub ipv4: Table<Ipv4Unicast>,
    pub ipv6: Table<Ipv6Unicast>,
    pub vpnv4: Table<Vpnv4>,
    pub vpnv6: Table<Vpnv6>,
    pub evpn: Table<Evpn>,
    pub rtc: Table<Rtc>,
    pub flow: Table<FlowSpec>,
}

impl Tables {
    /// The paths of the sources that `keep` accepts, as routes, table by table.
    pub fn paths_where(
        &self,
        keep: &dyn Fn(SourceId) -> bool,
    ) -> Vec<(Nlri, SourceId, &Arc<AttributeSet>)> {
        fn collect<'a, F: AddressFamily>(
            t: &'a Table<F>,
            keep: &dyn Fn(SourceId) -> bool,
            out: &mut Vec<(Nlri, SourceId, &'a Arc<AttributeSet>)>,
        ) {
            for (key, paths) in t.iter() {
                for p in paths.iter().filter(|p| keep(p.source)) {
                    out.push((F::join(key, &p.data), p.source, &p.attrs));
                }
            }
        }
        let mut out = Vec::new();
        collect(&self.ipv4, keep, &mut out);
        collect(&self.ipv6, keep, &mut out);
        collect(&self.vpnv4, keep, &mut out);
        collect(&self.vpnv6, keep, &mut out);
        collect(&self.evpn, keep, &mut out);
        collect(&self.rtc, keep, &mut out);
        collect(&self.flow, keep, &mut out);
        out
    }
}

/// Runs `$body` with `$t` bound to the table of `$family` and `$F` to its family type.
macro_rules! with_table {
    ($tables:expr, $family:expr, |$t:ident, $F:ident| $body:expr, $otherwise:expr) => {
        match $family {
            Family::IPV4_UNICAST => {
                type $F = Ipv4Unicast;
                let $t = &mut $tables.ipv4;
                $body
            }
            Family::IPV6_UNICAST => {
                type $F = Ipv6Unicast;
                let $t = &mut $tables.ipv6;
                $body
            }
            Family::VPNV4 => {
                type $F = Vpnv4;
                let $t = &mut $tables.vpnv4;
                $body
            }
            Family::VPNV6 => {
                type $F = Vpnv6;
                let $t = &mut $tables.vpnv6;
                $body
            }
            Family::EVPN => {
                type $F = Evpn;
                let $t = &mut $tables.evpn;
                $body
            }
            Family::RTC => {
                type $F = Rtc;
                let $t = &mut $tables.rtc;
                $body
            }
            Family::FLOWSPEC4
            | Family::FLOWSPEC6
            | Family::VPN_FLOWSPEC4
            | Family::VPN_FLOWSPEC6 => {
                type $F = FlowSpec;
                let $t = &mut $tables.flow;
                $body
            }
            _ => $otherwise,
        }
    };
}

/// Runs `$body` once per table.
macro_rules! for_each_table {
    ($tables:expr, |$t:ident, $F:ident| $body:expr) => {{
        {
            #[allow(dead_code)]
            type $F = Ipv4Unicast;
            let $t = &mut $tables.ipv4;
            $body
        }
        {
            #[allow(dead_code)]
            type $F = Ipv6Unicast;
            let $t = &mut $tables.ipv6;
            $body
        }
        {
            #[allow(dead_code)]
            type $F = Vpnv4;
            let $t = &mut $tables.vpnv4;
            $body
        }
        {
            #[allow(dead_code)]
            type $F = Vpnv6;
            let $t = &mut $tables.vpnv6;
            $body
        }
        {
            #[allow(dead_code)]
            type $F = Evpn;
            let $t = &mut $tables.evpn;
            $body
        }
        {
            #[allow(dead_code)]
            type $F = Rtc;
            let $t = &mut $tables.rtc;
            $body
        }
        {
            #[allow(dead_code)]
            type $F = FlowSpec;
            let $t = &mut $tables.flow;
            $body
        }
    }};
}

/// Everything but the tables, so that a table and this state can be borrowed together.
struct State {
    config: TableConfig,
    sources: HashMap<SourceId, Source>,
    next_id: SourceId,
    /// Peers whose session is up, in a stable order.
    up: Vec<SourceId>,
    subs: Subscriptions,
    /// The local source of our RT Constraint routes.
    rtc_source: SourceId,
    interner: Interner,
    /// Peers whose RTC interests changed during the current operation, with their interests
    /// before it.
    rtc_dirty: HashMap<SourceId, HashSet<RtcNlri>>,
    /// Paths held per source (maximum-prefix checks, the looking glass).
    path_counts: HashMap<SourceId, usize>,
    /// Whether we announce the default RT membership route (we want every VPN route).
    wants_everything: bool,
    /// The origin of each source's paths as route events carry it: one shared copy per
    /// source, not 32 bytes in each event and in each path a VPN instance keeps.
    shared_origins: HashMap<SourceId, Arc<PathOrigin>>,
    out: Outputs,
}

pub struct RouteTable {
    tables: Tables,
    st: State,
}

impl State {
    fn origin(&self, id: SourceId) -> PathOrigin {
        self.sources[&id].origin(self.config.local_asn, self.config.router_id)
    }

    /// [`State::origin`], shared: the copy kept for the source while it is still right (a
    /// peer's identifier may change from one session to the next).
    fn shared_origin(&mut self, id: SourceId) -> Arc<PathOrigin> {
        let now = self.origin(id);
        match self.shared_origins.get(&id) {
            Some(kept) if **kept == now => Arc::clone(kept),
            _ => {
                let fresh = Arc::new(now);
                self.shared_origins.insert(id, Arc::clone(&fresh));
                fresh
            }
        }
    }

    fn peer(&self, id: SourceId) -> Option<&Peer> {
        self.sources.get(&id).and_then(|s| s.peer())
    }

    /// Delivers a path change to local subscribers and, if the best path changed, to peers.
    /// `after` holds the route's paths after the change.
    fn on_change<F: AddressFamily>(
        &mut self,
        key: &F::Key,
        change: Change<F::Data>,
        after: &[Path<F::Data>],
    ) {
        let family = F::family_of(key);
        match (&change.old, &change.new) {
            (None, Some(p)) => *self.path_counts.entry(p.source).or_default() += 1,
            (Some(p), None) => {
                if let Some(n) = self.path_counts.get_mut(&p.source) {
                    *n = n.saturating_sub(1);
                }
            }
            _ => {}
        }
        if F::USES_ROUTE_TARGETS {
            self.deliver_locals::<F>(family, key, &change);
        }
        if family == Family::RTC {
            self.track_interests::<F>(key, &change);
        }
        // RT Constraint routes go to each peer as the best of the paths it may receive, not
        // only when the overall best is eligible: members of one VPN in one AS announce the
        // same RTC NLRI, and a reflector must still tell each of them about the others
        // (RFC 4684 §3.2 has every path, not just the best, count).
        let per_target = family == Family::RTC;
        if (per_target || change.best_changed()) && !self.up.is_empty() {
            let before_paths: Vec<&Path<F::Data>> = if per_target {
                let replaced = |p: &&Path<F::Data>| {
                    change
                        .new
                        .as_ref()
                        .is_some_and(|n| n.source == p.source && n.path_id == p.path_id)
                };
                after
                    .iter()
                    .filter(|p| !replaced(p))
                    .chain(change.old.iter())
                    .collect()
            } else {
                Vec::new()
            };
            let mut exporter = Exporter::new(&self.config);
            for &t in &self.up {
                let Some(target) = self.sources[&t].peer() else {
                    continue;
                };
                let ok = |p: &Path<F::Data>| {
                    eligible(
                        &self.config,
                        family,
                        &p.attrs,
                        &self.sources[&p.source],
                        t,
                        target,
                        &target.interests,
                    )
                };
                let origin_of = |s| self.origin(s);
                let (before, after) = if per_target {
                    let before =
                        best_among(before_paths.iter().copied().filter(|p| ok(p)), &origin_of);
                    let after = best_among(after.iter().filter(|p| ok(p)), &origin_of);
                    if before.zip(after).is_some_and(|(b, a)| b.same_as(a)) {
                        continue;
                    }
                    (before, after)
                } else {
                    (
                        change.best_before.as_ref().filter(|p| ok(p)),
                        change.best_after.as_ref().filter(|p| ok(p)),
                    )
                };
                let advert = match (before, after) {
                    (_, Some(p)) => Advert::Announce {
                        family,
                        nlri: F::join(key, &p.data),
                        attrs: exporter.attrs(&p.attrs, &self.sources[&p.source], t, target),
                    },
                    (Some(p), None) => Advert::Withdraw {
                        family,
                        nlri: F::join(key, &p.data),
                    },
                    (None, None) => continue,
                };
                self.out.peers.push(PeerChange {
                    peer: t,
                    key: Some(F::erase(key)),
                    advert,
                });
            }
        }
    }

    fn deliver_locals<F: AddressFamily>(
        &mut self,
        family: Family,
        key: &F::Key,
        change: &Change<F::Data>,
    ) {
        let workers_of = |p: &Option<Path<F::Data>>| -> Vec<SourceId> {
            let Some(p) = p else { return Vec::new() };
            let mut ws: Vec<SourceId> = p
                .attrs
                .route_targets()
                .flat_map(|rt| self.subs.subscribers(family, &rt))
                .filter(|w| *w != p.source)
                .collect();
            ws.sort_unstable();
            ws.dedup();
            ws
        };
        let new_workers = workers_of(&change.new);
        let old_workers = workers_of(&change.old);
        if let Some(p) = &change.new {
            for &w in &new_workers {
                let origin = self.shared_origin(p.source);
                self.out.locals.push(RouteEvent {
                    worker: w,
                    family,
                    nlri: F::join(key, &p.data),
                    origin,
                    path_id: p.path_id,
                    attrs: Some(Arc::clone(&p.attrs)),
                });
            }
        }
        if let Some(p) = &change.old {
            for w in old_workers.into_iter().filter(|w| !new_workers.contains(w)) {
                let origin = self.shared_origin(p.source);
                self.out.locals.push(RouteEvent {
                    worker: w,
                    family,
                    nlri: F::join(key, &p.data),
                    origin,
                    path_id: p.path_id,
                    attrs: None,
                });
            }
        }
    }

    /// An RTC route from a peer is that peer's interest in route targets (RFC 4684 §4).
    fn track_interests<F: AddressFamily>(&mut self, key: &F::Key, change: &Change<F::Data>) {
        let RouteKey::Rtc(nlri) = F::erase(key) else {
            return;
        };
        let source = change
            .new
            .as_ref()
            .or(change.old.as_ref())
            .map(|p| p.source)
            .expect("a change has a path");
        let Some(peer) = self.sources.get_mut(&source).and_then(|s| s.peer_mut()) else {
            return;
        };
        let before = peer.interests.clone();
        let changed = if change.new.is_some() {
            peer.interests.insert(nlri)
        } else {
            peer.interests.remove(&nlri)
        };
        if changed {
            self.rtc_dirty.entry(source).or_insert(before);
        }
    }

    fn take(&mut self) -> Outputs {
        std::mem::take(&mut self.out)
    }
}

/// Announces every eligible best path of `family` in `table` to peer `t`.
/// What peer `t` may have of `family` in `table`: each route's best path it is eligible for,
/// with the attributes it is sent with.
fn eligible_routes<F: AddressFamily>(
    st: &State,
    table: &Table<F>,
    family: Family,
    t: SourceId,
) -> Vec<PeerChange> {
    let Some(target) = st.sources[&t].peer() else {
        return Vec::new();
    };
    let mut exporter = Exporter::new(&st.config);
    let mut out = Vec::new();
    for (key, paths) in table.iter() {
        if F::family_of(key) != family {
            continue;
        }
        let ok = |p: &Path<F::Data>| {
            eligible(
                &st.config,
                family,
                &p.attrs,
                &st.sources[&p.source],
                t,
                target,
                &target.interests,
            )
        };
        // As in `on_change`: RTC routes per target, other families only their best path.
        let chosen = if family == Family::RTC {
            best_among(paths.iter().filter(|p| ok(p)), &|s| st.origin(s))
        } else {
            best(paths, &|s| st.origin(s)).filter(|p| ok(p))
        };
        let Some(b) = chosen else {
            continue;
        };
        let attrs = exporter.attrs(&b.attrs, &st.sources[&b.source], t, target);
        out.push(PeerChange {
            peer: t,
            key: Some(F::erase(key)),
            advert: Advert::Announce {
                family,
                nlri: F::join(key, &b.data),
                attrs,
            },
        });
    }
    out
}

fn sync_family<F: AddressFamily>(st: &mut State, table: &Table<F>, family: Family, t: SourceId) {
    let routes = eligible_routes(st, table, family, t);
    st.out.peers.extend(routes);
}

/// After a peer's RTC interests changed from `old` to its current set: announce what it now
/// wants, withdraw what it no longer wants.
fn reevaluate_interests<F: AddressFamily>(
    st: &mut State,
    table: &Table<F>,
    t: SourceId,
    old: &HashSet<RtcNlri>,
) {
    let Some(target) = st.sources[&t].peer() else {
        return;
    };
    let mut exporter = Exporter::new(&st.config);
    for (key, paths) in table.iter() {
        let family = F::family_of(key);
        if !uses_route_targets(family) || !target.has_family(family) {
            continue;
        }
        let Some(b) = best(paths, &|s| st.origin(s)) else {
            continue;
        };
        let source = &st.sources[&b.source];
        let was = eligible(&st.config, family, &b.attrs, source, t, target, old);
        let is = eligible(
            &st.config,
            family,
            &b.attrs,
            source,
            t,
            target,
            &target.interests,
        );
        let advert = match (was, is) {
            (false, true) => Advert::Announce {
                family,
                nlri: F::join(key, &b.data),
                attrs: exporter.attrs(&b.attrs, source, t, target),
            },
            (true, false) => Advert::Withdraw {
                family,
                nlri: F::join(key, &b.data),
            },
            _ => continue,
        };
        st.out.peers.push(PeerChange {
            peer: t,
            key: Some(F::erase(key)),
            advert,
        });
    }
}

/// Delivers to `worker` (or withdraws from it) the paths of `table` carrying `rt`, unless
/// another of the worker's subscriptions already covers them.
fn deliver_existing<F: AddressFamily>(
    st: &mut State,
    table: &Table<F>,
    worker: SourceId,
    family: Family,
    rt: &RouteTarget,
    add: bool,
) {
    for (key, paths) in table.iter() {
        if F::family_of(key) != family {
            continue;
        }
        for p in paths {
            if p.source == worker || !p.attrs.route_targets().any(|r| r == *rt) {
                continue;
            }
            let covered_otherwise = p
                .attrs
                .route_targets()
                .any(|r| r != *rt && st.subs.is_subscribed(worker, family, &r));
            if covered_otherwise {
                continue;
            }
            let origin = st.shared_origin(p.source);
            st.out.locals.push(RouteEvent {
                worker,
                family,
                nlri: F::join(key, &p.data),
                origin,
                path_id: p.path_id,
                attrs: add.then(|| Arc::clone(&p.attrs)),
            });
        }
    }
}

fn insert<F: AddressFamily>(
    st: &mut State,
    table: &mut Table<F>,
    nlri: &Nlri,
    path_id: u32,
    source: SourceId,
    attrs: &Arc<AttributeSet>,
) {
    let Some((key, data)) = F::split(nlri) else {
        return;
    };
    let path = Path {
        source,
        path_id,
        stale: false,
        data,
        attrs: Arc::clone(attrs),
    };
    let change = table.insert(key.clone(), path, &|s| st.origin(s));
    st.on_change::<F>(&key, change, table.get(&key).unwrap_or(&[]));
}

fn remove<F: AddressFamily>(
    st: &mut State,
    table: &mut Table<F>,
    nlri: &Nlri,
    path_id: u32,
    source: SourceId,
) {
    let Some((key, _)) = F::split(nlri) else {
        return;
    };
    if let Some(change) = table.remove(&key, source, path_id, &|s| st.origin(s)) {
        st.on_change::<F>(&key, change, table.get(&key).unwrap_or(&[]));
    }
}

/// A predicate over the paths of a table.
type PathFilter<'a, F> =
    &'a dyn Fn(&<F as AddressFamily>::Key, &Path<<F as AddressFamily>::Data>) -> bool;

/// Removes every path matching `pred`, each change handled as it is made: a peer gone with a
/// million routes leaves no list of a million changes behind (176 MB for VPNv4).
fn remove_where<F: AddressFamily>(st: &mut State, table: &mut Table<F>, pred: PathFilter<F>) {
    for key in table.keys_where(pred) {
        let victims: SmallVec<[(SourceId, u32); 2]> = table
            .get(&key)
            .unwrap_or(&[])
            .iter()
            .filter(|p| pred(&key, p))
            .map(|p| (p.source, p.path_id))
            .collect();
        for (source, path_id) in victims {
            if let Some(change) = table.remove(&key, source, path_id, &|s| st.origin(s)) {
                st.on_change::<F>(&key, change, table.get(&key).unwrap_or(&[]));
            }
        }
    }
}

/// The attributes of the RT Constraint routes we originate.
fn rtc_attributes(config: &TableConfig) -> AttributeSet {
    AttributeSet::new(
        Some(config.next_hop),
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
        ],
    )
}

impl RouteTable {
    pub fn new(config: TableConfig) -> Self {
        let mut st = State {
            config,
            sources: HashMap::new(),
            next_id: 1,
            up: Vec::new(),
            subs: Subscriptions::default(),
            rtc_source: 0,
            interner: Interner::default(),
            rtc_dirty: HashMap::new(),
            path_counts: HashMap::new(),
            wants_everything: false,
            shared_origins: HashMap::new(),
            out: Outputs::default(),
        };
        st.sources.insert(
            0,
            Source {
                id: 0,
                // The original's looking glass calls the originator of these routes so.
                kind: SourceKind::Local {
                    name: "BGPManager".into(),
                },
            },
        );
        RouteTable {
            tables: Tables::default(),
            st,
        }
    }

    /// What a peer currently has from us (its Adj-RIB-Out), recomputed: for the looking glass.
    pub fn adj_rib_out(&self, id: SourceId) -> Vec<Advert> {
        let Some(peer) = self.st.peer(id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for &family in &peer.families {
            if peer.rtc && !peer.rtc_eor && uses_route_targets(family) {
                continue;
            }
            let t = &self.tables;
            let routes = match family {
                Family::IPV4_UNICAST => eligible_routes(&self.st, &t.ipv4, family, id),
                Family::IPV6_UNICAST => eligible_routes(&self.st, &t.ipv6, family, id),
                Family::VPNV4 => eligible_routes(&self.st, &t.vpnv4, family, id),
                Family::VPNV6 => eligible_routes(&self.st, &t.vpnv6, family, id),
                Family::EVPN => eligible_routes(&self.st, &t.evpn, family, id),
                Family::RTC => eligible_routes(&self.st, &t.rtc, family, id),
                _ => eligible_routes(&self.st, &t.flow, family, id),
            };
            out.extend(routes.into_iter().map(|c| c.advert));
        }
        out
    }

    /// The source of the routes the table originates itself (RT Constraint).
    pub fn rtc_source(&self) -> SourceId {
        self.st.rtc_source
    }

    fn add_source(&mut self, kind: SourceKind) -> SourceId {
        let id = self.st.next_id;
        self.st.next_id += 1;
        self.st.sources.insert(id, Source { id, kind });
        id
    }

    /// A local worker (VPN instance, API) that publishes routes and subscribes to targets.
    pub fn add_local(&mut self, name: impl Into<String>) -> SourceId {
        self.add_source(SourceKind::Local { name: name.into() })
    }

    /// A BGP peer, down until `peer_up`.
    pub fn add_peer(&mut self, peer: Peer) -> SourceId {
        self.add_source(SourceKind::Peer(peer))
    }

    pub fn source(&self, id: SourceId) -> Option<&Source> {
        self.st.sources.get(&id)
    }

    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.st.sources.values()
    }

    pub fn origin(&self, id: SourceId) -> PathOrigin {
        self.st.origin(id)
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Ends an operation: peers whose RTC interests changed get the routes they now want
    /// and lose those they no longer want; then the outputs are handed over.
    fn finish(&mut self) -> Outputs {
        self.update_default_interest();
        let dirty = std::mem::take(&mut self.st.rtc_dirty);
        let st = &mut self.st;
        for (peer, old) in dirty {
            if !st.peer(peer).is_some_and(|p| p.rtc_eor && p.is_up()) {
                continue;
            }
            reevaluate_interests::<Vpnv4>(st, &self.tables.vpnv4, peer, &old);
            reevaluate_interests::<Vpnv6>(st, &self.tables.vpnv6, peer, &old);
            reevaluate_interests::<Evpn>(st, &self.tables.evpn, peer, &old);
            reevaluate_interests::<FlowSpec>(st, &self.tables.flow, peer, &old);
        }
        st.take()
    }

    /// A peer without RT Constraint takes every VPN route (RFC 4684 §6). When routes from
    /// our RTC peers may go on to such a peer (it is an eBGP peer, or we reflect), we must
    /// receive them all: we announce the default RT membership route (RFC 4684 §4), and
    /// withdraw it when no such peer is left.
    fn update_default_interest(&mut self) {
        let st = &mut self.st;
        let wants = st.up.iter().any(|id| {
            st.peer(*id).is_some_and(|p| {
                !p.rtc
                    && p.families.iter().any(|f| uses_route_targets(*f))
                    && (p.asn != st.config.local_asn || st.config.cluster_id.is_some())
            })
        });
        if wants == st.wants_everything {
            return;
        }
        st.wants_everything = wants;
        let nlri = Nlri::Rtc(RtcNlri::DEFAULT);
        let rtc_source = st.rtc_source;
        if wants {
            let attrs = st.interner.intern(rtc_attributes(&st.config));
            insert::<Rtc>(st, &mut self.tables.rtc, &nlri, 0, rtc_source, &attrs);
        } else {
            remove::<Rtc>(st, &mut self.tables.rtc, &nlri, 0, rtc_source);
        }
    }

    /// Forgets a source: its routes are withdrawn and its subscriptions removed.
    pub fn remove_source(&mut self, id: SourceId) -> Outputs {
        for (family, rt) in self.st.subs.of(id) {
            self.unsubscribe_inner(id, family, rt);
        }
        let st = &mut self.st;
        st.up.retain(|p| *p != id);
        for_each_table!(self.tables, |t, F| remove_where::<F>(st, t, &|_, p| p
            .source
            == id));
        st.sources.remove(&id);
        st.shared_origins.remove(&id);
        st.rtc_dirty.remove(&id);
        self.finish()
    }

    /// A peer's session came up with these families (and this BGP identifier); sends it the
    /// routes it may have.
    pub fn peer_up(
        &mut self,
        id: SourceId,
        families: Vec<Family>,
        router_id: Ipv4Addr,
        local_address: Option<IpAddr>,
    ) -> Outputs {
        let st = &mut self.st;
        let Some(peer) = st.sources.get_mut(&id).and_then(|s| s.peer_mut()) else {
            return Outputs::default();
        };
        peer.router_id = router_id;
        peer.rtc = families.contains(&Family::RTC);
        peer.rtc_eor = false;
        peer.local_address = local_address;
        peer.families = families.clone();
        let rtc = peer.rtc;
        if !st.up.contains(&id) {
            st.up.push(id);
        }
        // RT Constraint first, so that the peer knows what to send us before it sends it
        // (RFC 4684 §6); VPN families wait for the peer's RTC End-of-RIB.
        let mut ordered = families;
        ordered.sort_by_key(|f| *f != Family::RTC);
        for family in ordered {
            if rtc && uses_route_targets(family) {
                continue;
            }
            self.sync(id, family);
        }
        self.finish()
    }

    /// Queues every route of `family` the peer may have, then End-of-RIB.
    fn sync(&mut self, id: SourceId, family: Family) {
        let st = &mut self.st;
        with_table!(
            self.tables,
            family,
            |t, F| sync_family::<F>(st, t, family, id),
            ()
        );
        st.out.peers.push(PeerChange {
            peer: id,
            key: None,
            advert: Advert::EndOfRib(family),
        });
    }

    /// Re-sends every route of `family` to a peer that asked (ROUTE-REFRESH, RFC 2918).
    pub fn resend(&mut self, id: SourceId, family: Family) -> Outputs {
        if self.st.peer(id).is_some_and(|p| {
            p.has_family(family) && !(p.rtc && !p.rtc_eor && uses_route_targets(family))
        }) {
            self.sync(id, family);
        }
        self.finish()
    }

    /// A peer's session went down. With `graceful`, its routes stay, marked stale, until
    /// `purge_stale` (RFC 4724 §4.2); otherwise they are withdrawn now.
    pub fn peer_down(&mut self, id: SourceId, graceful: bool) -> Outputs {
        let st = &mut self.st;
        st.up.retain(|p| *p != id);
        let Some(peer) = st.sources.get_mut(&id).and_then(|s| s.peer_mut()) else {
            return Outputs::default();
        };
        peer.families.clear();
        peer.rtc_eor = false;
        peer.restarting = graceful;
        if graceful {
            for_each_table!(self.tables, |t, F| t.mark_stale(id));
        } else {
            for_each_table!(self.tables, |t, F| remove_where::<F>(st, t, &|_, p| p
                .source
                == id));
        }
        st.rtc_dirty.remove(&id);
        self.finish()
    }

    /// Removes the stale routes of a peer: of one family after its End-of-RIB, or all when
    /// the restart timer expires.
    pub fn purge_stale(&mut self, id: SourceId, family: Option<Family>) -> Outputs {
        let st = &mut self.st;
        match family {
            Some(f) => with_table!(
                self.tables,
                f,
                |t, F| remove_where::<F>(st, t, &|k, p| p.source == id
                    && p.stale
                    && F::family_of(k) == f),
                ()
            ),
            None => {
                for_each_table!(self.tables, |t, F| remove_where::<F>(st, t, &|_, p| p
                    .source
                    == id
                    && p.stale));
                if let Some(p) = st.sources.get_mut(&id).and_then(|s| s.peer_mut()) {
                    p.restarting = false;
                }
            }
        }
        self.finish()
    }

    /// The IPv4 families whose routes a peer takes with an IPv6 next hop (RFC 8950), as its
    /// session negotiated: set before [`RouteTable::peer_up`], which sends the routes.
    pub fn set_ipv6_next_hop(&mut self, id: SourceId, families: Vec<Family>) {
        if let Some(p) = self.st.sources.get_mut(&id).and_then(|s| s.peer_mut()) {
            p.ipv6_next_hop = families;
        }
    }

    /// Whether a peer still has stale routes (graceful restart in progress).
    pub fn is_restarting(&self, id: SourceId) -> bool {
        self.st.peer(id).is_some_and(|p| p.restarting)
    }

    /// An UPDATE from a peer. With `treat_as_withdraw` (RFC 7606), everything it announces is
    /// withdrawn instead.
    pub fn receive(&mut self, id: SourceId, update: &Update, treat_as_withdraw: bool) -> Outputs {
        let Some(peer) = self.st.peer(id) else {
            return Outputs::default();
        };
        let ebgp = peer.asn != self.st.config.local_asn;
        let families = peer.families.clone();
        if let Some(family) = update.is_end_of_rib() {
            return self.end_of_rib(id, family);
        }
        let st = &mut self.st;
        for (family, pn) in update.withdrawals() {
            if families.contains(&family) {
                with_table!(
                    self.tables,
                    family,
                    |t, F| remove::<F>(st, t, &pn.nlri, pn.path_id.unwrap_or(0), id),
                    ()
                );
            }
        }
        let mut announced = update.announced().peekable();
        if announced.peek().is_some() {
            let (_, nh, _) = *announced.peek().expect("peeked");
            // Only what the set keeps: cloning MP_REACH_NLRI would copy every NLRI of the
            // UPDATE just to drop them.
            let kept = update
                .attributes
                .iter()
                .filter(|a| !matches!(a.code(), code::MP_REACH_NLRI | code::MP_UNREACH_NLRI))
                .cloned()
                .collect();
            let attrs = AttributeSet::new(nh, kept);
            // RFC 4456 §8 and RFC 4271 §9.1.2: our own reflected routes and AS loops are
            // ignored, as withdrawals.
            let looped = attrs.originator_id() == Some(st.config.router_id)
                || st
                    .config
                    .cluster_id
                    .is_some_and(|c| attrs.cluster_list().contains(&c))
                || (ebgp
                    && attrs
                        .as_path()
                        .is_some_and(|p| p.contains(st.config.local_asn)));
            let withdraw = treat_as_withdraw || looped;
            let mut attrs_for_nh: Option<(Option<IpAddr>, Arc<AttributeSet>)> = None;
            for (family, nh, pn) in announced {
                if !families.contains(&family) {
                    continue;
                }
                let path_id = pn.path_id.unwrap_or(0);
                if withdraw {
                    with_table!(
                        self.tables,
                        family,
                        |t, F| remove::<F>(st, t, &pn.nlri, path_id, id),
                        ()
                    );
                    continue;
                }
                let shared = match &attrs_for_nh {
                    Some((n, a)) if *n == nh => Arc::clone(a),
                    _ => {
                        let a = st.interner.intern(AttributeSet {
                            next_hop: nh,
                            ..attrs.clone()
                        });
                        attrs_for_nh = Some((nh, Arc::clone(&a)));
                        a
                    }
                };
                with_table!(
                    self.tables,
                    family,
                    |t, F| insert::<F>(st, t, &pn.nlri, path_id, id, &shared),
                    ()
                );
            }
        }
        self.finish()
    }

    /// A peer's End-of-RIB for `family`: stale routes of that family go; after the RTC one,
    /// the peer gets its VPN routes (RFC 4684 §6).
    fn end_of_rib(&mut self, id: SourceId, family: Family) -> Outputs {
        let out = self.purge_stale(id, Some(family));
        self.st.out = out;
        if family == Family::RTC {
            let families = match self.st.sources.get_mut(&id).and_then(|s| s.peer_mut()) {
                Some(p) if p.rtc && !p.rtc_eor => {
                    p.rtc_eor = true;
                    p.families.clone()
                }
                _ => Vec::new(),
            };
            for f in families.into_iter().filter(|f| uses_route_targets(*f)) {
                self.sync(id, f);
            }
        }
        self.finish()
    }

    /// A peer negotiated RT Constraint but sent no RTC End-of-RIB in time: send it its VPN
    /// routes anyway (filtered by what RTC routes it did send).
    pub fn rtc_eor_timeout(&mut self, id: SourceId) -> Outputs {
        self.end_of_rib(id, Family::RTC)
    }

    /// A route published by a local worker.
    pub fn announce_local(&mut self, id: SourceId, nlri: &Nlri, attrs: AttributeSet) -> Outputs {
        let st = &mut self.st;
        let attrs = st.interner.intern(attrs);
        let family = nlri.family();
        with_table!(
            self.tables,
            family,
            |t, F| insert::<F>(st, t, nlri, 0, id, &attrs),
            ()
        );
        self.finish()
    }

    pub fn withdraw_local(&mut self, id: SourceId, nlri: &Nlri) -> Outputs {
        let st = &mut self.st;
        let family = nlri.family();
        with_table!(
            self.tables,
            family,
            |t, F| remove::<F>(st, t, nlri, 0, id),
            ()
        );
        self.finish()
    }

    /// A local worker imports routes of `family` carrying `rt`: it gets those already known,
    /// and RT Constraint announces our interest to peers.
    pub fn subscribe(&mut self, id: SourceId, family: Family, rt: RouteTarget) -> Outputs {
        let st = &mut self.st;
        let Some(first) = st.subs.add(id, family, rt) else {
            return Outputs::default();
        };
        with_table!(
            self.tables,
            family,
            |t, F| deliver_existing::<F>(st, t, id, family, &rt, true),
            ()
        );
        if first {
            let nlri = Nlri::Rtc(RtcNlri::new(st.config.local_asn, rt));
            let attrs = st.interner.intern(rtc_attributes(&st.config));
            let rtc_source = st.rtc_source;
            insert::<Rtc>(st, &mut self.tables.rtc, &nlri, 0, rtc_source, &attrs);
        }
        self.finish()
    }

    pub fn unsubscribe(&mut self, id: SourceId, family: Family, rt: RouteTarget) -> Outputs {
        self.unsubscribe_inner(id, family, rt);
        self.finish()
    }

    fn unsubscribe_inner(&mut self, id: SourceId, family: Family, rt: RouteTarget) {
        let st = &mut self.st;
        let Some(last) = st.subs.remove(id, family, rt) else {
            return;
        };
        with_table!(
            self.tables,
            family,
            |t, F| deliver_existing::<F>(st, t, id, family, &rt, false),
            ()
        );
        if last {
            let nlri = Nlri::Rtc(RtcNlri::new(st.config.local_asn, rt));
            let rtc_source = st.rtc_source;
            remove::<Rtc>(st, &mut self.tables.rtc, &nlri, 0, rtc_source);
        }
    }

    /// Paths received from peers, and published locally by workers (the looking glass route
    /// counts; our own RT Constraint routes are not counted).
    pub fn path_counts(&self) -> (usize, usize) {
        let mut from_peers = 0;
        let mut local = 0;
        for (id, n) in &self.st.path_counts {
            match self.st.sources.get(id).map(|s| &s.kind) {
                Some(SourceKind::Peer(_)) => from_peers += n,
                Some(SourceKind::Local { .. }) if *id != self.st.rtc_source => local += n,
                _ => {}
            }
        }
        (from_peers, local)
    }

    /// How many paths a source has in the table.
    pub fn paths_from(&self, id: SourceId) -> usize {
        self.st.path_counts.get(&id).copied().unwrap_or(0)
    }
}
