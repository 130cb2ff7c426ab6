//! Compute nodes joined by an underlay, and VMs plugged into them — each a namespace.
//!
//! ```text
//!   [P-u]   bridge "ul": n1 n2 n3 ...         underlay 192.0.2.0/24 (the bridge itself:
//!        │ veth ul0 (192.0.2.i)                192.0.2.254, when asked for)
//!   [P-ni]  the node: a driver or a daemon runs here
//!        │ veth <port> ── eth0
//!   [P-<vm>] a VM
//! ```
//!
//! `P` is the prefix the test gives (`bpdp-ev`, `bpd-evrr`...): its crate's prefix and a tag
//! of the test, so that tests running in parallel never share a namespace.

use std::net::IpAddr;

use crate::netns::{ip, Netns};

pub struct Fabric {
    prefix: String,
    // Dropped in order: VMs, nodes, underlay.
    vms: Vec<Netns>,
    nodes: Vec<Netns>,
    _underlay: Netns,
}

/// A VM to plug: its port on the node, MAC, addresses with lengths, gateways.
pub struct Vm<'a> {
    pub name: &'a str,
    pub port: &'a str,
    pub mac: &'a str,
    pub addresses: &'a [&'a str],
    pub gateways: &'a [&'a str],
}

impl Fabric {
    pub fn new(prefix: &str, nodes: usize) -> Fabric {
        let underlay = Netns::new(&format!("{prefix}-u"));
        ip(&underlay.name, "link add ul type bridge");
        ip(&underlay.name, "link set ul up");
        let mut fabric = Fabric {
            prefix: prefix.to_string(),
            vms: Vec::new(),
            nodes: Vec::new(),
            _underlay: underlay,
        };
        for i in 1..=nodes {
            let node = Netns::new(&format!("{prefix}-n{i}"));
            let u = fabric.underlay();
            ip(
                &u,
                &format!("link add n{i} type veth peer name ul0 netns {}", node.name),
            );
            ip(&u, &format!("link set n{i} master ul up"));
            ip(
                &node.name,
                &format!("addr add {}/24 dev ul0", Self::node_ip(i)),
            );
            ip(&node.name, "link set ul0 up");
            fabric.nodes.push(node);
        }
        fabric
    }

    pub fn underlay(&self) -> String {
        format!("{}-u", self.prefix)
    }

    /// Gives the underlay bridge an address, for a process that runs in the underlay
    /// namespace and talks to the nodes (a route reflector); returns it.
    pub fn underlay_host(&self) -> IpAddr {
        let address: IpAddr = "192.0.2.254".parse().unwrap();
        ip(&self.underlay(), &format!("addr add {address}/24 dev ul"));
        address
    }

    /// How many nodes there are.
    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Namespace of node `i` (from 1).
    pub fn node(&self, i: usize) -> String {
        self.nodes[i - 1].name.clone()
    }

    pub fn node_ip(i: usize) -> IpAddr {
        format!("192.0.2.{i}").parse().unwrap()
    }

    /// Namespace of a VM plugged by [`Fabric::add_vm`].
    pub fn vm(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// Creates the VM's namespace and plugs it into node `node`; returns its namespace.
    pub fn add_vm(&mut self, node: usize, vm: &Vm) -> String {
        let ns = Netns::new(&self.vm(vm.name));
        let name = ns.name.clone();
        self.vms.push(ns);
        self.plug(node, vm);
        name
    }

    /// Plugs an existing VM into a node (after `unplug` from another: a migration).
    pub fn plug(&self, node: usize, vm: &Vm) {
        let vm_ns = self.vm(vm.name);
        let node_ns = self.node(node);
        ip(
            &node_ns,
            &format!(
                "link add {} type veth peer name eth0 netns {vm_ns}",
                vm.port
            ),
        );
        ip(&node_ns, &format!("link set {} up", vm.port));
        ip(&vm_ns, &format!("link set eth0 address {}", vm.mac));
        for a in vm.addresses {
            let nodad = if a.contains(':') { " nodad" } else { "" };
            ip(&vm_ns, &format!("addr add {a} dev eth0{nodad}"));
        }
        ip(&vm_ns, "link set eth0 up");
        for gw in vm.gateways {
            let family = if gw.contains(':') { "-6" } else { "-4" };
            ip(&vm_ns, &format!("{family} route add default via {gw}"));
        }
    }

    pub fn unplug(&self, node: usize, port: &str) {
        ip(&self.node(node), &format!("link del {port}"));
    }
}
