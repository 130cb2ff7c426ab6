#!/usr/bin/env bash
# Installs what the tests need on Debian 12: the real BGP peers (GoBGP, FRR, ExaBGP, BIRD),
# packet tools and iproute2, python3-venv (the ExaBGP 5 test installs exabgp==5.0.15 from
# PyPI in a venv: Debian packages 4.2 only) and the Prometheus client library for Python (the
# metrics test reads the daemon's /metrics with its OpenMetrics parser). Debian would start the
# packaged daemons on install: a policy-rc.d that refuses service starts prevents it (the tests
# run their own instances).
set -euo pipefail

packages=(gobgpd frr exabgp bird2 tshark tcpdump iproute2 iputils-ping bridge-utils procps curl python3-venv python3-prometheus-client)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "installing: ${missing[*]}"
    apt-get update -qq
    # tshark asks whether non-root users may capture: answer no, without a prompt.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Packaged services that may have started anyway would hold ports 179/50051.
for s in frr gobgpd exabgp bird; do
    systemctl stop "$s" 2>/dev/null || true
done
pkill -x gobgpd 2>/dev/null || true
pkill -x bird 2>/dev/null || true
exit 0
