//! Test harness of the operator tools: a real `bagpipe-bgp` process with dummy dataplanes on
//! a loopback address, the tools run as processes, and guards that stop the daemon and
//! remove namespaces and links also when a test fails.

#![allow(dead_code)] // each test binary uses part of the harness

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Polls `check` until it returns `Some`, or panics after `timeout` with `what`.
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
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The `bagpipe-bgp` binary: `$BAGPIPE_BGP` if set; else the one cargo built beside this
/// test when it ran the workspace's tests (`cargo test --workspace` and nextest build every
/// package's binaries before running any test); else built by cargo in this package's test
/// scratch directory. A test cannot name another package's binary (`CARGO_BIN_EXE_*` is per
/// package).
pub fn daemon_binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("BAGPIPE_BGP") {
            return path.into();
        }
        // target/<profile>/deps/<this test> → target/<profile>/bagpipe-bgp
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("bagpipe-bgp")));
        if let Some(path) = beside.filter(|p| built_after_sources(p)) {
            return path;
        }
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bagpipe-bgp-build");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--locked", "-p", "bagpipe-daemon"])
            .args(["--bin", "bagpipe-bgp"])
            .arg("--target-dir")
            .arg(&target)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cannot run cargo to build bagpipe-bgp");
        assert!(status.success(), "building bagpipe-bgp failed");
        target.join("debug/bagpipe-bgp")
    })
}

/// Whether the binary at `path` exists and is newer than this test executable's build: a
/// stale one (built before the sources changed) is not used.
fn built_after_sources(path: &std::path::Path) -> bool {
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(path),
        std::env::current_exe().ok().as_deref().and_then(modified),
    ) {
        (Some(binary), Some(test)) => binary + Duration::from_secs(600) >= test,
        _ => false,
    }
}

/// A `bagpipe-bgp` process (no BGP peer, dummy dataplanes) with its API on
/// `address:api_port`.
pub struct Daemon {
    child: Child,
    dir: tempfile::TempDir,
    pub address: String,
    pub api_port: u16,
}

impl Daemon {
    pub fn start(address: &str, api_port: u16, bgp_port: u16) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        let conf = dir.path().join("bgp.conf");
        let ini = format!(
            "[BGP]\nlocal_address = {address}\npeers =\nmy_as = 64512\nenable_rtc = True\n\
             bgp_port = {bgp_port}\n\n[API]\nhost = {address}\nport = {api_port}\n\n\
             [DATAPLANE_DRIVER_IPVPN]\ndataplane_driver = dummy\n\n\
             [DATAPLANE_DRIVER_EVPN]\ndataplane_driver = dummy\n"
        );
        std::fs::write(&conf, ini).expect("write config");
        let log = std::fs::File::create(dir.path().join("daemon.log")).expect("log file");
        let child = Command::new(daemon_binary())
            .arg("--config-file")
            .arg(&conf)
            .stdout(Stdio::from(log.try_clone().expect("log file")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("cannot start bagpipe-bgp");
        let daemon = Daemon {
            child,
            dir,
            address: address.to_owned(),
            api_port,
        };
        wait_for(Duration::from_secs(20), "the daemon's API", || {
            daemon.get("/ping").ok()
        });
        daemon
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{path}", self.address, self.api_port)
    }

    pub fn get(&self, path: &str) -> Result<Value, String> {
        ureq::get(&self.url(path))
            .timeout(Duration::from_secs(5))
            .call()
            .map_err(|e| e.to_string())?
            .into_json()
            .map_err(|e| e.to_string())
    }

    /// A looking-glass node, `Null` when there is none.
    pub fn lg(&self, path: &str) -> Value {
        self.get(&format!("/looking-glass/{path}"))
            .unwrap_or(Value::Null)
    }

    /// POSTs an attachment the way the Neutron agents do, to set up a known state.
    pub fn attach(&self, body: Value) {
        let answer = ureq::post(&self.url("/attach_localport"))
            .timeout(Duration::from_secs(5))
            .send_json(body);
        assert!(answer.is_ok(), "attach refused: {answer:?}\n{}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// The ids of the VPN instances.
    pub fn instance_ids(&self) -> Vec<String> {
        self.lg("vpns/instances")
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|i| i["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SIGTERM first, so that the daemon stops cleanly; then make sure.
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a tool printed, and how it ended.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

/// Runs the tool at `binary` (a `CARGO_BIN_EXE_*` path) with `args`. Tests always give the
/// API port, so the machine's `/etc/bagpipe-bgp/bgp.conf` plays no part.
pub fn run_tool(binary: &str, args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(binary)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    Run {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        code: status.code(),
    }
}

/// Whether the test may create namespaces and links; prints why not.
pub fn root_or_skip(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        println!("SKIPPED: {test} creates network namespaces and veth pairs: run as root");
    }
    root
}

/// Runs `ip` with `args`; its standard output when it succeeds.
pub fn ip(args: &[&str]) -> Option<String> {
    let out = Command::new("ip").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Removes namespaces and links when dropped, whether or not the test removed them.
pub struct NetGuard {
    pub namespaces: Vec<String>,
    pub links: Vec<String>,
}

impl Drop for NetGuard {
    fn drop(&mut self) {
        for link in &self.links {
            let _ = ip(&["link", "delete", link]);
        }
        for ns in &self.namespaces {
            let _ = ip(&["netns", "delete", ns]);
        }
    }
}
