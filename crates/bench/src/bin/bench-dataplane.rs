//! UPDATE to kernel (issue 5): how long a route takes from its BGP UPDATE to the kernel entry
//! that forwards it, through the whole daemon (session, route table, VPN instance, driver).
//!
//! bagpipe-bgp runs with the Linux drivers in a network namespace of its own, with one E-VPN
//! and one IP VPN port attached over its REST API. A load generator on our codec, in a second
//! namespace, sends it N E-VPN MAC/IP routes and N VPNv4 routes (VXLAN), while a netlink
//! monitor in the daemon's namespace timestamps each FDB entry (MAC → VTEP) and each route
//! of the VRF's table as the kernel announces it. Latency = kernel announcement − UPDATE
//! written. Two ways: paced (one route per UPDATE, one UPDATE every `--interval-us`: the
//! latency of a lone route) and as a burst (N routes packed into full UPDATEs, written at
//! once: latency from the first byte, and time until the last entry).
//!
//!   cargo build --release -p bagpipe-daemon -p bagpipe-bench
//!   sudo target/release/bench-dataplane [--routes 1000] [--interval-us 2000]
//!
//! Namespaces `bpb-dp<pid>-n` and `-g` (CONTRIBUTING.md), deleted at the end.

use std::collections::HashMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bagpipe_bench::generator::Session;
use bagpipe_bench::http::Client;
use bagpipe_bench::process::daemon_binary;
use bagpipe_bench::report::{ms, Table};
use bagpipe_speaker::pack::pack;
use bagpipe_speaker::OutItem;
use bagpipe_testbed::netns::{self, enter, in_netns, ip, Netns};
use bagpipe_testbed::process::Process;
use bagpipe_testbed::wait::poll;
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::nlri::{EvpnRoute, Nlri, VpnPrefix};
use bagpipe_wire::{
    CodecContext, Esi, ExtendedCommunity, Family, IpPrefix, Label, MacAddress, RouteDistinguisher,
    RouteTarget, TunnelType,
};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "bench-dataplane")]
struct Args {
    /// Routes of each kind (E-VPN MAC/IP, VPNv4) in each mode (paced, burst).
    #[arg(long, default_value_t = 1000)]
    routes: u32,
    /// Paced mode: time between two UPDATEs, in microseconds.
    #[arg(long, default_value_t = 2000)]
    interval_us: u64,
}

const ASN: u32 = 64512;
const NODE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const GENERATOR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const API: &str = "127.0.0.1:8082";
const EVPN_RT: &str = "64512:100";
const EVPN_VNI: u32 = 100;
const VRF_RT: &str = "64512:200";
/// The VNI of the remote VRF the VPNv4 routes come from.
const REMOTE_VRF_VNI: u32 = 5000;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if unsafe { libc::geteuid() } != 0 {
        println!("SKIPPED: bench-dataplane needs root (network namespaces, netlink)");
        return Ok(());
    }
    let daemon = daemon_binary()?;
    let node = Netns::new(&format!("bpb-dp{}-n", std::process::id()));
    let generator_ns = Netns::new(&format!("bpb-dp{}-g", std::process::id()));
    for (ns, cmd) in [
        (
            &node.name,
            format!(
                "link add ul0 type veth peer name ul0 netns {}",
                generator_ns.name
            ),
        ),
        (&node.name, format!("addr add {NODE}/24 dev ul0")),
        (&node.name, "link set ul0 up".into()),
        (
            &generator_ns.name,
            format!("addr add {GENERATOR}/24 dev ul0"),
        ),
        (&generator_ns.name, "link set ul0 up".into()),
        // The ports of the VMs, for the attachments.
        (&node.name, "link add tap0 type veth peer name vm0".into()),
        (&node.name, "link add tap1 type veth peer name vm1".into()),
        (&node.name, "link set tap0 up".into()),
        (&node.name, "link set tap1 up".into()),
    ] {
        ip(ns, &cmd);
    }

    let dir = tempfile::tempdir()?;
    let conf = dir.path().join("bgp.conf");
    std::fs::write(
        &conf,
        format!(
            "[BGP]\nlocal_address = {NODE}\nmy_as = {ASN}\nenable_rtc = False\n\n\
             [BGP_PEER {GENERATOR}]\npassive = True\nfamilies = ipv4/mpls-vpn, l2vpn/evpn\n\n\
             [API]\nhost = 127.0.0.1\nport = 8082\n\n\
             [DATAPLANE_DRIVER_EVPN]\ndataplane_driver = linux\n\n\
             [DATAPLANE_DRIVER_IPVPN]\ndataplane_driver = linux\n"
        ),
    )?;
    let log = dir.path().join("daemon.log");
    let _daemon = Process::spawn(
        "bagpipe-bgp",
        netns::command(&node.name, &daemon)
            .arg("--config-file")
            .arg(&conf),
        &log,
    )?;
    let api: SocketAddr = API.parse()?;
    poll(Duration::from_secs(10), Duration::from_millis(20), || {
        in_netns(&node.name, move || {
            Client::new(api, false).get("/ping").ok()
        })
    })
    .context("the daemon's API did not come up")?;
    for body in [
        format!(
            r#"{{"vpn_instance_id": "net", "vpn_type": "evpn", "vni": {EVPN_VNI}, "import_rt": ["{EVPN_RT}"], "export_rt": ["{EVPN_RT}"], "local_port": {{"linuxif": "tap0"}}, "mac_address": "52:54:00:00:00:01", "ip_address": "10.201.255.1/16"}}"#
        ),
        format!(
            r#"{{"vpn_instance_id": "vrf", "vpn_type": "ipvpn", "import_rt": ["{VRF_RT}"], "export_rt": ["{VRF_RT}"], "local_port": {{"linuxif": "tap1"}}, "mac_address": "52:54:00:00:00:02", "ip_address": "10.200.0.1/24", "gateway_ip": "10.200.0.254"}}"#
        ),
    ] {
        let status = in_netns(&node.name, move || {
            Client::new(api, false)
                .post_json("/attach_localport", body.as_bytes())
                .map(|r| r.status)
        })?;
        if status != 200 {
            bail!("attach refused ({status}); see {}", log.display());
        }
    }

    let monitor = Monitor::start(&node.name)?;
    let session = in_netns(&generator_ns.name, || {
        Session::establish(
            GENERATOR,
            SocketAddr::new(NODE.into(), 179),
            ASN,
            vec![Family::EVPN, Family::VPNV4],
            Duration::from_secs(10),
        )
    })?;
    // The daemon's End-of-RIB and our attachments' routes settle before the clock starts.
    std::thread::sleep(Duration::from_millis(500));

    let n = args.routes;
    let interval = Duration::from_micros(args.interval_us);
    println!(
        "bench-dataplane: {n} routes of each kind, paced every {interval:?} then as one burst; daemon {}",
        daemon.display()
    );
    let mut table = Table::new(&[
        "routes",
        "mode",
        "N",
        "median",
        "p99",
        "max",
        "last entry",
        "missing",
    ]);
    for kind in [Kind::Evpn, Kind::Vpnv4] {
        for mode in [Mode::Paced, Mode::Burst] {
            let base = match mode {
                Mode::Paced => 0,
                Mode::Burst => 1 << 16,
            };
            let r = measure(&session, &monitor, kind, mode, base, n, interval)?;
            table.row(vec![
                kind.name().into(),
                mode.name().into(),
                n.to_string(),
                ms(r.percentile(50.0)),
                ms(r.percentile(99.0)),
                ms(r.percentile(100.0)),
                ms(r.last),
                r.missing.to_string(),
            ]);
        }
    }
    print!("{}", table.render());
    if let Some(why) = session.down() {
        bail!("the BGP session went down: {why}; see {}", log.display());
    }
    println!(
        "latency: from writing the UPDATE to the kernel's netlink announcement of the FDB entry (E-VPN: MAC -> VTEP on the VXLAN device) or of the route in the VRF's table (VPNv4)"
    );
    std::io::stdout().flush()?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Evpn,
    Vpnv4,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Evpn => "E-VPN MAC/IP",
            Kind::Vpnv4 => "VPNv4 (VXLAN)",
        }
    }

    fn family(self) -> Family {
        match self {
            Kind::Evpn => Family::EVPN,
            Kind::Vpnv4 => Family::VPNV4,
        }
    }

    /// Route `i`, and the kernel entry that it becomes.
    fn route(self, i: u32) -> (Nlri, Entry) {
        let b = i.to_be_bytes();
        match self {
            Kind::Evpn => {
                let mac = MacAddress([0x02, 0xbb, b[0], b[1], b[2], b[3]]);
                let nlri = Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
                    rd: RouteDistinguisher::ipv4(GENERATOR, 1),
                    esi: Esi::ZERO,
                    etag: 0,
                    mac,
                    ip: Some(Ipv4Addr::new(10, 201, b[2], b[3]).into()),
                    label: Label::vni(EVPN_VNI),
                    label2: None,
                });
                (nlri, Entry::Mac(mac.0))
            }
            Kind::Vpnv4 => {
                let host = Ipv4Addr::new(10, 210 + b[1], b[2], b[3]);
                let nlri = Nlri::Vpn(VpnPrefix::new(
                    RouteDistinguisher::ipv4(GENERATOR, 2),
                    Label::mpls(REMOTE_VRF_VNI, true),
                    IpPrefix::new(host.into(), 32).expect("/32"),
                ));
                (nlri, Entry::Route(host))
            }
        }
    }

    /// What every route of this kind carries: its route target, VXLAN, a next hop among
    /// 200 VTEPs (the generator stands for a whole fabric).
    fn attributes(self, i: u32) -> Arc<AttributeSet> {
        let rt: RouteTarget = match self {
            Kind::Evpn => EVPN_RT,
            Kind::Vpnv4 => VRF_RT,
        }
        .parse()
        .expect("route target");
        let mut comms = vec![
            rt.into(),
            ExtendedCommunity::encapsulation(TunnelType::VXLAN),
        ];
        if self == Kind::Vpnv4 {
            comms.push(ExtendedCommunity::router_mac(MacAddress([
                0x02, 0xaa, 0, 0, 0, 1,
            ])));
        }
        let vtep = Ipv4Addr::new(192, 0, 2, 10 + (i % 200) as u8);
        Arc::new(AttributeSet::new(
            Some(vtep.into()),
            vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::default())),
                PathAttribute::new(AttrValue::LocalPref(100)),
                PathAttribute::new(AttrValue::ExtendedCommunities(comms)),
            ],
        ))
    }

    /// Encoded UPDATEs announcing `routes`, packed as the speaker packs them.
    fn updates(self, routes: impl Iterator<Item = u32>, ctx: &CodecContext) -> Vec<u8> {
        let items = routes
            .map(|i| OutItem::Announce {
                family: self.family(),
                nlri: self.route(i).0.into(),
                attrs: self.attributes(i),
            })
            .collect();
        let mut out = Vec::new();
        pack(items, ctx, &mut out).expect("routes encode");
        out
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Paced,
    Burst,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Paced => "paced",
            Mode::Burst => "burst",
        }
    }
}

struct Outcome {
    latencies: Vec<Duration>,
    /// From the first UPDATE written to the last entry seen.
    last: Duration,
    missing: u32,
}

impl Outcome {
    fn percentile(&self, p: f64) -> Duration {
        bagpipe_bench::report::percentile(&self.latencies, p)
    }
}

/// Sends routes `base..base + n` of `kind` and waits for their kernel entries.
fn measure(
    session: &Session,
    monitor: &Monitor,
    kind: Kind,
    mode: Mode,
    base: u32,
    n: u32,
    interval: Duration,
) -> anyhow::Result<Outcome> {
    let ids: Vec<u32> = (base..base + n).collect();
    let entries: Vec<Entry> = ids.iter().map(|i| kind.route(*i).1).collect();
    let mut sent = Vec::with_capacity(ids.len());
    let start = Instant::now();
    match mode {
        Mode::Paced => {
            let updates: Vec<Vec<u8>> = ids
                .iter()
                .map(|i| kind.updates(std::iter::once(*i), &session.ctx))
                .collect();
            let start = Instant::now();
            for (k, update) in updates.iter().enumerate() {
                let slot = start + interval * k as u32;
                if let Some(wait) = slot.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                sent.push(Instant::now());
                session.send(update)?;
            }
        }
        Mode::Burst => {
            let updates = kind.updates(ids.iter().copied(), &session.ctx);
            let at = Instant::now();
            session.send(&updates)?;
            sent.resize(ids.len(), at);
        }
    }
    let first = sent.first().copied().unwrap_or(start);
    poll(Duration::from_secs(60), Duration::from_millis(10), || {
        monitor.all_seen(&entries).then_some(())
    });
    let seen = monitor.seen.lock().expect("monitor lock");
    let mut latencies = Vec::new();
    let mut last = Duration::ZERO;
    let mut missing = 0;
    for (entry, at) in entries.iter().zip(&sent) {
        match seen.get(entry) {
            Some(t) => {
                latencies.push(t.saturating_duration_since(*at));
                last = last.max(t.saturating_duration_since(first));
            }
            None => missing += 1,
        }
    }
    latencies.sort();
    Ok(Outcome {
        latencies,
        last,
        missing,
    })
}

/// A kernel entry the monitor watches for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Entry {
    /// An FDB entry with a remote VTEP (`NDA_DST`) for this MAC.
    Mac([u8; 6]),
    /// An IPv4 host route, in any table.
    Route(Ipv4Addr),
}

/// Netlink multicast groups: neighbour (and FDB) entries, IPv4 routes.
const RTMGRP_NEIGH: u32 = 0x4;
const RTMGRP_IPV4_ROUTE: u32 = 0x40;
const RTM_NEWROUTE: u16 = 24;
const RTM_NEWNEIGH: u16 = 28;
const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;
const RTA_DST: u16 = 1;

/// Timestamps, in a thread inside the daemon's namespace, the entries the kernel announces.
struct Monitor {
    seen: Arc<Mutex<HashMap<Entry, Instant>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Monitor {
    fn start(ns: &str) -> anyhow::Result<Monitor> {
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let ns = ns.to_string();
        let thread = std::thread::spawn({
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            move || {
                enter(&ns);
                let fd = match netlink_socket() {
                    Ok(fd) => {
                        let _ = ready_tx.send(Ok(()));
                        fd
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut buf = vec![0u8; 1 << 20];
                while !stop.load(Ordering::Relaxed) {
                    // SAFETY: reading into our own buffer from our own socket.
                    let n = unsafe { libc::recv(fd.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
                    if n <= 0 {
                        continue;
                    }
                    let now = Instant::now();
                    let mut seen = seen.lock().expect("monitor lock");
                    for entry in parse(&buf[..n as usize]) {
                        seen.entry(entry).or_insert(now);
                    }
                }
            }
        });
        ready
            .recv()
            .context("monitor thread")?
            .context("netlink monitor")?;
        Ok(Monitor {
            seen,
            stop,
            thread: Some(thread),
        })
    }

    fn all_seen(&self, entries: &[Entry]) -> bool {
        let seen = self.seen.lock().expect("monitor lock");
        entries.iter().all(|e| seen.contains_key(e))
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: closing a descriptor we own.
        unsafe { libc::close(self.0) };
    }
}

fn netlink_socket() -> anyhow::Result<Fd> {
    // SAFETY: plain socket calls on a descriptor we own, with structures of the right size.
    unsafe {
        let fd = libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_ROUTE);
        if fd < 0 {
            bail!("netlink socket: {}", std::io::Error::last_os_error());
        }
        let fd = Fd(fd);
        let size: libc::c_int = 64 << 20;
        libc::setsockopt(
            fd.0,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as u32,
        );
        let timeout = libc::timeval {
            tv_sec: 0,
            tv_usec: 100_000,
        };
        libc::setsockopt(
            fd.0,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&timeout as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as u32,
        );
        let mut addr: libc::sockaddr_nl = std::mem::zeroed();
        addr.nl_family = libc::AF_NETLINK as u16;
        addr.nl_groups = RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE;
        let rc = libc::bind(
            fd.0,
            (&addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        );
        if rc != 0 {
            bail!("netlink bind: {}", std::io::Error::last_os_error());
        }
        Ok(fd)
    }
}

/// The entries announced in a buffer of netlink messages.
fn parse(mut buf: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    while buf.len() >= 16 {
        let len = u32::from_ne_bytes(buf[0..4].try_into().unwrap()) as usize;
        let kind = u16::from_ne_bytes(buf[4..6].try_into().unwrap());
        if len < 16 || len > buf.len() {
            break;
        }
        let body = &buf[16..len];
        match kind {
            RTM_NEWNEIGH if body.len() >= 12 && i32::from(body[0]) == libc::AF_BRIDGE => {
                let attrs = attributes(&body[12..]);
                if let (Some(mac), Some(_)) = (attrs.get(&NDA_LLADDR), attrs.get(&NDA_DST)) {
                    if let Ok(mac) = <[u8; 6]>::try_from(*mac) {
                        out.push(Entry::Mac(mac));
                    }
                }
            }
            RTM_NEWROUTE if body.len() >= 12 && i32::from(body[0]) == libc::AF_INET => {
                let attrs = attributes(&body[12..]);
                if let Some(dst) = attrs.get(&RTA_DST).filter(|_| body[1] == 32) {
                    if let Ok(a) = <[u8; 4]>::try_from(*dst) {
                        out.push(Entry::Route(Ipv4Addr::from(a)));
                    }
                }
            }
            _ => {}
        }
        buf = &buf[len.next_multiple_of(4).min(buf.len())..];
    }
    out
}

/// Route attributes (`struct rtattr`) by type.
fn attributes(mut buf: &[u8]) -> HashMap<u16, &[u8]> {
    let mut out = HashMap::new();
    while buf.len() >= 4 {
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        let kind = u16::from_ne_bytes([buf[2], buf[3]]);
        if len < 4 || len > buf.len() {
            break;
        }
        out.insert(kind, &buf[4..len]);
        buf = &buf[len.next_multiple_of(4).min(buf.len())..];
    }
    out
}
