//! The VMs of the tests and the agent's requests for them: E-VPNs (Neutron networks) and
//! VRFs, VMs with their node, MAC and addresses.

use std::time::Duration;

use bagpipe_testbed::fabric::{Fabric, Vm};
use bagpipe_testbed::probes::{no_reply, ping};
use serde_json::{json, Value};

use super::{wait_for, Cluster};

/// An E-VPN (a Neutron network): its name at the API, route target and VNI.
pub struct Evpn {
    pub id: &'static str,
    pub rt: &'static str,
    pub vni: u32,
}

pub const NET_A: Evpn = Evpn {
    id: "net-a",
    rt: "64512:100",
    vni: 100,
};
/// Same subnet as A, on the same nodes: must stay apart.
pub const NET_B: Evpn = Evpn {
    id: "net-b",
    rt: "64512:200",
    vni: 200,
};

/// A VM: its namespace name, node, MAC and addresses.
#[derive(Clone, Copy)]
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

    pub fn vm(&self) -> (String, [String; 2]) {
        (
            self.port(),
            [format!("{}/24", self.v4), format!("{}/64", self.v6)],
        )
    }

    /// Creates the VM's namespace, plugged into its node; returns the namespace.
    pub fn create(&self, fabric: &mut Fabric) -> String {
        let (port, [v4, v6]) = self.vm();
        fabric.add_vm(
            self.node,
            &Vm {
                name: self.name,
                port: &port,
                mac: self.mac,
                addresses: &[&v4, &v6],
                gateways: &[],
            },
        )
    }

    /// Plugs the (existing) VM into `node`: after a migration.
    pub fn plug_into(&self, fabric: &Fabric, node: usize) {
        let (port, [v4, v6]) = self.vm();
        fabric.plug(
            node,
            &Vm {
                name: self.name,
                port: &port,
                mac: self.mac,
                addresses: &[&v4, &v6],
                gateways: &[],
            },
        );
    }

    pub fn mac_bytes(&self) -> [u8; 6] {
        let b: Vec<u8> = self
            .mac
            .split(':')
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        b.try_into().unwrap()
    }

    /// The agent's requests for this VM: one per address (IPv4, IPv6), same port and MAC.
    pub fn requests(&self, net: &Evpn) -> [Value; 2] {
        [self.v4, self.v6].map(|ip| {
            let len = if ip.contains(':') { 64 } else { 24 };
            json!({
                "vpn_instance_id": net.id, "vpn_type": "evpn", "vni": net.vni,
                "import_rt": [net.rt], "export_rt": [net.rt],
                "local_port": {"linuxif": self.port()},
                "mac_address": self.mac, "ip_address": format!("{ip}/{len}"),
            })
        })
    }
}

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

/// The agent of `vm`'s node plugs it into `net`.
pub fn attach(cluster: &Cluster, net: &Evpn, vm: &EvpnVm) {
    for r in vm.requests(net) {
        cluster.daemon(vm.node).attach(&r);
    }
}

pub fn detach(cluster: &Cluster, net: &Evpn, vm: &EvpnVm) {
    for r in vm.requests(net) {
        cluster.daemon(vm.node).detach(&r);
    }
}

/// Waits until `from` gets answers from `to` (routes take a moment to travel).
pub fn wait_ping(from: &str, to: &str) {
    wait_for(Duration::from_secs(10), &format!("{from} -> {to}"), || {
        ping(from, to).then_some(())
    });
}

pub fn wait_no_reply(from: &str, to: &str) {
    wait_for(
        Duration::from_secs(10),
        &format!("{from} -/-> {to}"),
        || no_reply(from, to).then_some(()),
    );
}

pub struct Vrf {
    pub id: &'static str,
    pub rt: &'static str,
}

pub const VRF1: Vrf = Vrf {
    id: "vrf-1",
    rt: "64512:300",
};
pub const VRF2: Vrf = Vrf {
    id: "vrf-2",
    rt: "64512:400",
};

pub struct IpVm {
    pub name: &'static str,
    pub node: usize,
    pub mac: &'static str,
    /// Address with its subnet length, and the subnet's gateway.
    pub address: &'static str,
    pub gateway: &'static str,
}

impl IpVm {
    pub fn port(&self) -> String {
        format!("tap-{}", self.name)
    }

    pub fn ip(&self) -> &'static str {
        self.address.split('/').next().unwrap()
    }

    pub fn request(&self, vrf: &Vrf) -> Value {
        json!({
            "vpn_instance_id": vrf.id, "vpn_type": "ipvpn",
            "import_rt": [vrf.rt], "export_rt": [vrf.rt],
            "local_port": {"linuxif": self.port()},
            "mac_address": self.mac, "ip_address": self.address, "gateway_ip": self.gateway,
        })
    }
}

/// One subnet per node.
pub const R: [IpVm; 3] = [
    IpVm {
        name: "r1",
        node: 1,
        mac: "52:54:00:01:00:01",
        address: "10.20.1.5/24",
        gateway: "10.20.1.1",
    },
    IpVm {
        name: "r2",
        node: 2,
        mac: "52:54:00:01:00:02",
        address: "10.20.2.5/24",
        gateway: "10.20.2.1",
    },
    IpVm {
        name: "r3",
        node: 3,
        mac: "52:54:00:01:00:03",
        address: "10.20.3.5/24",
        gateway: "10.20.3.1",
    },
];

/// VRF 2 reuses VRF 1's addresses on the same nodes: s1 has r1's address, s2 is in r2's
/// subnet.
pub const S: [IpVm; 2] = [
    IpVm {
        name: "s1",
        node: 1,
        mac: "52:54:00:02:00:01",
        address: "10.20.1.5/24",
        gateway: "10.20.1.254",
    },
    IpVm {
        name: "s2",
        node: 2,
        mac: "52:54:00:02:00:02",
        address: "10.20.2.6/24",
        gateway: "10.20.2.254",
    },
];

/// Creates the VM, plugged into its node, and the agent attaches it to `vrf`.
pub fn plug_vm(cluster: &mut Cluster, vrf: &Vrf, vm: &IpVm) -> String {
    let port = vm.port();
    let ns = cluster.fabric.add_vm(
        vm.node,
        &Vm {
            name: vm.name,
            port: &port,
            mac: vm.mac,
            addresses: &[vm.address],
            gateways: &[vm.gateway],
        },
    );
    cluster.daemon(vm.node).attach(&vm.request(vrf));
    ns
}
