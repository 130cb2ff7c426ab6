//! Test harness: our daemon and real BGP peers as processes on loopback addresses, their
//! configuration in temporary directories, and polling helpers. Every process is killed and
//! every directory removed when its guard is dropped, also when a test fails.

#![allow(dead_code)] // each test binary uses part of the harness

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

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

impl Drop for Process {
    fn drop(&mut self) {
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
        self.lg("vpns/dataplane")["drivers"][driver]["driver"]["instances"][id.to_string()].clone()
    }

    pub fn pid(&self) -> u32 {
        self.process.child.id()
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
        let mut cmd = Command::new("gobgpd");
        cmd.arg("-f").arg(&conf).args([
            "-p",
            "-l",
            "info",
            "--api-hosts",
            api_addr,
            "--pprof-disable",
        ]);
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

/// Finds the route keyed `..mac..` in an instance's received routes.
pub fn has_received(lg: &Value, needle: &str) -> bool {
    lg.as_object()
        .is_some_and(|m| m.keys().any(|k| k.contains(needle)))
}
