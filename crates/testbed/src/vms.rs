//! The VMs of the test beds: E-VPN VMs in one subnet on three nodes ([`A`], and [`B`] with
//! the same subnet in another instance), and the shape of an IP VPN VM. The dataplane and
//! daemon tests plug the same VMs, so that both check the same topology.

use crate::fabric::{Fabric, Vm};
use crate::probes;

/// A VM of an E-VPN: name, node, MAC, IPv4 (/24) and IPv6 (/64) address.
#[derive(Clone, Copy, Debug)]
pub struct EvpnVm {
    pub name: &'static str,
    pub node: usize,
    pub mac: &'static str,
    pub v4: &'static str,
    pub v6: &'static str,
}

impl EvpnVm {
    pub fn port(&self) -> String {
        format!("tap-{}", self.name)
    }

    pub fn mac_bytes(&self) -> [u8; 6] {
        let b: Vec<u8> = self
            .mac
            .split(':')
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        b.try_into().unwrap()
    }

    /// An ARP request from the VM (its namespace `ns`) for `target`: the MAC of the answer,
    /// if one comes within a second.
    pub fn arp(&self, ns: &str, target: &str) -> Option<[u8; 6]> {
        let (own_ip, target) = (self.v4.parse().unwrap(), target.parse().unwrap());
        probes::arp(ns, "eth0", self.mac_bytes(), own_ip, target)
    }

    /// Creates the VM's namespace, plugged into its node; returns the namespace.
    pub fn create(&self, fabric: &mut Fabric) -> String {
        self.with_plug(|vm| fabric.add_vm(self.node, vm))
    }

    /// Plugs the (existing) VM into `node`: after a migration.
    pub fn plug_into(&self, fabric: &Fabric, node: usize) {
        self.with_plug(|vm| fabric.plug(node, vm));
    }

    /// Calls `f` with what the fabric plugs: its port, MAC and both addresses.
    fn with_plug<T>(&self, f: impl FnOnce(&Vm) -> T) -> T {
        let port = self.port();
        let (v4, v6) = (format!("{}/24", self.v4), format!("{}/64", self.v6));
        f(&Vm {
            name: self.name,
            port: &port,
            mac: self.mac,
            addresses: &[&v4, &v6],
            gateways: &[],
        })
    }
}

/// Instance A: one VM on each of three nodes.
pub const A: [EvpnVm; 3] = [
    EvpnVm {
        name: "a1",
        node: 1,
        mac: "52:54:00:0a:00:01",
        v4: "10.10.0.1",
        v6: "fd10::1",
    },
    EvpnVm {
        name: "a2",
        node: 2,
        mac: "52:54:00:0a:00:02",
        v4: "10.10.0.2",
        v6: "fd10::2",
    },
    EvpnVm {
        name: "a3",
        node: 3,
        mac: "52:54:00:0a:00:03",
        v4: "10.10.0.3",
        v6: "fd10::3",
    },
];

/// Instance B shares the subnet of A, on nodes 1 and 2: the two must stay apart.
pub const B: [EvpnVm; 2] = [
    EvpnVm {
        name: "b1",
        node: 1,
        mac: "52:54:00:0b:00:01",
        v4: "10.10.0.11",
        v6: "fd10::11",
    },
    EvpnVm {
        name: "b2",
        node: 2,
        mac: "52:54:00:0b:00:02",
        v4: "10.10.0.12",
        v6: "fd10::12",
    },
];

/// A VM of an IP VPN: name, node, MAC, its addresses with their lengths and the gateways of
/// their subnets.
#[derive(Clone, Debug)]
pub struct IpVm {
    pub name: &'static str,
    pub node: usize,
    pub mac: &'static str,
    pub addresses: &'static [&'static str],
    pub gateways: &'static [&'static str],
}

impl IpVm {
    pub fn port(&self) -> String {
        format!("tap-{}", self.name)
    }

    /// Its `i`th address, without the length.
    pub fn ip(&self, i: usize) -> &'static str {
        self.addresses[i].split('/').next().unwrap()
    }

    /// Creates the VM's namespace, plugged into its node; returns the namespace.
    pub fn create(&self, fabric: &mut Fabric) -> String {
        let port = self.port();
        fabric.add_vm(
            self.node,
            &Vm {
                name: self.name,
                port: &port,
                mac: self.mac,
                addresses: self.addresses,
                gateways: self.gateways,
            },
        )
    }
}

/// The VMs of a second VRF that reuses the addresses of the first on the same nodes: s1 has
/// r1's address (10.20.1.5), s2 is in r2's subnet.
pub const S: [IpVm; 2] = [
    IpVm {
        name: "s1",
        node: 1,
        mac: "52:54:00:02:00:01",
        addresses: &["10.20.1.5/24"],
        gateways: &["10.20.1.254"],
    },
    IpVm {
        name: "s2",
        node: 2,
        mac: "52:54:00:02:00:02",
        addresses: &["10.20.2.6/24"],
        gateways: &["10.20.2.254"],
    },
];
