//! The RFC 4271 state machine under any sequence of events (the peer's OPEN acceptable or
//! not): it never panics, and what it asks of its session task stays coherent.
//! - Idle is left only on a start event; every session end comes back to Idle.
//! - A session is announced up only on the way from OpenConfirm to Established, and each
//!   up is followed by exactly one down saying it was established, before the next up.
//! - Messages are delivered to the route table only when Established; a KEEPALIVE is sent
//!   only on a connection that has exchanged OPENs; nothing is sent from Idle.
//! - The hold timer runs in OpenSent; once the OPENs are exchanged, the hold and keepalive
//!   timers run together (or, with a hold time of zero, neither: RFC 4271 §4.2).

use std::net::Ipv4Addr;

use bagpipe_wire::message::{Capability, Notification, Open};
use bagpipe_wire::Family;
use proptest::prelude::*;

use super::tests::{fsm, ASN};
use super::{Action, Event, State, Timer};

fn event() -> impl Strategy<Value = Event> {
    let cease = || Notification::cease(2);
    prop_oneof![
        3 => Just(Event::Start),
        1 => Just(Event::StartPassive),
        1 => Just(Event::Stop(cease())),
        2 => Just(Event::ConnectRetryTimerExpires),
        1 => Just(Event::HoldTimerExpires),
        2 => Just(Event::KeepaliveTimerExpires),
        3 => Just(Event::TcpCrAcked),
        2 => Just(Event::TcpConnectionConfirmed),
        1 => Just(Event::TcpConnectionFails),
        // An acceptable OPEN, or one from another AS, with another identifier or hold time
        // (0 and 3 are acceptable, 1 and 2 are not: RFC 4271 §4.2).
        4 => (prop::sample::select(vec![ASN, ASN, 65001]), prop::sample::select(vec![2u8, 2, 1]), prop::sample::select(vec![90u16, 0, 3, 1]))
            .prop_map(|(asn, id, hold)| Event::BgpOpen(Box::new(Open::new(
                asn,
                hold,
                Ipv4Addr::new(10, 0, 0, id),
                vec![Capability::Multiprotocol { family: Family::EVPN }],
            )))),
        1 => Just(Event::MessageError(Notification::new(1, 2, vec![]))),
        1 => Just(Event::OpenCollisionDump),
        1 => Just(Event::NotifMsg(cease())),
        4 => Just(Event::KeepAliveMsg),
        3 => Just(Event::UpdateMsg),
        1 => Just(Event::UpdateMsgErr(Notification::new(3, 1, vec![]))),
        1 => Just(Event::RouteRefreshMsg),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn any_events_keep_the_session_coherent(events in prop::collection::vec(event(), 1..80)) {
        let mut fsm = fsm();
        let mut up = false;
        let (mut hold_running, mut keepalive_running) = (false, false);
        for ev in events {
            let before = fsm.state();
            let is_start = matches!(ev, Event::Start | Event::StartPassive);
            let what = format!("{ev:?} in {before:?}");
            let actions = fsm.handle(ev);
            let after = fsm.state();
            if before == State::Idle && !is_start {
                prop_assert_eq!(after, State::Idle, "{}", what);
                prop_assert!(actions.is_empty(), "{}: {:?}", what, actions);
            }
            for a in &actions {
                match a {
                    Action::SessionEstablished(_) => {
                        prop_assert_eq!((before, after), (State::OpenConfirm, State::Established), "{}", what);
                        prop_assert!(!up, "{}: up twice", what);
                        up = true;
                    }
                    Action::SessionDown { was_established, .. } => {
                        prop_assert_eq!(after, State::Idle, "{}", what);
                        prop_assert_eq!(*was_established, up, "{}", what);
                        up = false;
                    }
                    Action::DeliverMessage => {
                        prop_assert_eq!(before, State::Established, "{}", what);
                    }
                    Action::SendKeepalive => {
                        prop_assert!(matches!(before, State::OpenSent | State::OpenConfirm | State::Established), "{}", what);
                    }
                    Action::StartTimer(Timer::Hold, _) => hold_running = true,
                    Action::StopTimer(Timer::Hold) => hold_running = false,
                    Action::StartTimer(Timer::Keepalive, _) => keepalive_running = true,
                    Action::StopTimer(Timer::Keepalive) => keepalive_running = false,
                    _ => {}
                }
            }
            prop_assert_eq!(up, after == State::Established, "{}: {:?}", what, actions);
            match after {
                State::OpenSent => prop_assert!(hold_running, "{}: no hold timer: {:?}", what, actions),
                State::OpenConfirm | State::Established => prop_assert_eq!(
                    hold_running, keepalive_running, "{}: hold and keepalive timers: {:?}", what, actions
                ),
                _ => {}
            }
        }
    }
}
