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
    reconciler: Reconciler<K>,
    vrfs: BTreeMap<u32, VrfState>,
    last_errors: BTreeMap<u32, String>,
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
            vrfs: BTreeMap::new(),
            last_errors: BTreeMap::new(),
        }
    }

    /// Gateway IPs used by more than one VRF of this node.
    fn shared_gateways(&self) -> BTreeSet<IpAddr> {
        let mut seen = BTreeMap::<IpAddr, BTreeSet<u32>>::new();
        for (id, vrf) in &self.vrfs {
            for gw in vrf.local_ports.values().flat_map(|p| &p.gateway_ips) {
                seen.entry(*gw).or_default().insert(*id);
            }
        }
        seen.into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(gw, _)| gw)
            .collect()
    }

    async fn apply(
        &mut self,
        id: u32,
        shared: &BTreeSet<IpAddr>,
    ) -> Result<ReconcileReport, DriverError> {
        let entries = match self.vrfs.get(&id) {
            Some(vrf) => render(&self.config, id, vrf, shared)?,
            None => Vec::new(),
        };
        let result = self.reconciler.reconcile(id, entries).await;
        match &result {
            Err(e) if self.vrfs.contains_key(&id) => {
                self.last_errors.insert(id, e.to_string());
            }
            _ => {
                self.last_errors.remove(&id);
            }
        }
        result
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
    ) -> Result<ReconcileReport, DriverError> {
        let shared_before = self.shared_gateways();
        match desired {
            Some(vrf) => self.vrfs.insert(id, vrf.clone()),
            None => self.vrfs.remove(&id),
        };
        let shared = self.shared_gateways();
        let result = self.apply(id, &shared).await;
        // A gateway becoming (un)shared changes the other VRFs that use it.
        let flipped: BTreeSet<IpAddr> = shared
            .symmetric_difference(&shared_before)
            .copied()
            .collect();
        if !flipped.is_empty() {
            let others: Vec<u32> = self
                .vrfs
                .iter()
                .filter(|(other, vrf)| {
                    **other != id
                        && vrf
                            .local_ports
                            .values()
                            .any(|p| p.gateway_ips.iter().any(|g| flipped.contains(g)))
                })
                .map(|(other, _)| *other)
                .collect();
            for other in others {
                if let Err(e) = self.apply(other, &shared).await {
                    tracing::warn!(vrf = other, error = %e, "re-applying a VRF whose gateway became (un)shared");
                }
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

    fn describe(&self) -> serde_json::Value {
        let vrfs: BTreeMap<u32, serde_json::Value> = self
            .vrfs
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
                        "last_error": self.last_errors.get(id),
                    }),
                )
            })
            .collect();
        super::describe(
            "linux (IP VPN: policy routing + VXLAN)",
            &self.config,
            &self.reconciler,
            json!({ "vrfs": vrfs, "shared_gateways": self.shared_gateways() }),
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

fn render(
    config: &LinuxDriverConfig,
    id: u32,
    vrf: &VrfState,
    shared_gateways: &BTreeSet<IpAddr>,
) -> Result<Vec<Entry>, DriverError> {
    let table = table_of(id).ok_or_else(|| {
        DriverError::Unsupported(format!("VRF id {id} is too large for a routing table"))
    })?;
    let vxlan = vrf_vxlan_name(id);
    let rule = |v6: bool, iif: &str, src: Option<IpAddr>| {
        Entry::Rule(RuleEntry {
            v6,
            priority: RULE_PRIORITY,
            iif: Some(iif.to_string()),
            src,
            table,
        })
    };
    let route = |dst: IpPrefix, metric: u32, kind: RouteKind| {
        Entry::Route(RouteEntry {
            table,
            dst,
            metric,
            kind,
        })
    };

    let mut out = vec![Entry::Vxlan(VxlanDevice {
        name: vxlan.clone(),
        vni: vrf.vni,
        local: config.local_address,
        dst_port: config.vxlan_dst_port,
        mac: Some(vrf.router_mac),
        bridge: None,
    })];
    for v6 in [false, true] {
        out.push(rule(v6, &vxlan, None));
        let default = if v6 { "::/0" } else { "0.0.0.0/0" };
        out.push(route(
            default.parse().expect("default prefix"),
            UNREACHABLE_METRIC,
            RouteKind::Unreachable,
        ));
    }

    for (port, p) in &vrf.local_ports {
        out.push(Entry::RoutedPort { name: port.clone() });
        for a in &p.addresses {
            out.push(rule(a.ip.is_ipv6(), port, None));
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
            if !shared_gateways.contains(gw) {
                out.push(rule(gw.is_ipv6(), "lo", Some(*gw)));
            }
        }
    }

    for (prefix, hops) in &vrf.routes {
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
    Ok(out)
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
        Entry::Bridge { .. } | Entry::BridgePort { .. } => false,
    }
}

#[cfg(test)]
mod tests;
