//! Desired states change part by part. The state of an instance ([`EvpnInstanceState`],
//! [`VrfState`]) is made of parts that change on their own: the instance's own fields, each
//! local port, each remote MAC, flood entry or prefix. The VPN layer sends the parts that
//! changed ([`InstanceUpdate::Changes`]) instead of the whole state, so that attaching a port
//! or receiving a route costs the same in an instance of ten ports as in one of ten thousand;
//! the driver task applies them to the whole state it keeps, and has the driver bring those
//! parts only to the kernel ([`Changed`]). The whole state stays at hand for what must look
//! at everything: a new instance, a retry after an error, the looking glass.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use bagpipe_wire::{IpPrefix, MacAddress};
use serde::Serialize;

use crate::model::{
    EvpnGatewayPort, EvpnInstanceState, EvpnLocalPort, FloodEntry, RemoteMac, RemoteNextHop,
    TrafficRedirect, VrfFallback, VrfLocalPort, VrfState,
};

/// The desired state of one instance, as a set of parts.
pub trait InstanceState: Clone + Debug + PartialEq + Serialize + Send + Sync + 'static {
    /// Names one part. The order matters to drivers: where two parts ask for the same kernel
    /// entry, the first one's wins, as the first one rendered did when the whole state was.
    type Part: Clone + Debug + Ord + Send + Sync + 'static;
    /// The new value of one part.
    type Change: Clone + Debug + PartialEq + Send + 'static;

    /// Applies a change; returns the part it changed.
    fn apply(&mut self, change: Self::Change) -> Self::Part;
}

/// What the driver task is told about one instance.
#[derive(Clone, Debug, PartialEq)]
pub enum InstanceUpdate<S: InstanceState> {
    /// The whole state: the instance is new, or changed throughout.
    Replace(S),
    /// New values of some parts of the state the task holds.
    Changes(Vec<S::Change>),
    /// The instance is gone.
    Remove,
}

impl<S: InstanceState> InstanceUpdate<S> {
    /// Applies the update to the desired states of all instances, by id; says what changed.
    pub fn apply_to(self, id: u32, states: &mut BTreeMap<u32, S>) -> Changed<S::Part> {
        match self {
            InstanceUpdate::Replace(state) => {
                states.insert(id, state);
                Changed::All
            }
            InstanceUpdate::Remove => {
                states.remove(&id);
                Changed::All
            }
            InstanceUpdate::Changes(changes) => {
                let Some(state) = states.get_mut(&id) else {
                    // A bug of the VPN layer, which starts every instance with its whole state:
                    // nothing to apply the changes to.
                    tracing::warn!(
                        instance = id,
                        "changes to an instance the dataplane does not know: ignored"
                    );
                    return Changed::nothing();
                };
                Changed::Parts(changes.into_iter().map(|c| state.apply(c)).collect())
            }
        }
    }
}

/// Which parts of an instance a reconcile brings to the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changed<P> {
    /// Every part, and nothing of the instance left that its state does not have.
    All,
    Parts(BTreeSet<P>),
}

impl<P: Ord> Changed<P> {
    pub fn nothing() -> Self {
        Changed::Parts(BTreeSet::new())
    }

    /// What changed in `self`, then in `other`.
    pub fn add(&mut self, other: Changed<P>) {
        match (&mut *self, other) {
            (Changed::All, _) => {}
            (_, Changed::All) => *self = Changed::All,
            (Changed::Parts(mine), Changed::Parts(theirs)) => mine.extend(theirs),
        }
    }
}

fn set<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, value: Option<V>) {
    match value {
        Some(v) => map.insert(key, v),
        None => map.remove(&key),
    };
}

impl InstanceUpdate<EvpnInstanceState> {
    /// Whether the instance has a gateway port after this update (a VRF plugged into it,
    /// whose end of the pair exists only once the E-VPN driver has created it).
    pub fn has_gateway_port(&self) -> bool {
        match self {
            InstanceUpdate::Replace(s) => s.gateway_port.is_some(),
            InstanceUpdate::Changes(changes) => changes.iter().any(|c| {
                matches!(
                    c,
                    EvpnChange::Instance {
                        gateway_port: Some(_),
                        ..
                    }
                )
            }),
            InstanceUpdate::Remove => false,
        }
    }
}

/// The parts of an E-VPN instance.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EvpnPart {
    /// Its own fields: VNI, bridge, gateway port.
    Instance,
    LocalPort(String),
    RemoteMac(MacAddress),
    Flood(FloodEntry),
}

#[derive(Clone, Debug, PartialEq)]
pub enum EvpnChange {
    Instance {
        vni: u32,
        linux_bridge: Option<String>,
        gateway_port: Option<EvpnGatewayPort>,
    },
    LocalPort(String, Option<EvpnLocalPort>),
    RemoteMac(MacAddress, Option<RemoteMac>),
    /// In the flood list or not.
    Flood(FloodEntry, bool),
}

impl InstanceState for EvpnInstanceState {
    type Part = EvpnPart;
    type Change = EvpnChange;

    fn apply(&mut self, change: EvpnChange) -> EvpnPart {
        match change {
            EvpnChange::Instance {
                vni,
                linux_bridge,
                gateway_port,
            } => {
                self.vni = vni;
                self.linux_bridge = linux_bridge;
                self.gateway_port = gateway_port;
                EvpnPart::Instance
            }
            EvpnChange::LocalPort(name, port) => {
                set(&mut self.local_ports, name.clone(), port);
                EvpnPart::LocalPort(name)
            }
            EvpnChange::RemoteMac(mac, remote) => {
                set(&mut self.remote_macs, mac, remote);
                EvpnPart::RemoteMac(mac)
            }
            EvpnChange::Flood(entry, present) => {
                if present {
                    self.flood_list.insert(entry);
                } else {
                    self.flood_list.remove(&entry);
                }
                EvpnPart::Flood(entry)
            }
        }
    }
}

/// The parts of a VRF.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum VrfPart {
    /// Its own fields: VNI, router MAC, fallback, redirections.
    Instance,
    LocalPort(String),
    Route(IpPrefix),
}

#[derive(Clone, Debug, PartialEq)]
pub enum VrfChange {
    Instance {
        vni: u32,
        router_mac: MacAddress,
        fallback: Option<VrfFallback>,
        redirects: Vec<TrafficRedirect>,
    },
    LocalPort(String, Option<VrfLocalPort>),
    /// The next hops of a prefix; none: no route.
    Route(IpPrefix, Vec<RemoteNextHop>),
}

impl InstanceState for VrfState {
    type Part = VrfPart;
    type Change = VrfChange;

    fn apply(&mut self, change: VrfChange) -> VrfPart {
        match change {
            VrfChange::Instance {
                vni,
                router_mac,
                fallback,
                redirects,
            } => {
                self.vni = vni;
                self.router_mac = router_mac;
                self.fallback = fallback;
                self.redirects = redirects;
                VrfPart::Instance
            }
            VrfChange::LocalPort(name, port) => {
                set(&mut self.local_ports, name.clone(), port);
                VrfPart::LocalPort(name)
            }
            VrfChange::Route(prefix, hops) => {
                set(&mut self.routes, prefix, (!hops.is_empty()).then_some(hops));
                VrfPart::Route(prefix)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_apply_to_a_known_instance_only_and_say_what_changed() {
        let mut states = BTreeMap::new();
        let mac: MacAddress = "52:54:00:00:00:01".parse().unwrap();
        let remote = RemoteMac {
            vtep: "192.0.2.2".parse().unwrap(),
            vni: 10,
            ips: vec![],
        };
        let changes = InstanceUpdate::Changes(vec![EvpnChange::RemoteMac(mac, Some(remote))]);
        assert_eq!(changes.clone().apply_to(1, &mut states), Changed::nothing());
        assert!(states.is_empty());
        let start = InstanceUpdate::Replace(EvpnInstanceState::default());
        assert_eq!(start.apply_to(1, &mut states), Changed::All);
        assert_eq!(
            changes.apply_to(1, &mut states),
            Changed::Parts(BTreeSet::from([EvpnPart::RemoteMac(mac)]))
        );
        assert_eq!(states[&1].remote_macs.len(), 1);
        let gone = InstanceUpdate::Changes(vec![EvpnChange::RemoteMac(mac, None)]);
        gone.apply_to(1, &mut states);
        assert!(states[&1].remote_macs.is_empty());
        assert_eq!(
            InstanceUpdate::Remove.apply_to(1, &mut states),
            Changed::All
        );
        assert!(states.is_empty());
    }

    #[test]
    fn all_absorbs_parts() {
        let mut c = Changed::Parts(BTreeSet::from([VrfPart::Instance]));
        c.add(Changed::Parts(BTreeSet::from([VrfPart::LocalPort(
            "a".into(),
        )])));
        assert_eq!(
            c,
            Changed::Parts(BTreeSet::from([
                VrfPart::Instance,
                VrfPart::LocalPort("a".into())
            ]))
        );
        c.add(Changed::All);
        assert_eq!(c, Changed::All);
        c.add(Changed::nothing());
        assert_eq!(c, Changed::All);
    }
}
