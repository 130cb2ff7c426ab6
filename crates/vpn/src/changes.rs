//! What the dataplane driver is told, part by part: which parts of an instance's desired
//! state an operation may have changed ([`Dirty`]), so that only those are computed again and
//! sent — an attach to a VRF of ten thousand ports costs what it costs in a VRF of one — and
//! the small parts last sent (an instance's header, [`EviTold`]), computed again for every
//! changed instance and sent only when they differ.

use std::collections::BTreeSet;

use bagpipe_dataplane::{EvpnChange, FloodEntry};
use bagpipe_wire::{IpPrefix, MacAddress};

#[derive(Debug, Default)]
pub struct Dirty {
    /// Everything: the instance is new, or something all its parts depend on changed (the
    /// route targets it imports, a stitching).
    pub all: bool,
    /// Local ports, by interface name.
    pub ports: BTreeSet<String>,
    /// E-VPN: remote MACs (a local endpoint's MAC too: it hides remote routes for it).
    pub macs: BTreeSet<MacAddress>,
    /// IP VPN: the routes of these prefixes.
    pub prefixes: BTreeSet<IpPrefix>,
}

/// What an E-VPN instance's driver was last told of the parts always computed again: its
/// own fields (VNI, bridge, gateway port) and its flood list (one entry per remote VTEP). A
/// VRF's is its header alone (a [`bagpipe_dataplane::VrfChange::Instance`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EviTold {
    pub header: EvpnChange,
    pub floods: BTreeSet<FloodEntry>,
}

/// `now`, if it differs from what the driver was `told` (which it then becomes).
pub fn if_changed<T: PartialEq + Clone>(told: &mut T, now: T) -> Option<T> {
    (*told != now).then(|| {
        *told = now.clone();
        now
    })
}
