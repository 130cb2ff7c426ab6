//! Route ingestion (issue 3): a load generator on our codec opens an iBGP session to each
//! receiver (our daemon, GoBGP, BIRD 2, FRR bgpd), sends N pre-packed UPDATEs (VPNv4 host
//! routes, then in a fresh receiver E-VPN type 2 routes), and measures the time from the first
//! UPDATE byte until the receiver holds all N routes, and its resident memory growth per route.
//! Our daemon, then, loses the session: time to withdraw the N routes, and how long its REST
//! API waited meanwhile ([`withdrawal`]).
//!
//!   cargo build --release -p bagpipe-daemon -p bagpipe-bench
//!   target/release/bench-ingest [--routes 1000000] [--receivers ours,gobgp,bird,frr]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bagpipe_bench::feed::{self, RouteKind};
use bagpipe_bench::generator::Session;
use bagpipe_bench::http::Client;
use bagpipe_bench::process::daemon_binary;
use bagpipe_bench::receivers::{Kind, Receiver, ASN};
use bagpipe_bench::report::{bytes, count, ms, ratio, Spread, Table};
use bagpipe_testbed::wait::poll;
use bagpipe_wire::{CodecContext, Family};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "bench-ingest")]
struct Args {
    /// VPNv4 routes sent to our daemon, BIRD and FRR.
    #[arg(long, default_value_t = 1_000_000)]
    routes: u32,
    /// VPNv4 routes sent to GoBGP (it takes ~19 s for a million).
    #[arg(long, default_value_t = 100_000)]
    gobgp_routes: u32,
    /// E-VPN type 2 routes (0: skip E-VPN).
    #[arg(long, default_value_t = 100_000)]
    evpn_routes: u32,
    /// E-VPN type 2 routes sent to GoBGP (it ingests ~110 per second).
    #[arg(long, default_value_t = 1_000)]
    gobgp_evpn_routes: u32,
    /// Receivers to measure, in order; the first is the one compared (`ours`).
    #[arg(long, value_delimiter = ',', default_value = "ours,gobgp,bird,frr")]
    receivers: Vec<String>,
    /// Our daemon also has a VRF (E-VPN instance for E-VPN routes) that imports the routes:
    /// they then go through the VPN layer and the dummy dataplane too.
    #[arg(long)]
    import: bool,
    /// Runs of each measurement; the median is reported.
    #[arg(long, default_value_t = 1)]
    runs: u32,
    /// Give up on one measurement after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
}

#[derive(Clone)]
struct Measure {
    receiver: Kind,
    kind: RouteKind,
    n: u32,
    received: u64,
    seconds: f64,
    rss_growth: f64,
    note: String,
    withdrawal: Option<Withdrawal>,
}

/// Ours only: the session that brought all N routes drops. How long until the route table
/// holds none of them, and how long a request that the engine answers
/// (`GET /looking-glass/summary`) waited meanwhile, the withdrawal being done on the thread
/// that serves the REST API.
#[derive(Clone)]
struct Withdrawal {
    seconds: f64,
    requests: usize,
    latency: Spread,
}

/// Attaches a port to an instance that imports the feed's route target.
fn import_feed(api: SocketAddr, kind: RouteKind) -> anyhow::Result<()> {
    let vpn_type = match kind {
        RouteKind::Vpnv4 => "ipvpn",
        RouteKind::EvpnMacIp => "evpn",
    };
    let body = serde_json::json!({
        "vpn_instance_id": "importer", "vpn_type": vpn_type,
        "import_rt": [feed::ROUTE_TARGET], "export_rt": ["64512:101"],
        "local_port": {"linuxif": "tap-importer"}, "mac_address": "52:54:00:99:00:01",
        "ip_address": "192.168.99.1/24", "gateway_ip": "192.168.99.254",
    });
    let r = Client::new(api, false).post_json("/attach_localport", body.to_string().as_bytes())?;
    anyhow::ensure!(
        r.status == 200,
        "attach refused: {}",
        String::from_utf8_lossy(&r.body)
    );
    Ok(())
}

fn withdrawal(api: SocketAddr, session: Session, timeout: Duration) -> Withdrawal {
    let held = AtomicU64::new(u64::MAX);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let poller = s.spawn(|| {
            let mut client = Client::new(api, true);
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let Ok(r) = client.get("/looking-glass/summary") else {
                    break;
                };
                latencies.push(t.elapsed());
                if let Some(n) = r
                    .json()
                    .ok()
                    .and_then(|v| v["route_counts"]["received_routes_count"].as_u64())
                {
                    held.store(n, Ordering::Relaxed);
                }
            }
            latencies
        });
        let began = Instant::now();
        drop(session);
        while held.load(Ordering::Relaxed) != 0 && began.elapsed() < timeout {
            std::thread::sleep(Duration::from_millis(2));
        }
        let seconds = began.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let latencies = poller.join().expect("poller");
        Withdrawal {
            seconds,
            requests: latencies.len(),
            latency: Spread::of(latencies),
        }
    })
}

impl Measure {
    fn rate(&self) -> f64 {
        self.received as f64 / self.seconds
    }
    fn per_route(&self) -> f64 {
        self.rss_growth / self.received.max(1) as f64
    }
    fn complete(&self) -> bool {
        self.received >= self.n as u64
    }
}

/// One receiver, one feed: start it, establish, send, poll until all routes are in.
fn measure(
    receiver: Kind,
    kind: RouteKind,
    n: u32,
    slot: u8,
    feeds: &mut HashMap<(RouteKind, u32), Vec<u8>>,
    timeout: Duration,
    import: bool,
) -> anyhow::Result<Measure> {
    let daemon = daemon_binary()?;
    let mut r = Receiver::start(receiver, slot, &daemon)?;
    let session = poll(Duration::from_secs(15), Duration::from_millis(50), || {
        Session::establish(
            r.peer,
            r.bgp,
            ASN,
            vec![Family::VPNV4, Family::EVPN],
            Duration::from_secs(5),
        )
        .ok()
    })
    .with_context(|| format!("{}: no BGP session: {}", receiver.name(), r.log_tail()))?;
    let family = kind.family();
    // The receiver's side of the session is up when it answers with a count.
    poll(Duration::from_secs(15), Duration::from_millis(20), || {
        r.count(family)
    })
    .with_context(|| format!("{}: no route count", receiver.name()))?;
    let bytes_to_send = feeds.entry((kind, n)).or_insert_with(|| {
        let ctx = CodecContext {
            four_octet_as: true,
            ..CodecContext::default()
        };
        feed::updates(kind, n, r.peer.into(), &ctx)
    });
    if let (true, Some(api)) = (import, r.api()) {
        import_feed(api, kind)?;
    }
    std::thread::sleep(Duration::from_millis(300));
    let rss_before = r.rss().unwrap_or(0);
    let start = Instant::now();
    let (seconds, received, note) = std::thread::scope(|s| {
        let sender = s.spawn(|| session.send(bytes_to_send));
        let mut last = 0;
        let mut note = String::new();
        loop {
            if let Some(c) = r.count(family) {
                last = c;
                if c >= n as u64 {
                    break;
                }
            }
            if let Some(why) = session.down() {
                note = format!("session down: {why}");
                break;
            }
            if !r.alive() {
                note = "receiver exited".into();
                break;
            }
            if start.elapsed() > timeout {
                note = format!("gave up after {} s", timeout.as_secs());
                break;
            }
            // Polls cost the receiver (and the CLIs of the others start a process): poll
            // at most 50 times per elapsed interval, so the figure is at most 2% late.
            let poll =
                (start.elapsed() / 50).clamp(Duration::from_millis(5), Duration::from_millis(250));
            std::thread::sleep(poll);
        }
        let seconds = start.elapsed().as_secs_f64();
        if note.is_empty() {
            if let Ok(Err(e)) = sender.join() {
                note = format!("send: {e}");
            }
        }
        (seconds, last, note)
    });
    let rss_after = r.rss().unwrap_or(0);
    let withdrawal = match r.api() {
        Some(api) if note.is_empty() => Some(withdrawal(api, session, timeout)),
        _ => None,
    };
    Ok(Measure {
        receiver,
        kind,
        n,
        received,
        seconds,
        rss_growth: rss_after.saturating_sub(rss_before) as f64,
        note,
        withdrawal,
    })
}

fn median(mut runs: Vec<Measure>) -> Measure {
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    runs[runs.len() / 2].clone()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let receivers: Vec<Kind> = args
        .receivers
        .iter()
        .map(|s| Kind::parse(s).with_context(|| format!("unknown receiver {s}")))
        .collect::<anyhow::Result<_>>()?;
    let mut feeds = HashMap::new();
    let mut results: Vec<Measure> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let timeout = Duration::from_secs(args.timeout);
    let mut slot = 0u8;
    for kind in [RouteKind::Vpnv4, RouteKind::EvpnMacIp] {
        for &receiver in &receivers {
            let n = match (kind, receiver) {
                (RouteKind::Vpnv4, Kind::Gobgp) => args.gobgp_routes,
                (RouteKind::Vpnv4, _) => args.routes,
                (RouteKind::EvpnMacIp, Kind::Gobgp) => args.gobgp_evpn_routes,
                (RouteKind::EvpnMacIp, _) => args.evpn_routes,
            };
            if n == 0 || !receiver.supports(kind.family()) {
                continue;
            }
            let mut runs = Vec::new();
            for _ in 0..args.runs {
                eprintln!(
                    "{} <- {} {} routes",
                    receiver.name(),
                    count(n as f64),
                    kind.name()
                );
                match measure(receiver, kind, n, slot, &mut feeds, timeout, args.import) {
                    Ok(m) => {
                        eprintln!(
                            "  {} routes in {:.3} s, {} per route {}",
                            count(m.received as f64),
                            m.seconds,
                            bytes(m.per_route()),
                            m.note
                        );
                        runs.push(m)
                    }
                    Err(e) => {
                        eprintln!("  skipped: {e:#}");
                        skipped.push(format!("{} {}: {e:#}", receiver.name(), kind.name()));
                        break;
                    }
                }
                // A fresh set of addresses and ports per run: no TIME_WAIT or lingering state.
                slot = (slot + 1) % 50;
            }
            if !runs.is_empty() {
                results.push(median(runs));
            }
        }
    }

    let sent_at = |kind: RouteKind| {
        results
            .iter()
            .find(|m| m.receiver == Kind::Gobgp && m.kind == kind && m.complete())
            .cloned()
    };
    let mut table = Table::new(&[
        "receiver",
        "routes",
        "N",
        "seconds",
        "routes/s",
        "bytes/route",
        "routes/s vs GoBGP",
        "memory vs GoBGP",
        "note",
    ]);
    for m in &results {
        let gobgp = sent_at(m.kind);
        table.row(vec![
            m.receiver.name().into(),
            m.kind.name().into(),
            count(m.n as f64),
            if m.complete() {
                format!("{:.3}", m.seconds)
            } else {
                format!("> {:.1}", m.seconds)
            },
            count(m.rate()),
            format!("{:.0}", m.per_route()),
            gobgp
                .as_ref()
                .map_or("—".into(), |g| ratio(m.rate(), g.rate())),
            gobgp
                .as_ref()
                .map_or("—".into(), |g| ratio(g.per_route(), m.per_route())),
            if m.complete() {
                m.note.clone()
            } else {
                format!("{} of N received; {}", count(m.received as f64), m.note)
            },
        ]);
    }
    println!();
    println!("Route ingestion over one iBGP session on loopback (pre-packed 4096-octet UPDATEs; time from the first UPDATE to all N routes in the receiver's table; memory = resident growth / N; ratios > 1 mean better than GoBGP)");
    println!();
    print!("{}", table.render());
    let mut w = Table::new(&[
        "receiver",
        "routes",
        "N",
        "route table empty in",
        "API requests meanwhile",
        "p50",
        "p99",
        "max",
    ]);
    for m in &results {
        if let Some(d) = &m.withdrawal {
            w.row(vec![
                m.receiver.name().into(),
                m.kind.name().into(),
                count(m.n as f64),
                format!("{:.3} s", d.seconds),
                d.requests.to_string(),
                ms(d.latency.p50),
                ms(d.latency.p99),
                ms(d.latency.max),
            ]);
        }
    }
    println!();
    println!("Then the session drops: time until the daemon's route table holds none of the N routes, and the latency of the REST API requests that its engine answered meanwhile (GET /looking-glass/summary, back to back); with --import, the importing instance lets go of the routes after that, a slice at a time, the API answering in between:");
    println!();
    print!("{}", w.render());
    for s in &skipped {
        println!("not measured: {s}");
    }
    Ok(())
}
