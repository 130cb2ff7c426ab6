//! Test harness: our daemon and real BGP peers as processes on loopback addresses, their
//! configuration in temporary directories, and polling helpers. Every process is killed and
//! every directory removed when its guard is dropped, also when a test fails.

#![allow(dead_code)] // each test binary uses part of the harness

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod exabgp;
pub mod frr;
pub mod scripted;

/// Polls `check` until it returns `Some`, or panics after `timeout` with `what`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Process {
    child: Child,
    name: String,
}

impl Process {
    /// Sends `signal` (SIGSTOP, SIGCONT...) to the process.
    fn signal(&self, signal: i32) {
        // SAFETY: signalling our own child process, not yet reaped.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// SIGKILL, and waits for the process to be gone (a crash, as far as its peers see).
    fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Already reaped (killed by the test): its pid may belong to someone else now.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SIGTERM first, so that our daemon exits cleanly; then make sure.
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{} did not stop on SIGTERM, killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(name: &str, cmd: &mut Command, log: PathBuf) -> Process {
    let out = std::fs::File::create(&log).expect("log file");
    let err = out.try_clone().expect("log file");
    let child = cmd
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    Process {
        child,
        name: name.to_string(),
    }
}

/// A `bagpipe-bgp` process with its configuration file.
pub struct Daemon {
    process: Process,
    pub dir: tempfile::TempDir,
    pub api: String,
    pub address: IpAddr,
}

impl Daemon {
    /// Starts the daemon with `ini` as its configuration and waits for its API.
    pub fn start(name: &str, address: &str, api_port: u16, ini: &str) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        let conf = dir.path().join("bgp.conf");
        std::fs::write(&conf, ini).expect("write config");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bagpipe-bgp"));
        cmd.arg("--config-file")
            .arg(&conf)
            .arg("--debug")
            .env("BAGPIPE_LOG", "debug");
        let process = spawn(name, &mut cmd, dir.path().join("daemon.log"));
        let api = format!("http://{address}:{api_port}");
        let d = Daemon {
            process,
            dir,
            api,
            address: address.parse().unwrap(),
        };
        wait_for(Duration::from_secs(10), &format!("{name} API"), || {
            d.get("/ping").ok()
        });
        d
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> Result<Value, String> {
        ureq::get(&format!("{}{path}", self.api))
            .timeout(Duration::from_secs(5))
            .call()
            .map_err(|e| e.to_string())?
            .into_json()
            .map_err(|e| e.to_string())
    }

    pub fn lg(&self, path: &str) -> Value {
        self.get(&format!("/looking-glass/{path}"))
            .unwrap_or(Value::Null)
    }

    /// POSTs `body` to `path` and returns the status and body.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = ureq::post(&format!("{}{path}", self.api))
            .timeout(Duration::from_secs(5))
            .send_json(body.clone());
        match r {
            Ok(resp) => (resp.status(), resp.into_json().unwrap_or(Value::Null)),
            Err(ureq::Error::Status(code, resp)) => (code, resp.into_json().unwrap_or(Value::Null)),
            Err(e) => panic!("POST {path}: {e}"),
        }
    }

    pub fn attach(&self, body: Value) {
        let (status, answer) = self.post("/attach_localport", &body);
        assert_eq!(status, 200, "attach refused: {answer}\n{}", self.log());
    }

    pub fn detach(&self, body: Value) {
        let (status, answer) = self.post("/detach_localport", &body);
        assert_eq!(status, 200, "detach refused: {answer}");
    }

    /// Waits until every peer of the daemon is Established.
    pub fn wait_established(&self, peers: usize, timeout: Duration) {
        wait_for(timeout, "BGP sessions to be established", || {
            let list = self.lg("bgp/peers");
            let up = list
                .as_array()?
                .iter()
                .filter(|p| p["state"] == "Established")
                .count();
            (up == peers).then_some(())
        });
    }

    /// The dummy dataplane's state of an instance (`evpn` or `ipvpn` driver).
    pub fn dataplane_instance(&self, driver: &str, id: u64) -> Value {
        let path = format!("vpns/dataplane/drivers/{driver}");
        self.lg(&path)["driver"]["instances"][id.to_string()].clone()
    }

    pub fn pid(&self) -> u32 {
        self.process.child.id()
    }

    /// The looking glass's view of one peer (`bgp/peers/<address>`).
    pub fn peer(&self, address: &str) -> Value {
        self.lg(&format!("bgp/peers/{address}"))
    }

    /// The state of one peer (`Established`, `Active`...), or "" when unknown.
    pub fn peer_state(&self, address: &str) -> String {
        self.peer(address)["state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Every route of the route table (`bgp/routes`), as one JSON text to search in.
    pub fn routes_text(&self) -> String {
        self.lg("bgp/routes").to_string()
    }

    /// The routes of `bgp/routes` whose key contains `needle`: `(key, body)` pairs.
    pub fn routes_matching(&self, needle: &str) -> Vec<(String, Value)> {
        let all = self.lg("bgp/routes");
        let mut out = Vec::new();
        for entries in all.as_object().into_iter().flat_map(|m| m.values()) {
            for entry in entries.as_array().into_iter().flatten() {
                for (k, v) in entry.as_object().into_iter().flatten() {
                    if k.contains(needle) {
                        out.push((k.clone(), v.clone()));
                    }
                }
            }
        }
        out
    }

    /// Waits until the route table holds a route whose key contains `needle`; returns it.
    pub fn wait_route(&self, needle: &str, timeout: Duration) -> (String, Value) {
        wait_for(timeout, &format!("route {needle} in {}", self.api), || {
            self.routes_matching(needle).into_iter().next()
        })
    }

    /// Waits until no route's key contains `needle`.
    pub fn wait_no_route(&self, needle: &str, timeout: Duration) {
        wait_for(
            timeout,
            &format!("route {needle} gone from {}", self.api),
            || self.routes_matching(needle).is_empty().then_some(()),
        );
    }

    /// Waits until peer `address` is in `state`.
    pub fn wait_peer_state(&self, address: &str, state: &str, timeout: Duration) {
        wait_for(
            timeout,
            &format!("peer {address} of {} to be {state}", self.api),
            || (self.peer_state(address) == state).then_some(()),
        );
    }
}

/// A GoBGP daemon (gobgpd) with its own gRPC API address.
pub struct Gobgp {
    process: Process,
    dir: tempfile::TempDir,
    api: String,
}

impl Gobgp {
    pub fn start(name: &str, api_addr: &str, toml: &str) -> Gobgp {
        let dir = tempfile::tempdir().expect("temp dir");
        let conf = dir.path().join("gobgpd.toml");
        std::fs::write(&conf, toml).expect("write gobgpd.toml");
        let mut cmd = gobgpd_command(&conf, api_addr);
        let process = spawn(name, &mut cmd, dir.path().join("gobgpd.log"));
        let g = Gobgp {
            process,
            dir,
            api: api_addr.to_string(),
        };
        wait_for(Duration::from_secs(10), "gobgpd API", || {
            g.cli(&["global"]).ok()
        });
        g
    }

    /// Runs the `gobgp` client against this daemon.
    pub fn cli(&self, args: &[&str]) -> Result<String, String> {
        let (host, port) = self.api.rsplit_once(':').expect("host:port");
        let out = Command::new("gobgp")
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

    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("-j");
        self.cli(&a)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gobgpd.log")).unwrap_or_default()
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
        self.process.kill_hard();
    }

    /// Starts gobgpd again on the same configuration and waits for its API.
    pub fn restart(&mut self) {
        let mut cmd = gobgpd_command(&self.dir.path().join("gobgpd.toml"), &self.api);
        self.process = spawn("gobgpd", &mut cmd, self.dir.path().join("gobgpd.log"));
        wait_for(Duration::from_secs(10), "gobgpd API after restart", || {
            self.cli(&["global"]).ok()
        });
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) gobgpd.
    pub fn freeze(&self, frozen: bool) {
        self.process
            .signal(if frozen { libc::SIGSTOP } else { libc::SIGCONT });
    }
}

fn gobgpd_command(conf: &std::path::Path, api_addr: &str) -> Command {
    let mut cmd = Command::new("gobgpd");
    cmd.arg("-f").arg(conf).args([
        "-p",
        "-l",
        "info",
        "--api-hosts",
        api_addr,
        "--pprof-disable",
    ]);
    cmd
}

/// The attribute of type `code` of a GoBGP JSON path.
pub fn gobgp_attr(path: &Value, code: u64) -> Option<&Value> {
    path["attrs"]
        .as_array()?
        .iter()
        .find(|a| a["type"].as_u64() == Some(code))
}

/// A `[[neighbors]]` block of gobgpd.toml: an iBGP neighbour that connects to GoBGP (passive
/// on GoBGP's side, which avoids its slow connect retries), with the given families.
pub fn gobgp_neighbor(
    address: &str,
    local: &str,
    asn: u32,
    rr_client: bool,
    families: &[&str],
) -> String {
    let mut s = format!(
        "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{address}\"\n    peer-as = {asn}\n  [neighbors.transport.config]\n    passive-mode = true\n    local-address = \"{local}\"\n"
    );
    if rr_client {
        s += &format!("  [neighbors.route-reflector.config]\n    route-reflector-client = true\n    route-reflector-cluster-id = \"{local}\"\n");
    }
    for f in families {
        s += &format!("  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"{f}\"\n");
    }
    s
}

/// The global block of gobgpd.toml.
pub fn gobgp_global(asn: u32, router_id: &str, port: u16) -> String {
    format!("[global.config]\n  as = {asn}\n  router-id = \"{router_id}\"\n  port = {port}\n  local-address-list = [\"{router_id}\"]\n")
}

/// A minimal bgp.conf for our daemon.
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

/// An IP VPN attachment request: `rts` is "IMPORT" or "IMPORT>EXPORT"; port `tap<id>`, MAC
/// 52:54:00:00:00:<id>, gateway the first address of the subnet.
pub fn ipvpn(vrf: &str, rts: &str, id: u8, ip: &str) -> Value {
    attachment("ipvpn", vrf, rts, id, ip)
}

/// An E-VPN attachment request, as `ipvpn`.
pub fn evpn(instance: &str, rts: &str, id: u8, ip: &str) -> Value {
    attachment("evpn", instance, rts, id, ip)
}

fn attachment(vpn_type: &str, instance: &str, rts: &str, id: u8, ip: &str) -> Value {
    let (import, export) = rts.split_once('>').unwrap_or((rts, rts));
    let host = ip.split('/').next().unwrap();
    let cut = host.rfind(['.', ':']).unwrap();
    let gateway = format!("{}1", &host[..=cut]);
    serde_json::json!({"vpn_instance_id": instance, "vpn_type": vpn_type,
        "import_rt": [import], "export_rt": [export], "local_port": {"linuxif": format!("tap{id}")},
        "mac_address": format!("52:54:00:00:00:{id:02x}"), "ip_address": ip, "gateway_ip": gateway})
}

/// Finds the route keyed `..mac..` in an instance's received routes.
pub fn has_received(lg: &Value, needle: &str) -> bool {
    lg.as_object()
        .is_some_and(|m| m.keys().any(|k| k.contains(needle)))
}
