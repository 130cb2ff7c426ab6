//! The task of one peer: runs the FSM of each of its TCP connections (an outgoing one, and an
//! incoming one while a collision is being resolved, RFC 4271 §6.8), turns FSM actions into
//! socket I/O and timers, hands received routes to the engine, and drains the peer's outbox
//! into packed UPDATEs.
//!
//! ```text
//!  listener ──TcpStream──► PeerTask ◄──(gen, ConnInput)── reader task (decodes)
//!  engine ──PeerCommand──►    │    ──PeerEvent──► engine
//!  engine ──Outbox (coalesced)─┘    ──Bytes──► writer task
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use bagpipe_wire::message::{Message, RouteRefresh, Update};
use bagpipe_wire::{CodecContext, DecodeError, ErrorAction, Family};
use bytes::Bytes;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::backoff::Backoff;
use crate::config::PeerConfig;
use crate::connection::{spawn_reader, spawn_writer, ConnInput};
use crate::fsm::{Action, DownReason, Event, Fsm, State, Timer};
use crate::negotiate::{Expectations, Negotiated};
use crate::open::build_open_restarting;
use crate::outbox::Outbox;
use crate::pack::pack;
use crate::status::{Counters, PeerShared};

pub type PeerId = u32;

/// What a peer tells the engine.
#[derive(Debug)]
pub enum PeerEvent {
    Established {
        peer: PeerId,
        negotiated: Arc<Negotiated>,
    },
    /// An UPDATE; when `issues` holds a treat-as-withdraw verdict, every route it announces
    /// must be handled as withdrawn (RFC 7606).
    Update {
        peer: PeerId,
        update: Update,
        issues: Vec<DecodeError>,
    },
    RouteRefresh {
        peer: PeerId,
        refresh: RouteRefresh,
    },
    /// The session ended. With `graceful_restart`, the peer's routes of the given families
    /// (those of its capability that the session carried) are to be kept as stale for that
    /// many seconds (RFC 4724 §4.2) instead of being withdrawn; its other routes go now.
    Down {
        peer: PeerId,
        reason: DownReason,
        graceful_restart: Option<(u16, Vec<Family>)>,
    },
}

/// What the engine (or an operator) tells a peer.
#[derive(Debug)]
pub enum PeerCommand {
    /// Close the session with this Cease NOTIFICATION and stay down.
    Stop(bagpipe_wire::message::Notification),
    /// Start again after a `Stop`.
    Start,
    /// Ask the peer to re-send its routes of a family (RFC 2918).
    RequestRefresh(Family),
    /// Close the session (Cease, administrative shutdown) and end the task.
    Exit,
    /// Close the connection without a NOTIFICATION and end the task: this speaker restarts
    /// with its forwarding state preserved, and the peer is to keep its routes meanwhile
    /// (RFC 4724 §4.2 retains them when the session drops; a Cease would flush them).
    ExitForRestart,
}

/// The engine's side of a peer task.
pub struct PeerHandle<K> {
    pub id: PeerId,
    pub config: Arc<PeerConfig>,
    pub outbox: Arc<Outbox<K>>,
    pub shared: Arc<PeerShared>,
    commands: mpsc::Sender<PeerCommand>,
    inbound: mpsc::Sender<TcpStream>,
    task: JoinHandle<()>,
}

impl<K> PeerHandle<K> {
    pub async fn command(&self, c: PeerCommand) {
        let _ = self.commands.send(c).await;
    }

    /// Where the listener hands this peer's incoming connections.
    pub fn inbound(&self) -> mpsc::Sender<TcpStream> {
        self.inbound.clone()
    }

    /// Waits for the task to end (after `PeerCommand::Exit`).
    pub async fn join(self) {
        let _ = self.task.await;
    }
}

const OUT: usize = 0;
const IN: usize = 1;
/// Route changes taken from the outbox per write: enough to fill several full UPDATEs.
const DRAIN_BATCH: usize = 2048;

struct Link {
    generation: u64,
    writer: mpsc::Sender<Bytes>,
    reader: JoinHandle<()>,
    encode_ctx: CodecContext,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

struct Slot {
    fsm: Fsm,
    link: Option<Link>,
    /// Deadlines of ConnectRetry, Hold, Keepalive.
    timers: [Option<Instant>; 3],
}

fn timer_index(t: Timer) -> usize {
    match t {
        Timer::ConnectRetry => 0,
        Timer::Hold => 1,
        Timer::Keepalive => 2,
    }
}

const TIMERS: [Timer; 3] = [Timer::ConnectRetry, Timer::Hold, Timer::Keepalive];

enum Wake {
    Command(Option<PeerCommand>),
    Inbound(TcpStream),
    Connected(u64, std::io::Result<TcpStream>),
    Input(u64, ConnInput),
    Timer(Option<usize>, Option<Timer>),
    HoldOver,
    OutboxReady,
    CanWrite(Option<mpsc::OwnedPermit<Bytes>>),
}

struct PeerTask<K> {
    id: PeerId,
    config: Arc<PeerConfig>,
    slots: [Option<Slot>; 2],
    /// Generation of the outgoing connection attempt in flight, if any.
    connecting: Option<u64>,
    next_generation: u64,
    input_tx: mpsc::Sender<(u64, ConnInput)>,
    input_rx: mpsc::Receiver<(u64, ConnInput)>,
    connect_tx: mpsc::Sender<(u64, std::io::Result<TcpStream>)>,
    connect_rx: mpsc::Receiver<(u64, std::io::Result<TcpStream>)>,
    commands: mpsc::Receiver<PeerCommand>,
    inbound: mpsc::Receiver<TcpStream>,
    events: mpsc::Sender<PeerEvent>,
    outbox: Arc<Outbox<K>>,
    shared: Arc<PeerShared>,
    backoff: Backoff,
    /// When an idle peer starts again (the damped IdleHold delay).
    restart_at: Option<Instant>,
    admin_down: bool,
    outbox_pending: bool,
    /// Until when the outbox is left alone after a write ([`PeerConfig::update_hold`]).
    hold_until: Option<Instant>,
    established: Option<usize>,
    /// The R bit of our OPENs: set after a restart until a session comes up.
    restarting: bool,
}

/// Starts the task of one peer; it connects (unless passive) right away.
pub fn spawn_peer<K>(
    id: PeerId,
    config: PeerConfig,
    events: mpsc::Sender<PeerEvent>,
) -> PeerHandle<K>
where
    K: std::hash::Hash + Eq + Clone + Send + 'static,
{
    let config = Arc::new(config);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let (in_tx, in_rx) = mpsc::channel(4);
    let (input_tx, input_rx) = mpsc::channel(64);
    let (connect_tx, connect_rx) = mpsc::channel(4);
    let outbox = Outbox::new();
    let shared = Arc::new(PeerShared::default());
    let task = PeerTask {
        id,
        config: Arc::clone(&config),
        slots: [None, None],
        connecting: None,
        next_generation: 1,
        input_tx,
        input_rx,
        connect_tx,
        connect_rx,
        commands: cmd_rx,
        inbound: in_rx,
        events,
        outbox: Arc::clone(&outbox),
        shared: Arc::clone(&shared),
        backoff: Backoff::new(config.connect_retry),
        restart_at: None,
        admin_down: false,
        outbox_pending: false,
        hold_until: None,
        established: None,
        restarting: config
            .graceful_restart
            .as_ref()
            .is_some_and(|gr| gr.restarting),
    };
    let task = tokio::spawn(task.run());
    PeerHandle {
        id,
        config,
        outbox,
        shared,
        commands: cmd_tx,
        inbound: in_tx,
        task,
    }
}

impl<K: std::hash::Hash + Eq + Clone + Send + 'static> PeerTask<K> {
    /// A connection slot in Idle, with no connection and no timer.
    fn new_slot(&self) -> Slot {
        let expect = Expectations {
            local_id: self.config.router_id,
            local_asn: self.config.local_asn,
            remote_asn: Some(self.config.remote_asn()),
        };
        Slot {
            fsm: Fsm::new(build_open_restarting(&self.config, self.restarting), expect),
            link: None,
            timers: [None; 3],
        }
    }

    fn start_event(&self) -> Event {
        if self.config.passive {
            Event::StartPassive
        } else {
            Event::Start
        }
    }

    async fn run(mut self) {
        self.slots[OUT] = Some(self.new_slot());
        let start = self.start_event();
        if !self.dispatch(OUT, start, None).await {
            return;
        }
        loop {
            let wake = self.wait().await;
            let alive = match wake {
                Wake::Command(None) | Wake::Command(Some(PeerCommand::Exit)) => {
                    let n = bagpipe_wire::message::Notification::cease(
                        bagpipe_wire::message::cease::ADMINISTRATIVE_SHUTDOWN,
                    );
                    self.stop_all(n).await;
                    return;
                }
                Wake::Command(Some(PeerCommand::ExitForRestart)) => {
                    info!(peer = %self.config.address, "closing the session without NOTIFICATION: restarting, the peer keeps our routes");
                    for slot in self.slots.iter_mut().flatten() {
                        slot.link = None;
                    }
                    return;
                }
                Wake::Command(Some(c)) => self.on_command(c).await,
                Wake::Inbound(stream) => self.on_inbound(stream).await,
                Wake::Connected(generation, result) => self.on_connected(generation, result).await,
                Wake::Input(generation, input) => self.on_input(generation, input).await,
                Wake::Timer(slot, timer) => self.on_timer(slot, timer).await,
                Wake::HoldOver => {
                    self.hold_until = None;
                    true
                }
                Wake::OutboxReady => {
                    self.outbox_pending = true;
                    true
                }
                Wake::CanWrite(permit) => self.on_can_write(permit),
            };
            if !alive {
                return;
            }
        }
    }

    /// Waits for the next thing to do.
    async fn wait(&mut self) -> Wake {
        let deadline = self.next_deadline();
        let writer = self.established.and_then(|s| {
            self.slots[s]
                .as_ref()?
                .link
                .as_ref()
                .map(|l| l.writer.clone())
        });
        let can_drain = self.outbox_pending && writer.is_some();
        // While held, pushes to the outbox leave a permit in its Notify, which `ready()`
        // takes as soon as the hold is over.
        let hold = self.hold_until;
        let watch_outbox = self.established.is_some() && !self.outbox_pending && hold.is_none();
        let hold_over = async move {
            match hold {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let sleep = async move {
            match deadline {
                Some((at, slot, timer)) => {
                    tokio::time::sleep_until(at).await;
                    (slot, timer)
                }
                None => std::future::pending().await,
            }
        };
        let outbox = Arc::clone(&self.outbox);
        tokio::select! {
            c = self.commands.recv() => Wake::Command(c),
            Some(s) = self.inbound.recv() => Wake::Inbound(s),
            Some((g, r)) = self.connect_rx.recv() => Wake::Connected(g, r),
            Some((g, i)) = self.input_rx.recv() => Wake::Input(g, i),
            (slot, timer) = sleep => Wake::Timer(slot, timer),
            () = hold_over => Wake::HoldOver,
            _ = outbox.ready(), if watch_outbox => Wake::OutboxReady,
            p = reserve(writer), if can_drain => Wake::CanWrite(p),
        }
    }

    /// The earliest timer: `(when, slot, timer)`, or the idle restart (`slot` None).
    fn next_deadline(&self) -> Option<(Instant, Option<usize>, Option<Timer>)> {
        let mut best = self.restart_at.map(|at| (at, None, None));
        for (i, slot) in self.slots.iter().enumerate() {
            let Some(slot) = slot else { continue };
            for t in TIMERS {
                if let Some(at) = slot.timers[timer_index(t)] {
                    if best.is_none_or(|(b, _, _)| at < b) {
                        best = Some((at, Some(i), Some(t)));
                    }
                }
            }
        }
        best
    }

    async fn on_timer(&mut self, slot: Option<usize>, timer: Option<Timer>) -> bool {
        let (Some(s), Some(t)) = (slot, timer) else {
            self.restart_at = None;
            if !self.admin_down && !self.any_alive() {
                if self.slots[OUT].is_none() {
                    self.slots[OUT] = Some(self.new_slot());
                }
                let e = self.start_event();
                return self.dispatch(OUT, e, None).await;
            }
            return true;
        };
        if let Some(sl) = self.slots[s].as_mut() {
            sl.timers[timer_index(t)] = None;
        }
        let event = match t {
            Timer::ConnectRetry => Event::ConnectRetryTimerExpires,
            Timer::Hold => Event::HoldTimerExpires,
            Timer::Keepalive => Event::KeepaliveTimerExpires,
        };
        self.dispatch(s, event, None).await
    }

    async fn on_command(&mut self, c: PeerCommand) -> bool {
        match c {
            PeerCommand::Stop(n) => {
                self.admin_down = true;
                self.restart_at = None;
                self.stop_all(n).await
            }
            PeerCommand::Start => {
                if self.admin_down {
                    self.admin_down = false;
                    self.restart_at = Some(Instant::now());
                }
                true
            }
            PeerCommand::RequestRefresh(family) => {
                if let Some(s) = self.established {
                    let m = Message::RouteRefresh(RouteRefresh::request(family));
                    self.send(s, &m);
                }
                true
            }
            PeerCommand::Exit | PeerCommand::ExitForRestart => unreachable!("handled by run"),
        }
    }

    async fn stop_all(&mut self, n: bagpipe_wire::message::Notification) -> bool {
        for s in [OUT, IN] {
            if self.slots[s]
                .as_ref()
                .is_some_and(|sl| sl.fsm.state() != State::Idle)
                && !self.dispatch(s, Event::Stop(n.clone()), None).await
            {
                return false;
            }
        }
        self.connecting = None;
        true
    }

    /// An incoming connection from this peer's address.
    async fn on_inbound(&mut self, stream: TcpStream) -> bool {
        if self.admin_down {
            debug!(peer = %self.config.address, "incoming connection refused: peer administratively down");
            return true;
        }
        // A passive peer waiting in Active takes it on its main FSM; otherwise it gets a
        // second FSM for the collision procedure.
        let out_waiting = self.slots[OUT]
            .as_ref()
            .is_some_and(|s| s.fsm.state() == State::Active && s.link.is_none());
        let slot = if self.config.passive && out_waiting {
            OUT
        } else {
            if self.slots[IN]
                .as_ref()
                .is_some_and(|s| s.fsm.state() != State::Idle)
            {
                debug!(peer = %self.config.address, "incoming connection refused: one is already being set up");
                return true;
            }
            let mut incoming = self.new_slot();
            incoming.fsm.handle(Event::StartPassive);
            self.slots[IN] = Some(incoming);
            IN
        };
        self.attach(slot, stream);
        self.dispatch(slot, Event::TcpConnectionConfirmed, None)
            .await
    }

    async fn on_connected(&mut self, generation: u64, result: std::io::Result<TcpStream>) -> bool {
        if self.connecting != Some(generation) {
            return true; // a cancelled attempt
        }
        self.connecting = None;
        match result {
            Ok(stream) => {
                self.attach(OUT, stream);
                self.dispatch(OUT, Event::TcpCrAcked, None).await
            }
            Err(e) => {
                debug!(peer = %self.config.address, error = %e, "connection attempt failed");
                self.shared
                    .update(|i| i.last_error = Some(format!("connect: {e}")));
                self.dispatch(OUT, Event::TcpConnectionFails, None).await
            }
        }
    }

    fn attach(&mut self, slot: usize, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let generation = self.next_generation;
        self.next_generation += 1;
        let (read, write) = stream.into_split();
        let sl = self.slots[slot].as_mut().expect("slot exists");
        let reader = spawn_reader(
            read,
            generation,
            sl.fsm.our_open().clone(),
            self.input_tx.clone(),
        );
        sl.link = Some(Link {
            generation,
            writer: spawn_writer(write),
            reader,
            encode_ctx: CodecContext::initial(),
        });
    }

    async fn on_input(&mut self, generation: u64, input: ConnInput) -> bool {
        let Some(slot) = (0..2).find(|&s| {
            self.slots[s]
                .as_ref()
                .and_then(|sl| sl.link.as_ref())
                .is_some_and(|l| l.generation == generation)
        }) else {
            return true; // from a connection already dropped
        };
        let c = &self.shared.counters;
        match input {
            ConnInput::Closed(why) => {
                debug!(peer = %self.config.address, %why, "connection closed");
                self.dispatch(slot, Event::TcpConnectionFails, None).await
            }
            ConnInput::Malformed(e) => {
                warn!(peer = %self.config.address, error = %e, "malformed message, resetting the session");
                self.shared.update(|i| i.last_error = Some(e.to_string()));
                let n = e
                    .notification()
                    .cloned()
                    .unwrap_or_else(|| bagpipe_wire::message::Notification::new(3, 0, vec![]));
                self.dispatch(slot, Event::MessageError(n), None).await
            }
            ConnInput::Message(d) => {
                Counters::add(&c.messages_received, 1);
                let event = match &d.message {
                    Message::Open(o) => {
                        if !self.resolve_collision(slot, o.bgp_id).await {
                            return true;
                        }
                        Event::BgpOpen(Box::new(o.clone()))
                    }
                    Message::Update(_) => {
                        Counters::add(&c.updates_received, 1);
                        Event::UpdateMsg
                    }
                    Message::Keepalive => Event::KeepAliveMsg,
                    Message::Notification(n) => {
                        Counters::add(&c.notifications_received, 1);
                        info!(peer = %self.config.address, notification = %n, "NOTIFICATION received");
                        self.shared
                            .update(|i| i.last_error = Some(format!("NOTIFICATION received: {n}")));
                        Event::NotifMsg(n.clone())
                    }
                    Message::RouteRefresh(_) => Event::RouteRefreshMsg,
                };
                self.dispatch(slot, event, Some(d)).await
            }
        }
    }

    /// RFC 4271 §6.8, on receiving an OPEN on `slot` from a peer with identifier `remote_id`.
    /// Returns whether `slot` survives.
    async fn resolve_collision(&mut self, slot: usize, remote_id: std::net::Ipv4Addr) -> bool {
        let other = 1 - slot;
        let Some(other_state) = self.slots[other].as_ref().map(|s| s.fsm.state()) else {
            return true;
        };
        let loser = match other_state {
            State::Idle => return true,
            State::Connect | State::Active => {
                // The other connection has not got as far: abandon it quietly.
                self.retire(other);
                return true;
            }
            State::Established => slot,
            State::OpenSent | State::OpenConfirm => {
                // The connection opened by the side with the lower identifier is closed.
                if u32::from(self.config.router_id) < u32::from(remote_id) {
                    OUT
                } else {
                    IN
                }
            }
        };
        info!(peer = %self.config.address, closing = if loser == OUT { "outgoing" } else { "incoming" }, "connection collision");
        self.dispatch(loser, Event::OpenCollisionDump, None).await;
        loser != slot
    }

    /// Drops a slot's connection attempt without telling anyone (it never got to OpenSent).
    fn retire(&mut self, slot: usize) {
        if slot == OUT {
            self.connecting = None;
            self.slots[OUT] = Some(self.new_slot());
        } else {
            self.slots[IN] = None;
        }
    }

    fn any_alive(&self) -> bool {
        self.slots
            .iter()
            .flatten()
            .any(|s| s.fsm.state() != State::Idle)
    }

    fn send(&mut self, slot: usize, m: &Message) {
        let Some(link) = self.slots[slot].as_ref().and_then(|s| s.link.as_ref()) else {
            return;
        };
        match m.to_bytes(&link.encode_ctx) {
            Ok(bytes) => {
                // Control messages are small and rare: if the queue is full the peer is not
                // reading at all and its hold timer will end the session anyway.
                if link.writer.try_send(Bytes::from(bytes)).is_ok() {
                    Counters::add(&self.shared.counters.messages_sent, 1);
                }
            }
            Err(e) => warn!(peer = %self.config.address, error = %e, "could not encode message"),
        }
    }

    fn on_can_write(&mut self, permit: Option<mpsc::OwnedPermit<Bytes>>) -> bool {
        let (Some(permit), Some(s)) = (permit, self.established) else {
            self.outbox_pending = false;
            return true;
        };
        let items = self.outbox.drain(DRAIN_BATCH);
        if items.is_empty() {
            self.outbox_pending = false;
            return true;
        }
        let ctx = self.slots[s]
            .as_ref()
            .and_then(|sl| sl.link.as_ref())
            .map(|l| l.encode_ctx.clone())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(64 * 1024);
        if let Err(e) = pack(items, &ctx, &mut out) {
            warn!(peer = %self.config.address, error = %e, "could not encode updates");
        }
        let messages = count_messages(&out);
        Counters::add(&self.shared.counters.messages_sent, messages);
        Counters::add(&self.shared.counters.updates_sent, messages);
        permit.send(Bytes::from(out));
        self.hold_until = Some(Instant::now() + self.config.update_hold);
        if self.outbox.is_empty() {
            self.outbox_pending = false;
        }
        true
    }

    /// Feeds `event` to the FSM of `slot` and carries out its actions. Returns false when the
    /// engine is gone and the task must end.
    async fn dispatch(
        &mut self,
        slot: usize,
        event: Event,
        message: Option<bagpipe_wire::Decoded>,
    ) -> bool {
        let Some(sl) = self.slots[slot].as_mut() else {
            return true;
        };
        let before = sl.fsm.state();
        let actions = sl.fsm.handle(event);
        let after = sl.fsm.state();
        if before != after {
            debug!(peer = %self.config.address, from = before.name(), to = after.name(), "state change");
        }
        let mut message = message;
        for action in actions {
            if !self.execute(slot, action, &mut message).await {
                return false;
            }
        }
        self.publish_state();
        true
    }

    async fn execute(
        &mut self,
        slot: usize,
        action: Action,
        message: &mut Option<bagpipe_wire::Decoded>,
    ) -> bool {
        match action {
            Action::InitiateConnect => self.initiate_connect(),
            Action::DropConnection => {
                if let Some(sl) = self.slots[slot].as_mut() {
                    sl.link = None;
                }
                if slot == OUT {
                    self.connecting = None;
                }
            }
            Action::SendOpen => {
                let open = self.slots[slot]
                    .as_ref()
                    .expect("slot")
                    .fsm
                    .our_open()
                    .clone();
                self.send(slot, &Message::Open(open));
            }
            Action::SendKeepalive => self.send(slot, &Message::Keepalive),
            Action::SendNotification(n) => {
                Counters::add(&self.shared.counters.notifications_sent, 1);
                info!(peer = %self.config.address, notification = %n, "sending NOTIFICATION");
                self.send(slot, &Message::Notification(n));
            }
            Action::StartTimer(t, secs) => {
                let delay = match t {
                    Timer::ConnectRetry => self.backoff.next_delay(),
                    _ => std::time::Duration::from_secs(secs as u64),
                };
                if let Some(sl) = self.slots[slot].as_mut() {
                    sl.timers[timer_index(t)] = Some(Instant::now() + delay);
                }
            }
            Action::StopTimer(t) => {
                if let Some(sl) = self.slots[slot].as_mut() {
                    sl.timers[timer_index(t)] = None;
                }
            }
            Action::SessionEstablished(n) => return self.on_established(slot, *n).await,
            Action::SessionDown {
                reason,
                was_established,
            } => return self.on_down(slot, reason, was_established).await,
            Action::DeliverMessage => {
                let Some(d) = message.take() else { return true };
                let event = match d.message {
                    Message::Update(update) => {
                        self.log_issues(&d.issues);
                        PeerEvent::Update {
                            peer: self.id,
                            update,
                            issues: d.issues,
                        }
                    }
                    Message::RouteRefresh(refresh) => PeerEvent::RouteRefresh {
                        peer: self.id,
                        refresh,
                    },
                    _ => return true,
                };
                return self.events.send(event).await.is_ok();
            }
        }
        true
    }

    fn log_issues(&self, issues: &[DecodeError]) {
        for e in issues {
            if e.action == ErrorAction::TreatAsWithdraw {
                Counters::add(&self.shared.counters.malformed_updates, 1);
            }
            warn!(peer = %self.config.address, verdict = e.action.name(), error = %e, "malformed UPDATE");
            self.shared.update(|i| {
                i.last_error = Some(format!("malformed UPDATE ({}): {e}", e.action.name()))
            });
        }
    }

    fn initiate_connect(&mut self) {
        let generation = self.next_generation;
        self.next_generation += 1;
        self.connecting = Some(generation);
        let config = Arc::clone(&self.config);
        let tx = self.connect_tx.clone();
        tokio::spawn(async move {
            let r = connect(&config).await;
            let _ = tx.send((generation, r)).await;
        });
    }

    async fn on_established(&mut self, slot: usize, n: Negotiated) -> bool {
        info!(peer = %self.config.address, peer_as = n.peer_asn, families = ?n.families, hold_time = n.hold_time, "session established");
        let other = 1 - slot;
        if self.slots[other]
            .as_ref()
            .is_some_and(|s| s.fsm.state() != State::Idle)
        {
            // The other connection can only be an attempt that got nowhere.
            self.retire(other);
        }
        if let Some(link) = self.slots[slot].as_mut().and_then(|s| s.link.as_mut()) {
            link.encode_ctx = n.encode_context();
        }
        self.established = Some(slot);
        self.restarting = false;
        self.backoff.reset();
        Counters::add(&self.shared.counters.established_transitions, 1);
        self.shared.update(|i| {
            i.established_at = Some(SystemTime::now());
            i.negotiated = Some(n.clone());
        });
        self.outbox.clear();
        self.outbox_pending = false;
        self.events
            .send(PeerEvent::Established {
                peer: self.id,
                negotiated: Arc::new(n),
            })
            .await
            .is_ok()
    }

    async fn on_down(&mut self, slot: usize, reason: DownReason, was_established: bool) -> bool {
        if slot == IN {
            self.slots[IN] = None;
        }
        if was_established {
            warn!(peer = %self.config.address, %reason, "session down");
            let negotiated = self
                .shared
                .info
                .lock()
                .expect("status lock")
                .negotiated
                .clone();
            let graceful_restart = negotiated.and_then(|n| {
                let gr = n.peer_graceful_restart?;
                let keeps = match &reason {
                    DownReason::ConnectionLost => true,
                    DownReason::HoldTimerExpired => gr.notification,
                    _ => false,
                };
                // A capability without families (a helper only, as FRR's by default)
                // preserves nothing: its routes are withdrawn at once.
                let families: Vec<Family> = gr
                    .families
                    .iter()
                    .map(|f| f.family)
                    .filter(|f| n.families.contains(f))
                    .collect();
                (keeps && !families.is_empty()).then_some((gr.restart_time, families))
            });
            self.established = None;
            self.outbox.clear();
            self.outbox_pending = false;
            self.shared.update(|i| {
                i.established_at = None;
                i.negotiated = None;
                i.last_error = Some(reason.to_string());
            });
            if self
                .events
                .send(PeerEvent::Down {
                    peer: self.id,
                    reason,
                    graceful_restart,
                })
                .await
                .is_err()
            {
                return false;
            }
        }
        if !self.admin_down && !self.any_alive() && self.restart_at.is_none() {
            self.restart_at = Some(Instant::now() + self.backoff.next_delay());
        }
        true
    }

    fn publish_state(&self) {
        let state = self
            .slots
            .iter()
            .flatten()
            .map(|s| s.fsm.state())
            .max()
            .unwrap_or(State::Idle);
        self.shared.update(|i| {
            if i.state != state {
                i.previous_state = Some(i.state);
                i.state_since = SystemTime::now();
                i.state = state;
            }
        });
    }
}

async fn reserve(writer: Option<mpsc::Sender<Bytes>>) -> Option<mpsc::OwnedPermit<Bytes>> {
    writer?.reserve_owned().await.ok()
}

fn count_messages(buf: &[u8]) -> u64 {
    let mut n = 0;
    let mut at = 0;
    while at + 19 <= buf.len() {
        at += u16::from_be_bytes([buf[at + 16], buf[at + 17]]) as usize;
        n += 1;
    }
    n
}

/// Opens the TCP connection to the peer, from its local address, with its MD5 key.
fn connect(
    config: &PeerConfig,
) -> impl Future<Output = std::io::Result<TcpStream>> + Send + 'static {
    let config = config.clone();
    async move {
        let remote = SocketAddr::new(config.address, config.port);
        let socket = if remote.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        if let Some(local) = config.local_address {
            socket.bind(SocketAddr::new(local, 0))?;
        }
        if config.md5_password.is_some() {
            crate::md5::set_md5_key(&socket, config.address, config.md5_password.as_deref())?;
        }
        socket.connect(remote).await
    }
}
