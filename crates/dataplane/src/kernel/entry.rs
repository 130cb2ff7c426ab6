//! The kernel objects the Linux drivers program, one value per object, keyed by what
//! identifies the object in the kernel. Drivers render a desired state into these; the
//! reconciler diffs them; a [`super::Kernel`] applies them.

use std::net::IpAddr;

use bagpipe_wire::{IpPrefix, MacAddress};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// A bridge we create: STP off, no forwarding delay, no IPv6 link-local address, up.
    Bridge {
        name: String,
    },
    /// A VXLAN device we create: no learning, up.
    Vxlan(VxlanDevice),
    /// A veth pair we create, both ends up: `name` plugged into `bridge`, `peer` left to
    /// whoever routes for it (E-VPN-to-IP-VPN stitching: the VRF). Removing `name` removes
    /// the pair.
    Veth {
        name: String,
        peer: String,
        bridge: Option<String>,
    },
    /// Someone else's device (a VM's tap or veth) plugged into one of our bridges.
    BridgePort {
        name: String,
        bridge: String,
    },
    /// Someone else's device we route for (IP VPN): up, proxy ARP answered at once.
    RoutedPort {
        name: String,
    },
    Fdb(FdbEntry),
    /// A permanent neighbour entry.
    Neigh {
        dev: String,
        ip: IpAddr,
        mac: MacAddress,
    },
    /// A host address (no prefix route, no DAD) on someone else's device.
    Addr {
        dev: String,
        ip: IpAddr,
    },
    Rule(RuleEntry),
    Route(RouteEntry),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VxlanDevice {
    pub name: String,
    pub vni: u32,
    pub local: IpAddr,
    pub dst_port: u16,
    /// `None`: whatever the kernel picked.
    pub mac: Option<MacAddress>,
    /// Plugged into this bridge, with neighbour suppression on its bridge port.
    pub bridge: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FdbEntry {
    pub dev: String,
    pub mac: MacAddress,
    pub kind: FdbKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FdbKind {
    /// In the VXLAN device's own table: frames to `mac` go to VTEP `dst` (`self`).
    /// `vni: None` means the device's VNI, as the kernel reports it.
    Tunnel { dst: IpAddr, vni: Option<u32> },
    /// One of the all-zeros entries of the VXLAN device: a copy of each flooded frame goes
    /// to `dst` (head-end replication). Several coexist, one per VTEP.
    Flood { dst: IpAddr, vni: Option<u32> },
    /// In the bridge's table: frames to `mac` leave through port `dev` (`master static`).
    Bridge,
}

/// A policy rule sending lookups to a table; all of its fields identify it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RuleEntry {
    pub v6: bool,
    pub priority: u32,
    pub iif: Option<String>,
    /// A host source address.
    pub src: Option<IpAddr>,
    pub table: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteEntry {
    pub table: u32,
    pub dst: IpPrefix,
    pub metric: u32,
    pub kind: RouteKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    /// Ends the lookup in this table: nothing leaks to the tables after it.
    Unreachable,
    /// Directly connected through `dev` (scope link).
    Dev(String),
    /// Through on-link gateways; several make a multipath (ECMP) route.
    Via(Vec<NextHop>),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NextHop {
    pub gateway: IpAddr,
    pub dev: String,
}

/// What identifies an [`Entry`] in the kernel: two entries with the same key cannot coexist.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Link(String),
    BridgePort(String),
    RoutedPort(String),
    Fdb {
        dev: String,
        mac: MacAddress,
        bridge_table: bool,
        flood_dst: Option<IpAddr>,
    },
    Neigh {
        dev: String,
        ip: IpAddr,
    },
    Addr {
        dev: String,
        ip: IpAddr,
    },
    Rule(RuleEntry),
    Route {
        table: u32,
        dst: IpPrefix,
        metric: u32,
    },
}

impl Entry {
    pub(crate) fn key(&self) -> Key {
        match self {
            Entry::Bridge { name } => Key::Link(name.clone()),
            Entry::Vxlan(v) => Key::Link(v.name.clone()),
            Entry::Veth { name, .. } => Key::Link(name.clone()),
            Entry::BridgePort { name, .. } => Key::BridgePort(name.clone()),
            Entry::RoutedPort { name } => Key::RoutedPort(name.clone()),
            Entry::Fdb(f) => Key::Fdb {
                dev: f.dev.clone(),
                mac: f.mac,
                bridge_table: f.kind == FdbKind::Bridge,
                flood_dst: match f.kind {
                    FdbKind::Flood { dst, .. } => Some(dst),
                    _ => None,
                },
            },
            Entry::Neigh { dev, ip, .. } => Key::Neigh {
                dev: dev.clone(),
                ip: *ip,
            },
            Entry::Addr { dev, ip } => Key::Addr {
                dev: dev.clone(),
                ip: *ip,
            },
            Entry::Rule(r) => Key::Rule(r.clone()),
            Entry::Route(r) => Key::Route {
                table: r.table,
                dst: r.dst,
                metric: r.metric,
            },
        }
    }

    /// Whether the kernel refuses one of the two while the other exists: VXLAN devices of
    /// different names on the same VNI and port.
    pub(crate) fn conflicts_with(&self, other: &Entry) -> bool {
        match (self, other) {
            (Entry::Vxlan(a), Entry::Vxlan(b)) => {
                a.name != b.name && a.vni == b.vni && a.dst_port == b.dst_port
            }
            _ => false,
        }
    }

    /// Order of creation: what an entry needs comes before it; removal goes backwards.
    pub(crate) fn stage(&self) -> u8 {
        match self {
            Entry::Bridge { .. } => 0,
            Entry::Vxlan(_) | Entry::Veth { .. } => 1,
            Entry::BridgePort { .. } | Entry::RoutedPort { .. } => 2,
            Entry::Addr { .. } | Entry::Rule(_) | Entry::Neigh { .. } | Entry::Fdb(_) => 3,
            Entry::Route(_) => 4,
        }
    }

    /// Whether an installed entry (`self`) already is what `wanted` asks for. Equality,
    /// except that a VXLAN device with no MAC asked keeps the one the kernel chose.
    pub(crate) fn satisfies(&self, wanted: &Entry) -> bool {
        match (self, wanted) {
            (Entry::Vxlan(have), Entry::Vxlan(want)) if want.mac.is_none() => {
                VxlanDevice {
                    mac: None,
                    ..have.clone()
                } == *want
            }
            _ => self == wanted,
        }
    }

    /// Whether the kernel deletes this entry with device `dev`: what lives on a device goes
    /// with it (a bridge's ports and the device's own port in a bridge, its addresses,
    /// neighbours, FDB entries, routes through it, its routed-port settings); links and rules
    /// do not (a rule names a device but outlives it; a device plugged into a deleted bridge
    /// stays, unplugged).
    pub(crate) fn lives_on(&self, dev: &str) -> bool {
        match self {
            Entry::Rule(_) | Entry::Vxlan(_) | Entry::Veth { .. } | Entry::Bridge { .. } => false,
            _ => self.devices().contains(&dev),
        }
    }

    /// The device names this entry lives on or refers to.
    pub(crate) fn devices(&self) -> Vec<&str> {
        match self {
            Entry::Bridge { name } | Entry::RoutedPort { name } => vec![name],
            Entry::Vxlan(v) => [Some(v.name.as_str()), v.bridge.as_deref()]
                .into_iter()
                .flatten()
                .collect(),
            Entry::Veth { name, peer, bridge } => [Some(name), Some(peer), bridge.as_ref()]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect(),
            Entry::BridgePort { name, bridge } => vec![name, bridge],
            Entry::Fdb(f) => vec![&f.dev],
            Entry::Neigh { dev, .. } | Entry::Addr { dev, .. } => vec![dev],
            Entry::Rule(r) => r.iif.iter().map(String::as_str).collect(),
            Entry::Route(r) => match &r.kind {
                RouteKind::Unreachable => vec![],
                RouteKind::Dev(dev) => vec![dev],
                RouteKind::Via(hops) => hops.iter().map(|h| h.dev.as_str()).collect(),
            },
        }
    }
}
