//! A kernel in memory for unit tests of the diff logic: it keeps entries by key, refuses
//! entries on devices that do not exist, deletes what lives on a deleted device, and can be
//! told to fail operations.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use super::{Entry, Kernel, KernelError, Key, Op, VxlanDevice};

#[derive(Clone, Default)]
pub struct FakeKernel {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    entries: BTreeMap<Key, Entry>,
    /// Devices that are not ours (VM ports, bridges given by name).
    foreign_devices: BTreeSet<String>,
    /// Operations refused while this returns true.
    refuse: Option<fn(&Op) -> bool>,
    applied: Vec<Op>,
}

impl FakeKernel {
    pub(crate) fn with_devices(devices: &[&str]) -> Self {
        let kernel = FakeKernel::default();
        kernel.lock().foreign_devices = devices.iter().map(|d| d.to_string()).collect();
        kernel.lock().foreign_devices.insert("lo".into());
        kernel
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake kernel")
    }

    pub(crate) fn entries(&self) -> Vec<Entry> {
        self.lock().entries.values().cloned().collect()
    }

    /// Every operation applied so far, then forgets them.
    pub(crate) fn take_applied(&self) -> Vec<Op> {
        std::mem::take(&mut self.lock().applied)
    }

    pub(crate) fn refuse(&self, refuse: Option<fn(&Op) -> bool>) {
        self.lock().refuse = refuse;
    }

    /// Adds an entry behind the driver's back, as a previous run would have left it.
    pub(crate) fn plant(&self, entry: Entry) {
        self.lock().entries.insert(entry.key(), entry);
    }
}

impl State {
    fn device_exists(&self, name: &str) -> bool {
        self.foreign_devices.contains(name)
            || self.entries.contains_key(&Key::Link(name.into()))
            || self
                .entries
                .values()
                .any(|e| matches!(e, Entry::Veth { peer, .. } if peer == name))
    }

    fn apply(&mut self, op: &Op) -> Result<(), KernelError> {
        let fail = |message: &str| KernelError {
            what: format!("{op:?}"),
            message: message.into(),
        };
        if self.refuse.is_some_and(|refuse| refuse(op)) {
            return Err(fail("refused by the test"));
        }
        match op {
            Op::Create(e) | Op::Change { new: e, .. } => {
                let own_names = match e {
                    Entry::Bridge { name } => vec![name.as_str()],
                    Entry::Vxlan(v) => vec![v.name.as_str()],
                    Entry::Veth { name, peer, .. } => vec![name.as_str(), peer.as_str()],
                    _ => vec![],
                };
                if let Some(missing) = e
                    .devices()
                    .into_iter()
                    .find(|d| !own_names.contains(d) && !self.device_exists(d))
                {
                    return Err(fail(&format!("no device {missing}")));
                }
                self.entries.insert(e.key(), e.clone());
            }
            Op::Remove(e) => {
                self.entries.remove(&e.key());
                // A veth pair goes with both its ends.
                let gone: Vec<String> = match e {
                    Entry::Veth { name, peer, .. } => vec![name.clone(), peer.clone()],
                    _ => match e.key() {
                        Key::Link(name) => vec![name],
                        _ => vec![],
                    },
                };
                for name in gone {
                    self.entries.retain(|_, other| !other.lives_on(&name));
                    for other in self.entries.values_mut() {
                        let plugged_into = match other {
                            Entry::Vxlan(VxlanDevice { bridge, .. })
                            | Entry::Veth { bridge, .. } => bridge,
                            _ => continue,
                        };
                        if plugged_into.as_deref() == Some(name.as_str()) {
                            *plugged_into = None;
                        }
                    }
                }
            }
        }
        self.applied.push(op.clone());
        Ok(())
    }
}

impl Kernel for FakeKernel {
    async fn apply<'a>(&'a self, ops: &'a [Op]) -> Vec<Result<(), KernelError>> {
        let mut state = self.lock();
        ops.iter().map(|op| state.apply(op)).collect()
    }

    async fn dump_owned(&self) -> Result<Vec<Entry>, KernelError> {
        Ok(self.entries())
    }
}
