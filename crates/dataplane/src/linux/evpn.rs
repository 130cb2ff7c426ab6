//! E-VPN over Linux: per instance a bridge and a VXLAN device plugged into it.
//!
//! - local ports are plugged into the bridge (only a bridge of ours: a bridge given by the
//!   attach request belongs to whoever plugs ports into it);
//! - a remote MAC is an FDB entry of the VXLAN device (MAC → VTEP, VNI) plus a static entry
//!   in the bridge (MAC → VXLAN port), and each of its IPs a permanent neighbour entry on the
//!   bridge: with `neigh_suppress` on the VXLAN port, the bridge answers ARP and neighbour
//!   solicitations for it locally instead of flooding them to every VTEP;
//! - the flood list is the all-zeros FDB entries of the VXLAN device, one per VTEP
//!   (head-end replication of broadcast and unknown frames);
//! - a VRF plugged into the instance (E-VPN-to-IP-VPN stitching) is a veth pair whose bridge
//!   end the driver plugs into the bridge (the IP VPN driver routes for the other end), or an
//!   existing port (Open vSwitch) plugged into a bridge of ours.

use std::collections::BTreeMap;

use bagpipe_wire::MacAddress;
use serde_json::json;

use crate::change::{Changed, EvpnPart};
use crate::driver::{DataplaneDriver, DriverError, ReconcileReport};
use crate::kernel::{Entry, FdbEntry, FdbKind, Kernel, NetlinkKernel, VxlanDevice};
use crate::model::EvpnInstanceState;
use crate::owned::{evpn_bridge_name, evpn_vxlan_name, VRF_VXLAN_PREFIX};
use crate::reconcile::Reconciler;
use crate::LinuxDriverConfig;

pub struct LinuxEvpnDriver<K = NetlinkKernel> {
    config: LinuxDriverConfig,
    reconciler: Reconciler<K, EvpnPart>,
    /// Per instance, the MACs of its ports in a bridge of ours: a remote MAC that is also
    /// local is the port's in the bridge's table.
    local_macs: BTreeMap<u32, LocalMacs>,
    last_errors: BTreeMap<u32, String>,
}

/// The MAC of each port, and how many ports have each MAC.
#[derive(Default)]
struct LocalMacs {
    of_port: BTreeMap<String, MacAddress>,
    ports: BTreeMap<MacAddress, usize>,
}

impl LocalMacs {
    /// Sets the MAC of a port; returns the MAC it had.
    fn set(&mut self, port: &str, mac: Option<MacAddress>) -> Option<MacAddress> {
        let old = match mac {
            Some(m) => self.of_port.insert(port.to_string(), m),
            None => self.of_port.remove(port),
        };
        if let Some(o) = old {
            if let Some(n) = self.ports.get_mut(&o) {
                *n -= 1;
                if *n == 0 {
                    self.ports.remove(&o);
                }
            }
        }
        if let Some(m) = mac {
            *self.ports.entry(m).or_default() += 1;
        }
        old
    }

    fn contains(&self, mac: &MacAddress) -> bool {
        self.ports.contains_key(mac)
    }
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
            local_macs: BTreeMap::new(),
            last_errors: BTreeMap::new(),
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
        changed: &Changed<EvpnPart>,
    ) -> Result<ReconcileReport, DriverError> {
        let Some(s) = desired else {
            self.local_macs.remove(&id);
            self.last_errors.remove(&id);
            return self.reconciler.reconcile(id, Vec::new(), true).await;
        };
        let macs = self.local_macs.entry(id).or_default();
        // Every entry depends on the instance's own fields (bridge, VNI).
        let whole =
            !matches!(changed, Changed::Parts(parts) if !parts.contains(&EvpnPart::Instance));
        let parts = if whole {
            *macs = LocalMacs::default();
            for (port, p) in &s.local_ports {
                macs.set(port, local_mac(s, p.mac));
            }
            parts_of(s)
        } else {
            let Changed::Parts(parts) = changed else {
                unreachable!("whole otherwise")
            };
            let mut parts = parts.clone();
            // A port's MAC decides how the remote MAC of the same address is rendered.
            for part in parts.clone() {
                if let EvpnPart::LocalPort(port) = part {
                    let mac = s.local_ports.get(&port).and_then(|p| local_mac(s, p.mac));
                    let old = macs.set(&port, mac);
                    parts.extend(old.into_iter().chain(mac).map(EvpnPart::RemoteMac));
                }
            }
            parts.into_iter().collect()
        };
        let rendered = parts
            .into_iter()
            .map(|part| {
                let entries = render(&self.config, id, s, &self.local_macs[&id], &part);
                (part, entries)
            })
            .collect();
        let result = self.reconciler.reconcile(id, rendered, whole).await;
        match &result {
            Ok(_) => self.last_errors.remove(&id),
            Err(e) => self.last_errors.insert(id, e.to_string()),
        };
        result
    }

    async fn resync(&mut self) -> Result<usize, DriverError> {
        self.reconciler.resync().await
    }

    async fn sweep_unclaimed(&mut self) -> Result<usize, DriverError> {
        self.reconciler.sweep_unclaimed().await.map(|r| r.removed)
    }

    fn describe(&self, desired: &BTreeMap<u32, EvpnInstanceState>) -> serde_json::Value {
        let instances: BTreeMap<u32, serde_json::Value> = desired
            .iter()
            .map(|(id, s)| {
                let status = json!({
                    "bridge": bridge_of(*id, s),
                    "vxlan": evpn_vxlan_name(*id),
                    "vni": s.vni,
                    "remote_macs": s.remote_macs.len(),
                    "flood_list": s.flood_list.len(),
                    "gateway_port": s.gateway_port.as_ref().map(|g| &g.ifname),
                    "last_error": self.last_errors.get(id),
                });
                (*id, status)
            })
            .collect();
        super::describe(
            "linux (E-VPN: bridge + VXLAN)",
            &self.config,
            &self.reconciler,
            json!({ "instances": instances }),
        )
    }
}

fn bridge_of(id: u32, s: &EvpnInstanceState) -> String {
    s.linux_bridge
        .clone()
        .unwrap_or_else(|| evpn_bridge_name(id))
}

/// The MAC a port puts in the bridge's table: only in a bridge of ours.
fn local_mac(s: &EvpnInstanceState, mac: Option<MacAddress>) -> Option<MacAddress> {
    mac.filter(|_| s.linux_bridge.is_none())
}

/// Every part of a state.
fn parts_of(s: &EvpnInstanceState) -> Vec<EvpnPart> {
    let ports = s.local_ports.keys().cloned().map(EvpnPart::LocalPort);
    let macs = s.remote_macs.keys().copied().map(EvpnPart::RemoteMac);
    let floods = s.flood_list.iter().copied().map(EvpnPart::Flood);
    std::iter::once(EvpnPart::Instance)
        .chain(ports)
        .chain(macs)
        .chain(floods)
        .collect()
}

/// The kernel entries of one part of instance `id` as `s` says it should be; none for a part
/// it does not have.
fn render(
    config: &LinuxDriverConfig,
    id: u32,
    s: &EvpnInstanceState,
    local_macs: &LocalMacs,
    part: &EvpnPart,
) -> Vec<Entry> {
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
    match part {
        EvpnPart::Instance => {
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
            match s.gateway_port.as_ref().map(|g| (&g.ifname, &g.veth_peer)) {
                Some((name, Some(peer))) => out.push(Entry::Veth {
                    name: name.clone(),
                    peer: peer.clone(),
                    bridge: Some(bridge.clone()),
                }),
                // Someone else's port: only into a bridge of ours, as a VM's.
                Some((name, None)) if own_bridge => out.push(Entry::BridgePort {
                    name: name.clone(),
                    bridge: bridge.clone(),
                }),
                _ => {}
            }
        }
        EvpnPart::LocalPort(port) => {
            if let (true, Some(p)) = (own_bridge, s.local_ports.get(port)) {
                out.push(Entry::BridgePort {
                    name: port.clone(),
                    bridge: bridge.clone(),
                });
                if let Some(mac) = p.mac {
                    out.push(Entry::Fdb(FdbEntry {
                        dev: port.clone(),
                        mac,
                        kind: FdbKind::Bridge,
                    }));
                }
            }
        }
        EvpnPart::RemoteMac(mac) => {
            let Some(remote) = s.remote_macs.get(mac) else {
                return out;
            };
            if mac.is_zero() || mac.is_multicast() {
                return out;
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
        EvpnPart::Flood(f) => {
            if s.flood_list.contains(f) {
                out.push(fdb(
                    MacAddress::ZERO,
                    FdbKind::Flood {
                        dst: f.vtep,
                        vni: vni_of(f.vni),
                    },
                ));
            }
        }
    }
    out
}

/// E-VPN entries: those on our bridges and `bpvx-` devices, the ports of our bridges, the
/// stitching pairs, and neighbour and FDB entries anywhere but on IP VPN devices (on bridges
/// given by name).
fn owns(entry: &Entry) -> bool {
    let on = |dev: &str| !dev.starts_with(VRF_VXLAN_PREFIX);
    match entry {
        Entry::Bridge { name } => on(name),
        Entry::Vxlan(v) => on(&v.name),
        Entry::Veth { .. } => true,
        Entry::BridgePort { bridge, .. } => on(bridge),
        Entry::Fdb(f) => on(&f.dev),
        Entry::Neigh { dev, .. } => on(dev),
        Entry::RoutedPort { .. } | Entry::Addr { .. } | Entry::Rule(_) | Entry::Route(_) => false,
    }
}

#[cfg(test)]
mod tests;
