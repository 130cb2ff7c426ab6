//! The BGP finite state machine of RFC 4271 §8, as pure transitions: `(state, event) → (new
//! state, actions)`. No socket, no clock: the session task turns actions into I/O and timers,
//! and turns what happens into events. One `Fsm` runs per TCP connection (RFC 4271 §8: a
//! peer may briefly have two during a connection collision, §6.8).
//!
//! Simplifications, all allowed by the RFC: no DelayOpen, no optional TCP-level events;
//! connection retries and restarts after an error use the damped (exponential) delay of the
//! session task instead of a fixed ConnectRetryTime (§8.1.1 DampPeerOscillations).

use bagpipe_wire::message::{cease, error_code, fsm_error, Notification, Open};

use crate::negotiate::{negotiate, Expectations, Negotiated};

/// RFC 4271 §8.2.2 states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    Idle,
    Connect,
    Active,
    OpenSent,
    OpenConfirm,
    Established,
}

impl State {
    /// The names the original bagpipe-bgp's looking glass shows.
    pub fn name(self) -> &'static str {
        match self {
            State::Idle => "Idle",
            State::Connect => "Connect",
            State::Active => "Active",
            State::OpenSent => "OpenSent",
            State::OpenConfirm => "OpenConfirm",
            State::Established => "Established",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    ConnectRetry,
    Hold,
    Keepalive,
}

/// RFC 4271 §8.1 events (numbers in comments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// 1 / 3: start, connecting out.
    Start,
    /// 4 / 5: start, waiting for the peer to connect.
    StartPassive,
    /// 2: stop, with the Cease NOTIFICATION to send (administrative shutdown, maximum
    /// prefixes reached, ...).
    Stop(Notification),
    /// 9
    ConnectRetryTimerExpires,
    /// 10
    HoldTimerExpires,
    /// 11
    KeepaliveTimerExpires,
    /// 16: our outgoing connection is up.
    TcpCrAcked,
    /// 17: the peer's incoming connection was accepted.
    TcpConnectionConfirmed,
    /// 18
    TcpConnectionFails,
    /// 19
    BgpOpen(Box<Open>),
    /// 21 / 22: a malformed message header or OPEN; the NOTIFICATION to send.
    MessageError(Notification),
    /// 23: this connection lost a collision (§6.8).
    OpenCollisionDump,
    /// 24 / 25
    NotifMsg(Notification),
    /// 26
    KeepAliveMsg,
    /// 27
    UpdateMsg,
    /// 28: an UPDATE that requires a session reset; the NOTIFICATION to send.
    UpdateMsgErr(Notification),
    /// RFC 2918: ROUTE-REFRESH received.
    RouteRefreshMsg,
}

/// Why an established session, or an attempt at one, ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownReason {
    Stopped(Notification),
    HoldTimerExpired,
    ConnectionLost,
    NotificationReceived(Notification),
    NotificationSent(Notification),
    CollisionLost,
}

impl std::fmt::Display for DownReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DownReason::Stopped(n) => write!(f, "stopped ({n})"),
            DownReason::HoldTimerExpired => f.write_str("hold timer expired"),
            DownReason::ConnectionLost => f.write_str("connection lost"),
            DownReason::NotificationReceived(n) => write!(f, "NOTIFICATION received: {n}"),
            DownReason::NotificationSent(n) => write!(f, "NOTIFICATION sent: {n}"),
            DownReason::CollisionLost => f.write_str("connection collision resolution"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    InitiateConnect,
    DropConnection,
    SendOpen,
    SendKeepalive,
    SendNotification(Notification),
    /// Start (or restart) a timer: Hold and Keepalive for the given seconds, ConnectRetry for
    /// the session task's current damped delay.
    StartTimer(Timer, u16),
    StopTimer(Timer),
    /// OpenConfirm → Established.
    SessionEstablished(Box<Negotiated>),
    /// The connection reached Idle; `was_established` tells whether routes must be flushed.
    SessionDown {
        reason: DownReason,
        was_established: bool,
    },
    /// Hand the UPDATE / ROUTE-REFRESH just received to the route table.
    DeliverMessage,
}

/// The hold time used until the peer's OPEN arrives (RFC 4271 §8.2.2: "a large value", 4 min).
pub const LARGE_HOLD_TIME: u16 = 240;

pub struct Fsm {
    state: State,
    our_open: Open,
    expect: Expectations,
    negotiated: Option<Negotiated>,
    /// RFC 4271 §8: ConnectRetryCounter, for the looking glass and damping.
    pub connect_retry_counter: u32,
}

impl Fsm {
    pub fn new(our_open: Open, expect: Expectations) -> Self {
        Fsm {
            state: State::Idle,
            our_open,
            expect,
            negotiated: None,
            connect_retry_counter: 0,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn our_open(&self) -> &Open {
        &self.our_open
    }

    /// Applies `event` and returns what the session task must do, in order.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        use Action as A;
        use Event as E;
        use State as S;
        let mut acts = Vec::new();
        let next = match (self.state, event) {
            // ---- Idle (§8.2.2): only start events matter.
            (S::Idle, E::Start) => {
                acts.push(A::StartTimer(Timer::ConnectRetry, 0));
                acts.push(A::InitiateConnect);
                S::Connect
            }
            (S::Idle, E::StartPassive) => S::Active,
            (S::Idle, _) => S::Idle,

            // ---- Stop, in every other state.
            (s, E::Stop(n)) => {
                if s >= S::OpenSent {
                    acts.push(A::SendNotification(n.clone()));
                }
                self.connect_retry_counter = 0;
                return self.go_idle(acts, DownReason::Stopped(n));
            }

            // ---- Connect and Active.
            (S::Connect | S::Active, E::ConnectRetryTimerExpires) => {
                acts.push(A::DropConnection);
                acts.push(A::StartTimer(Timer::ConnectRetry, 0));
                acts.push(A::InitiateConnect);
                S::Connect
            }
            (S::Connect | S::Active, E::TcpCrAcked | E::TcpConnectionConfirmed) => {
                acts.push(A::StopTimer(Timer::ConnectRetry));
                acts.push(A::SendOpen);
                acts.push(A::StartTimer(Timer::Hold, LARGE_HOLD_TIME));
                S::OpenSent
            }
            (S::Connect, E::TcpConnectionFails) => {
                acts.push(A::DropConnection);
                acts.push(A::StartTimer(Timer::ConnectRetry, 0));
                S::Active
            }
            (S::Active, E::TcpConnectionFails) => {
                self.connect_retry_counter += 1;
                return self.go_idle(acts, DownReason::ConnectionLost);
            }
            (S::Connect | S::Active, _) => {
                // Any other event (e.g. a message before the connection is up) is an FSM
                // error: back to Idle (§8.2.2).
                self.connect_retry_counter += 1;
                return self.go_idle(acts, DownReason::ConnectionLost);
            }

            // ---- OpenSent, OpenConfirm, Established: events common to the three.
            (_, E::HoldTimerExpires) => {
                let n = Notification::new(error_code::HOLD_TIMER_EXPIRED, 0, vec![]);
                acts.push(A::SendNotification(n));
                self.connect_retry_counter += 1;
                return self.go_idle(acts, DownReason::HoldTimerExpired);
            }
            (S::OpenSent, E::TcpConnectionFails) => {
                acts.push(A::DropConnection);
                acts.push(A::StopTimer(Timer::Hold));
                acts.push(A::StartTimer(Timer::ConnectRetry, 0));
                S::Active
            }
            (_, E::TcpConnectionFails) => {
                self.connect_retry_counter += 1;
                return self.go_idle(acts, DownReason::ConnectionLost);
            }
            (_, E::NotifMsg(n)) => {
                self.connect_retry_counter += 1;
                return self.go_idle(acts, DownReason::NotificationReceived(n));
            }
            (_, E::MessageError(n) | E::UpdateMsgErr(n)) => {
                acts.push(A::SendNotification(n.clone()));
                self.connect_retry_counter += 1;
                return self.go_idle(acts, DownReason::NotificationSent(n));
            }
            (_, E::OpenCollisionDump) => {
                acts.push(A::SendNotification(Notification::cease(
                    cease::CONNECTION_COLLISION_RESOLUTION,
                )));
                self.connect_retry_counter += 1;
                return self.go_idle(acts, DownReason::CollisionLost);
            }

            // ---- OpenSent.
            (S::OpenSent, E::BgpOpen(open)) => match negotiate(&self.our_open, &open, &self.expect)
            {
                Ok(n) => {
                    acts.push(A::StopTimer(Timer::ConnectRetry));
                    acts.push(A::SendKeepalive);
                    if n.hold_time == 0 {
                        acts.push(A::StopTimer(Timer::Hold));
                    } else {
                        acts.push(A::StartTimer(Timer::Keepalive, n.keepalive_time.max(1)));
                        acts.push(A::StartTimer(Timer::Hold, n.hold_time));
                    }
                    self.negotiated = Some(n);
                    S::OpenConfirm
                }
                Err(notification) => {
                    acts.push(A::SendNotification(notification.clone()));
                    self.connect_retry_counter += 1;
                    return self.go_idle(acts, DownReason::NotificationSent(notification));
                }
            },

            // ---- OpenConfirm.
            (S::OpenConfirm, E::KeepAliveMsg) => {
                let n = self.negotiated.clone().expect("negotiated in OpenSent");
                if n.hold_time > 0 {
                    acts.push(A::StartTimer(Timer::Hold, n.hold_time));
                }
                acts.push(A::SessionEstablished(Box::new(n)));
                S::Established
            }

            // ---- OpenConfirm and Established: keepalives.
            // With a hold time of zero there are no periodic KEEPALIVEs (RFC 4271 §10), so
            // no keepalive timer: one that fires all the same (set before) is ignored.
            (S::OpenConfirm | S::Established, E::KeepaliveTimerExpires)
                if self.negotiated.as_ref().is_some_and(|n| n.hold_time == 0) =>
            {
                self.state
            }
            (S::OpenConfirm | S::Established, E::KeepaliveTimerExpires) => {
                acts.push(A::SendKeepalive);
                acts.push(A::StartTimer(Timer::Keepalive, self.keepalive_time()));
                self.state
            }

            // ---- Established.
            (S::Established, E::KeepAliveMsg) => {
                self.restart_hold(&mut acts);
                S::Established
            }
            (S::Established, E::UpdateMsg | E::RouteRefreshMsg) => {
                self.restart_hold(&mut acts);
                acts.push(A::DeliverMessage);
                S::Established
            }

            // ---- Anything else in OpenSent, OpenConfirm or Established is an FSM error
            // (RFC 6608 subcodes name the state).
            (s, _) => {
                let sub = match s {
                    S::OpenSent => fsm_error::UNEXPECTED_IN_OPENSENT,
                    S::OpenConfirm => fsm_error::UNEXPECTED_IN_OPENCONFIRM,
                    _ => fsm_error::UNEXPECTED_IN_ESTABLISHED,
                };
                let n = Notification::new(error_code::FSM, sub, vec![]);
                acts.push(A::SendNotification(n.clone()));
                self.connect_retry_counter += 1;
                return self.go_idle(acts, DownReason::NotificationSent(n));
            }
        };
        self.state = next;
        acts
    }

    fn keepalive_time(&self) -> u16 {
        self.negotiated
            .as_ref()
            .map_or(30, |n| n.keepalive_time.max(1))
    }

    fn restart_hold(&self, acts: &mut Vec<Action>) {
        if let Some(n) = &self.negotiated {
            if n.hold_time > 0 {
                acts.push(Action::StartTimer(Timer::Hold, n.hold_time));
            }
        }
    }

    /// The common exit to Idle: stop every timer, drop the connection, say why.
    fn go_idle(&mut self, mut acts: Vec<Action>, reason: DownReason) -> Vec<Action> {
        let was_established = self.state == State::Established;
        acts.push(Action::StopTimer(Timer::ConnectRetry));
        acts.push(Action::StopTimer(Timer::Hold));
        acts.push(Action::StopTimer(Timer::Keepalive));
        acts.push(Action::DropConnection);
        acts.push(Action::SessionDown {
            reason,
            was_established,
        });
        self.state = State::Idle;
        self.negotiated = None;
        acts
    }
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use bagpipe_wire::message::Capability;
    use bagpipe_wire::Family;
    use Action as A;
    use Event as E;

    pub(super) const ASN: u32 = 64512;

    /// Ours: iBGP with AS `ASN`, E-VPN, hold time 90.
    pub(super) fn fsm() -> Fsm {
        let ours = Open::new(
            ASN,
            90,
            Ipv4Addr::new(10, 0, 0, 1),
            vec![Capability::Multiprotocol {
                family: Family::EVPN,
            }],
        );
        Fsm::new(
            ours,
            Expectations {
                local_id: Ipv4Addr::new(10, 0, 0, 1),
                local_asn: ASN,
                remote_asn: Some(ASN),
            },
        )
    }

    fn peer_open(hold: u16) -> E {
        E::BgpOpen(Box::new(Open::new(
            ASN,
            hold,
            Ipv4Addr::new(10, 0, 0, 2),
            vec![Capability::Multiprotocol {
                family: Family::EVPN,
            }],
        )))
    }

    fn established() -> Fsm {
        let mut f = fsm();
        f.handle(E::Start);
        f.handle(E::TcpCrAcked);
        f.handle(peer_open(30));
        f.handle(E::KeepAliveMsg);
        assert_eq!(f.state(), State::Established);
        f
    }

    fn ends_down(acts: &[Action]) -> Option<&DownReason> {
        acts.iter().find_map(|a| match a {
            A::SessionDown { reason, .. } => Some(reason),
            _ => None,
        })
    }

    #[test]
    fn active_open_to_established() {
        let mut f = fsm();
        assert_eq!(
            f.handle(E::Start),
            vec![A::StartTimer(Timer::ConnectRetry, 0), A::InitiateConnect]
        );
        assert_eq!(f.state(), State::Connect);
        assert_eq!(
            f.handle(E::TcpCrAcked),
            vec![
                A::StopTimer(Timer::ConnectRetry),
                A::SendOpen,
                A::StartTimer(Timer::Hold, LARGE_HOLD_TIME)
            ]
        );
        assert_eq!(f.state(), State::OpenSent);
        let acts = f.handle(peer_open(30));
        assert_eq!(
            acts,
            vec![
                A::StopTimer(Timer::ConnectRetry),
                A::SendKeepalive,
                A::StartTimer(Timer::Keepalive, 10),
                A::StartTimer(Timer::Hold, 30)
            ]
        );
        assert_eq!(f.state(), State::OpenConfirm);
        let acts = f.handle(E::KeepAliveMsg);
        assert_eq!(acts[0], A::StartTimer(Timer::Hold, 30));
        assert!(matches!(&acts[1], A::SessionEstablished(n) if n.hold_time == 30));
        assert_eq!(f.state(), State::Established);
    }

    #[test]
    fn passive_waits_for_the_peer() {
        let mut f = fsm();
        assert!(f.handle(E::StartPassive).is_empty());
        assert_eq!(f.state(), State::Active);
        f.handle(E::TcpConnectionConfirmed);
        assert_eq!(f.state(), State::OpenSent);
    }

    #[test]
    fn connect_failure_then_retry() {
        let mut f = fsm();
        f.handle(E::Start);
        assert_eq!(
            f.handle(E::TcpConnectionFails),
            vec![A::DropConnection, A::StartTimer(Timer::ConnectRetry, 0)]
        );
        assert_eq!(f.state(), State::Active);
        assert_eq!(
            f.handle(E::ConnectRetryTimerExpires),
            vec![
                A::DropConnection,
                A::StartTimer(Timer::ConnectRetry, 0),
                A::InitiateConnect
            ]
        );
        assert_eq!(f.state(), State::Connect);
    }

    #[test]
    fn bad_open_is_refused_with_its_notification() {
        let mut f = fsm();
        f.handle(E::Start);
        f.handle(E::TcpCrAcked);
        let acts = f.handle(peer_open(2));
        assert!(matches!(&acts[0], A::SendNotification(n) if n.code == 2 && n.subcode == 6));
        assert!(acts.contains(&A::DropConnection));
        assert_eq!(f.state(), State::Idle);
        assert_eq!(f.connect_retry_counter, 1);
    }

    #[test]
    fn zero_hold_time_runs_no_timers() {
        let mut f = fsm();
        f.handle(E::Start);
        f.handle(E::TcpCrAcked);
        let acts = f.handle(peer_open(0));
        assert_eq!(
            acts,
            vec![
                A::StopTimer(Timer::ConnectRetry),
                A::SendKeepalive,
                A::StopTimer(Timer::Hold)
            ]
        );
        // A keepalive timer left from before fires: no KEEPALIVE, no timer started.
        assert_eq!(f.handle(E::KeepaliveTimerExpires), vec![]);
        let acts = f.handle(E::KeepAliveMsg);
        assert!(matches!(acts.as_slice(), [A::SessionEstablished(_)]));
        assert_eq!(f.handle(E::KeepaliveTimerExpires), vec![]);
        assert_eq!(f.state(), State::Established);
    }

    #[test]
    fn established_events() {
        let mut f = established();
        assert_eq!(
            f.handle(E::UpdateMsg),
            vec![A::StartTimer(Timer::Hold, 30), A::DeliverMessage]
        );
        assert_eq!(
            f.handle(E::KeepAliveMsg),
            vec![A::StartTimer(Timer::Hold, 30)]
        );
        assert_eq!(
            f.handle(E::KeepaliveTimerExpires),
            vec![A::SendKeepalive, A::StartTimer(Timer::Keepalive, 10)]
        );
        let acts = f.handle(E::HoldTimerExpires);
        assert!(matches!(&acts[0], A::SendNotification(n) if n.code == 4));
        assert_eq!(ends_down(&acts), Some(&DownReason::HoldTimerExpired));
        assert!(acts.contains(&A::SessionDown {
            reason: DownReason::HoldTimerExpired,
            was_established: true
        }));
        assert_eq!(f.state(), State::Idle);
    }

    #[test]
    fn unexpected_messages_are_fsm_errors() {
        let mut f = fsm();
        f.handle(E::Start);
        f.handle(E::TcpCrAcked);
        let acts = f.handle(E::UpdateMsg);
        assert!(matches!(&acts[0], A::SendNotification(n) if (n.code, n.subcode) == (5, 1)));
        let mut f = established();
        let acts = f.handle(peer_open(30));
        assert!(matches!(&acts[0], A::SendNotification(n) if (n.code, n.subcode) == (5, 3)));
    }

    #[test]
    fn stop_sends_cease_only_once_open_was_sent() {
        let mut f = fsm();
        f.handle(E::Start);
        let acts = f.handle(E::Stop(Notification::cease(cease::ADMINISTRATIVE_SHUTDOWN)));
        assert!(!acts.iter().any(|a| matches!(a, A::SendNotification(_))));
        let mut f = established();
        let acts = f.handle(E::Stop(Notification::cease(cease::MAX_PREFIXES)));
        assert!(matches!(&acts[0], A::SendNotification(n) if (n.code, n.subcode) == (6, 1)));
        assert!(acts.contains(&A::SessionDown {
            reason: DownReason::Stopped(Notification::cease(cease::MAX_PREFIXES)),
            was_established: true
        }));
    }

    #[test]
    fn collision_dump_and_received_notification() {
        let mut f = fsm();
        f.handle(E::Start);
        f.handle(E::TcpCrAcked);
        f.handle(peer_open(30));
        let acts = f.handle(E::OpenCollisionDump);
        assert!(matches!(&acts[0], A::SendNotification(n) if (n.code, n.subcode) == (6, 7)));
        assert_eq!(f.state(), State::Idle);
        let mut f = established();
        let n = Notification::cease(2);
        let acts = f.handle(E::NotifMsg(n.clone()));
        assert!(!acts.iter().any(|a| matches!(a, A::SendNotification(_))));
        assert_eq!(ends_down(&acts), Some(&DownReason::NotificationReceived(n)));
    }

    #[test]
    fn idle_ignores_everything_but_start() {
        let mut f = fsm();
        for e in [
            E::KeepAliveMsg,
            E::UpdateMsg,
            E::HoldTimerExpires,
            E::TcpConnectionFails,
        ] {
            assert!(f.handle(e).is_empty());
            assert_eq!(f.state(), State::Idle);
        }
    }
}
