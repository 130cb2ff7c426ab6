//! The VMs of the tests (`bagpipe_testbed::vms`) and the agent's requests for them: E-VPNs
//! (Neutron networks) and VRFs.

use std::time::Duration;

use bagpipe_testbed::probes::{no_reply, ping};
use bagpipe_testbed::vms::{EvpnVm, IpVm};
use bagpipe_testbed::wait::wait_for;
use serde_json::{json, Value};

use super::Cluster;

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

impl Evpn {
    /// The agent's requests for `vm`: one per address (IPv4, IPv6), same port and MAC.
    pub fn requests(&self, vm: &EvpnVm) -> [Value; 2] {
        [vm.v4, vm.v6].map(|ip| {
            let len = if ip.contains(':') { 64 } else { 24 };
            json!({
                "vpn_instance_id": self.id, "vpn_type": "evpn", "vni": self.vni,
                "import_rt": [self.rt], "export_rt": [self.rt],
                "local_port": {"linuxif": vm.port()},
                "mac_address": vm.mac, "ip_address": format!("{ip}/{len}"),
            })
        })
    }
}

/// The agent of `vm`'s node plugs it into `net`.
pub fn attach(cluster: &Cluster, net: &Evpn, vm: &EvpnVm) {
    for r in net.requests(vm) {
        cluster.daemon(vm.node).attach(&r);
    }
}

pub fn detach(cluster: &Cluster, net: &Evpn, vm: &EvpnVm) {
    for r in net.requests(vm) {
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

impl Vrf {
    /// The agent's request for `vm`, with its first address and gateway.
    pub fn request(&self, vm: &IpVm) -> Value {
        json!({
            "vpn_instance_id": self.id, "vpn_type": "ipvpn",
            "import_rt": [self.rt], "export_rt": [self.rt],
            "local_port": {"linuxif": vm.port()},
            "mac_address": vm.mac, "ip_address": vm.addresses[0], "gateway_ip": vm.gateways[0],
        })
    }
}

/// One subnet per node, IPv4 only (the agent attaches one address per port).
pub const R: [IpVm; 3] = [
    IpVm {
        name: "r1",
        node: 1,
        mac: "52:54:00:01:00:01",
        addresses: &["10.20.1.5/24"],
        gateways: &["10.20.1.1"],
    },
    IpVm {
        name: "r2",
        node: 2,
        mac: "52:54:00:01:00:02",
        addresses: &["10.20.2.5/24"],
        gateways: &["10.20.2.1"],
    },
    IpVm {
        name: "r3",
        node: 3,
        mac: "52:54:00:01:00:03",
        addresses: &["10.20.3.5/24"],
        gateways: &["10.20.3.1"],
    },
];

/// Creates the VM, plugged into its node, and the agent attaches it to `vrf`.
pub fn plug_vm(cluster: &mut Cluster, vrf: &Vrf, vm: &IpVm) -> String {
    let ns = vm.create(&mut cluster.fabric);
    cluster.daemon(vm.node).attach(&vrf.request(vm));
    ns
}
