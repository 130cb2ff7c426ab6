#!/usr/bin/env bash
# Builds bagpipe-bgp and runs it on its built-in default configuration (local address
# 127.0.0.1, no BGP peers, dummy dataplanes, REST API on 127.0.0.1:8082). Once it answers,
# plugs a sample E-VPN port through the REST API, as the OpenStack agent would, and prints
# what the looking glass then shows; the daemon keeps running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "needs the Rust toolchain (https://rustup.rs)" >&2; exit 1; }
cargo build --release --locked -p bagpipe-daemon --bin bagpipe-bgp

./target/release/bagpipe-bgp &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
api=http://127.0.0.1:8082
for _ in $(seq 100); do
    curl -sf "$api/ping" >/dev/null && break
    sleep 0.05
done

show() { echo; echo "\$ $*"; "$@"; echo; }
show curl -s -X POST -H 'Content-Type: application/json' "$api/attach_localport" -d '{
  "vpn_instance_id": "demo-net", "vpn_type": "evpn",
  "import_rt": ["64512:100"], "export_rt": ["64512:100"],
  "local_port": {"linuxif": "tap-demo"}, "mac_address": "52:54:00:aa:bb:01",
  "ip_address": "10.100.0.5/24", "gateway_ip": "10.100.0.1"}'
show curl -s "$api/looking-glass/summary"
show curl -s "$api/looking-glass/vpns/instances/demo-net/adv_routes"
show curl -s "$api/looking-glass/vpns/instances/demo-net/ports"
echo "bagpipe-bgp is running (pid $pid); Ctrl-C stops it."
wait $pid
