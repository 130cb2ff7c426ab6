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
use std::time::{Duration, Instant};

use bagpipe_testbed::fabric::Fabric;
use bagpipe_testbed::netns::exec;
use bagpipe_testbed::process::NsProcess;
use bagpipe_testbed::{http, netns};
use serde_json::Value;

pub const ASN: u32 = 64512;
const API: &str = "http://127.0.0.1:8082";
/// What peers keep our routes for while we restart; long enough for any test.
pub const GRACEFUL_RESTART_TIME: u16 = 90;
const FAMILIES: &str = "ipv4/mpls-vpn, ipv6/mpls-vpn, l2vpn/evpn, ipv4/rtc";
const GOBGP_FAMILIES: [&str; 4] = [
    "l3vpn-ipv4-unicast",
    "l3vpn-ipv6-unicast",
    "l2vpn-evpn",
    "rtc",
];

/// Polls `check` every 20 ms until it returns `Some`, or panics after `timeout`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Who reflects the routes between the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reflector {
    /// Node 1's daemon, in our own route reflector mode; the others are its clients.
    Node1,
    /// GoBGP in the underlay namespace; every node is its client.
    Gobgp,
}

/// The `bagpipe-bgp` of one node.
pub struct NodeDaemon {
    pub node: usize,
    pub ns: String,
    process: Option<NsProcess>,
    dir: tempfile::TempDir,
}

impl NodeDaemon {
    fn new(node: usize, ns: String, ini: &str) -> NodeDaemon {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("bgp.conf"), ini).expect("write bgp.conf");
        let mut d = NodeDaemon {
            node,
            ns,
            process: None,
            dir,
        };
        d.start();
        d
    }

    /// Starts the daemon (again) with its configuration, and waits for its API.
    pub fn start(&mut self) {
        assert!(self.process.is_none(), "node {} already runs", self.node);
        let conf = self.dir.path().join("bgp.conf");
        let process = NsProcess::start(
            &format!("bagpipe-bgp of node {}", self.node),
            &self.ns,
            Path::new(env!("CARGO_BIN_EXE_bagpipe-bgp")),
            &["--config-file", conf.to_str().unwrap(), "--debug"],
            &self.dir.path().join("daemon.log"),
        );
        self.process = Some(process);
        wait_for(Duration::from_secs(10), "the daemon's API", || {
            self.ping_token()
        });
    }

    /// SIGTERM, as `systemctl restart` would; waits for the process to end.
    pub fn stop(&mut self) {
        let mut p = self.process.take().expect("daemon running");
        assert!(
            p.terminate(Duration::from_secs(5)),
            "node {} did not stop on SIGTERM",
            self.node
        );
    }

    /// SIGKILL: the daemon crashes.
    pub fn kill(&mut self) {
        self.process.take().expect("daemon running").kill();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// `GET /ping`: the number that changes when the daemon restarts.
    pub fn ping_token(&self) -> Option<String> {
        http::get_text(&self.ns, &format!("{API}/ping")).ok()
    }

    pub fn get(&self, path: &str) -> Result<Value, String> {
        http::get(&self.ns, &format!("{API}{path}"))
    }

    pub fn lg(&self, path: &str) -> Value {
        self.get(&format!("/looking-glass/{path}"))
            .unwrap_or(Value::Null)
    }

    /// `POST /attach_localport`, as the agent sends it; must succeed.
    pub fn attach(&self, body: &Value) {
        let (status, answer) = http::post(&self.ns, &format!("{API}/attach_localport"), body)
            .unwrap_or_else(|e| panic!("attach on node {}: {e}", self.node));
        assert_eq!(
            status, 200,
            "attach refused on node {}: {answer}",
            self.node
        );
    }

    pub fn detach(&self, body: &Value) {
        let (status, answer) = http::post(&self.ns, &format!("{API}/detach_localport"), body)
            .unwrap_or_else(|e| panic!("detach on node {}: {e}", self.node));
        assert_eq!(
            status, 200,
            "detach refused on node {}: {answer}",
            self.node
        );
    }

    /// How many of the daemon's BGP sessions are established.
    pub fn established(&self) -> usize {
        self.lg("bgp/peers").as_array().map_or(0, |peers| {
            peers.iter().filter(|p| p["state"] == "Established").count()
        })
    }

    /// The looking glass's view of one dataplane driver (`evpn` or `ipvpn`).
    pub fn driver(&self, which: &str) -> Value {
        self.lg(&format!("vpns/dataplane/drivers/{which}"))["driver"].clone()
    }
}

impl Drop for NodeDaemon {
    fn drop(&mut self) {
        drop(self.process.take());
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(400).collect();
            eprintln!("--- last lines of node {}'s daemon log:", self.node);
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// GoBGP as the route reflector, in the underlay namespace.
struct Gobgpd {
    process: NsProcess,
    ns: String,
    _dir: tempfile::TempDir,
}

impl Gobgpd {
    fn start(fabric: &Fabric, nodes: usize) -> Gobgpd {
        let me = fabric.underlay_host();
        let mut toml = format!(
            "[global.config]\n  as = {ASN}\n  router-id = \"{me}\"\n  port = 179\n  local-address-list = [\"{me}\"]\n"
        );
        for i in 1..=nodes {
            let n = Fabric::node_ip(i);
            toml += &format!(
                "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{n}\"\n    peer-as = {ASN}\n\
                 \x20 [neighbors.transport.config]\n    passive-mode = true\n    local-address = \"{me}\"\n\
                 \x20 [neighbors.route-reflector.config]\n    route-reflector-client = true\n    route-reflector-cluster-id = \"{me}\"\n\
                 \x20 [neighbors.graceful-restart.config]\n    enabled = true\n    restart-time = {GRACEFUL_RESTART_TIME}\n"
            );
            for f in GOBGP_FAMILIES {
                toml += &format!(
                    "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"{f}\"\n\
                     \x20   [neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true\n"
                );
            }
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let conf = dir.path().join("gobgpd.toml");
        std::fs::write(&conf, toml).expect("gobgpd.toml");
        let ns = fabric.underlay();
        let process = NsProcess::start(
            "gobgpd",
            &ns,
            Path::new("gobgpd"),
            &[
                "-f",
                conf.to_str().unwrap(),
                "-p",
                "-l",
                "info",
                "--api-hosts",
                "127.0.0.1:50051",
                "--pprof-disable",
            ],
            &dir.path().join("gobgpd.log"),
        );
        let g = Gobgpd {
            process,
            ns,
            _dir: dir,
        };
        wait_for(Duration::from_secs(10), "gobgpd's API", || {
            g.cli("global").ok()
        });
        g
    }

    fn cli(&self, args: &str) -> Result<String, String> {
        let out = std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns,
                "gobgp",
                "-u",
                "127.0.0.1",
                "-p",
                "50051",
            ])
            .args(args.split_whitespace())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

impl Drop for Gobgpd {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- gobgpd log:\n{}", self.process.log());
        }
    }
}

/// Three (or more) compute nodes, each with its daemon, and their reflector.
pub struct Cluster {
    // Dropped in this order: daemons, the reflector, then the namespaces.
    pub daemons: Vec<NodeDaemon>,
    gobgp: Option<Gobgpd>,
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
        let nodes = fabric.nodes();
        let gobgp = (reflector == Reflector::Gobgp).then(|| Gobgpd::start(&fabric, nodes));
        let daemons = (1..=nodes)
            .map(|i| NodeDaemon::new(i, fabric.node(i), &node_ini(i, nodes, reflector)))
            .collect();
        let cluster = Cluster {
            daemons,
            gobgp,
            fabric,
        };
        cluster.wait_established();
        cluster
    }

    pub fn daemon(&self, node: usize) -> &NodeDaemon {
        &self.daemons[node - 1]
    }

    pub fn daemon_mut(&mut self, node: usize) -> &mut NodeDaemon {
        &mut self.daemons[node - 1]
    }

    /// Waits until every daemon has all its sessions up.
    pub fn wait_established(&self) {
        let nodes = self.daemons.len();
        let rr = self.gobgp.is_none();
        for d in &self.daemons {
            let expected = if rr && d.node == 1 { nodes - 1 } else { 1 };
            wait_for(
                Duration::from_secs(20),
                &format!("node {}'s BGP sessions", d.node),
                || (d.established() == expected).then_some(()),
            );
        }
    }
}

/// The bgp.conf of node `i`: linux drivers, graceful restart, quick reconnects.
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
            [DATAPLANE_DRIVER_EVPN]\ndataplane_driver = linux\n\n\
            [DATAPLANE_DRIVER_IPVPN]\ndataplane_driver = linux\n";
    ini
}

/// The kernel state of a node (see `bagpipe_testbed::snapshot`).
pub fn kernel_state(ns: &str) -> String {
    bagpipe_testbed::snapshot::kernel_state(ns)
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
