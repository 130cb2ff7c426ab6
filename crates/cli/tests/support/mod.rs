//! Test harness of the operator tools: a real `bagpipe-bgp` process with dummy dataplanes on
//! a loopback address, the tools run as processes, and guards that stop the daemon and
//! remove namespaces and links also when a test fails.

#![allow(dead_code)] // each test binary uses part of the harness

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

pub use bagpipe_testbed::daemon::Daemon;

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
pub fn start_daemon(address: &str, api_port: u16, bgp_port: u16) -> Daemon {
    let ini = bagpipe_testbed::daemon::daemon_ini(address, &[], bgp_port, api_port, "");
    Daemon::start(address, daemon_binary(), address, api_port, &ini)
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
