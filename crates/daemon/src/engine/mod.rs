//! The engine task: the one owner of the route table and the VPN instances (DESIGN.md
//! "Concurrency"). Peers, the REST API and timers send it typed messages; it answers API
//! requests, queues route changes in peers' outboxes (never waiting for a peer) and hands
//! desired dataplane states to the driver tasks.
//!
//! ```text
//!   peer tasks ──PeerEvent──►┐
//!   REST API ──ApiCommand──► Engine { RouteTable, VpnManager } ──► peer outboxes
//!   timers (GR, RTC EoR, ───►┘                                 └──► dataplane driver tasks
//!     end of a restart)
//! ```
//!
//! After a restart that found dataplane state to adopt, the engine replays (see [`restart`]):
//! End-of-RIB markers held back, adopted entries kept, until the agents are done.

mod looking_glass;
mod metrics;
pub mod restart;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bagpipe_dataplane::owned::{instance_of_device, EVPN_BRIDGE_PREFIX};
use bagpipe_dataplane::{DriverHandle, EvpnInstanceState, LearnedMac, VrfState};
use bagpipe_rib::{Advert, Outputs, PeerChange, RouteEvent, RouteKey, RouteTable, SourceId};
use bagpipe_speaker::{OutItem, PeerCommand, PeerEvent, PeerHandle};
use bagpipe_vpn::{VpnManager, VpnOutputs};
use bagpipe_wire::message::{cease, Notification, RefreshSubtype, RouteRefresh};
use bagpipe_wire::nlri::PathNlri;
use bagpipe_wire::{DecodeError, ErrorAction, Family};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::api::{ApiCommand, ApiError};
use crate::config::Config;
use crate::looking_glass::{answer, DaemonInfo, DaemonLookingGlass, LogRing};
use restart::Replay;

/// How long a peer that negotiated RT Constraint has to send its RTC End-of-RIB before we
/// send it VPN routes anyway (RFC 4684 §6 leaves the delay to us).
const RTC_EOR_WAIT: Duration = Duration::from_secs(3);

/// Route removals for the VPN instances from one route table operation beyond this many are
/// delivered a slice at a time ([`Engine::defer_removals`]).
const DEFER_REMOVALS_FROM: usize = 10_000;

/// How long one slice of deferred removals may take before the engine's loop takes its turn
/// again (an API command, a peer event...).
const REMOVALS_SLICE: Duration = Duration::from_millis(20);

/// Removals delivered to the VPN instances at once within a slice.
const REMOVALS_STEP: usize = 1024;

/// How long stopping may spend delivering the removals still deferred: the dataplane stays
/// after the daemon (a restart adopts it), and should not keep forwarding to a peer that
/// went away; what is left after this is removed by the next start's sweep.
const STOP_REMOVALS_BUDGET: Duration = Duration::from_secs(5);

/// A BGP peer as the engine knows it.
pub struct EnginePeer {
    pub handle: PeerHandle<RouteKey>,
    pub max_prefixes: Option<u32>,
    /// How long the session stays down once closed for too many prefixes (`None`: until
    /// the daemon restarts).
    pub max_prefixes_restart: Option<Duration>,
}

pub struct Engine {
    pub rib: RouteTable,
    pub vpn: VpnManager,
    pub peers: HashMap<SourceId, EnginePeer>,
    pub evpn: DriverHandle<EvpnInstanceState>,
    pub ipvpn: DriverHandle<VrfState>,
    pub config: Arc<Config>,
    pub info: DaemonInfo,
    pub logs: LogRing,
    /// Graceful restart of a peer: when its stale routes go.
    gr_deadlines: HashMap<SourceId, Instant>,
    /// Sessions closed for too many prefixes: when they start again.
    max_prefixes_restarts: HashMap<SourceId, Instant>,
    rtc_eor_deadlines: HashMap<SourceId, Instant>,
    /// Whether the peer negotiated enhanced route refresh (RFC 7313).
    enhanced_refresh: HashMap<SourceId, bool>,
    /// Stopping leaves peers our routes (graceful restart with the dataplane kept).
    pub graceful_stop: bool,
    /// Set while replaying after a restart (see [`restart`]).
    pub replay: Option<Replay>,
    /// Route removals not delivered to the VPN instances yet ([`Engine::defer_removals`]).
    backlog: VecDeque<RouteEvent>,
}

impl Engine {
    pub fn new(
        rib: RouteTable,
        vpn: VpnManager,
        evpn: DriverHandle<EvpnInstanceState>,
        ipvpn: DriverHandle<VrfState>,
        config: Arc<Config>,
        logs: LogRing,
    ) -> Self {
        Engine {
            rib,
            vpn,
            peers: HashMap::new(),
            evpn,
            ipvpn,
            config,
            info: DaemonInfo::starting_now(),
            logs,
            gr_deadlines: HashMap::new(),
            max_prefixes_restarts: HashMap::new(),
            rtc_eor_deadlines: HashMap::new(),
            enhanced_refresh: HashMap::new(),
            graceful_stop: false,
            replay: None,
            backlog: VecDeque::new(),
        }
    }

    /// Runs until `shutdown` fires or every sender is gone; then closes the sessions with a
    /// Cease NOTIFICATION (administrative shutdown). `learned`: the MACs the E-VPN bridges
    /// learn, when `learn_local_macs` is on.
    pub async fn run(
        mut self,
        mut peer_events: mpsc::Receiver<PeerEvent>,
        mut api: mpsc::Receiver<ApiCommand>,
        mut learned: Option<mpsc::Receiver<LearnedMac>>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            let deadline = self.next_deadline();
            let sleep = async move {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(ev) = peer_events.recv() => self.on_peer_events(ev, &mut peer_events).await,
                cmd = api.recv() => match cmd {
                    Some(cmd) => self.on_api(cmd).await,
                    None => break,
                },
                Some(mac) = next_learned(&mut learned) => self.on_learned(mac).await,
                _ = sleep => self.on_timers().await,
                () = std::future::ready(()), if !self.backlog.is_empty() => self.deliver_backlog_slice().await,
                _ = shutdown.changed() => break,
            }
        }
        self.stop().await;
    }

    async fn stop(mut self) {
        if self.graceful_stop {
            info!("stopping for a graceful restart: sessions closed without NOTIFICATION, peers keep our routes, the dataplane stays");
        } else {
            info!("stopping: closing BGP sessions");
        }
        for p in self.peers.values() {
            let exit = if self.graceful_stop {
                PeerCommand::ExitForRestart
            } else {
                PeerCommand::Exit
            };
            p.handle.command(exit).await;
        }
        for (_, p) in std::mem::take(&mut self.peers) {
            let _ = tokio::time::timeout(Duration::from_secs(2), p.handle.join()).await;
        }
        self.deliver_backlog_before_stop().await;
        // The dataplane stays as it is: a restarted daemon adopts it (graceful restart).
        let _ = self.evpn.flush().await;
        let _ = self.ipvpn.flush().await;
    }

    fn next_deadline(&self) -> Option<Instant> {
        let replay = self.replay.as_ref().map(Replay::deadline);
        self.gr_deadlines
            .values()
            .chain(self.rtc_eor_deadlines.values())
            .chain(self.max_prefixes_restarts.values())
            .copied()
            .chain(replay)
            .min()
    }

    async fn on_timers(&mut self) {
        let now = Instant::now();
        for id in take_expired(&mut self.gr_deadlines, now) {
            info!(
                peer = id,
                "graceful restart timer expired: removing stale routes"
            );
            let out = self.rib.purge_stale(id, None);
            self.defer_removals(out).await;
        }
        for id in take_expired(&mut self.rtc_eor_deadlines, now) {
            let out = self.rib.rtc_eor_timeout(id);
            self.dispatch(out).await;
        }
        for id in take_expired(&mut self.max_prefixes_restarts, now) {
            if let Some(p) = self.peers.get(&id) {
                info!(
                    peer = id,
                    "starting the session closed for too many prefixes again"
                );
                p.handle.command(PeerCommand::Start).await;
            }
        }
        self.end_replay_if_over();
    }

    /// Ends the replay after a restart once it is over: the End-of-RIB markers held back go
    /// out, and the drivers sweep the adopted entries nobody claimed.
    fn end_replay_if_over(&mut self) {
        if !self
            .replay
            .as_ref()
            .is_some_and(|r| r.is_over(Instant::now()))
        {
            return;
        }
        let held = self.replay.take().expect("checked above").finish();
        for (peer, families) in &held {
            if let Some(p) = self.peers.get(peer) {
                p.handle
                    .outbox
                    .push(families.iter().map(|f| (None, OutItem::EndOfRib(*f))));
            }
        }
        info!(
            peers = held.len(),
            "restart over: End-of-RIB sent, removing the adopted dataplane entries nobody claimed"
        );
        // Queued behind every update sent so far, so the sweep sees the replayed state.
        let (evpn, ipvpn) = (self.evpn.clone(), self.ipvpn.clone());
        tokio::spawn(async move {
            for (what, swept) in [
                ("E-VPN", evpn.sweep_unclaimed().await),
                ("IP VPN", ipvpn.sweep_unclaimed().await),
            ] {
                match swept {
                    Ok(Ok(n)) => info!(removed = n, "{what} dataplane: unclaimed entries swept"),
                    Ok(Err(e)) => warn!(error = %e, "{what} dataplane: sweep failed"),
                    Err(_) => warn!("the {what} dataplane driver task is gone"),
                }
            }
        });
    }

    /// Handles `first` and the peer events already queued behind it, up to a bound (so that
    /// API requests still get their turn). The routes of consecutive UPDATEs reach the VPN
    /// instances together: an instance recomputes its dataplane state once per batch, not
    /// once per UPDATE, which made a VRF receiving N routes one by one cost O(N²).
    async fn on_peer_events(&mut self, first: PeerEvent, queue: &mut mpsc::Receiver<PeerEvent>) {
        const BATCH: usize = 64;
        let mut locals = Vec::new();
        let mut next = Some(first);
        let mut handled = 0;
        while let Some(ev) = next.take() {
            match ev {
                PeerEvent::Update {
                    peer,
                    update,
                    issues,
                } if update.is_end_of_rib().is_none() => {
                    let out = self.rib.receive(peer, &update, treat_as_withdraw(&issues));
                    self.push_to_peers(out.peers);
                    locals.extend(out.locals);
                    self.check_max_prefixes(peer).await;
                }
                other => {
                    self.deliver_locals(std::mem::take(&mut locals)).await;
                    self.on_peer_event(other).await;
                }
            }
            handled += 1;
            if handled < BATCH {
                next = queue.try_recv().ok();
            }
        }
        self.deliver_locals(locals).await;
    }

    async fn on_peer_event(&mut self, ev: PeerEvent) {
        match ev {
            PeerEvent::Established { peer, negotiated } => {
                let local = self
                    .peers
                    .get(&peer)
                    .and_then(|p| p.handle.config.local_address);
                self.enhanced_refresh
                    .insert(peer, negotiated.enhanced_route_refresh);
                if self.rib.is_restarting(peer) {
                    self.purge_unpreserved(peer, &negotiated).await;
                }
                if let Some(r) = &mut self.replay {
                    let end_of_rib = negotiated.peer_graceful_restart.is_some();
                    r.peer_up(peer, &negotiated.families, end_of_rib);
                }
                self.warn_if_ipv6_next_hops_refused(peer, &negotiated);
                self.rib
                    .set_ipv6_next_hop(peer, negotiated.ipv6_next_hop.clone());
                let out =
                    self.rib
                        .peer_up(peer, negotiated.families.clone(), negotiated.peer_id, local);
                self.dispatch(out).await;
                if negotiated.has_family(Family::RTC) {
                    // End-of-RIB markers come from speakers that advertise graceful restart
                    // (RFC 4724 §2); from the others (GoBGP without it, for one) none will
                    // come: their RTC routes are followed as they arrive instead.
                    if negotiated.peer_graceful_restart.is_some() {
                        self.rtc_eor_deadlines
                            .insert(peer, Instant::now() + RTC_EOR_WAIT);
                    } else {
                        let out = self.rib.rtc_eor_timeout(peer);
                        self.dispatch(out).await;
                    }
                }
                self.end_replay_if_over();
            }
            PeerEvent::Update {
                peer,
                update,
                issues,
            } => {
                let treat_as_withdraw = treat_as_withdraw(&issues);
                let end_of_rib = update.is_end_of_rib();
                if end_of_rib == Some(Family::RTC) {
                    self.rtc_eor_deadlines.remove(&peer);
                }
                let out = self.rib.receive(peer, &update, treat_as_withdraw);
                self.dispatch(out).await;
                self.check_max_prefixes(peer).await;
                if let (Some(r), Some(family)) = (&mut self.replay, end_of_rib) {
                    debug!(peer, %family, "End-of-RIB received while replaying");
                    r.end_of_rib(peer, family);
                    self.end_replay_if_over();
                }
            }
            PeerEvent::RouteRefresh { peer, refresh } => {
                if refresh.subtype != RefreshSubtype::Request {
                    return; // BoRR/EoRR from the peer: its routes are refreshed as they come.
                }
                let out = self.rib.resend(peer, refresh.family);
                let enhanced = self.enhanced_refresh.get(&peer).copied().unwrap_or(false);
                self.dispatch_refresh(peer, refresh.family, out, enhanced)
                    .await;
            }
            PeerEvent::Down {
                peer,
                reason,
                graceful_restart,
            } => {
                self.rtc_eor_deadlines.remove(&peer);
                if let Some(r) = &mut self.replay {
                    r.peer_down(peer);
                }
                let kept = graceful_restart.filter(|(t, _)| *t > 0);
                if let Some((t, families)) = &kept {
                    info!(peer, restart_time = t, ?families, %reason, "peer down, keeping its routes for graceful restart");
                    self.gr_deadlines
                        .insert(peer, Instant::now() + Duration::from_secs(*t as u64));
                }
                let out = self.rib.peer_down(peer, kept.is_some());
                self.defer_removals(out).await;
                // RFC 4724 §4.2: only the families of the peer's capability are kept.
                let configured = self
                    .peers
                    .get(&peer)
                    .map(|p| p.handle.config.families.clone())
                    .unwrap_or_default();
                if let Some((_, families)) = &kept {
                    for f in configured.iter().filter(|f| !families.contains(f)) {
                        let out = self.rib.purge_stale(peer, Some(*f));
                        self.defer_removals(out).await;
                    }
                }
            }
        }
    }

    /// Our VPNv4 routes carry our dataplane address as next hop: an IPv6 one goes only to
    /// peers that agreed to extended next hops (RFC 8950). Said once per session, not per
    /// route held back.
    fn warn_if_ipv6_next_hops_refused(
        &self,
        peer: SourceId,
        negotiated: &bagpipe_speaker::Negotiated,
    ) {
        let ours = self.vpn.config().local_address;
        if ours.is_ipv6()
            && negotiated.has_family(Family::VPNV4)
            && !negotiated.ipv6_next_hop.contains(&Family::VPNV4)
        {
            warn!(
                peer,
                next_hop = %ours,
                "the peer did not offer extended next hops (RFC 8950): our IPv4 VPN routes, whose next hop is IPv6, are not sent to it"
            );
        }
    }

    /// RFC 4724 §4.2: when a restarting peer comes back, its stale routes of a family go at
    /// once unless its new capability lists the family with the forwarding-state bit (else
    /// they wait for its End-of-RIB).
    async fn purge_unpreserved(
        &mut self,
        peer: SourceId,
        negotiated: &bagpipe_speaker::Negotiated,
    ) {
        let preserved: Vec<Family> = negotiated
            .peer_graceful_restart
            .iter()
            .flat_map(|gr| gr.families.iter())
            .filter(|f| f.forwarding_preserved)
            .map(|f| f.family)
            .collect();
        for family in Family::KNOWN.into_iter().filter(|f| !preserved.contains(f)) {
            let out = self.rib.purge_stale(peer, Some(family));
            self.dispatch(out).await;
        }
    }

    /// RFC 4486: a peer that sends more routes than allowed is closed with Cease/1.
    async fn check_max_prefixes(&mut self, peer: SourceId) {
        let Some(max) = self.peers.get(&peer).and_then(|p| p.max_prefixes) else {
            return;
        };
        let count = self.rib.paths_from(peer);
        if count > max as usize {
            warn!(
                peer,
                count, max, "maximum number of prefixes exceeded: closing the session"
            );
            if let Some(p) = self.peers.get(&peer) {
                p.handle
                    .command(PeerCommand::Stop(Notification::cease(cease::MAX_PREFIXES)))
                    .await;
                // Not brought back at once, else the same routes close it again in a loop
                // (RFC 4271 §8.1.1's peer oscillation damping; FRR's `maximum-prefix
                // restart`).
                if let Some(after) = p.max_prefixes_restart {
                    info!(
                        peer,
                        seconds = after.as_secs(),
                        "the session starts again after this delay"
                    );
                    self.max_prefixes_restarts
                        .insert(peer, Instant::now() + after);
                }
            }
        }
    }

    /// A MAC an E-VPN bridge of ours learnt or forgot on a port.
    async fn on_learned(&mut self, m: LearnedMac) {
        let Some(id) = instance_of_device(&m.bridge, EVPN_BRIDGE_PREFIX) else {
            return;
        };
        debug!(bridge = %m.bridge, port = %m.port, mac = %m.mac, learnt = m.learnt, "local MAC");
        let out = self
            .vpn
            .mac_learned(&mut self.rib, id, &m.port, m.mac, m.learnt);
        self.dispatch_vpn(out).await;
    }

    async fn on_api(&mut self, cmd: ApiCommand) {
        if let (Some(r), ApiCommand::Attach { .. } | ApiCommand::Detach { .. }) =
            (&mut self.replay, &cmd)
        {
            r.request(Instant::now());
        }
        match cmd {
            ApiCommand::Attach { request, reply } => {
                let result = self.vpn.attach(&mut self.rib, &request);
                let _ = reply.send(self.apply_vpn(result).await);
            }
            ApiCommand::Detach { request, reply } => {
                let result = self.vpn.detach(&mut self.rib, &request);
                let _ = reply.send(self.apply_vpn(result).await);
            }
            ApiCommand::LookingGlass {
                path,
                base_url,
                reply,
            } => {
                let view = looking_glass::EngineView::new(self, &base_url, &path).await;
                let root = DaemonLookingGlass {
                    info: &self.info,
                    config: &self.config,
                    logs: &self.logs,
                    engine: &view,
                };
                let _ = reply.send(answer(&root, &base_url, &path));
            }
            ApiCommand::Metrics { reply } => {
                let _ = reply.send(self.metrics().await);
            }
        }
    }

    async fn apply_vpn(
        &mut self,
        result: Result<VpnOutputs, bagpipe_vpn::VpnError>,
    ) -> Result<(), ApiError> {
        match result {
            Ok(out) => {
                self.dispatch_vpn(out).await;
                Ok(())
            }
            Err(e) => Err(ApiError::bad_request(e.field, e.reason)),
        }
    }

    /// Carries out a route table operation's outputs.
    async fn dispatch(&mut self, out: Outputs) {
        self.push_to_peers(out.peers);
        self.deliver_locals(out.locals).await;
    }

    /// Route events for the VPN instances, and what they then change. Removals deferred
    /// before go first, so that nothing overtakes them.
    async fn deliver_locals(&mut self, locals: Vec<RouteEvent>) {
        if !locals.is_empty() {
            while !self.backlog.is_empty() {
                self.deliver_backlog_slice().await;
            }
            let vo = self.vpn.route_events(&mut self.rib, locals);
            self.dispatch_vpn(vo).await;
        }
    }

    /// Like [`dispatch`](Self::dispatch), for the outputs of a route table operation that
    /// removes many paths at once (a peer gone down, its stale routes purged): the removals
    /// for the VPN instances are queued, and the loop delivers them a slice at a time, taking
    /// API commands and peer events in between, instead of holding everything for seconds
    /// (3 s for a million routes imported into a VRF). Nothing overtakes them: any other
    /// route event is delivered after they all are. What an API command does meanwhile reads
    /// the route table, which no longer has these paths, and removals for an instance
    /// deleted meanwhile are skipped (its source id is never reused).
    async fn defer_removals(&mut self, out: Outputs) {
        let only_removals = out.locals.iter().all(|e| e.attrs.is_none());
        if only_removals && out.locals.len() + self.backlog.len() >= DEFER_REMOVALS_FROM {
            debug!(
                removals = out.locals.len(),
                "route removals for the VPN instances deferred"
            );
            self.push_to_peers(out.peers);
            if self.backlog.is_empty() {
                // Taken as it is: copying a million removals would hold both copies at once.
                self.backlog = out.locals.into();
            } else {
                self.backlog.extend(out.locals);
            }
        } else {
            self.dispatch(out).await;
        }
    }

    /// Delivers deferred removals for up to [`REMOVALS_SLICE`], then lets the other tasks of
    /// this thread run (the API's connections among them: without that, their requests would
    /// not reach the engine before the backlog is gone).
    async fn deliver_backlog_slice(&mut self) {
        let began = Instant::now();
        while !self.backlog.is_empty() && began.elapsed() < REMOVALS_SLICE {
            let n = self.backlog.len().min(REMOVALS_STEP);
            let step: Vec<RouteEvent> = self.backlog.drain(..n).collect();
            let vo = self.vpn.route_events(&mut self.rib, step);
            self.dispatch_vpn(vo).await;
        }
        tokio::task::yield_now().await;
    }

    /// Delivers the deferred removals before the engine stops, within
    /// [`STOP_REMOVALS_BUDGET`].
    async fn deliver_backlog_before_stop(&mut self) {
        if self.backlog.is_empty() {
            return;
        }
        let (began, queued) = (Instant::now(), self.backlog.len());
        while !self.backlog.is_empty() && began.elapsed() < STOP_REMOVALS_BUDGET {
            self.deliver_backlog_slice().await;
        }
        info!(
            delivered = queued - self.backlog.len(),
            left = self.backlog.len(),
            "route removals queued for the VPN instances delivered before stopping"
        );
    }

    async fn dispatch_vpn(&mut self, out: VpnOutputs) {
        self.push_to_peers(out.peers);
        // A VRF plugged into an E-VPN routes for a port the E-VPN driver creates: that driver
        // goes first, else the IP VPN driver finds no such device and retries later.
        let plugging = !out.ipvpn.is_empty() && out.evpn.iter().any(|(_, u)| u.has_gateway_port());
        for (id, state) in out.evpn {
            if self.evpn.update(id, state).await.is_err() {
                warn!("the E-VPN dataplane driver task is gone");
            }
        }
        if plugging {
            let _ = self.evpn.flush().await;
        }
        for (id, state) in out.ipvpn {
            if self.ipvpn.update(id, state).await.is_err() {
                warn!("the IP VPN dataplane driver task is gone");
            }
        }
    }

    /// Answers a ROUTE-REFRESH: the routes, framed by BoRR/EoRR when enhanced route refresh
    /// was negotiated (RFC 7313 §4), else followed by End-of-RIB.
    async fn dispatch_refresh(
        &mut self,
        peer: SourceId,
        family: Family,
        mut out: Outputs,
        enhanced: bool,
    ) {
        if enhanced {
            for c in out.peers.iter_mut().filter(|c| c.peer == peer) {
                if c.advert == Advert::EndOfRib(family) {
                    c.key = None;
                }
            }
            if let Some(p) = self.peers.get(&peer) {
                p.handle.outbox.push([(
                    None,
                    OutItem::RouteRefresh(RouteRefresh {
                        family,
                        subtype: RefreshSubtype::BeginOfRefresh,
                    }),
                )]);
            }
            let (mine, rest): (Vec<PeerChange>, Vec<PeerChange>) =
                out.peers.into_iter().partition(|c| c.peer == peer);
            let items = mine.into_iter().map(|c| match c.advert {
                Advert::EndOfRib(f) => (
                    None,
                    OutItem::RouteRefresh(RouteRefresh {
                        family: f,
                        subtype: RefreshSubtype::EndOfRefresh,
                    }),
                ),
                a => (c.key, to_out_item(a)),
            });
            if let Some(p) = self.peers.get(&peer) {
                p.handle.outbox.push(items);
            }
            out.peers = rest;
        }
        self.dispatch(out).await;
    }

    fn push_to_peers(&mut self, mut changes: Vec<PeerChange>) {
        if let Some(r) = &mut self.replay {
            r.hold(&mut changes);
        }
        let mut by_peer: HashMap<SourceId, Vec<(Option<RouteKey>, OutItem)>> = HashMap::new();
        for c in changes {
            by_peer
                .entry(c.peer)
                .or_default()
                .push((c.key, to_out_item(c.advert)));
        }
        for (peer, items) in by_peer {
            if let Some(p) = self.peers.get(&peer) {
                p.handle.outbox.push(items);
            }
        }
    }
}

/// Removes the peers whose deadline has come from `deadlines`, and returns them.
fn take_expired(deadlines: &mut HashMap<SourceId, Instant>, now: Instant) -> Vec<SourceId> {
    let expired: Vec<SourceId> = deadlines
        .iter()
        .filter(|(_, at)| **at <= now)
        .map(|(id, _)| *id)
        .collect();
    for id in &expired {
        deadlines.remove(id);
    }
    expired
}

/// RFC 7606: an UPDATE with a treat-as-withdraw finding withdraws what it announces.
fn treat_as_withdraw(issues: &[DecodeError]) -> bool {
    issues
        .iter()
        .any(|e| e.action == ErrorAction::TreatAsWithdraw)
}

fn to_out_item(a: Advert) -> OutItem {
    match a {
        Advert::Announce {
            family,
            nlri,
            attrs,
        } => OutItem::Announce {
            family,
            nlri: PathNlri::from(nlri),
            attrs,
        },
        Advert::Withdraw { family, nlri } => OutItem::Withdraw {
            family,
            nlri: PathNlri::from(nlri),
        },
        Advert::EndOfRib(f) => OutItem::EndOfRib(f),
    }
}

/// The next learnt MAC; never, without learning.
async fn next_learned(learned: &mut Option<mpsc::Receiver<LearnedMac>>) -> Option<LearnedMac> {
    match learned {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
