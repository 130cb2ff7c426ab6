//! IP VPN over Linux with VXLAN: per VRF a routing table, policy rules leading into it, and
//! a VXLAN device for the traffic between nodes — symmetric routing, as in E-VPN type 5
//! (RFC 9135/9136) — since this kernel has neither VRF devices nor MPLS routing.
//!
//! - a local port: `iif <port> lookup <table>`, a host route to the VM in the table, proxy
//!   ARP on the port (VMs resolve whatever the VRF routes, their subnet on other nodes
//!   included, to this node), and the gateway IP as a host address on the port (answered
//!   for ARP/ND and ping) with `from <gateway> iif lo lookup <table>` for the replies;
//! - the VXLAN device: `iif <vxlan> lookup <table>`, MAC = the VRF's router MAC;
//! - a remote prefix: a route through the VXLAN device to an on-link next hop (the PE's
//!   address, IPv4-mapped for IPv6 routes over an IPv4 underlay), a permanent neighbour
//!   entry next hop → remote router MAC, an FDB entry router MAC → PE and VNI; several next
//!   hops make a multipath route (ECMP);
//! - an `unreachable` default route at the lowest priority ends every lookup in the table,
//!   so VRF traffic never falls through to the host's tables.
//!
//! Limits, for want of VRF devices: a VM can reach the host's own addresses (the `local`
//! table is looked up first); and when several VRFs on a node share a gateway IP, pings to
//! that gateway go unanswered (no `from <gateway>` rule could tell their replies apart —
//! rather that than answering into the wrong VRF).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use bagpipe_wire::IpPrefix;
use serde_json::json;

use crate::change::{Changed, VrfPart};
use crate::driver::{DataplaneDriver, DriverError, ReconcileReport};
use crate::kernel::{
    Entry, FdbEntry, FdbKind, Kernel, NetlinkKernel, NextHop, RouteEntry, RouteKind, RuleEntry,
    VxlanDevice,
};
use crate::model::{Encapsulation, VrfState};
use crate::owned::{instance_of_device, table_of, vrf_vxlan_name, RULE_PRIORITY, VRF_VXLAN_PREFIX};
use crate::reconcile::Reconciler;
use crate::LinuxDriverConfig;

/// Metric of our routes (IPv6's default, stated so that IPv4 reads back the same).
const ROUTE_METRIC: u32 = 1024;
/// Metric of the `unreachable` default route that closes each table.
const UNREACHABLE_METRIC: u32 = 0xff00_0000;

pub struct LinuxIpVpnDriver<K = NetlinkKernel> {
    config: LinuxDriverConfig,
    reconciler: Reconciler<K, Part>,
    gateways: Gateways,
    last_errors: BTreeMap<u32, String>,
}

/// What the driver renders separately. The reply rule of a gateway (`from <gateway> iif lo`)
/// is a part of its own: it depends on the other VRFs (none when several VRFs share the
/// gateway), and changes when they do.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    State(VrfPart),
    GatewayRule(IpAddr),
}

/// Which VRFs' ports answer for which gateway IPs.
#[derive(Default)]
struct Gateways {
    /// The gateway IPs of each port (VRF, port), as last rendered.
    of_port: BTreeMap<(u32, String), Vec<IpAddr>>,
    /// Per gateway IP, how many ports of each VRF have it.
    users: BTreeMap<IpAddr, BTreeMap<u32, usize>>,
}

impl Gateways {
    /// Sets the gateways of a port; returns those whose users changed: the old and new ones.
    fn set(&mut self, vrf: u32, port: &str, gateways: &[IpAddr]) -> Vec<IpAddr> {
        let key = (vrf, port.to_string());
        let old = if gateways.is_empty() {
            self.of_port.remove(&key)
        } else {
            self.of_port.insert(key, gateways.to_vec())
        }
        .unwrap_or_default();
        for gw in &old {
            let users = self.users.entry(*gw).or_default();
            if let Some(n) = users.get_mut(&vrf) {
                *n -= 1;
                if *n == 0 {
                    users.remove(&vrf);
                }
            }
            if users.is_empty() {
                self.users.remove(gw);
            }
        }
        for gw in gateways {
            *self.users.entry(*gw).or_default().entry(vrf).or_default() += 1;
        }
        old.into_iter().chain(gateways.iter().copied()).collect()
    }

    /// Forgets the ports of a VRF; returns their gateways.
    fn clear(&mut self, vrf: u32) -> Vec<IpAddr> {
        let ports: Vec<String> = self
            .of_port
            .range((vrf, String::new())..)
            .take_while(|((v, _), _)| *v == vrf)
            .map(|((_, p), _)| p.clone())
            .collect();
        ports.iter().flat_map(|p| self.set(vrf, p, &[])).collect()
    }

    fn used_by(&self, gw: &IpAddr, vrf: u32) -> bool {
        self.users.get(gw).is_some_and(|u| u.contains_key(&vrf))
    }

    /// Gateways used by more than one VRF of this node.
    fn shared(&self) -> impl Iterator<Item = &IpAddr> {
        self.users
            .iter()
            .filter(|(_, users)| users.len() > 1)
            .map(|(gw, _)| gw)
    }

    fn is_shared(&self, gw: &IpAddr) -> bool {
        self.users.get(gw).is_some_and(|u| u.len() > 1)
    }
}

impl LinuxIpVpnDriver<NetlinkKernel> {
    /// A driver for the network namespace of the calling thread (inside a tokio runtime).
    /// Turns IPv4 and IPv6 forwarding on there, as any router needs.
    pub fn new(config: LinuxDriverConfig) -> Result<Self, DriverError> {
        let kernel = NetlinkKernel::open().map_err(|e| DriverError::Kernel(e.to_string()))?;
        kernel
            .enable_forwarding()
            .map_err(|e| DriverError::Kernel(e.to_string()))?;
        Ok(Self::with_kernel(config, kernel))
    }
}

impl<K: Kernel> LinuxIpVpnDriver<K> {
    pub(crate) fn with_kernel(config: LinuxDriverConfig, kernel: K) -> Self {
        LinuxIpVpnDriver {
            config,
            reconciler: Reconciler::new(kernel, owns),
            gateways: Gateways::default(),
            last_errors: BTreeMap::new(),
        }
    }

    /// The parts of VRF `id` to render again, with the gateways whose users changed.
    fn parts(
        &mut self,
        id: u32,
        vrf: Option<&VrfState>,
        changed: &Changed<VrfPart>,
    ) -> (Vec<Part>, bool, Vec<IpAddr>) {
        // Every entry depends on the instance's own fields (table, VXLAN device).
        let whole = match changed {
            Changed::Parts(parts) => parts.contains(&VrfPart::Instance) || vrf.is_none(),
            Changed::All => true,
        };
        let Some(vrf) = vrf else {
            return (Vec::new(), true, self.gateways.clear(id));
        };
        if whole {
            let mut touched = self.gateways.clear(id);
            for (port, p) in &vrf.local_ports {
                touched.extend(self.gateways.set(id, port, &p.gateway_ips));
            }
            let ports = vrf.local_ports.keys().cloned().map(VrfPart::LocalPort);
            let routes = vrf.routes.keys().copied().map(VrfPart::Route);
            let parts = std::iter::once(VrfPart::Instance)
                .chain(ports)
                .chain(routes)
                .map(Part::State);
            let rules = self.gateways_of(id).into_iter().map(Part::GatewayRule);
            return (parts.chain(rules).collect(), true, touched);
        }
        let Changed::Parts(changed) = changed else {
            unreachable!("whole otherwise")
        };
        let mut touched = Vec::new();
        for part in changed {
            if let VrfPart::LocalPort(port) = part {
                let gateways = vrf
                    .local_ports
                    .get(port)
                    .map_or(&[][..], |p| &p.gateway_ips);
                touched.extend(self.gateways.set(id, port, gateways));
            }
        }
        let rules = touched.iter().copied().map(Part::GatewayRule);
        let parts: BTreeSet<Part> = changed
            .iter()
            .cloned()
            .map(Part::State)
            .chain(rules)
            .collect();
        (parts.into_iter().collect(), false, touched)
    }

    fn gateways_of(&self, id: u32) -> BTreeSet<IpAddr> {
        self.gateways
            .users
            .iter()
            .filter(|(_, users)| users.contains_key(&id))
            .map(|(gw, _)| *gw)
            .collect()
    }

    fn render(&self, id: u32, vrf: &VrfState, part: &Part) -> Result<Vec<Entry>, DriverError> {
        let table = table_of(id).ok_or_else(|| {
            DriverError::Unsupported(format!("VRF id {id} is too large for a routing table"))
        })?;
        Ok(match part {
            Part::State(p) => render(&self.config, id, table, vrf, p),
            Part::GatewayRule(gw) => {
                let answered = self.gateways.used_by(gw, id) && !self.gateways.is_shared(gw);
                answered
                    .then(|| rule(table, gw.is_ipv6(), "lo", Some(*gw)))
                    .into_iter()
                    .collect()
            }
        })
    }
}

impl<K: Kernel> DataplaneDriver for LinuxIpVpnDriver<K> {
    type State = VrfState;

    fn name(&self) -> &'static str {
        "linux"
    }

    async fn reconcile_instance(
        &mut self,
        id: u32,
        desired: Option<&VrfState>,
        changed: &Changed<VrfPart>,
    ) -> Result<ReconcileReport, DriverError> {
        let shared_before: BTreeSet<IpAddr> = self.gateways.shared().copied().collect();
        let (parts, whole, touched) = self.parts(id, desired, changed);
        if let Some(vrf) = desired.filter(|_| whole) {
            super::warn_not_programmed(id, &super::vrf_not_programmed(vrf));
        }
        let rendered: Result<Vec<_>, DriverError> = match desired {
            Some(vrf) => parts
                .into_iter()
                .map(|p| Ok((p.clone(), self.render(id, vrf, &p)?)))
                .collect(),
            None => Ok(Vec::new()),
        };
        let result = match rendered {
            Ok(rendered) => self.reconciler.reconcile(id, rendered, whole).await,
            Err(e) => Err(e),
        };
        match &result {
            Err(e) if desired.is_some() => self.last_errors.insert(id, e.to_string()),
            _ => self.last_errors.remove(&id),
        };
        // A gateway becoming (un)shared changes the reply rule of the other VRFs using it.
        let flipped = touched
            .into_iter()
            .filter(|gw| shared_before.contains(gw) != self.gateways.is_shared(gw));
        let mut others: BTreeMap<u32, Vec<IpAddr>> = BTreeMap::new();
        for gw in flipped.collect::<BTreeSet<_>>() {
            for other in self
                .gateways
                .users
                .get(&gw)
                .into_iter()
                .flat_map(|u| u.keys())
            {
                if *other != id {
                    others.entry(*other).or_default().push(gw);
                }
            }
        }
        for (other, gws) in others {
            let rules = gws
                .into_iter()
                .map(|gw| {
                    let answered = !self.gateways.is_shared(&gw);
                    let entries = table_of(other)
                        .filter(|_| answered)
                        .map(|table| rule(table, gw.is_ipv6(), "lo", Some(gw)));
                    (Part::GatewayRule(gw), entries.into_iter().collect())
                })
                .collect();
            if let Err(e) = self.reconciler.reconcile(other, rules, false).await {
                tracing::warn!(vrf = other, error = %e, "re-applying a VRF whose gateway became (un)shared");
            }
        }
        result
    }

    async fn resync(&mut self) -> Result<usize, DriverError> {
        self.reconciler.resync().await
    }

    async fn sweep_unclaimed(&mut self) -> Result<usize, DriverError> {
        self.reconciler.sweep_unclaimed().await.map(|r| r.removed)
    }

    fn describe(&self, desired: &BTreeMap<u32, VrfState>) -> serde_json::Value {
        let vrfs: BTreeMap<u32, serde_json::Value> = desired
            .iter()
            .map(|(id, vrf)| {
                (
                    *id,
                    json!({
                        "vxlan": vrf_vxlan_name(*id),
                        "table": table_of(*id),
                        "vni": vrf.vni,
                        "router_mac": vrf.router_mac,
                        "local_ports": vrf.local_ports.len(),
                        "routes": vrf.routes.len(),
                        "unusable_next_hops": unusable_next_hops(vrf),
                        "not_programmed": super::vrf_not_programmed(vrf),
                        "last_error": self.last_errors.get(id),
                    }),
                )
            })
            .collect();
        let shared: Vec<&IpAddr> = self.gateways.shared().collect();
        super::describe(
            "linux (IP VPN: policy routing + VXLAN)",
            &self.config,
            &self.reconciler,
            json!({ "vrfs": vrfs, "shared_gateways": shared }),
        )
    }
}

/// The next hop address of a route of `prefix`'s family toward `pe`: IPv6 routes over an
/// IPv4 underlay use the IPv4-mapped address (allowed as an on-link gateway, as FRR does).
fn next_hop_address(prefix: &IpPrefix, pe: IpAddr) -> Option<IpAddr> {
    match (prefix.is_ipv4(), pe) {
        (true, IpAddr::V4(_)) | (false, IpAddr::V6(_)) => Some(pe),
        (false, IpAddr::V4(a)) => Some(IpAddr::V6(a.to_ipv6_mapped())),
        (true, IpAddr::V6(_)) => None,
    }
}

/// Next hops this driver cannot program: not VXLAN, no router MAC, or IPv4 over IPv6.
fn unusable_next_hops(vrf: &VrfState) -> usize {
    vrf.routes
        .iter()
        .flat_map(|(p, hops)| hops.iter().map(move |h| (p, h)))
        .filter(|(p, h)| {
            h.encapsulation != Encapsulation::Vxlan
                || h.router_mac.is_none()
                || next_hop_address(p, h.pe).is_none()
        })
        .count()
}

fn rule(table: u32, v6: bool, iif: &str, src: Option<IpAddr>) -> Entry {
    Entry::Rule(RuleEntry {
        v6,
        priority: RULE_PRIORITY,
        iif: Some(iif.to_string()),
        src,
        table,
    })
}

/// The kernel entries of one part of VRF `id` (routing table `table`) as `vrf` says it
/// should be; none for a part it does not have. The reply rules of its gateways are rendered
/// apart (see [`Part`]).
fn render(
    config: &LinuxDriverConfig,
    id: u32,
    table: u32,
    vrf: &VrfState,
    part: &VrfPart,
) -> Vec<Entry> {
    let vxlan = vrf_vxlan_name(id);
    let route = |dst: IpPrefix, metric: u32, kind: RouteKind| {
        Entry::Route(RouteEntry {
            table,
            dst,
            metric,
            kind,
        })
    };

    let mut out = Vec::new();
    match part {
        VrfPart::Instance => {
            out.push(Entry::Vxlan(VxlanDevice {
                name: vxlan.clone(),
                vni: vrf.vni,
                local: config.local_address,
                dst_port: config.vxlan_dst_port,
                mac: Some(vrf.router_mac),
                bridge: None,
            }));
            for v6 in [false, true] {
                out.push(rule(table, v6, &vxlan, None));
                let default = if v6 { "::/0" } else { "0.0.0.0/0" };
                out.push(route(
                    default.parse().expect("default prefix"),
                    UNREACHABLE_METRIC,
                    RouteKind::Unreachable,
                ));
            }
        }
        VrfPart::LocalPort(port) => {
            let Some(p) = vrf.local_ports.get(port) else {
                return out;
            };
            out.push(Entry::RoutedPort { name: port.clone() });
            for a in &p.addresses {
                out.push(rule(table, a.ip.is_ipv6(), port, None));
                out.push(route(
                    IpPrefix::host(a.ip),
                    ROUTE_METRIC,
                    RouteKind::Dev(port.clone()),
                ));
            }
            for gw in &p.gateway_ips {
                out.push(Entry::Addr {
                    dev: port.clone(),
                    ip: *gw,
                });
            }
        }
        VrfPart::Route(prefix) => {
            let Some(hops) = vrf.routes.get(prefix) else {
                return out;
            };
            let mut via = BTreeSet::new();
            for hop in hops {
                let (Encapsulation::Vxlan, Some(router_mac), Some(gateway)) = (
                    hop.encapsulation,
                    hop.router_mac,
                    next_hop_address(prefix, hop.pe),
                ) else {
                    continue;
                };
                via.insert(NextHop {
                    gateway,
                    dev: vxlan.clone(),
                });
                out.push(Entry::Neigh {
                    dev: vxlan.clone(),
                    ip: gateway,
                    mac: router_mac,
                });
                out.push(Entry::Fdb(FdbEntry {
                    dev: vxlan.clone(),
                    mac: router_mac,
                    kind: FdbKind::Tunnel {
                        dst: hop.pe,
                        vni: (hop.label != vrf.vni).then_some(hop.label),
                    },
                }));
            }
            if !via.is_empty() {
                out.push(route(
                    *prefix,
                    ROUTE_METRIC,
                    RouteKind::Via(via.into_iter().collect()),
                ));
            }
        }
    }
    out
}

/// IP VPN entries: those on `bpvr-` devices, in our tables, and the addresses we put on
/// ports (E-VPN puts none).
fn owns(entry: &Entry) -> bool {
    let on_vrf_device = |dev: &str| instance_of_device(dev, VRF_VXLAN_PREFIX).is_some();
    match entry {
        Entry::Vxlan(v) => on_vrf_device(&v.name),
        Entry::Fdb(f) => on_vrf_device(&f.dev),
        Entry::Neigh { dev, .. } => on_vrf_device(dev),
        Entry::Rule(_) | Entry::Route(_) | Entry::Addr { .. } | Entry::RoutedPort { .. } => true,
        Entry::Bridge { .. } | Entry::BridgePort { .. } | Entry::Veth { .. } => false,
    }
}

#[cfg(test)]
mod tests;
