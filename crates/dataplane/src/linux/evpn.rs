//! E-VPN over Linux: per instance a bridge and a VXLAN device plugged into it.
//!
//! - local ports are plugged into the bridge (only a bridge of ours: a bridge given by the
//!   attach request belongs to whoever plugs ports into it);
//! - a remote MAC is an FDB entry of the VXLAN device (MAC → VTEP, VNI) plus a static entry
//!   in the bridge (MAC → VXLAN port), and each of its IPs a permanent neighbour entry on the
//!   bridge: with `neigh_suppress` on the VXLAN port, the bridge answers ARP and neighbour
//!   solicitations for it locally instead of flooding them to every VTEP;
//! - the flood list is the all-zeros FDB entries of the VXLAN device, one per VTEP
//!   (head-end replication of broadcast and unknown frames).

use std::collections::BTreeSet;

use bagpipe_wire::MacAddress;
use serde_json::json;

use crate::driver::{DataplaneDriver, DriverError, ReconcileReport};
use crate::kernel::{Entry, FdbEntry, FdbKind, Kernel, NetlinkKernel, VxlanDevice};
use crate::model::EvpnInstanceState;
use crate::owned::{evpn_bridge_name, evpn_vxlan_name, VRF_VXLAN_PREFIX};
use crate::reconcile::Reconciler;
use crate::LinuxDriverConfig;

pub struct LinuxEvpnDriver<K = NetlinkKernel> {
    config: LinuxDriverConfig,
    reconciler: Reconciler<K>,
    instances: std::collections::BTreeMap<u32, InstanceStatus>,
}

#[derive(serde::Serialize)]
struct InstanceStatus {
    bridge: String,
    vxlan: String,
    vni: u32,
    remote_macs: usize,
    flood_list: usize,
    last_error: Option<String>,
}

impl LinuxEvpnDriver<NetlinkKernel> {
    /// A driver for the network namespace of the calling thread (inside a tokio runtime).
    pub fn new(config: LinuxDriverConfig) -> Result<Self, DriverError> {
        let kernel = NetlinkKernel::open().map_err(|e| DriverError::Kernel(e.to_string()))?;
        Ok(Self::with_kernel(config, kernel))
    }
}

impl<K: Kernel> LinuxEvpnDriver<K> {
    pub(crate) fn with_kernel(config: LinuxDriverConfig, kernel: K) -> Self {
        LinuxEvpnDriver {
            config,
            reconciler: Reconciler::new(kernel, owns),
            instances: Default::default(),
        }
    }
}

impl<K: Kernel> DataplaneDriver for LinuxEvpnDriver<K> {
    type State = EvpnInstanceState;

    fn name(&self) -> &'static str {
        "linux"
    }

    async fn reconcile_instance(
        &mut self,
        id: u32,
        desired: Option<&EvpnInstanceState>,
    ) -> Result<ReconcileReport, DriverError> {
        let entries = desired
            .map(|s| render(&self.config, id, s))
            .unwrap_or_default();
        let result = self.reconciler.reconcile(id, entries).await;
        match desired {
            None => {
                self.instances.remove(&id);
            }
            Some(s) => {
                self.instances.insert(
                    id,
                    InstanceStatus {
                        bridge: bridge_of(id, s),
                        vxlan: evpn_vxlan_name(id),
                        vni: s.vni,
                        remote_macs: s.remote_macs.len(),
                        flood_list: s.flood_list.len(),
                        last_error: result.as_ref().err().map(ToString::to_string),
                    },
                );
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
        super::describe(
            "linux (E-VPN: bridge + VXLAN)",
            &self.config,
            &self.reconciler,
            json!({ "instances": self.instances }),
        )
    }
}

fn bridge_of(id: u32, s: &EvpnInstanceState) -> String {
    s.linux_bridge
        .clone()
        .unwrap_or_else(|| evpn_bridge_name(id))
}

/// The kernel entries that make instance `id` what `s` says.
fn render(config: &LinuxDriverConfig, id: u32, s: &EvpnInstanceState) -> Vec<Entry> {
    let bridge = bridge_of(id, s);
    let own_bridge = s.linux_bridge.is_none();
    let vxlan = evpn_vxlan_name(id);
    // The kernel reports no VNI on an FDB entry that uses the device's own.
    let vni_of = |vni: u32| (vni != s.vni).then_some(vni);
    let fdb = |mac: MacAddress, kind: FdbKind| {
        Entry::Fdb(FdbEntry {
            dev: vxlan.clone(),
            mac,
            kind,
        })
    };

    let mut out = Vec::new();
    if own_bridge {
        out.push(Entry::Bridge {
            name: bridge.clone(),
        });
    }
    out.push(Entry::Vxlan(VxlanDevice {
        name: vxlan.clone(),
        vni: s.vni,
        local: config.local_address,
        dst_port: config.vxlan_dst_port,
        mac: None,
        bridge: Some(bridge.clone()),
    }));
    let mut local_macs = BTreeSet::new();
    if own_bridge {
        for (port, p) in &s.local_ports {
            out.push(Entry::BridgePort {
                name: port.clone(),
                bridge: bridge.clone(),
            });
            if let Some(mac) = p.mac {
                local_macs.insert(mac);
                out.push(Entry::Fdb(FdbEntry {
                    dev: port.clone(),
                    mac,
                    kind: FdbKind::Bridge,
                }));
            }
        }
    }
    for (mac, remote) in &s.remote_macs {
        if mac.is_zero() || mac.is_multicast() {
            continue;
        }
        out.push(fdb(
            *mac,
            FdbKind::Tunnel {
                dst: remote.vtep,
                vni: vni_of(remote.vni),
            },
        ));
        // A MAC that is also local (moving here) is the local port's in the bridge.
        if !local_macs.contains(mac) {
            out.push(fdb(*mac, FdbKind::Bridge));
        }
        for ip in &remote.ips {
            out.push(Entry::Neigh {
                dev: bridge.clone(),
                ip: *ip,
                mac: *mac,
            });
        }
    }
    for f in &s.flood_list {
        out.push(fdb(
            MacAddress::ZERO,
            FdbKind::Flood {
                dst: f.vtep,
                vni: vni_of(f.vni),
            },
        ));
    }
    out
}

/// E-VPN entries: those on our bridges and `bpvx-` devices, the ports of our bridges, and
/// neighbour and FDB entries anywhere but on IP VPN devices (on bridges given by name).
fn owns(entry: &Entry) -> bool {
    let on = |dev: &str| !dev.starts_with(VRF_VXLAN_PREFIX);
    match entry {
        Entry::Bridge { name } => on(name),
        Entry::Vxlan(v) => on(&v.name),
        Entry::BridgePort { bridge, .. } => on(bridge),
        Entry::Fdb(f) => on(&f.dev),
        Entry::Neigh { dev, .. } => on(dev),
        Entry::RoutedPort { .. } | Entry::Addr { .. } | Entry::Rule(_) | Entry::Route(_) => false,
    }
}

#[cfg(test)]
mod tests;
