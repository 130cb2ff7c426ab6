//! The BGP speakers that receive the load generator's feed: our daemon and the reference
//! implementations (GoBGP, BIRD 2, FRR bgpd), each configured with the generator as a passive
//! iBGP neighbour on its own loopback addresses, and asked how many routes it holds.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::Duration;

use anyhow::bail;
use bagpipe_wire::Family;

use bagpipe_testbed::gobgp;
use bagpipe_testbed::process::Process;
use bagpipe_testbed::wait::poll;

use crate::process::{installed, rss};

pub const ASN: u32 = 64512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ours,
    Gobgp,
    Bird,
    Frr,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ours => "bagpipe-rs",
            Kind::Gobgp => "GoBGP",
            Kind::Bird => "BIRD 2",
            Kind::Frr => "FRR bgpd",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "ours" | "bagpipe-rs" => Kind::Ours,
            "gobgp" => Kind::Gobgp,
            "bird" => Kind::Bird,
            "frr" => Kind::Frr,
            _ => return None,
        })
    }

    fn program(self) -> &'static str {
        match self {
            Kind::Ours => "bagpipe-bgp",
            Kind::Gobgp => "gobgpd",
            Kind::Bird => "bird",
            Kind::Frr => "/usr/lib/frr/bgpd",
        }
    }

    pub fn supports(self, family: Family) -> bool {
        !(self == Kind::Bird && family == Family::EVPN)
    }
}

/// A receiver and the generator's address towards it. Each receiver (and each run) gets its
/// own /24 inside 127.0.50.0–127.0.54.255 and its own ports.
pub struct Receiver {
    pub kind: Kind,
    process: Process,
    dir: tempfile::TempDir,
    /// Where it listens for BGP.
    pub bgp: SocketAddr,
    /// The generator's address.
    pub peer: Ipv4Addr,
    /// Its control address (REST API of ours, gRPC of GoBGP).
    control: SocketAddr,
}

fn addr(net: u8, host: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, net, host)
}

impl Receiver {
    /// Starts a receiver; `slot` (0–49) picks its addresses and ports.
    pub fn start(kind: Kind, slot: u8, daemon: &std::path::Path) -> anyhow::Result<Receiver> {
        let program = if kind == Kind::Ours {
            daemon.to_string_lossy().into_owned()
        } else {
            kind.program().to_string()
        };
        if !installed(&program) {
            bail!("{program} is not installed");
        }
        let net = 50 + slot / 10;
        let me = addr(net, 1 + 4 * (slot % 10));
        let peer = addr(net, 2 + 4 * (slot % 10));
        let port = 21000 + 10 * slot as u16;
        let bgp = SocketAddr::new(me.into(), port);
        let control = SocketAddr::new(me.into(), port + 1);
        let dir = tempfile::Builder::new().prefix("bpb-ingest-").tempdir()?;
        let d = dir.path();
        let log = d.join("log");
        let process = match kind {
            Kind::Ours => {
                let conf = d.join("bgp.conf");
                std::fs::write(&conf, ours_config(me, peer, port, control.port()))?;
                Process::spawn(
                    kind.name(),
                    Command::new(&program).arg("--config-file").arg(&conf),
                    &log,
                )?
            }
            Kind::Gobgp => {
                let conf = d.join("gobgpd.toml");
                std::fs::write(&conf, gobgp_config(me, peer, port))?;
                Process::spawn(
                    kind.name(),
                    Command::new(&program)
                        .arg("-f")
                        .arg(&conf)
                        .args(["-p", "-l", "warn", "--pprof-disable", "--api-hosts"])
                        .arg(control.to_string()),
                    &log,
                )?
            }
            Kind::Bird => {
                let conf = d.join("bird.conf");
                std::fs::write(&conf, bird_config(me, peer, port))?;
                Process::spawn(
                    kind.name(),
                    Command::new(&program)
                        .arg("-f")
                        .arg("-c")
                        .arg(&conf)
                        .arg("-s")
                        .arg(d.join("bird.ctl"))
                        .arg("-P")
                        .arg(d.join("bird.pid")),
                    &log,
                )?
            }
            Kind::Frr => {
                let conf = d.join("bgpd.conf");
                std::fs::write(&conf, frr_config(me, peer))?;
                // bgpd drops to the frr user: it must be able to use the directory.
                let _ = Command::new("chown")
                    .arg("-R")
                    .arg("frr:frr")
                    .arg(d)
                    .status();
                Process::spawn(
                    kind.name(),
                    Command::new(&program)
                        .args(["-S", "-Z", "-f"])
                        .arg(&conf)
                        .arg("-i")
                        .arg(d.join("bgpd.pid"))
                        .arg("--vty_socket")
                        .arg(d)
                        .args(["-l", &me.to_string(), "-p", &port.to_string(), "-P", "0"]),
                    &log,
                )?
            }
        };
        let mut r = Receiver {
            kind,
            process,
            dir,
            bgp,
            peer,
            control,
        };
        let ready = poll(Duration::from_secs(15), Duration::from_millis(20), || {
            if !r.process.running() {
                return Some(false);
            }
            r.ready().then_some(true)
        });
        if ready != Some(true) {
            bail!("{} did not start: {}", kind.name(), r.log_tail());
        }
        Ok(r)
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Our daemon's REST API (the others have none).
    pub fn api(&self) -> Option<SocketAddr> {
        (self.kind == Kind::Ours).then_some(self.control)
    }

    pub fn rss(&self) -> Option<u64> {
        rss(self.process.pid())
    }

    pub fn alive(&mut self) -> bool {
        self.process.running()
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }

    fn ready(&self) -> bool {
        match self.kind {
            Kind::Ours => crate::http::get_json(self.control, "/ping").is_some(),
            Kind::Gobgp => self.gobgp(&["global"]).is_some(),
            Kind::Bird => self
                .birdc("show status")
                .is_some_and(|s| s.contains("Daemon is up")),
            Kind::Frr => self.vtysh("show bgp summary json").is_some(),
        }
    }

    /// Routes of `family` the receiver holds (from the generator: it has no other peer).
    pub fn count(&self, family: Family) -> Option<u64> {
        match self.kind {
            Kind::Ours => crate::http::get_json(self.control, "/looking-glass/summary")?
                ["route_counts"]["received_routes_count"]
                .as_u64(),
            Kind::Gobgp => {
                let a = if family == Family::EVPN {
                    "evpn"
                } else {
                    "vpnv4"
                };
                // "Table vpnv4\nDestination: N, Path: N"
                let s = self.gobgp(&["global", "rib", "-a", a, "summary"])?;
                let after = s.split("Path:").nth(1)?;
                after
                    .trim()
                    .split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            }
            Kind::Bird => {
                // "  Routes:         N imported, 0 exported, N preferred" (O(1), unlike a
                // route count, which walks the table and would slow BIRD down while polled)
                let s = self.birdc("show protocols all gen")?;
                let after = s.split("Routes:").nth(1)?;
                after.split_whitespace().next()?.parse().ok()
            }
            Kind::Frr => {
                let af = if family == Family::EVPN {
                    "l2vpn evpn"
                } else {
                    "ipv4 vpn"
                };
                let s = self.vtysh(&format!("show bgp {af} summary json"))?;
                let v: serde_json::Value = serde_json::from_str(&s).ok()?;
                v["peers"][self.peer.to_string()]["pfxRcd"].as_u64()
            }
        }
    }

    fn run(cmd: &mut Command) -> Option<String> {
        let out = cmd.output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn gobgp(&self, args: &[&str]) -> Option<String> {
        Self::run(
            Command::new("gobgp")
                .args(["-u", &self.control.ip().to_string(), "-p"])
                .arg(self.control.port().to_string())
                .args(args),
        )
    }

    fn birdc(&self, command: &str) -> Option<String> {
        Self::run(
            Command::new("birdc")
                .arg("-s")
                .arg(self.dir.path().join("bird.ctl"))
                .args(command.split_whitespace()),
        )
    }

    fn vtysh(&self, command: &str) -> Option<String> {
        Self::run(
            Command::new("vtysh")
                .arg("--vty_socket")
                .arg(self.dir.path())
                .args(["-d", "bgpd", "-c", command]),
        )
    }
}

fn ours_config(me: Ipv4Addr, peer: Ipv4Addr, port: u16, api: u16) -> String {
    format!(
        "[BGP]\nlocal_address = {me}\npeers = {peer}\nmy_as = {ASN}\nenable_rtc = True\nlisten_port = {port}\n\n\
         [BGP_PEER {peer}]\npassive = True\nfamilies = ipv4/mpls-vpn, l2vpn/evpn\n\n\
         [API]\nhost = {me}\nport = {api}\n\n\
         [DATAPLANE_DRIVER_IPVPN]\ndataplane_driver = dummy\n\n[DATAPLANE_DRIVER_EVPN]\ndataplane_driver = dummy\n"
    )
}

fn gobgp_config(me: Ipv4Addr, peer: Ipv4Addr, port: u16) -> String {
    let me = me.to_string();
    let families = ["l3vpn-ipv4-unicast", "l2vpn-evpn"];
    gobgp::global(ASN, &me, port) + &gobgp::neighbor(&peer.to_string(), &me, ASN, false, &families)
}

fn bird_config(me: Ipv4Addr, peer: Ipv4Addr, port: u16) -> String {
    format!(
        "router id {me};\nvpn4 table vpntab4;\nprotocol device {{ }}\n\
         protocol bgp gen {{\n  local {me} port {port} as {ASN};\n  neighbor {peer} as {ASN};\n  strict bind yes;\n  passive on;\n\
         \x20 vpn4 mpls {{ table vpntab4; import all; export none; }};\n}}\n"
    )
}

fn frr_config(me: Ipv4Addr, peer: Ipv4Addr) -> String {
    format!(
        "frr defaults traditional\nhostname bpb-frr\nlog stdout warnings\n!\nrouter bgp {ASN}\n bgp router-id {me}\n\
         \x20no bgp default ipv4-unicast\n bgp allow-martian-nexthop\n neighbor {peer} remote-as {ASN}\n neighbor {peer} passive\n\
         \x20neighbor {peer} update-source {me}\n !\n address-family ipv4 vpn\n  neighbor {peer} activate\n exit-address-family\n !\n\
         \x20address-family l2vpn evpn\n  neighbor {peer} activate\n exit-address-family\nexit\n!\n"
    )
}
