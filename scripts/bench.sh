#!/usr/bin/env bash
# Every benchmark, each printing its table (see README "Benchmarks"). Builds in release mode;
# as root, installs what the references need when missing: GoBGP, BIRD 2, FRR (Debian, via
# install-test-deps.sh) and the original bagpipe-bgp (PyPI, in a venv under /tmp).
#
#   ./scripts/bench.sh [all|wire|ingest|attach|dataplane] [arguments for that benchmark]
#
# Figures on a shared 2-core machine drift from run to run: read the ratios, which are
# measured against references in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
[ $# -gt 0 ] && shift
target=${CARGO_TARGET_DIR:-target}
root=false
[ "$(id -u)" -eq 0 ] && root=true

original=${BAGPIPE_ORIGINAL:-/tmp/bpb-orig/bin/bagpipe-bgp}
install_original() {
    [ -x "$original" ] && return 0
    # 25.0.0 cannot establish BGP with exabgp 5 without a patch; 23.0.0 with exabgp 4 works
    # and measures the same (shared/BENCHMARKS.md).
    echo "installing the original bagpipe-bgp (networking-bagpipe 23.0.0) in /tmp/bpb-orig"
    if ! { python3 -m venv /tmp/bpb-orig &&
        /tmp/bpb-orig/bin/pip install -q networking-bagpipe==23.0.0 exabgp==4.2.21; }; then
        echo "could not install the original: bench-attach reports BENCHMARKS.md's figures instead" >&2
    fi
}

build() {
    cargo build --release --locked -p bagpipe-daemon -p bagpipe-bench
}

case $what in
all | ingest | attach)
    build
    $root && ./scripts/install-test-deps.sh
    ;;
esac

run_wire() { cargo bench --locked -p bagpipe-wire --bench throughput; }
run_dataplane() {
    if $root; then
        cargo bench --locked -p bagpipe-dataplane --bench programming
    else
        echo "dataplane benchmark skipped: needs root (network namespaces)"
    fi
}
run_ingest() { "$target/release/bench-ingest" "$@"; }
run_attach() {
    install_original
    "$target/release/bench-attach" --original "$original" "$@"
}

case $what in
wire) run_wire "$@" ;;
dataplane) run_dataplane "$@" ;;
ingest) run_ingest "$@" ;;
attach) run_attach "$@" ;;
all)
    run_wire
    run_ingest
    run_attach
    run_dataplane
    ;;
*)
    echo "usage: $0 [all|wire|ingest|attach|dataplane] [benchmark arguments]" >&2
    exit 2
    ;;
esac
