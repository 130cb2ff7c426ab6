//! The attach benchmark's topology: a GoBGP route reflector and two bagpipe-bgp nodes (ours or
//! the original Python daemon, same configuration file, dummy dataplanes), all on one /24.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use bagpipe_testbed::gobgp;
use bagpipe_testbed::process::Process;
use bagpipe_testbed::wait::poll;

use crate::process::{cpu_seconds, installed, private_memory, rss};

pub const ASN: u32 = 64512;

/// GoBGP as route reflector, with RT Constraint, for the given clients.
pub struct Reflector {
    _process: Process,
    _dir: tempfile::TempDir,
    api: SocketAddr,
}

impl Reflector {
    pub fn start(
        address: Ipv4Addr,
        port: u16,
        api: SocketAddr,
        clients: &[Ipv4Addr],
    ) -> anyhow::Result<Reflector> {
        if !installed("gobgpd") {
            bail!("gobgpd is not installed");
        }
        let dir = tempfile::Builder::new().prefix("bpb-rr-").tempdir()?;
        let me = address.to_string();
        let mut toml = gobgp::global(ASN, &me, port);
        for c in clients {
            let families = ["l3vpn-ipv4-unicast", "l2vpn-evpn", "rtc"];
            toml += &gobgp::neighbor(&c.to_string(), &me, ASN, true, &families);
        }
        let conf = dir.path().join("gobgpd.toml");
        std::fs::write(&conf, toml)?;
        let process = Process::spawn(
            "gobgpd",
            Command::new("gobgpd")
                .arg("-f")
                .arg(&conf)
                .args(["-p", "-l", "warn", "--pprof-disable", "--api-hosts"])
                .arg(api.to_string()),
            &dir.path().join("log"),
        )?;
        let rr = Reflector {
            _process: process,
            _dir: dir,
            api,
        };
        poll(Duration::from_secs(10), Duration::from_millis(50), || {
            rr.cli(&["global"])
        })
        .context("gobgpd API")?;
        Ok(rr)
    }

    fn cli(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("gobgp")
            .args([
                "-u",
                &self.api.ip().to_string(),
                "-p",
                &self.api.port().to_string(),
            ])
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Whether the session with `neighbor` is established.
    pub fn established(&self, neighbor: Ipv4Addr) -> bool {
        self.cli(&["neighbor", &neighbor.to_string(), "-j"])
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .is_some_and(|n| {
                let s = &n["state"]["session_state"];
                s == 6 || s == "established"
            })
    }
}

/// One bagpipe-bgp daemon (ours or the original) with its configuration file.
pub struct Node {
    process: Process,
    dir: tempfile::TempDir,
    pub api: SocketAddr,
    /// From spawn to the first answer of `GET /ping`.
    pub startup: Duration,
}

impl Node {
    /// Starts `program` (either daemon: both take `--config-file`) and waits for its API.
    pub fn start(
        program: &Path,
        address: Ipv4Addr,
        reflector: Ipv4Addr,
        bgp_port: u16,
        api_port: u16,
    ) -> anyhow::Result<Node> {
        let dir = tempfile::Builder::new().prefix("bpb-node-").tempdir()?;
        let conf = dir.path().join("bgp.conf");
        std::fs::write(
            &conf,
            format!(
                "[BGP]\nlocal_address = {address}\npeers = {reflector}\nmy_as = {ASN}\nenable_rtc = True\nbgp_port = {bgp_port}\n\n\
                 [API]\nhost = {address}\nport = {api_port}\n\n\
                 [DATAPLANE_DRIVER_IPVPN]\ndataplane_driver = dummy\n\n[DATAPLANE_DRIVER_EVPN]\ndataplane_driver = dummy\n"
            ),
        )?;
        let began = Instant::now();
        let process = Process::spawn(
            &program.display().to_string(),
            Command::new(program).arg("--config-file").arg(&conf),
            &dir.path().join("log"),
        )?;
        let api = SocketAddr::new(address.into(), api_port);
        let mut node = Node {
            process,
            dir,
            api,
            startup: Duration::ZERO,
        };
        let up = poll(Duration::from_secs(60), Duration::from_millis(2), || {
            if !node.process.running() {
                return Some(false);
            }
            crate::http::get_json(api, "/ping").map(|_| true)
        });
        if up != Some(true) {
            bail!("{} did not start: {}", program.display(), node.log_tail());
        }
        node.startup = began.elapsed();
        Ok(node)
    }

    pub fn rss(&self) -> Option<u64> {
        rss(self.process.pid())
    }

    pub fn private_memory(&self) -> Option<u64> {
        private_memory(self.process.pid())
    }

    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.process.pid()).unwrap_or(0.0)
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    pub fn alive(&mut self) -> bool {
        self.process.running()
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Size of the daemon's log so far.
    pub fn log_bytes(&self) -> u64 {
        std::fs::metadata(self.dir.path().join("log")).map_or(0, |m| m.len())
    }
}
