//! What a peer receives from the outbox and the packer, under any sequence of route changes
//! pushed and drained in any amounts: decoded as BGP messages and applied in order to an
//! empty Adj-RIB-In, the routes equal the last state pushed for each (coalescing loses no
//! withdrawal and keeps no stale announcement); every message fits the session's maximum;
//! and an End-of-RIB arrives after every change pushed before it (to a route not changed
//! since, whose newer state may have taken the older one's place).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use bagpipe_speaker::outbox::{OutItem, Outbox};
use bagpipe_speaker::pack::pack;
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::message::{frame_length, Message};
use bagpipe_wire::nlri::{Nlri, VpnPrefix};
use bagpipe_wire::{CodecContext, Family, Label};
use proptest::prelude::*;

/// Routes: one of three RDs and 400 prefixes, so that a drain may need several UPDATEs.
const ROUTES: u32 = 1200;

#[derive(Debug, Clone)]
enum Step {
    /// Changes to routes: announced with attribute set `Some(i)`, or withdrawn.
    Push(Vec<(u32, Option<u8>)>),
    EndOfRib,
    Drain(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => prop::collection::vec((0..ROUTES, prop::option::weighted(0.7, 0..3u8)), 1..300)
            .prop_map(Step::Push),
        1 => Just(Step::EndOfRib),
        3 => (1..500usize).prop_map(Step::Drain),
    ]
}

fn route(i: u32) -> Nlri {
    Nlri::Vpn(VpnPrefix::new(
        format!("64512:{}", i % 3).parse().unwrap(),
        Label::mpls(16 + i, true),
        format!("10.{}.{}.0/24", (i / 3) / 256, (i / 3) % 256)
            .parse()
            .unwrap(),
    ))
}

/// Attribute set `i`: told apart by its LOCAL_PREF.
fn attribute_sets() -> Vec<Arc<AttributeSet>> {
    (0..3)
        .map(|i| {
            Arc::new(AttributeSet::new(
                Some("192.0.2.1".parse::<IpAddr>().unwrap()),
                vec![
                    PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                    PathAttribute::new(AttrValue::AsPath(AsPath::default())),
                    PathAttribute::new(AttrValue::LocalPref(100 + i)),
                ],
            ))
        })
        .collect()
}

/// The receiving side: routes by NLRI with their LOCAL_PREF, and the End-of-RIBs seen.
#[derive(Default)]
struct Receiver {
    routes: HashMap<Nlri, u32>,
    end_of_ribs: usize,
}

/// The sender's side: the last state pushed per route, and how many times it changed.
#[derive(Default)]
struct Pushed {
    last: HashMap<u32, Option<u8>>,
    version: HashMap<u32, u32>,
    /// At each End-of-RIB pushed: each route's state and version then.
    at_marker: Vec<HashMap<u32, (Option<u8>, u32)>>,
}

fn expected(state: Option<u8>) -> Option<u32> {
    state.map(|i| 100 + u32::from(i))
}

/// Packs what was drained, decodes it message by message, applies it.
fn deliver(
    items: Vec<OutItem>,
    ctx: &CodecContext,
    rx: &mut Receiver,
    pushed: &Pushed,
) -> Result<(), TestCaseError> {
    let mut bytes = Vec::new();
    pack(items, ctx, &mut bytes).expect("packs");
    let mut rest = bytes.as_slice();
    while !rest.is_empty() {
        let len = frame_length(rest, ctx)
            .expect("a valid header")
            .expect("whole");
        prop_assert!(len <= ctx.max_message_len());
        let decoded = Message::decode(&rest[..len], ctx).expect("decodes");
        prop_assert!(decoded.issues.is_empty(), "{:?}", decoded.issues);
        let Message::Update(u) = decoded.message else {
            return Err(TestCaseError::fail("not an UPDATE"));
        };
        if u.is_end_of_rib().is_some() {
            // Every route not changed since this End-of-RIB was pushed is as it was then.
            let snapshot = &pushed.at_marker[rx.end_of_ribs];
            for (r, (state, version)) in snapshot {
                if pushed.version[r] == *version {
                    prop_assert_eq!(
                        rx.routes.get(&route(*r)).copied(),
                        expected(*state),
                        "route {} at End-of-RIB",
                        r
                    );
                }
            }
            rx.end_of_ribs += 1;
        }
        for (_, nlri) in u.withdrawals() {
            rx.routes.remove(&nlri.nlri);
        }
        let pref = u.attributes.iter().find_map(|a| match a.value {
            AttrValue::LocalPref(p) => Some(p),
            _ => None,
        });
        for (_, _, nlri) in u.announced() {
            rx.routes
                .insert(nlri.nlri.clone(), pref.expect("LOCAL_PREF"));
        }
        rest = &rest[len..];
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn the_peer_ends_with_the_last_state_of_every_route(
        steps in prop::collection::vec(step(), 1..30),
        extended in any::<bool>(),
    ) {
        let ctx = CodecContext { extended_message: extended, ..CodecContext::default() };
        let sets = attribute_sets();
        let outbox: Arc<Outbox<Nlri>> = Outbox::new();
        let mut rx = Receiver::default();
        let mut pushed = Pushed::default();
        for step in steps {
            match step {
                Step::Push(changes) => {
                    outbox.push(changes.iter().map(|&(r, state)| {
                        let nlri = route(r);
                        let item = match state {
                            Some(i) => OutItem::Announce {
                                family: Family::VPNV4,
                                nlri: nlri.clone().into(),
                                attrs: Arc::clone(&sets[usize::from(i)]),
                            },
                            None => OutItem::Withdraw { family: Family::VPNV4, nlri: nlri.clone().into() },
                        };
                        (Some(nlri), item)
                    }));
                    for (r, state) in changes {
                        pushed.last.insert(r, state);
                        *pushed.version.entry(r).or_default() += 1;
                    }
                }
                Step::EndOfRib => {
                    let snapshot = pushed.last.iter().map(|(r, s)| (*r, (*s, pushed.version[r]))).collect();
                    pushed.at_marker.push(snapshot);
                    outbox.push([(None, OutItem::EndOfRib(Family::VPNV4))]);
                }
                Step::Drain(max) => deliver(outbox.drain(max), &ctx, &mut rx, &pushed)?,
            }
        }
        deliver(outbox.drain(usize::MAX), &ctx, &mut rx, &pushed)?;
        prop_assert!(outbox.is_empty());
        prop_assert_eq!(rx.end_of_ribs, pushed.at_marker.len());
        let want: HashMap<Nlri, u32> = pushed
            .last
            .iter()
            .filter_map(|(r, s)| expected(*s).map(|p| (route(*r), p)))
            .collect();
        prop_assert_eq!(rx.routes, want);
    }
}
