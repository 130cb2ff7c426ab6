//! `bagpipe-bgp` under test: a process with its configuration file in a directory of its
//! own, stopped, killed and started again by the test, reached over its REST API — from this
//! process, or from inside the namespace of the node it runs on. What its looking glass says
//! is read in [`queries`](self).

mod queries;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::process::{print_log_if_failing, Process};
use crate::wait::wait_for;
use crate::{http, netns};

pub struct Daemon {
    name: String,
    binary: PathBuf,
    /// The namespace it runs in, from which its API is reached.
    netns: Option<String>,
    /// Where its API listens (`[API] host` and `port`).
    pub address: String,
    pub api_port: u16,
    dir: tempfile::TempDir,
    process: Option<Process>,
}

impl Daemon {
    /// Starts `binary` (a `bagpipe-bgp`) with `ini` as its configuration file, and waits
    /// for its API on `address:api_port`.
    pub fn start(name: &str, binary: &Path, address: &str, api_port: u16, ini: &str) -> Daemon {
        Daemon::new(name, binary, None, address, api_port, ini)
    }

    /// As [`Daemon::start`], inside namespace `ns`.
    pub fn start_in_netns(
        ns: &str,
        name: &str,
        binary: &Path,
        address: &str,
        api_port: u16,
        ini: &str,
    ) -> Daemon {
        Daemon::new(name, binary, Some(ns), address, api_port, ini)
    }

    fn new(
        name: &str,
        binary: &Path,
        netns: Option<&str>,
        address: &str,
        api_port: u16,
        ini: &str,
    ) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("bgp.conf"), ini).expect("write bgp.conf");
        let mut daemon = Daemon {
            name: name.to_string(),
            binary: binary.to_path_buf(),
            netns: netns.map(str::to_string),
            address: address.to_string(),
            api_port,
            dir,
            process: None,
        };
        daemon.start_again();
        daemon
    }

    /// Starts the daemon (again: after [`Daemon::stop`] or [`Daemon::kill`]) on its
    /// configuration, and waits for its API.
    pub fn start_again(&mut self) {
        assert!(self.process.is_none(), "{} already runs", self.name);
        let conf = self.dir.path().join("bgp.conf");
        let mut cmd = match &self.netns {
            Some(ns) => netns::command(ns, &self.binary),
            None => std::process::Command::new(&self.binary),
        };
        cmd.arg("--config-file").arg(&conf).arg("--debug");
        let log = self.dir.path().join("daemon.log");
        self.process = Some(Process::start(&self.name, &mut cmd, &log));
        wait_for(
            Duration::from_secs(20),
            &format!("{}'s API", self.name),
            || self.ping_token(),
        );
    }

    /// SIGTERM, as `systemctl stop` would; waits for the process to end.
    pub fn stop(&mut self) {
        let mut process = self.process.take().expect("daemon running");
        assert!(
            process.terminate(Duration::from_secs(5)),
            "{} did not stop on SIGTERM",
            self.name
        );
    }

    /// SIGKILL: the daemon crashes.
    pub fn kill(&mut self) {
        self.process.take().expect("daemon running").kill();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{path}", self.address, self.api_port)
    }

    /// `GET /ping`: the number that changes when the daemon restarts.
    pub fn ping_token(&self) -> Option<String> {
        http::get_text(self.netns.as_deref(), &self.url("/ping")).ok()
    }

    /// `GET /metrics`: the Prometheus metrics, as text.
    pub fn metrics(&self) -> String {
        http::get_text(self.netns.as_deref(), &self.url("/metrics"))
            .unwrap_or_else(|e| panic!("GET /metrics from {}: {e}", self.name))
    }

    pub fn get(&self, path: &str) -> Result<Value, String> {
        http::get(self.netns.as_deref(), &self.url(path))
    }

    /// A looking-glass node, `Null` when there is none.
    pub fn lg(&self, path: &str) -> Value {
        self.get(&format!("/looking-glass/{path}"))
            .unwrap_or(Value::Null)
    }

    /// POSTs `body` to `path`: the status and the JSON answer.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        http::post(self.netns.as_deref(), &self.url(path), body)
            .unwrap_or_else(|e| panic!("POST {path} to {}: {e}", self.name))
    }

    /// `POST /attach_localport`, as the agents send it; must succeed.
    pub fn attach(&self, body: &Value) {
        let (status, answer) = self.post("/attach_localport", body);
        assert_eq!(status, 200, "attach refused by {}: {answer}", self.name);
    }

    /// `POST /detach_localport`; must succeed.
    pub fn detach(&self, body: &Value) {
        let (status, answer) = self.post("/detach_localport", body);
        assert_eq!(status, 200, "detach refused by {}: {answer}", self.name);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        drop(self.process.take());
        print_log_if_failing(&self.name, &self.log());
    }
}

/// A `bgp.conf` with dummy dataplanes, RT Constraint, AS 64512, the API on `local`, and
/// `extra_bgp` at the end of the `[BGP]` section (more options, then `[BGP_PEER]` sections).
pub fn daemon_ini(
    local: &str,
    peers: &[&str],
    bgp_port: u16,
    api_port: u16,
    extra_bgp: &str,
) -> String {
    format!(
        "[BGP]\nlocal_address = {local}\npeers = {}\nmy_as = 64512\nenable_rtc = True\nbgp_port = {bgp_port}\n{extra_bgp}\n\n[API]\nhost = {local}\nport = {api_port}\n\n[DATAPLANE_DRIVER_IPVPN]\ndataplane_driver = dummy\n\n[DATAPLANE_DRIVER_EVPN]\ndataplane_driver = dummy\n",
        peers.join(", ")
    )
}
