#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the test dependencies (as root), checks
# formatting and lints, then runs every test (unit, real BGP peers, network namespaces,
# real HTTP). Fails when any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "run as root: the tests create network namespaces and install Debian packages" >&2
    exit 1
fi
./scripts/install-test-deps.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast
    # nextest does not run doc tests.
    cargo test --workspace --locked --doc
else
    cargo test --workspace --locked --no-fail-fast
fi
