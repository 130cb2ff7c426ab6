//! GoBGP (gobgpd) as a peer or a route reflector of the daemons under test, on this host or
//! inside a namespace, driven and read with its `gobgp` client; and the blocks of its
//! `gobgpd.toml`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::netns;
use crate::process::{print_log_if_failing, Process};
use crate::wait::wait_for;

pub struct Gobgp {
    process: Process,
    dir: tempfile::TempDir,
    /// The namespace it runs in, from which its client is run.
    netns: Option<String>,
    /// Its gRPC API, `host:port`.
    api: String,
}

impl Gobgp {
    /// Starts gobgpd with `toml` as its configuration and its API on `api_addr`
    /// (`host:port`); waits for the API.
    pub fn start(name: &str, api_addr: &str, toml: &str) -> Gobgp {
        Gobgp::new(name, None, api_addr, toml)
    }

    /// As [`Gobgp::start`], inside namespace `ns`.
    pub fn start_in_netns(ns: &str, name: &str, api_addr: &str, toml: &str) -> Gobgp {
        Gobgp::new(name, Some(ns), api_addr, toml)
    }

    fn new(name: &str, netns: Option<&str>, api_addr: &str, toml: &str) -> Gobgp {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("gobgpd.toml"), toml).expect("write gobgpd.toml");
        let netns = netns.map(str::to_string);
        let process = launch(name, netns.as_deref(), dir.path().to_path_buf(), api_addr);
        let g = Gobgp {
            process,
            dir,
            netns,
            api: api_addr.to_string(),
        };
        g.wait_api();
        g
    }

    fn wait_api(&self) {
        wait_for(Duration::from_secs(10), "gobgpd's API", || {
            self.cli(&["global"]).ok()
        });
    }

    /// Runs the `gobgp` client against this daemon: its output, or its error.
    pub fn cli(&self, args: &[&str]) -> Result<String, String> {
        let (host, port) = self.api.rsplit_once(':').expect("host:port");
        let mut cmd = match &self.netns {
            Some(ns) => netns::command(ns, "gobgp"),
            None => Command::new("gobgp"),
        };
        let out = cmd
            .args(["-u", host, "-p", port])
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// `gobgp ARGS -j`, parsed (`Null` when it fails).
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("-j");
        self.cli(&a)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null)
    }

    pub fn log(&self) -> String {
        self.process.log()
    }

    /// Whether the session with `neighbor` is established (`session_state` 6).
    pub fn established(&self, neighbor: &str) -> bool {
        let n = self.json(&["neighbor", neighbor]);
        n["state"]["session_state"] == 6 || n["state"]["session_state"] == "established"
    }

    /// Runs `gobgp LINE` (words separated by spaces), panicking with GoBGP's answer if it
    /// fails.
    pub fn run(&self, line: &str) {
        let args: Vec<&str> = line.split_whitespace().collect();
        if let Err(e) = self.cli(&args) {
            panic!("gobgp {line}: {e}");
        }
    }

    /// The paths of `gobgp LINE -j` (a RIB, keyed by route) whose key contains `needle`.
    pub fn paths(&self, line: &str, needle: &str) -> Vec<Value> {
        let args: Vec<&str> = line.split_whitespace().collect();
        let rib = self.json(&args);
        rib.as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.contains(needle))
            .flat_map(|(_, v)| v.as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// Waits until `gobgp LINE -j` has a path keyed with `needle`; returns it.
    pub fn wait_path(&self, line: &str, needle: &str, timeout: Duration) -> Value {
        wait_for(timeout, &format!("{needle} in gobgp {line}"), || {
            self.paths(line, needle).into_iter().next()
        })
    }

    /// Waits until `gobgp LINE -j` has no path keyed with `needle`.
    pub fn wait_no_path(&self, line: &str, needle: &str, timeout: Duration) {
        wait_for(timeout, &format!("{needle} gone from gobgp {line}"), || {
            self.paths(line, needle).is_empty().then_some(())
        });
    }

    /// Kills gobgpd with SIGKILL: its sessions drop without a NOTIFICATION, as in a crash.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts gobgpd again on the same configuration and waits for its API.
    pub fn restart(&mut self) {
        self.process = launch(
            "gobgpd",
            self.netns.as_deref(),
            self.dir.path().to_path_buf(),
            &self.api,
        );
        self.wait_api();
    }
}

impl Drop for Gobgp {
    fn drop(&mut self) {
        print_log_if_failing("gobgpd", &self.log());
    }
}

/// gobgpd on `dir/gobgpd.toml`, its log in `dir/gobgpd.log`.
fn launch(name: &str, ns: Option<&str>, dir: PathBuf, api_addr: &str) -> Process {
    let mut cmd = match ns {
        Some(ns) => netns::command(ns, "gobgpd"),
        None => Command::new("gobgpd"),
    };
    cmd.arg("-f").arg(dir.join("gobgpd.toml")).args([
        "-p",
        "-l",
        "info",
        "--api-hosts",
        api_addr,
        "--pprof-disable",
    ]);
    Process::start(name, &mut cmd, &dir.join("gobgpd.log"))
}

/// The attribute of type `code` of a GoBGP JSON path.
pub fn attr(path: &Value, code: u64) -> Option<&Value> {
    path["attrs"]
        .as_array()?
        .iter()
        .find(|a| a["type"].as_u64() == Some(code))
}

/// The global block of gobgpd.toml.
pub fn global(asn: u32, router_id: &str, port: u16) -> String {
    format!("[global.config]\n  as = {asn}\n  router-id = \"{router_id}\"\n  port = {port}\n  local-address-list = [\"{router_id}\"]\n")
}

/// A `[[neighbors]]` block of gobgpd.toml: a neighbour that connects to GoBGP (passive on
/// GoBGP's side, which avoids its slow connect retries), with the given families; a route
/// reflector client when `rr_client`.
pub fn neighbor(
    address: &str,
    local: &str,
    asn: u32,
    rr_client: bool,
    families: &[&str],
) -> String {
    neighbor_block(address, local, asn, rr_client, families, None)
}

/// As [`neighbor`], with graceful restart (RFC 4724) of `restart_time` seconds for every
/// family.
pub fn neighbor_with_graceful_restart(
    address: &str,
    local: &str,
    asn: u32,
    rr_client: bool,
    families: &[&str],
    restart_time: u16,
) -> String {
    neighbor_block(address, local, asn, rr_client, families, Some(restart_time))
}

fn neighbor_block(
    address: &str,
    local: &str,
    asn: u32,
    rr_client: bool,
    families: &[&str],
    restart_time: Option<u16>,
) -> String {
    let mut s = format!(
        "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{address}\"\n    peer-as = {asn}\n  [neighbors.transport.config]\n    passive-mode = true\n    local-address = \"{local}\"\n"
    );
    if rr_client {
        s += &format!("  [neighbors.route-reflector.config]\n    route-reflector-client = true\n    route-reflector-cluster-id = \"{local}\"\n");
    }
    if let Some(time) = restart_time {
        s += &format!(
            "  [neighbors.graceful-restart.config]\n    enabled = true\n    restart-time = {time}\n"
        );
    }
    for f in families {
        s += &format!("  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"{f}\"\n");
        if restart_time.is_some() {
            s += "    [neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true\n";
        }
    }
    s
}
