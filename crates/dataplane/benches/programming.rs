//! How fast the Linux drivers program the kernel, against the original's way (one `bridge`
//! process per FDB entry), in the same run.
//!
//! `cargo bench -p bagpipe-dataplane --bench programming` (root; `BENCH_N` sets N, default
//! 10,000). Works in a namespace of its own (`bpb-dataplane-<pid>`), deleted at the end.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::{Duration, Instant};

use bagpipe_dataplane::{
    spawn_driver, DriverHandle, Encapsulation, EvpnChange, EvpnInstanceState, FloodEntry,
    InstanceState, InstanceUpdate, LinuxDriverConfig, LinuxEvpnDriver, LinuxIpVpnDriver, RemoteMac,
    RemoteNextHop, VrfChange, VrfState,
};
use bagpipe_testbed::netns::{enter, Netns};
use bagpipe_wire::{IpPrefix, MacAddress};

const LOCAL: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// Remote nodes the entries point to.
const VTEPS: u32 = 200;
/// Batches of changes after the initial load, and their size.
const BATCHES: usize = 50;
const BATCH: usize = 100;

fn main() {
    if unsafe { libc::geteuid() } != 0 {
        println!("SKIPPED: the dataplane benchmark needs root (network namespaces)");
        return;
    }
    let n: u32 = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let ns = Netns::new(&format!("bpb-dataplane-{}", std::process::id()));
    let thread = std::thread::spawn({
        let name = ns.name.clone();
        move || {
            enter(&name);
            run(n)
        }
    });
    thread.join().expect("benchmark thread");
}

fn run(n: u32) {
    sh("ip link set lo up");
    // An underlay interface for the local address (no dummy module on every kernel).
    sh("ip link add ul0 type veth peer name ul1");
    sh(&format!("ip addr add {LOCAL}/24 dev ul0"));
    sh("ip link set ul0 up");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = LinuxDriverConfig::new(IpAddr::V4(LOCAL));

    println!("N = {n}");
    let evpn_time = runtime.block_on(async {
        let handle = spawn_driver(LinuxEvpnDriver::new(config.clone()).expect("E-VPN driver"));
        evpn(&handle, n).await
    });

    runtime.block_on(async {
        let handle = spawn_driver(LinuxIpVpnDriver::new(config).expect("IP VPN driver"));
        ipvpn(&handle, n).await;
    });

    // The original: `bridge fdb replace` per entry (as privileged_utils.bridge ran it, minus
    // rootwrap), on a VXLAN device of its own.
    sh("ip link add vx-orig type vxlan id 999 local 192.0.2.1 dstport 4789 nolearning");
    sh("ip link set vx-orig up");
    let start = Instant::now();
    for i in 0..n {
        let status = Command::new("bridge")
            .args([
                "fdb",
                "replace",
                &mac(0x20, i).to_string(),
                "dev",
                "vx-orig",
                "dst",
            ])
            .arg(vtep(i).to_string())
            .args(["vni", "999"])
            .status()
            .expect("bridge");
        assert!(status.success());
    }
    let orig = start.elapsed();
    println!(
        "original way: {n} `bridge fdb replace` processes in {:.3} s = {:.0} entries/s",
        orig.as_secs_f64(),
        f64::from(n) / orig.as_secs_f64()
    );
    println!(
        "ratio: the E-VPN driver programs {n} remote MACs {:.0}x faster than one process per FDB entry",
        orig.as_secs_f64() / evpn_time.as_secs_f64()
    );
}

/// Returns the time of the initial load of `n` remote MACs.
async fn evpn(handle: &DriverHandle<EvpnInstanceState>, n: u32) -> Duration {
    let mut state = EvpnInstanceState {
        instance_id: 1,
        vni: 100,
        linux_bridge: None,
        local_ports: BTreeMap::new(),
        remote_macs: (0..n)
            .map(|i| {
                (
                    mac(0x10, i),
                    RemoteMac {
                        vtep: vtep(i),
                        vni: 100,
                        ips: vec![],
                    },
                )
            })
            .collect(),
        flood_list: (0..VTEPS)
            .map(|i| FloodEntry {
                vtep: vtep(i),
                vni: 100,
            })
            .collect(),
        gateway_port: None,
    };
    let load = timed(handle, 1, InstanceUpdate::Replace(state.clone())).await;
    let entries = count_fdb("bpvx-1");
    println!(
        "E-VPN: {n} remote MACs ({entries} FDB entries: VXLAN + bridge, + {VTEPS} flood) in {:.3} s = {:.0} entries/s",
        load.as_secs_f64(),
        entries as f64 / load.as_secs_f64()
    );

    // Batches of MAC moves, as routes would arrive after the initial load: the VPN layer
    // sends the MACs that changed.
    let mut latencies = Vec::new();
    for b in 0..BATCHES {
        let mut changes = Vec::new();
        for k in 0..BATCH {
            let i = ((b * BATCH + k) as u32 * 7919) % n;
            let remote = state.remote_macs.get_mut(&mac(0x10, i)).unwrap();
            remote.vtep = vtep(i + 1 + b as u32);
            changes.push(EvpnChange::RemoteMac(mac(0x10, i), Some(remote.clone())));
        }
        latencies.push(timed(handle, 1, InstanceUpdate::Changes(changes)).await);
    }
    report_batches("E-VPN", "MAC moves", &mut latencies);

    // With an IP per MAC: a neighbour entry too (ARP suppression).
    for (i, (_, remote)) in state.remote_macs.iter_mut().enumerate() {
        remote.ips = vec![IpAddr::V4(Ipv4Addr::from(0x0a40_0000 + i as u32))];
    }
    let with_ips = timed(handle, 1, InstanceUpdate::Replace(state)).await;
    println!(
        "E-VPN: {n} neighbour entries (one IP per MAC) added in {:.3} s = {:.0} entries/s",
        with_ips.as_secs_f64(),
        f64::from(n) / with_ips.as_secs_f64()
    );
    let removal = timed_removal(handle, 1).await;
    println!(
        "E-VPN: instance removed (bridge, VXLAN device and all its entries) in {:.3} s",
        removal.as_secs_f64()
    );
    load
}

async fn ipvpn(handle: &DriverHandle<VrfState>, n: u32) {
    let hop = |i: u32| RemoteNextHop {
        pe: vtep(i),
        label: 5000,
        encapsulation: Encapsulation::Vxlan,
        router_mac: Some(mac(0x30, i % VTEPS)),
    };
    let mut state = VrfState {
        instance_id: 2,
        vni: 5000,
        router_mac: mac(0x30, 0xffff),
        local_ports: BTreeMap::new(),
        routes: (0..n)
            .map(|i| {
                let prefix = IpPrefix::host(IpAddr::V4(Ipv4Addr::from(0x0a80_0000 + i)));
                (prefix, vec![hop(i)])
            })
            .collect(),
        fallback: None,
        redirects: Vec::new(),
    };
    let load = timed(handle, 2, InstanceUpdate::Replace(state.clone())).await;
    println!(
        "IP VPN: {n} remote prefixes (+ {VTEPS} next hops: neighbour + FDB) in {:.3} s = {:.0} routes/s",
        load.as_secs_f64(),
        f64::from(n) / load.as_secs_f64()
    );
    let mut latencies = Vec::new();
    for b in 0..BATCHES {
        let mut changes = Vec::new();
        for k in 0..BATCH {
            let i = ((b * BATCH + k) as u32 * 7919) % n;
            let prefix = IpPrefix::host(IpAddr::V4(Ipv4Addr::from(0x0a80_0000 + i)));
            // Alternate between one next hop and two (ECMP).
            let hops = state.routes.get_mut(&prefix).unwrap();
            if hops.len() == 1 {
                hops.push(hop(i + 1));
            } else {
                hops.pop();
            }
            changes.push(VrfChange::Route(prefix, hops.clone()));
        }
        latencies.push(timed(handle, 2, InstanceUpdate::Changes(changes)).await);
    }
    report_batches("IP VPN", "route changes", &mut latencies);
    let removal = timed_removal(handle, 2).await;
    println!(
        "IP VPN: VRF removed ({n} routes) in {:.3} s",
        removal.as_secs_f64()
    );
}

/// Time from sending an update to the kernel having it.
async fn timed<S: InstanceState>(
    handle: &DriverHandle<S>,
    id: u32,
    update: InstanceUpdate<S>,
) -> Duration {
    let start = Instant::now();
    handle.update(id, update).await.unwrap();
    let failed = handle.flush().await.unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    start.elapsed()
}

async fn timed_removal<S: InstanceState>(handle: &DriverHandle<S>, id: u32) -> Duration {
    let start = Instant::now();
    handle.update(id, InstanceUpdate::Remove).await.unwrap();
    assert!(handle.flush().await.unwrap().is_empty());
    start.elapsed()
}

fn report_batches(what: &str, changes: &str, latencies: &mut [Duration]) {
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: {} batches of {BATCH} {changes}: latency per batch p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        ms(latencies[latencies.len() / 2]),
        ms(latencies[latencies.len() * 99 / 100]),
        ms(latencies[latencies.len() - 1]),
    );
}

fn count_fdb(dev: &str) -> usize {
    let out = Command::new("bridge")
        .args(["fdb", "show", "dev", dev])
        .output()
        .expect("bridge");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("static") || (l.contains("self") && l.contains("dst")))
        .count()
}

fn mac(kind: u8, i: u32) -> MacAddress {
    let b = i.to_be_bytes();
    MacAddress([0x02, kind, b[0], b[1], b[2], b[3]])
}

fn vtep(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2 + (i % VTEPS) as u8))
}

fn sh(command: &str) {
    let words: Vec<&str> = command.split_whitespace().collect();
    let status = Command::new(words[0])
        .args(&words[1..])
        .status()
        .expect(words[0]);
    assert!(status.success(), "{command}");
}
