//! What E-VPN instances and VRFs have in common: identity, route targets, the endpoints
//! (MAC, IP) plugged on local ports, and the paths received for them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

use bagpipe_dataplane::FlowClassifier;
use bagpipe_rib::decision::DEFAULT_LOCAL_PREF;
use bagpipe_rib::{PathOrigin, RouteKey, SourceId};
use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::{Family, MacAddress, RouteDistinguisher, RouteTarget};
use serde_json::Value;

use crate::evi::EviImports;
use crate::request::{
    AttractTraffic, Direction, Fallback, IpWithLength, LocalPort, Readvertise, VpnType,
};
use crate::vrf::VrfImports;

/// One (MAC, IP) plugged on a port; the IP is absent for MAC-only E-VPN attachments.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub mac: MacAddress,
    pub ip: Option<IpWithLength>,
    pub ifname: String,
    pub local_port: LocalPort,
    pub direction: Direction,
    pub local_pref: Option<u32>,
    pub lb_order: u32,
    pub advertise_subnet: bool,
    /// Boxed: rarely given, and a JSON value takes 32 bytes in every endpoint.
    pub description: Option<Box<Value>>,
    /// The endpoint's own RD (used for subnet routes), allocated per endpoint as the original.
    pub rd: RouteDistinguisher,
    pub rd_number: u32,
    /// The route advertised for it, if its direction advertises.
    pub route: Option<Nlri>,
}

impl Endpoint {
    /// LOCAL_PREF of the endpoint's routes: as given, 100 when absent or 0 (the original
    /// tested it for truth).
    pub fn advertised_local_pref(&self) -> u32 {
        self.local_pref
            .filter(|lp| *lp != 0)
            .unwrap_or(DEFAULT_LOCAL_PREF)
    }
}

/// An endpoint is named by its MAC and IP.
pub type EndpointKey = (MacAddress, Option<IpWithLength>);

/// The endpoints of an instance by (MAC, IP), by port and by address: what the dataplane
/// state of one port is made of, and whether an address is bound already, are found without
/// a walk over every endpoint of the instance.
#[derive(Debug, Default)]
pub struct Endpoints {
    /// Boxed: tree nodes are often half full, and an endpoint is large.
    by_key: BTreeMap<EndpointKey, Box<Endpoint>>,
    /// By a hash of the port name (entries are checked against the endpoint's own name), in
    /// one flat set rather than a set per port: a port has one or two endpoints, and a copy
    /// of its name or a set of its own would cost more than the endpoint's key.
    by_port: BTreeSet<(u64, EndpointKey)>,
    /// By address, MAC and prefix length: the key of an endpoint with an IP, in fewer bytes.
    by_addr: BTreeSet<(IpAddr, MacAddress, u8)>,
}

impl Endpoints {
    pub fn get(&self, key: &EndpointKey) -> Option<&Endpoint> {
        self.by_key.get(key).map(|ep| &**ep)
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub fn values(&self) -> impl Iterator<Item = &Endpoint> {
        self.by_key.values().map(|ep| &**ep)
    }

    /// Plugs or replaces an endpoint; returns the one it replaced.
    pub fn insert(&mut self, key: EndpointKey, ep: Endpoint) -> Option<Endpoint> {
        self.by_port.insert((port_hash(&ep.ifname), key));
        if let Some(ip) = key.1 {
            self.by_addr.insert((ip.addr, key.0, ip.len));
        }
        let old = self.by_key.insert(key, Box::new(ep))?;
        if old.ifname != self.by_key[&key].ifname {
            self.by_port.remove(&(port_hash(&old.ifname), key));
        }
        Some(*old)
    }

    pub fn remove(&mut self, key: &EndpointKey) -> Option<Endpoint> {
        let ep = self.by_key.remove(key)?;
        self.by_port.remove(&(port_hash(&ep.ifname), *key));
        if let Some(ip) = key.1 {
            self.by_addr.remove(&(ip.addr, key.0, ip.len));
        }
        Some(*ep)
    }

    /// The endpoints of one MAC, by IP (the MAC-only one first).
    pub fn of_mac(&self, mac: MacAddress) -> impl Iterator<Item = (&EndpointKey, &Endpoint)> {
        self.by_key
            .range((mac, None)..)
            .take_while(move |((m, _), _)| *m == mac)
            .map(|(key, ep)| (key, &**ep))
    }

    /// The endpoints with address `addr` (whatever its prefix length).
    pub fn with_addr(&self, addr: IpAddr) -> impl Iterator<Item = &Endpoint> {
        self.by_addr
            .range((addr, MacAddress::default(), 0)..)
            .take_while(move |(a, _, _)| *a == addr)
            .map(move |&(_, mac, len)| &*self.by_key[&(mac, Some(IpWithLength { addr, len }))])
    }

    /// The endpoints plugged on one port, by (MAC, IP).
    pub fn on_port<'a>(&'a self, ifname: &'a str) -> impl Iterator<Item = &'a Endpoint> {
        let hash = port_hash(ifname);
        let first: EndpointKey = (MacAddress::default(), None);
        self.by_port
            .range((hash, first)..)
            .take_while(move |(h, _)| *h == hash)
            .map(|(_, key)| &*self.by_key[key])
            .filter(move |ep| ep.ifname == ifname)
    }

    /// The ports with an endpoint, by name.
    pub fn ports(&self) -> BTreeSet<&str> {
        self.by_key.values().map(|ep| ep.ifname.as_str()).collect()
    }
}

fn port_hash(ifname: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    ifname.hash(&mut h);
    h.finish()
}

/// Per MAC (on one port: see [`Endpoints::of_mac`]): its MPLS label (the original
/// allocates one per port MAC).
#[derive(Debug, Clone)]
pub struct MacData {
    pub label: u32,
    /// MAC mobility sequence number of our advertisement (RFC 7432 §15).
    pub mobility_seq: u32,
}

/// A MAC an E-VPN instance's bridge learnt on one of its ports, and advertised.
#[derive(Debug, Clone)]
pub struct LearnedMac {
    pub port: String,
    pub mobility_seq: u32,
}

/// A path an instance imported.
#[derive(Debug, Clone)]
pub struct ReceivedPath {
    /// The route; its key is not kept beside it (48 bytes a path: a VRF may import a
    /// million), but derived when two paths are compared.
    pub nlri: Nlri,
    /// Shared with the other paths of its source (see `RouteEvent::origin`).
    pub origin: Arc<PathOrigin>,
    pub path_id: u32,
    pub attrs: Arc<AttributeSet>,
}

impl ReceivedPath {
    /// Whether `other` is a newer version of this path: same route, from the same source,
    /// with the same add-path identifier.
    fn same_path(&self, other: &ReceivedPath) -> bool {
        self.origin.source == other.origin.source
            && self.path_id == other.path_id
            && match RouteKey::of(&self.nlri) {
                Some(key) => RouteKey::of(&other.nlri) == Some(key),
                // Not a route the table keeps (none reaches an instance): the NLRI itself.
                None => self.nlri == other.nlri,
            }
    }

    /// The next hop, an IPv4-mapped IPv6 one as IPv4 (RFC 4659 §3.2.1.2: VPNv6 routes of
    /// IPv4 PEs carry it so): it is the same tunnel endpoint.
    pub fn next_hop(&self) -> Option<IpAddr> {
        self.attrs.next_hop.map(|a| a.to_canonical())
    }
}

/// The paths received for one prefix, MAC or flow rule: one per PE and RD, a handful at
/// most, so a vector (a map would cost a table of buckets for each route received).
#[derive(Debug, Default)]
pub struct PathGroup(Vec<ReceivedPath>);

impl PathGroup {
    pub fn values(&self) -> std::slice::Iter<'_, ReceivedPath> {
        self.0.iter()
    }

    fn set(&mut self, path: ReceivedPath) {
        match self.0.iter_mut().find(|p| p.same_path(&path)) {
            Some(old) => *old = path,
            None => {
                // Most groups hold one path: not the four a growing vector starts with.
                self.0.reserve_exact(1);
                self.0.push(path);
            }
        }
    }

    fn remove(&mut self, path: &ReceivedPath) {
        self.0.retain(|p| !p.same_path(path));
    }
}

/// Records a received path in its group (or its removal); a group left empty goes.
pub fn update_group<K: std::hash::Hash + Eq>(
    groups: &mut HashMap<K, PathGroup>,
    key: K,
    path: ReceivedPath,
    removed: bool,
) {
    if removed {
        if let Some(group) = groups.get_mut(&key) {
            group.remove(&path);
            if group.0.is_empty() {
                groups.remove(&key);
            }
        }
    } else {
        groups.entry(key).or_default().set(path);
    }
}

#[derive(Debug)]
pub enum Imports {
    Evi(EviImports),
    Vrf(VrfImports),
}

impl Imports {
    /// The destinations with at least one imported path (see each kind's `destinations`).
    pub fn destinations(&self) -> usize {
        match self {
            Imports::Evi(i) => i.destinations(),
            Imports::Vrf(i) => i.destinations(),
        }
    }
}

/// An E-VPN instance plugged into a VRF in place of a port (`local_port.evpn`): recorded on
/// both instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stitch {
    pub evi: String,
    pub vrf: String,
    /// The port of the E-VPN's bridge toward the VRF.
    pub evpn_if: String,
    /// The VRF's port toward the E-VPN, on which the E-VPN's endpoints are plugged.
    pub ipvpn_if: String,
    /// The two ports are a veth pair for the dataplane to create (not OVS ports that exist).
    pub veth: bool,
    pub gateway_ip: Option<IpAddr>,
}

/// What the attach requests said about an instance besides its ports, as last given (the
/// original took them from the first attach only; later ones that give them update them).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub readvertise: Option<Readvertise>,
    pub attract: Option<AttractTraffic>,
    pub fallback: Option<Fallback>,
}

#[derive(Debug)]
pub struct Instance {
    /// The dataplane id (`instance_dataplane_id`), stable for the instance's life.
    pub id: u32,
    pub external_id: String,
    pub vpn_type: VpnType,
    pub source: SourceId,
    pub rd: RouteDistinguisher,
    pub rd_number: u32,
    /// The instance label: the VNI for VXLAN.
    pub label: u32,
    pub forced_vni: bool,
    pub import_rts: Vec<RouteTarget>,
    pub export_rts: Vec<RouteTarget>,
    pub gateway_ip: Option<IpAddr>,
    pub subnet_len: Option<u8>,
    pub linuxbr: Option<String>,
    pub description: Option<Value>,
    pub endpoints: Endpoints,
    pub macs: BTreeMap<MacAddress, MacData>,
    /// E-VPN: MACs learnt on the ports (not given by an attach request).
    pub learned: BTreeMap<MacAddress, LearnedMac>,
    pub imports: Imports,
    pub options: Options,
    /// What the instance is subscribed to in the route table.
    pub subscriptions: BTreeSet<(Family, RouteTarget)>,
    /// The routes derived from received ones (readvertise, attract_traffic), as announced.
    pub derived: HashMap<Nlri, AttributeSet>,
    /// The redirect-to-VRF actions of the FlowSpec routes a VRF imports: per redirect route
    /// target, the traffic sent to the VRF that imports it.
    pub redirects: BTreeMap<RouteTarget, BTreeSet<FlowClassifier>>,
    /// For a VRF created to receive redirected traffic: the instances redirecting to it.
    pub redirected_by: BTreeSet<String>,
    pub stitch: Option<Stitch>,
}

impl Instance {
    /// `EVI-2`, `VRF-1`: the names the original's looking glass uses.
    pub fn name(&self) -> String {
        match self.vpn_type {
            VpnType::Evpn => format!("EVI-{}", self.id),
            VpnType::Ipvpn => format!("VRF-{}", self.id),
        }
    }

    /// Nothing needs the instance any more: no endpoint, no instance redirecting traffic to
    /// it, and (for an E-VPN instance) no VRF plugged into it.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
            && self.redirected_by.is_empty()
            && !(self.vpn_type == VpnType::Evpn && self.stitch.is_some())
    }

    /// Whether a received route carries one of the targets the instance imports (a VRF also
    /// receives routes only to readvertise them).
    pub fn is_imported(&self, attrs: &AttributeSet) -> bool {
        attrs
            .route_targets()
            .any(|rt| self.import_rts.contains(&rt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Direction;

    fn ep(mac: MacAddress, ip: Option<&str>, ifname: &str) -> (EndpointKey, Endpoint) {
        let ip: Option<IpWithLength> = ip.map(|i| i.parse().unwrap());
        let endpoint = Endpoint {
            mac,
            ip,
            ifname: ifname.into(),
            local_port: LocalPort {
                linuxif: Some(ifname.into()),
                ovs: None,
                evpn: None,
                vlan: None,
            },
            direction: Direction::Both,
            local_pref: None,
            lb_order: 0,
            advertise_subnet: false,
            description: None,
            rd: RouteDistinguisher::ipv4("192.0.2.1".parse().unwrap(), 1),
            rd_number: 1,
            route: None,
        };
        ((mac, ip), endpoint)
    }

    #[test]
    fn the_indexes_follow_inserts_and_removals() {
        let m1: MacAddress = "52:54:00:00:00:01".parse().unwrap();
        let m2: MacAddress = "52:54:00:00:00:02".parse().unwrap();
        let mut eps = Endpoints::default();
        for (k, e) in [
            ep(m1, None, "tap1"),
            ep(m1, Some("10.0.0.1/24"), "tap1"),
            ep(m2, Some("10.0.0.2/24"), "tap2"),
            ep(m2, Some("10.0.0.1/16"), "tap2"),
        ] {
            assert!(eps.insert(k, e).is_none());
        }
        let on = |eps: &Endpoints, port: &str| eps.on_port(port).count();
        assert_eq!((on(&eps, "tap1"), on(&eps, "tap2")), (2, 2));
        assert_eq!(eps.of_mac(m1).count(), 2);
        let addr: IpAddr = "10.0.0.1".parse().unwrap();
        let macs: Vec<MacAddress> = eps.with_addr(addr).map(|e| e.mac).collect();
        assert_eq!(macs, [m1, m2], "an address under two lengths and two MACs");
        // Replacing keeps one entry per key in every index.
        let (k, e) = ep(m1, Some("10.0.0.1/24"), "tap1");
        assert!(eps.insert(k, e).is_some());
        assert_eq!(eps.with_addr(addr).count(), 2);
        assert_eq!(on(&eps, "tap1"), 2);
        // Removing the last endpoint of a port removes the port.
        eps.remove(&(m2, Some("10.0.0.2/24".parse().unwrap())));
        eps.remove(&(m2, Some("10.0.0.1/16".parse().unwrap())));
        assert_eq!(eps.ports(), BTreeSet::from(["tap1"]));
        assert_eq!(eps.with_addr(addr).map(|e| e.mac).collect::<Vec<_>>(), [m1]);
        assert_eq!(eps.values().count(), 2);
    }
}
