//! FRR's bgpd as a pure BGP peer (`-Z`: no zebra), on its own address and port, read through
//! `vtysh --vty_socket` in JSON.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use bagpipe_testbed::process::Process;
use bagpipe_testbed::wait::wait_for;

pub struct Frr {
    process: Process,
    dir: tempfile::TempDir,
}

impl Frr {
    /// Starts bgpd with `conf` (a bgpd.conf), listening on `address:port`; waits for vtysh.
    pub fn start(name: &str, address: &str, port: u16, conf: &str) -> Frr {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bgpd.conf");
        std::fs::write(&path, conf).expect("write bgpd.conf");
        let mut cmd = Command::new("/usr/lib/frr/bgpd");
        cmd.arg("-S")
            .arg("-Z")
            .arg("-f")
            .arg(&path)
            .arg("-i")
            .arg(dir.path().join("bgpd.pid"))
            .arg("--vty_socket")
            .arg(dir.path())
            .args(["-l", address, "-p", &port.to_string(), "-P", "0"])
            .args(["--log", "stdout"]);
        let process = Process::start(name, &mut cmd, &dir.path().join("bgpd.log"));
        let f = Frr { process, dir };
        wait_for(Duration::from_secs(10), "FRR bgpd vty", || {
            f.vtysh(&["show bgp summary json"]).ok()
        });
        f
    }

    /// Runs vtysh commands (each one a `-c`) against this bgpd.
    pub fn vtysh(&self, commands: &[&str]) -> Result<String, String> {
        let mut cmd = Command::new("vtysh");
        cmd.arg("--vty_socket")
            .arg(self.dir.path())
            .args(["-d", "bgpd"]);
        for c in commands {
            cmd.arg("-c").arg(c);
        }
        let out = cmd.output().map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// Configures with `commands` (inside `configure terminal`), panicking on an error.
    pub fn configure(&self, commands: &[&str]) {
        let mut all = vec!["configure terminal"];
        all.extend_from_slice(commands);
        if let Err(e) = self.vtysh(&all) {
            panic!("vtysh {all:?}: {e}");
        }
    }

    /// A `show ... json` command's answer (Null when it fails).
    pub fn json(&self, show: &str) -> Value {
        self.vtysh(&[show])
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null)
    }

    pub fn established(&self, neighbor: &str) -> bool {
        let n = self.json(&format!("show bgp neighbors {neighbor} json"));
        n[neighbor]["bgpState"] == "Established"
    }

    /// Kills bgpd with SIGKILL: its sessions drop without a NOTIFICATION, as in a crash.
    pub fn kill(&mut self) {
        self.process.kill();
    }
}

/// A bgpd.conf for FRR at `frr` (named `hostname`), peering with our daemon at `ours` on
/// `port` (iBGP, AS 64512): a route map `RM-VPN` that sets route target 64512:20 for the
/// routes it originates, and `more` (more neighbour settings and the address families) at
/// the end of `router bgp`.
pub fn bgpd_conf(hostname: &str, frr: &str, ours: &str, port: u16, more: &str) -> String {
    format!(
        "frr defaults traditional
hostname {hostname}
log stdout informational
!
route-map RM-VPN permit 10
 set extcommunity rt 64512:20
exit
!
router bgp 64512
 bgp router-id {frr}
 no bgp default ipv4-unicast
 no bgp network import-check
 bgp allow-martian-nexthop
 neighbor {ours} remote-as 64512
 neighbor {ours} port {port}
 neighbor {ours} update-source {frr}
{more}exit
"
    )
}
