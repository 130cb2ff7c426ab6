//! The desired state of one VPN instance, as the VPN layer wants the dataplane to be.
//!
//! Each value is complete: it describes everything of one instance. The VPN layer sends it
//! whole for a new instance, then the parts that change (see [`crate::change`]); the drivers
//! compare what they are given with what they installed and apply the difference, so a
//! repeated update changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use bagpipe_wire::{IpPrefix, MacAddress};
use serde::Serialize;
use smallvec::SmallVec;

/// One E-VPN instance (EVI): a layer-2 segment stretched over VXLAN.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct EvpnInstanceState {
    /// The dataplane id the VPN layer allocated; names the devices of the instance.
    pub instance_id: u32,
    /// The VNI this node receives the instance's traffic on (the label it advertises).
    pub vni: u32,
    /// A Linux bridge that already exists (the attach request's `linuxbr`); `None` lets the
    /// driver create and own one. A given bridge is never created, deleted, nor are its ports
    /// touched: only the driver's VXLAN device is plugged into it.
    pub linux_bridge: Option<String>,
    /// Local ports, by interface name.
    pub local_ports: BTreeMap<String, EvpnLocalPort>,
    /// MACs learnt from E-VPN type 2 routes of other nodes.
    pub remote_macs: BTreeMap<MacAddress, RemoteMac>,
    /// Head-end replication list from type 3 routes: where broadcast and unknown frames go.
    pub flood_list: BTreeSet<FloodEntry>,
    /// The VRF plugged into this instance (E-VPN-to-IP-VPN stitching), if any.
    pub gateway_port: Option<EvpnGatewayPort>,
}

/// An IP VPN instance plugged into an E-VPN instance in place of a VM port (the attach
/// request's `local_port.evpn`): hosts of the E-VPN reach their gateway, routed by the VRF,
/// through this port of the bridge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvpnGatewayPort {
    /// The interface to plug into the instance's bridge.
    pub ifname: String,
    /// `Some`: the driver creates `ifname` as a veth pair with this peer, which the VRF has as
    /// a local port, and deletes the pair with the gateway port. `None`: `ifname` exists
    /// already (an Open vSwitch port named by the request).
    pub veth_peer: Option<String>,
    /// The VRF's gateway address on the E-VPN's subnet.
    pub gateway_ip: Option<IpAddr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct EvpnLocalPort {
    /// `None` when the attach request gave no MAC: [`crate::watch_learned_macs`] reports the
    /// MACs the bridge learns on the port. Given, it becomes a static bridge entry, so frames
    /// to the VM are never flooded.
    pub mac: Option<MacAddress>,
    /// Not programmed (local VMs resolve each other over the bridge); shown by the looking
    /// glass, and what the VPN layer advertises.
    pub ips: Vec<IpAddr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemoteMac {
    /// The VTEP (remote node's dataplane address) behind which the MAC lives.
    pub vtep: IpAddr,
    /// The VNI to send with (the label of the remote route).
    pub vni: u32,
    /// Addresses of the MAC from the route: answered locally for ARP / neighbour discovery.
    pub ips: Vec<IpAddr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FloodEntry {
    pub vtep: IpAddr,
    pub vni: u32,
}

/// One IP VPN instance (VRF).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct VrfState {
    pub instance_id: u32,
    /// The VNI this node receives the VRF's traffic on, when the encapsulation is VXLAN.
    pub vni: u32,
    /// The MAC of this node's end of the VRF's VXLAN segment. Chosen by the VPN layer
    /// (deterministically, so it survives restarts) and advertised in the router MAC
    /// extended community of the VRF's routes.
    pub router_mac: MacAddress,
    /// Local ports, by interface name.
    pub local_ports: BTreeMap<String, VrfLocalPort>,
    /// Remote prefixes; several next hops make an ECMP route, sorted by the routes'
    /// consistent hash sort order (then PE and label), so that load-balancing buckets keep
    /// their place when a next hop comes or goes.
    pub routes: BTreeMap<IpPrefix, Vec<RemoteNextHop>>,
    /// Where traffic that matches no route goes instead of being dropped (the attach
    /// request's `fallback`).
    pub fallback: Option<VrfFallback>,
    /// Traffic of the VRF's ports that FlowSpec redirect-to-VRF routes (RFC 8955 §7.5) send to
    /// another VRF of this node, whose routes then apply instead of this VRF's.
    pub redirects: Vec<TrafficRedirect>,
}

/// On a lookup miss: rewrite the MAC addresses and send the packet out of an OVS port (the
/// Neutron OVS agent hands such traffic back to the Neutron router). Fields are as given;
/// the driver judges whether they suffice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VrfFallback {
    pub src_mac: Option<MacAddress>,
    pub dst_mac: Option<MacAddress>,
    pub ovs_port_name: Option<String>,
    pub ovs_port_number: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrafficRedirect {
    pub classifier: FlowClassifier,
    /// The VRF (its `instance_id`) whose routes forward the matching traffic.
    pub to_instance: u32,
}

/// A 5-tuple match; `None` fields match anything.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FlowClassifier {
    pub source_prefix: Option<IpPrefix>,
    pub destination_prefix: Option<IpPrefix>,
    /// IP protocol number.
    pub protocol: Option<u8>,
    pub source_ports: Option<PortRange>,
    pub destination_ports: Option<PortRange>,
}

/// An inclusive range of transport ports (`min == max` for one port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PortRange {
    pub min: u16,
    pub max: u16,
}

/// A port attached to a VRF. A dual-stack VM is one port with an address of each family
/// (the original's two attach requests on the same port).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VrfLocalPort {
    /// Not programmed (the node resolves the VM by ARP/ND like any neighbour); shown by the
    /// looking glass.
    pub mac: MacAddress,
    /// The VM's addresses, each with the length of its subnet. Inline up to one (almost every
    /// port has one of each), not a heap block per port.
    pub addresses: SmallVec<[InterfaceAddress; 1]>,
    /// The gateways the VM uses; this node answers for them on the port.
    pub gateway_ips: SmallVec<[IpAddr; 1]>,
}

/// An address with the prefix length of its subnet (`10.0.1.5/24`): unlike an
/// [`IpPrefix`], host bits are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct InterfaceAddress {
    pub ip: IpAddr,
    pub prefix_len: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RemoteNextHop {
    /// The remote PE (its dataplane address).
    pub pe: IpAddr,
    /// The route's label: an MPLS label or, with VXLAN, the VNI.
    pub label: u32,
    pub encapsulation: Encapsulation,
    /// The router MAC extended community of the route (needed for VXLAN).
    pub router_mac: Option<MacAddress>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encapsulation {
    Vxlan,
    Mpls,
    MplsOverGre,
}
