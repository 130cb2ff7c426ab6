//! What the dataplane driver is told, part by part: which parts of an instance's desired
//! state an operation may have changed ([`Dirty`]), so that only those are computed again and
//! sent — an attach to a VRF of ten thousand ports costs what it costs in a VRF of one — and
//! the small parts last sent ([`Told`]), computed again for every changed instance and sent
//! only when they differ.

use std::collections::BTreeSet;

use bagpipe_dataplane::{EvpnChange, FloodEntry, VrfChange};
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

/// The parts of an instance that are always computed again: its own fields (VNI, bridge,
/// router MAC, fallback, redirections) and an E-VPN instance's flood list (one entry per
/// remote VTEP).
#[derive(Debug, Clone, PartialEq)]
pub enum Told {
    Evi {
        header: EvpnChange,
        floods: BTreeSet<FloodEntry>,
    },
    Vrf {
        header: VrfChange,
    },
}
