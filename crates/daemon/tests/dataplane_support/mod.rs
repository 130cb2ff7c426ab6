//! Compute nodes as the daemon meets them in production: each node a network namespace
//! running its own `bagpipe-bgp` process with the Linux dataplane drivers, the nodes joined
//! by an underlay (`bagpipe_testbed::fabric`), VMs as namespaces plugged into them, and the
//! test acting as the Neutron agent of each node — REST calls made from inside the node to
//! the daemon's API on the node's loopback.
//!
//! ```text
//!   [P-u] bridge ul ── GoBGP (192.0.2.254), in the GoBGP variant
//!     │
//!   [P-n1] bagpipe-bgp 192.0.2.1 (route reflector in the own-RR variant)   API 127.0.0.1:8082
//!   [P-n2] bagpipe-bgp 192.0.2.2 ── client                                  API 127.0.0.1:8082
//!   [P-n3] bagpipe-bgp 192.0.2.3 ── client
//!     │ tap-<vm>
//!   [P-<vm>] VMs
//! ```

#![allow(dead_code)] // each test binary uses part of it

pub mod vms;

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use bagpipe_testbed::daemon::Daemon;
use bagpipe_testbed::fabric::Fabric;
use bagpipe_testbed::gobgp::{self, Gobgp};
use bagpipe_testbed::netns::{self, exec};

const ASN: u32 = 64512;
/// What peers keep our routes for while we restart; long enough for any test.
const GRACEFUL_RESTART_TIME: u16 = 90;
const FAMILIES: &str = "ipv4/mpls-vpn, ipv6/mpls-vpn, l2vpn/evpn, ipv4/rtc";
const GOBGP_FAMILIES: [&str; 4] = [
    "l3vpn-ipv4-unicast",
    "l3vpn-ipv6-unicast",
    "l2vpn-evpn",
    "rtc",
];

/// Who reflects the routes between the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reflector {
    /// Node 1's daemon, in our own route reflector mode; the others are its clients.
    Node1,
    /// GoBGP in the underlay namespace; every node is its client.
    Gobgp,
}

/// The `bagpipe-bgp` of node `i`, its API on the node's loopback.
fn start_node_daemon(fabric: &Fabric, i: usize, reflector: Reflector) -> Daemon {
    Daemon::start_in_netns(
        &fabric.node(i),
        &format!("bagpipe-bgp of node {i}"),
        Path::new(env!("CARGO_BIN_EXE_bagpipe-bgp")),
        "127.0.0.1",
        8082,
        &node_ini(i, fabric.nodes(), reflector),
    )
}

/// GoBGP as the route reflector of every node, in the underlay namespace, with graceful
/// restart.
fn start_gobgp(fabric: &Fabric) -> Gobgp {
    let me = fabric.underlay_host().to_string();
    let mut toml = gobgp::global(ASN, &me, 179);
    for i in 1..=fabric.nodes() {
        toml += &gobgp::neighbor_with_graceful_restart(
            &Fabric::node_ip(i).to_string(),
            &me,
            ASN,
            true,
            &GOBGP_FAMILIES,
            GRACEFUL_RESTART_TIME,
        );
    }
    Gobgp::start_in_netns(&fabric.underlay(), "gobgpd", "127.0.0.1:50051", &toml)
}

/// Three (or more) compute nodes, each with its daemon, and their reflector.
pub struct Cluster {
    // Dropped in this order: daemons, the reflector, then the namespaces.
    daemons: Vec<Daemon>,
    gobgp: Option<Gobgp>,
    pub fabric: Fabric,
}

impl Cluster {
    /// Builds the nodes (namespaces `<prefix>-n<i>`), starts every daemon and waits until
    /// every BGP session is established.
    pub fn new(prefix: &str, nodes: usize, reflector: Reflector) -> Cluster {
        Cluster::start(Fabric::new(prefix, nodes), reflector)
    }

    /// Starts a daemon on every node of `fabric` (built and populated by the caller).
    pub fn start(fabric: Fabric, reflector: Reflector) -> Cluster {
        let gobgp = (reflector == Reflector::Gobgp).then(|| start_gobgp(&fabric));
        let daemons = (1..=fabric.nodes())
            .map(|i| start_node_daemon(&fabric, i, reflector))
            .collect();
        let cluster = Cluster {
            daemons,
            gobgp,
            fabric,
        };
        cluster.wait_established();
        cluster
    }

    /// The daemon of node `node` (from 1).
    pub fn daemon(&self, node: usize) -> &Daemon {
        &self.daemons[node - 1]
    }

    pub fn daemon_mut(&mut self, node: usize) -> &mut Daemon {
        &mut self.daemons[node - 1]
    }

    /// Waits until every daemon has all its sessions up.
    pub fn wait_established(&self) {
        let nodes = self.daemons.len();
        let rr = self.gobgp.is_none();
        for (i, d) in self.daemons.iter().enumerate() {
            let expected = if rr && i == 0 { nodes - 1 } else { 1 };
            d.wait_established(expected, Duration::from_secs(20));
        }
    }
}

/// The bgp.conf of node `i`: linux drivers (learning local MACs), graceful restart, quick
/// reconnects.
pub fn node_ini(i: usize, nodes: usize, reflector: Reflector) -> String {
    let me = Fabric::node_ip(i);
    let peers: Vec<IpAddr> = match reflector {
        Reflector::Node1 if i == 1 => (2..=nodes).map(Fabric::node_ip).collect(),
        Reflector::Node1 => vec![Fabric::node_ip(1)],
        Reflector::Gobgp => vec!["192.0.2.254".parse().unwrap()],
    };
    let rr = reflector == Reflector::Node1 && i == 1;
    let mut ini = format!(
        "[BGP]\nlocal_address = {me}\npeers = {}\nmy_as = {ASN}\nenable_rtc = True\n\
         graceful_restart_time = {GRACEFUL_RESTART_TIME}\nconnect_retry_initial = 1\nconnect_retry_max = 1\n\
         route_reflector = {}\n",
        peers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        if rr { "True" } else { "False" },
    );
    for p in &peers {
        ini += &format!("\n[BGP_PEER {p}]\nfamilies = {FAMILIES}\n");
        if rr {
            ini += "route_reflector_client = True\n";
        }
    }
    ini += "\n[API]\nhost = 127.0.0.1\nport = 8082\n\n\
            [DATAPLANE_DRIVER_EVPN]\ndataplane_driver = linux\nlearn_local_macs = True\n\n\
            [DATAPLANE_DRIVER_IPVPN]\ndataplane_driver = linux\n";
    ini
}

/// The lines of `bridge fdb show` in `ns` that mention `needle`.
pub fn fdb_lines(ns: &str, needle: &str) -> Vec<String> {
    exec(ns, "bridge fdb show")
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_string)
        .collect()
}

/// Links of `ns` whose name starts with `prefix`.
pub fn links(ns: &str, prefix: &str) -> Vec<String> {
    netns::ip(ns, "-o link show")
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|n| n.split('@').next().unwrap_or(n).to_string())
        .filter(|n| n.starts_with(prefix))
        .collect()
}
