//! Test harness: our daemon and real BGP peers as processes on loopback addresses (the daemon
//! and GoBGP from `bagpipe_testbed`, FRR, ExaBGP and a scripted peer here), the attachment
//! requests and BGP messages the tests send. Every process is stopped and every directory
//! removed when its guard is dropped, also when a test fails.

#![allow(dead_code)] // each test binary uses part of the harness

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bagpipe_testbed::http;
use bagpipe_testbed::process::Process;
use bagpipe_testbed::wait::wait_for;
use serde_json::Value;

pub mod exabgp;
pub mod frr;
pub mod messages;
pub mod scripted;

use bagpipe_testbed::daemon::{daemon_ini, Daemon};

/// Starts our daemon (the `bagpipe-bgp` cargo built for these tests) with `ini` as its
/// configuration, and waits for its API on `address:api_port`.
pub fn start_daemon(name: &str, address: &str, api_port: u16, ini: &str) -> Daemon {
    let binary = Path::new(env!("CARGO_BIN_EXE_bagpipe-bgp"));
    Daemon::start(name, binary, address, api_port, ini)
}

/// Our daemon as a bare process, for tests about the process itself (signals, limits, log
/// file): no peers, its API on `address:api_port`, BGP on `bgp_port`, `configure` adding to
/// its command line (beyond `--config-file`) or settings; its output in `dir/output`. Waits
/// for the API and returns the process with its `/ping` token.
pub fn spawn_daemon(
    dir: &Path,
    address: &str,
    ports: (u16, u16),
    configure: impl FnOnce(&mut Command),
) -> (Process, String) {
    let (api_port, bgp_port) = ports;
    let conf = dir.join("bgp.conf");
    std::fs::write(&conf, daemon_ini(address, &[], bgp_port, api_port, "")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bagpipe-bgp"));
    cmd.arg("--config-file").arg(&conf);
    configure(&mut cmd);
    let process = Process::start("bagpipe-bgp", &mut cmd, &dir.join("output"));
    let url = format!("http://{address}:{api_port}/ping");
    let token = wait_for(Duration::from_secs(20), "the API", || {
        http::get_text(None, &url).ok()
    });
    (process, token)
}

/// Our daemon at `address` (its API on `api_port`, named by its address) with one peer,
/// `peer` on `bgp_port`, of `families` (as in the configuration file), and `peer_options`
/// (more lines of its `[BGP_PEER]` section).
pub fn daemon_with_peer(
    address: &str,
    api_port: u16,
    peer: &str,
    bgp_port: u16,
    families: &str,
    peer_options: &str,
) -> Daemon {
    let section = format!("\n[BGP_PEER {peer}]\nfamilies = {families}\n{peer_options}\n");
    let ini = daemon_ini(address, &[peer], bgp_port, api_port, &section);
    start_daemon(address, address, api_port, &ini)
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

/// Whether an instance's received routes (a looking-glass node) have a route whose key
/// contains `needle`.
pub fn has_received(lg: &Value, needle: &str) -> bool {
    lg.as_object()
        .is_some_and(|m| m.keys().any(|k| k.contains(needle)))
}
