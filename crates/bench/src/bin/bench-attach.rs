//! REST attach (issue 4): two bagpipe-bgp nodes A and B and a GoBGP route reflector on
//! loopback, dummy dataplanes. Clients post the original's IP VPN attach bodies to A, one port
//! each: sequentially and with 4, 16 and 64 parallel clients, on kept-alive connections and
//! with a new connection per request (as the OpenStack agent does); one client's phases three
//! times, the median reported (its figure varies most from run to run). Reported: requests per
//! second, p50/p99 latency, errors and resets, the time until all N routes are in B's VRF,
//! memory (resident when idle; private memory per attached port on A and per received route
//! on B), start-up time to API ready, and attach latency while the looking glass lists every
//! route of A ([`attach_during_lg`]). The same run measures the original bagpipe-bgp
//! (networking-bagpipe) when it is installed, and ratios are taken against it; and the same
//! clients against a server that does nothing (`bench-noop-server`): the most any daemon can
//! reach on this machine, hence the highest ratio to the original that it allows.
//!
//!   cargo build --release -p bagpipe-daemon -p bagpipe-bench
//!   target/release/bench-attach [--ports 1000] [--ours-ports 10000] [--original PATH]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use bagpipe_bench::affinity::{self, Pinned};
use bagpipe_bench::contention::{attach_during_lg, Contention};
use bagpipe_bench::http::{get_json, Client};
use bagpipe_bench::nodes::{Node, Reflector};
use bagpipe_bench::process::{daemon_binary, installed, sibling_binary};
use bagpipe_bench::report::{bytes, count, ms, ratio, Spread, Table};
use bagpipe_testbed::process::Process;
use bagpipe_testbed::wait::poll;
use clap::Parser;
use serde_json::json;

#[derive(Parser, Debug)]
#[command(name = "bench-attach")]
struct Args {
    /// Ports attached per phase, for both daemons.
    #[arg(long, default_value_t = 1000)]
    ports: usize,
    /// A second run of ours alone with this many ports, one sequential client (0: none).
    #[arg(long, default_value_t = 10_000)]
    ours_ports: usize,
    /// The original daemon (networking-bagpipe's `bagpipe-bgp`); default: $BAGPIPE_ORIGINAL,
    /// else /tmp/bpb-orig/bin/bagpipe-bgp (see scripts/bench.sh).
    #[arg(long)]
    original: Option<PathBuf>,
    /// Parallel client counts.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
    clients: Vec<usize>,
    /// Without the phases of one client sharing one CPU with the server.
    #[arg(long)]
    no_one_cpu: bool,
}

/// Every phase attaches to its own VRF (so that each starts from an empty instance) with its
/// own route target (so that A's VRFs do not import each other's routes); B's VRF imports them
/// all.
fn phase_rt(phase: usize) -> String {
    format!("64512:{}", 1000 + phase)
}

/// B's VRF.
const B_PHASE: usize = 99;

/// Phases of A that B's VRF imports (each phase has a route target of its own).
const MAX_PHASES: usize = 32;

/// One client's rate depends most on where the scheduler puts client and server (see
/// `affinity`): its phases run this many times, and the median is reported.
const ONE_CLIENT_RUNS: usize = 3;

/// The instance A attaches one port to and detaches it from before being measured, so that
/// the first use of its code paths does not count as the cost of the first ports.
const WARM_UP_PHASE: usize = 98;

fn attach_body(phase: usize, i: usize) -> Vec<u8> {
    let (hi, lo) = (i / 250, i % 250 + 1);
    let import: Vec<String> = if phase == B_PHASE {
        (0..MAX_PHASES).map(phase_rt).collect()
    } else {
        vec![phase_rt(phase)]
    };
    json!({
        "vpn_instance_id": format!("bench-{phase}"), "vpn_type": "ipvpn",
        "import_rt": import, "export_rt": [phase_rt(phase)],
        "local_port": {"linuxif": format!("tap{phase}-{i}")},
        "mac_address": format!("52:54:00:{phase:02x}:{:02x}:{:02x}", i >> 8 & 0xff, i & 0xff),
        "ip_address": format!("10.{phase}.{hi}.{lo}/8"),
        "gateway_ip": "10.255.255.254",
        "advertise_subnet": false,
    })
    .to_string()
    .into_bytes()
}

fn detach_body(phase: usize, i: usize) -> Vec<u8> {
    let attach: serde_json::Value = serde_json::from_slice(&attach_body(phase, i)).expect("JSON");
    json!({
        "vpn_instance_id": attach["vpn_instance_id"], "vpn_type": "ipvpn",
        "local_port": attach["local_port"], "mac_address": attach["mac_address"],
        "ip_address": attach["ip_address"],
    })
    .to_string()
    .into_bytes()
}

/// What a phase asks: how many clients, on which connections, where they run.
#[derive(Clone, Copy, PartialEq)]
struct Spec {
    clients: usize,
    keep_alive: bool,
    /// Client and server on one CPU ([`affinity`]), else wherever the scheduler puts them.
    one_cpu: bool,
}

impl Spec {
    /// Every client count in both connection modes, then one client on one CPU.
    fn all(clients: &[usize], modes: &[bool], one_cpu: bool) -> Vec<Spec> {
        let free = modes.iter().flat_map(|&keep_alive| {
            clients.iter().map(move |&clients| Spec {
                clients,
                keep_alive,
                one_cpu: false,
            })
        });
        let pinned = modes.iter().filter(|_| one_cpu).map(|&keep_alive| Spec {
            clients: 1,
            keep_alive,
            one_cpu: true,
        });
        free.chain(pinned).collect()
    }

    fn mode(&self) -> &'static str {
        if self.keep_alive {
            "kept alive"
        } else {
            "new per request"
        }
    }

    fn cpus(&self) -> &'static str {
        if self.one_cpu {
            "one, shared"
        } else {
            "any"
        }
    }
}

#[derive(Clone)]
struct Phase {
    spec: Spec,
    n: usize,
    seconds: f64,
    latency: Spread,
    errors: usize,
    resets: usize,
}

impl Phase {
    fn rate(&self) -> f64 {
        (self.n - self.errors - self.resets) as f64 / self.seconds
    }
}

/// How many times phases of `spec` run.
fn runs_of(spec: Spec) -> usize {
    if spec.clients == 1 {
        ONE_CLIENT_RUNS
    } else {
        1
    }
}

/// The run with the median rate.
fn median(mut runs: Vec<Phase>) -> Phase {
    runs.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
    runs.swap_remove(runs.len() / 2)
}

/// Attaches ports `0..n` of `phase` to `api` as `spec` says; the server's process must
/// already be pinned if `spec.one_cpu`.
fn run_phase(api: SocketAddr, phase: usize, n: usize, spec: Spec) -> Phase {
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(n));
    let errors = AtomicUsize::new(0);
    let resets = AtomicUsize::new(0);
    let bodies: Vec<Vec<u8>> = (0..n).map(|i| attach_body(phase, i)).collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..spec.clients {
            s.spawn(|| {
                if spec.one_cpu {
                    affinity::pin_this_thread().expect("client thread pinned");
                }
                let mut client = Client::new(api, spec.keep_alive);
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let t = Instant::now();
                    match client.post_json("/attach_localport", &bodies[i]) {
                        Ok(r) if r.status == 200 => mine.push(t.elapsed()),
                        Ok(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            resets.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                latencies.lock().expect("lock").extend(mine);
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    Phase {
        spec,
        n,
        seconds,
        latency: Spread::of(latencies.into_inner().expect("lock")),
        errors: errors.into_inner(),
        resets: resets.into_inner(),
    }
}

/// Routes a node received over BGP: `route_counts` of the looking glass summary, which both
/// daemons have, and which is cheap to ask for (polling the VRF's route list instead would
/// load B, and its memory, with large JSON answers).
fn received_routes(api: SocketAddr) -> Option<u64> {
    get_json(api, "/looking-glass/summary")?["route_counts"]["received_routes_count"].as_u64()
}

/// How many of phase `phase`'s /32 routes B's VRF has received.
fn received_in_vrf(api: SocketAddr, phase: usize) -> Option<usize> {
    let v = get_json(
        api,
        &format!("/looking-glass/vpns/instances/bench-{B_PHASE}/received_routes"),
    )?;
    let needle = format!("10.{phase}.");
    Some(
        v.as_object()?
            .keys()
            .filter(|k| k.contains(&needle))
            .count(),
    )
}

struct Run {
    system: &'static str,
    n: usize,
    startup: Duration,
    idle_rss: u64,
    /// Private memory per port attached to A, and per route received by B.
    per_port: f64,
    per_route: f64,
    /// Resident memory per port attached to A, which counts the program's pages mapped in
    /// by the first attaches too.
    rss_per_port: f64,
    visible: Option<Duration>,
    log_per_attach: f64,
    /// CPU seconds of A per attach, and of B per received route (first phase).
    cpu_per_attach: f64,
    cpu_per_route: f64,
    phases: Vec<Phase>,
    /// Routes in A's table after the phases, and attaching meanwhile the looking glass
    /// lists them.
    routes_in_a: u64,
    contention: Contention,
}

fn run(
    system: &'static str,
    program: &std::path::Path,
    net: u8,
    n: usize,
    specs: &[Spec],
) -> anyhow::Result<Run> {
    let rr = Ipv4Addr::new(127, 0, net, 1);
    let (a_addr, b_addr) = (Ipv4Addr::new(127, 0, net, 2), Ipv4Addr::new(127, 0, net, 3));
    let base = 21100 + 10 * (net as u16 - 55);
    let _rr = Reflector::start(
        rr,
        base,
        SocketAddr::new(rr.into(), base + 1),
        &[a_addr, b_addr],
    )?;
    let mut a = Node::start(program, a_addr, rr, base, base + 3).context("node A")?;
    let b = Node::start(program, b_addr, rr, base, base + 4).context("node B")?;
    eprintln!("{system}: API ready in {} ms", a.startup.as_millis());
    poll(Duration::from_secs(60), Duration::from_millis(100), || {
        (_rr.established(a_addr) && _rr.established(b_addr)).then_some(())
    })
    .with_context(|| format!("{system}: BGP sessions not established: {}", a.log_tail()))?;
    // B imports the route target: one port of its own in the VRF.
    let request = |api, path, body: &[u8]| -> anyhow::Result<()> {
        let r = Client::new(api, false).post_json(path, body)?;
        anyhow::ensure!(
            r.status == 200,
            "{system}: {path} refused: {}",
            String::from_utf8_lossy(&r.body)
        );
        Ok(())
    };
    request(b.api, "/attach_localport", &attach_body(B_PHASE, 0))?;
    request(a.api, "/attach_localport", &attach_body(WARM_UP_PHASE, 0))?;
    request(a.api, "/detach_localport", &detach_body(WARM_UP_PHASE, 0))?;
    std::thread::sleep(Duration::from_secs(2));
    let idle_rss = a.rss().unwrap_or(0);
    let a_before = a.private_memory().unwrap_or(0);
    let b_before = b.private_memory().unwrap_or(0);
    let b_received = received_routes(b.api).unwrap_or(0);
    let (a_cpu, b_cpu) = (a.cpu_seconds(), b.cpu_seconds());
    let log_before = a.log_bytes();

    let mut phases = Vec::new();
    let mut visible = None;
    let mut per_port = 0.0;
    let mut rss_per_port = 0.0;
    let mut per_route = 0.0;
    let mut log_per_attach = 0.0;
    let mut cpu_per_attach = 0.0;
    let mut cpu_per_route = 0.0;
    // One more phase for the looking-glass contention after them.
    let needed = specs.iter().copied().map(runs_of).sum::<usize>() + 1;
    anyhow::ensure!(
        needed <= MAX_PHASES,
        "{needed} phases, B imports {MAX_PHASES}"
    );
    let mut phase_no = 0;
    for &spec in specs {
        let mut runs = Vec::new();
        for _ in 0..runs_of(spec) {
            eprintln!(
                "{system}: {n} attaches, {} client(s), connection {}, CPUs: {}",
                spec.clients,
                spec.mode(),
                spec.cpus()
            );
            let began = Instant::now();
            let pinned = spec.one_cpu.then(|| Pinned::new(a.pid())).transpose()?;
            let p = run_phase(a.api, phase_no, n, spec);
            drop(pinned);
            eprintln!(
                "  {:.0} req/s, p50 {}, p99 {}, {} errors, {} resets",
                p.rate(),
                ms(p.latency.p50),
                ms(p.latency.p99),
                p.errors,
                p.resets
            );
            if phase_no == 0 {
                per_port =
                    a.private_memory().unwrap_or(0).saturating_sub(a_before) as f64 / n as f64;
                rss_per_port = a.rss().unwrap_or(0).saturating_sub(idle_rss) as f64 / n as f64;
                cpu_per_attach = (a.cpu_seconds() - a_cpu) / n as f64;
                log_per_attach = a.log_bytes().saturating_sub(log_before) as f64 / n as f64;
                let ok = n - p.errors - p.resets;
                let in_rib = poll(Duration::from_secs(120), Duration::from_millis(10), || {
                    (received_routes(b.api)? >= b_received + ok as u64).then_some(())
                });
                per_route = b.private_memory().unwrap_or(0).saturating_sub(b_before) as f64
                    / ok.max(1) as f64;
                // CPU time, unlike wall time, hardly depends on what else the machine runs.
                cpu_per_route = (b.cpu_seconds() - b_cpu) / ok.max(1) as f64;
                // Then in the VRF (at once for ours; the original imports from a queue).
                visible = in_rib.and_then(|()| {
                    poll(Duration::from_secs(60), Duration::from_millis(10), || {
                        (received_in_vrf(b.api, 0)? >= ok).then(|| began.elapsed())
                    })
                });
            }
            runs.push(p);
            phase_no += 1;
            if !a.alive() {
                anyhow::bail!("{system}: node A exited: {}", a.log_tail());
            }
        }
        phases.push(median(runs));
    }
    let routes_in_a = get_json(a.api, "/looking-glass/summary")
        .and_then(|s| s["route_counts"]["local_routes_count"].as_u64())
        .unwrap_or(0);
    eprintln!("{system}: attaches while the looking glass lists A's {routes_in_a} routes");
    let contention = attach_during_lg(
        a.api,
        |i| attach_body(phase_no, i),
        Duration::from_secs(3),
        Duration::from_millis(5),
    );
    Ok(Run {
        system,
        n,
        startup: a.startup,
        idle_rss,
        per_port,
        per_route,
        rss_per_port,
        visible,
        log_per_attach,
        cpu_per_attach,
        cpu_per_route,
        phases,
        routes_in_a,
        contention,
    })
}

/// The phases of a run against a server that does nothing, a process of its own as the
/// daemons are (`bench-noop-server`).
fn run_floor(n: usize, specs: &[Spec]) -> anyhow::Result<Vec<Phase>> {
    let threads = specs.iter().map(|s| s.clients).max().unwrap_or(1);
    let addr = SocketAddr::new(Ipv4Addr::new(127, 0, 58, 1).into(), 21140);
    let binary = sibling_binary(
        "bench-noop-server",
        "cargo build --release -p bagpipe-bench",
    )?;
    let dir = tempfile::Builder::new().prefix("bpb-noop-").tempdir()?;
    let mut cmd = std::process::Command::new(binary);
    cmd.arg(addr.to_string()).arg(threads.to_string());
    let server = Process::spawn("no-op server", &mut cmd, &dir.path().join("log"))?;
    poll(Duration::from_secs(10), Duration::from_millis(20), || {
        std::net::TcpStream::connect(addr).ok()
    })
    .context("the no-op server does not answer")?;
    let mut phases = Vec::new();
    for &spec in specs {
        let mut runs = Vec::new();
        for _ in 0..runs_of(spec) {
            let pinned = spec
                .one_cpu
                .then(|| Pinned::new(server.pid()))
                .transpose()?;
            runs.push(run_phase(addr, 0, n, spec));
            drop(pinned);
        }
        phases.push(median(runs));
    }
    Ok(phases)
}

/// The phase of `phases` with the same clients, connection mode and CPUs as `p`.
fn same_kind<'a>(phases: &'a [Phase], p: &Phase) -> Option<&'a Phase> {
    phases.iter().find(|q| q.spec == p.spec)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let ours = daemon_binary()?;
    let original = args
        .original
        .clone()
        .or_else(|| std::env::var_os("BAGPIPE_ORIGINAL").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/tmp/bpb-orig/bin/bagpipe-bgp"));
    let specs = Spec::all(&args.clients, &[true, false], !args.no_one_cpu);
    let mut runs = Vec::new();
    let mut notes = Vec::new();
    if installed(&original.display().to_string()) {
        match run("original", &original, 56, args.ports, &specs) {
            Ok(r) => runs.push(r),
            Err(e) => notes.push(format!("original not measured: {e:#}")),
        }
    } else {
        notes.push(format!(
            "original not measured: {} not found (scripts/bench.sh installs networking-bagpipe==23.0.0 from PyPI); BENCHMARKS.md's figures: 443 req/s sequential, 505 / 391 at 4 / 16 clients, idle 123 MiB, 5.7 KiB per port, 4.3 KiB per route, API in 1.6 s",
            original.display()
        ));
    }
    eprintln!("no-op server: the same clients");
    let floor = run_floor(args.ports, &specs)?;
    runs.push(run("bagpipe-rs", &ours, 55, args.ports, &specs)?);
    if args.ours_ports > 0 {
        runs.push(run(
            "bagpipe-rs",
            &ours,
            57,
            args.ours_ports,
            &Spec::all(&[1], &[true], false),
        )?);
    }

    let reference = runs.iter().find(|r| r.system == "original");
    let mut t = Table::new(&[
        "daemon",
        "N",
        "clients",
        "connection",
        "CPUs",
        "attach/s",
        "(median of)",
        "p50",
        "p99",
        "errors",
        "resets",
        "vs original",
        "of the no-op server's rate",
    ]);
    let floor_run = [("no-op server", args.ports, floor.as_slice())];
    let rows = runs
        .iter()
        .map(|r| (r.system, r.n, r.phases.as_slice()))
        .chain(floor_run);
    for (system, n, phases) in rows {
        for p in phases {
            // Only against the same N: an attach costs more in a larger VRF.
            let original = reference
                .filter(|o| o.n == n)
                .and_then(|o| same_kind(&o.phases, p));
            let noop = (n == args.ports).then(|| same_kind(&floor, p)).flatten();
            t.row(vec![
                system.into(),
                count(n as f64),
                p.spec.clients.to_string(),
                p.spec.mode().into(),
                p.spec.cpus().into(),
                count(p.rate()),
                runs_of(p.spec).to_string(),
                ms(p.latency.p50),
                ms(p.latency.p99),
                p.errors.to_string(),
                p.resets.to_string(),
                original.map_or("—".into(), |o| ratio(p.rate(), o.rate())),
                noop.map_or("—".into(), |o| {
                    format!("{:.0} %", 100.0 * p.rate() / o.rate())
                }),
            ]);
        }
    }
    let mut m = Table::new(&[
        "daemon",
        "N",
        "start to API ready",
        "RSS idle",
        "private memory per attached port (A)",
        "(RSS per attached port)",
        "private memory per received route (B)",
        "all N routes in B's VRF",
        "log per attach",
        "CPU per attach (A)",
        "CPU per received route (B)",
    ]);
    for r in &runs {
        m.row(vec![
            r.system.into(),
            count(r.n as f64),
            ms(r.startup),
            bytes(r.idle_rss as f64),
            bytes(r.per_port),
            bytes(r.rss_per_port),
            bytes(r.per_route),
            r.visible.map_or("not all seen in 120 s".into(), |v| {
                format!("{:.2} s after the first request", v.as_secs_f64())
            }),
            bytes(r.log_per_attach),
            format!("{:.0} µs", r.cpu_per_attach * 1e6),
            format!("{:.0} µs", r.cpu_per_route * 1e6),
        ]);
    }
    println!();
    println!("REST attach: IP VPN attach requests to node A (two nodes and a GoBGP route reflector, dummy dataplanes); ratios against the original in the same run, same clients, connection mode and CPUs; the no-op server answers the same requests without doing anything, so its ratio to the original is the highest any daemon can show on this machine. CPUs \"one, shared\": the client and the server (node A, or the no-op server) run on one CPU, which spares every server alike the wake-ups from one vCPU to another that cost 50-100 µs each on this VM and happen or not as the scheduler places client and server");
    println!();
    print!("{}", t.render());
    println!();
    print!("{}", m.render());
    println!("private memory: growth of the anonymous resident memory (RssAnon) after a warm-up attach and detach; RSS also counts the pages of the program that the first attaches map in, once");
    println!();
    let mut c = Table::new(&[
        "daemon",
        "routes in A",
        "attaches in 3 s",
        "failed",
        "p50",
        "p99",
        "max",
        "bgp/routes answers (errors)",
        "bgp/routes time",
        "size",
    ]);
    for r in &runs {
        let k = &r.contention;
        c.row(vec![
            r.system.into(),
            count(r.routes_in_a as f64),
            k.attaches.to_string(),
            k.failed.to_string(),
            ms(k.latency.p50),
            ms(k.latency.p99),
            ms(k.latency.max),
            format!("{} ({})", k.lg_answers, k.lg_errors),
            k.lg_mean.map_or("—".into(), ms),
            bytes(k.lg_bytes as f64),
        ]);
    }
    println!("Attaching (one client, one port every 5 ms) while another client reads the looking glass's bgp/routes (all of A's routes) back to back:");
    println!();
    print!("{}", c.render());
    for n in notes {
        println!("{n}");
    }
    Ok(())
}
