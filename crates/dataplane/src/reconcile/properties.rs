//! The reconciler under random claims: instances (1 to 3) render parts (0 to 2) into entries
//! drawn from a small set — our bridges, other devices' bridge ports, neighbours and
//! addresses on our bridges or on other devices — with conflicting values for one key, whole
//! or partial updates, and the kernel refusing some creations for a while.
//! - After every reconcile, the kernel holds nothing that no instance claims, and a port is
//!   in the bridge wanted for it or in none (a port moved to a bridge that cannot be created
//!   is out of its old one, and plugged in when its retry succeeds).
//! - Once the kernel accepts everything and each instance has been reconciled again, it
//!   holds what is claimed, each key with the value of the lowest instance claiming it (of
//!   its first part); where that value needs a device nobody creates, the kernel keeps what
//!   it had for the key, or nothing (installed entries change only when the kernel accepts).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;

use super::Reconciler;
use crate::kernel::fake::FakeKernel;
use crate::kernel::{Entry, Key, Op};

/// The devices that exist without us (a VM's ports).
const FOREIGN: [&str; 2] = ["tap1", "tap2"];

fn entry(choice: u8) -> Entry {
    let ip = |last: u8| IpAddr::V4(Ipv4Addr::new(10, 0, 0, last));
    let mac = |last: u8| format!("52:54:00:00:00:{last:02x}").parse().unwrap();
    match choice {
        0 => Entry::Bridge { name: "brA".into() },
        1 => Entry::Bridge { name: "brB".into() },
        2 => Entry::BridgePort {
            name: "tap1".into(),
            bridge: "brA".into(),
        },
        3 => Entry::BridgePort {
            name: "tap1".into(),
            bridge: "brB".into(),
        },
        4 => Entry::Neigh {
            dev: "brA".into(),
            ip: ip(1),
            mac: mac(1),
        },
        5 => Entry::Neigh {
            dev: "brA".into(),
            ip: ip(1),
            mac: mac(2),
        },
        6 => Entry::Neigh {
            dev: "tap2".into(),
            ip: ip(2),
            mac: mac(1),
        },
        7 => Entry::Neigh {
            dev: "brB".into(),
            ip: ip(2),
            mac: mac(3),
        },
        8 => Entry::Addr {
            dev: "tap2".into(),
            ip: ip(3),
        },
        _ => Entry::Addr {
            dev: "brB".into(),
            ip: ip(4),
        },
    }
}

/// Refused while refusals are on: creating or changing any neighbour entry.
fn refuse_neighbours(op: &Op) -> bool {
    matches!(
        op,
        Op::Create(Entry::Neigh { .. })
            | Op::Change {
                new: Entry::Neigh { .. },
                ..
            }
    )
}

#[derive(Debug, Clone)]
enum Step {
    Reconcile {
        id: u32,
        whole: bool,
        parts: Vec<(u8, Vec<u8>)>,
    },
    Refuse(bool),
}

fn step() -> impl Strategy<Value = Step> {
    let parts = prop::collection::vec((0..3u8, prop::collection::vec(0..10u8, 0..4)), 0..3);
    prop_oneof![
        8 => (1..4u32, any::<bool>(), parts).prop_map(|(id, whole, parts)| Step::Reconcile { id, whole, parts }),
        1 => any::<bool>().prop_map(Step::Refuse),
    ]
}

/// What the instances claim: per instance, per part, its entries.
type Claims = BTreeMap<u32, BTreeMap<u8, Vec<Entry>>>;

fn claim(claims: &mut Claims, id: u32, whole: bool, parts: &[(u8, Vec<Entry>)]) {
    let instance = claims.entry(id).or_default();
    if whole {
        instance.clear();
    }
    for (part, entries) in parts {
        instance.insert(*part, entries.clone());
    }
    instance.retain(|_, entries| !entries.is_empty());
    if instance.is_empty() {
        claims.remove(&id);
    }
}

/// Per key, the entry wanted: the lowest instance's, of its first part, first in the part.
fn wanted(claims: &Claims) -> BTreeMap<Key, Entry> {
    let mut out = BTreeMap::new();
    for parts in claims.values() {
        for entries in parts.values() {
            for e in entries {
                out.entry(e.key()).or_insert_with(|| e.clone());
            }
        }
    }
    out
}

/// `wanted`, less what needs a device that neither exists nor is wanted.
fn possible(wanted: &BTreeMap<Key, Entry>) -> BTreeMap<Key, Entry> {
    let exists = |d: &str| FOREIGN.contains(&d) || wanted.contains_key(&Key::Link(d.into()));
    wanted
        .iter()
        .filter(|(_, e)| e.devices().into_iter().all(exists))
        .map(|(k, e)| (k.clone(), e.clone()))
        .collect()
}

fn in_kernel(kernel: &FakeKernel) -> BTreeMap<Key, Entry> {
    kernel.entries().into_iter().map(|e| (e.key(), e)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_kernel_ends_with_what_is_claimed(steps in prop::collection::vec(step(), 1..30)) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let kernel = FakeKernel::with_devices(&FOREIGN);
        let mut r: Reconciler<FakeKernel, u8> = Reconciler::new(kernel.clone(), |_| true);
        let mut claims = Claims::new();
        for step in &steps {
            match step {
                Step::Refuse(on) => kernel.refuse(on.then_some(refuse_neighbours as fn(&Op) -> bool)),
                Step::Reconcile { id, whole, parts } => {
                    let rendered: Vec<(u8, Vec<Entry>)> = parts
                        .iter()
                        .map(|(p, es)| (*p, es.iter().map(|c| entry(*c)).collect()))
                        .collect();
                    claim(&mut claims, *id, *whole, &rendered);
                    // Refusals and missing devices are errors of this reconcile, retried later.
                    let _ = runtime.block_on(r.reconcile(*id, rendered, *whole));
                    let claimed = wanted(&claims);
                    for (key, entry) in &in_kernel(&kernel) {
                        prop_assert!(claimed.contains_key(key), "{key:?} left in the kernel, claimed by none");
                        // A port is in the bridge it is wanted in or in none: never left in
                        // the network it was moved out of.
                        if matches!(key, Key::BridgePort(_)) {
                            prop_assert_eq!(Some(entry), claimed.get(key));
                        }
                    }
                }
            }
        }
        kernel.refuse(None);
        // Each instance again, twice: a device another instance creates comes first.
        for _ in 0..2 {
            for id in claims.keys().copied().collect::<BTreeSet<u32>>() {
                let _ = runtime.block_on(r.reconcile(id, Vec::new(), false));
            }
        }
        let installed = in_kernel(&kernel);
        let (want, can) = (wanted(&claims), possible(&wanted(&claims)));
        for (key, entry) in &can {
            prop_assert_eq!(installed.get(key), Some(entry), "{:?}", key);
        }
        for key in installed.keys().filter(|k| !can.contains_key(*k)) {
            prop_assert!(want.contains_key(key), "{key:?} claimed by none");
        }
    }
}

/// Found by the property above: an address on a bridge that one instance deletes and another
/// creates again was lost for good (the reconciler did not know the kernel deletes addresses
/// with their device, so it neither re-created the address nor retried it).
#[test]
fn what_dies_with_a_device_is_put_back_when_the_device_is() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let kernel = FakeKernel::with_devices(&FOREIGN);
    let mut r: Reconciler<FakeKernel, u8> = Reconciler::new(kernel.clone(), |_| true);
    let (bridge, addr) = (entry(1), entry(9));
    let mut run = |id, whole, parts: Vec<(u8, Vec<Entry>)>| {
        let _ = runtime.block_on(r.reconcile(id, parts, whole));
    };
    run(3, false, vec![(0, vec![bridge.clone()])]);
    run(1, false, vec![(0, vec![addr.clone()])]);
    run(3, true, vec![]);
    assert!(
        kernel.entries().is_empty(),
        "the address went with its bridge"
    );
    run(2, false, vec![(0, vec![bridge.clone()])]);
    run(1, false, vec![]);
    assert_eq!(kernel.entries(), vec![bridge, addr]);
}
