//! A kernel in memory for unit tests of the diff logic: it keeps entries by key, refuses
//! entries on devices that do not exist, deletes what lives on a deleted device, and can be
//! told to fail operations.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use super::{Entry, Kernel, KernelError, Key, Op};

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
        self.foreign_devices.contains(name) || self.entries.contains_key(&Key::Link(name.into()))
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
                let own_name = match e {
                    Entry::Bridge { name } => Some(name.as_str()),
                    Entry::Vxlan(v) => Some(v.name.as_str()),
                    _ => None,
                };
                if let Some(missing) = e
                    .devices()
                    .into_iter()
                    .find(|d| Some(*d) != own_name && !self.device_exists(d))
                {
                    return Err(fail(&format!("no device {missing}")));
                }
                self.entries.insert(e.key(), e.clone());
            }
            Op::Remove(e) => {
                self.entries.remove(&e.key());
                if let Key::Link(name) = e.key() {
                    self.entries.retain(|_, other| !lives_on(other, &name));
                    for other in self.entries.values_mut() {
                        if let Entry::Vxlan(v) = other {
                            if v.bridge.as_deref() == Some(name.as_str()) {
                                v.bridge = None;
                            }
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

/// What the kernel deletes with a device (rules name devices but outlive them).
fn lives_on(entry: &Entry, dev: &str) -> bool {
    match entry {
        Entry::Rule(_) | Entry::Vxlan(_) | Entry::Bridge { .. } => false,
        Entry::BridgePort { name, bridge } => name == dev || bridge == dev,
        _ => entry.devices().contains(&dev),
    }
}
