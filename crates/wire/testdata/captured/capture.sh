#!/usr/bin/env bash
# Capture real BGP messages exchanged by GoBGP, FRR bgpd and ExaBGP, for the wire codec tests.
#
#   sudo bash crates/wire/testdata/captured/capture.sh
#
# Runs every speaker inside a private network namespace (so nothing it does can touch the host's
# routing or clash with other tests), on 127.0.91.x addresses and ports 10179-10979, injects
# routes with each tool's own CLI / API / config, records the TCP traffic with tcpdump and then
# extracts every BGP message (tools/extract.py) and checks them with tshark (tools/verify.py).
# Outputs, next to this script: messages.jsonl, capture.pcap, configs/, sender-json/.
#
# Idempotent: it first removes what a previous run may have left (its namespace and the processes
# in it, its work directory) and, on exit, kills every process it started (by PID).
#
# Environment:
#   CAPTURE_WORKDIR  scratch directory (default /tmp/bagpipe-wire-capture)
#   EXABGP5          path of an ExaBGP 5 `exabgp` executable (default /tmp/exabgp5-venv/bin/exabgp
#                    if it exists; make it with
#                    `python3 -m venv /tmp/exabgp5-venv && /tmp/exabgp5-venv/bin/pip install exabgp==5.0.15`).
#                    Without it the ExaBGP 5 session (X5) is skipped.
#   KEEP_RUNNING=1   do not stop the speakers at the end (for debugging; stop them with
#                    `bash capture.sh --cleanup`).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${CAPTURE_WORKDIR:-/tmp/bagpipe-wire-capture}
NS=bagpipe-wirecap91
PY=/usr/bin/python3
PORTS="10179 10279 10379 10479 10579 10679 10779 10879 10979"
if [[ -z ${EXABGP5:-} && -x /tmp/exabgp5-venv/bin/exabgp ]]; then EXABGP5=/tmp/exabgp5-venv/bin/exabgp; fi
EXABGP5=${EXABGP5:-}

# ----------------------------------------------------------------------------------------------
# Nodes.  G = GoBGP, F = FRR bgpd, X = ExaBGP.  All iBGP in AS 65000 except G2 (AS 4200000001).
#   G1  127.0.91.1:10179  gobgpd, route reflector (cluster id 127.0.91.1), passive towards everyone
#   XA  127.0.91.2        ExaBGP 4.2 neighbour of G1 (RR client; every family but RTC)
#   F1  127.0.91.3:10379  FRR bgpd -Z (no zebra), RR client of G1; add-path, graceful restart
#   G2  127.0.91.4:10479  gobgpd AS 4200000001, eBGP to G1 with RTC, GR + long-lived GR
#   F2  127.0.91.5:10579  FRR bgpd + zebra, E-VPN VTEP (bridge br91 + VXLAN vx91, VNI 1091)
#   XF  127.0.91.6        ExaBGP 4.2 neighbour of F1 (add-path send/receive)
#   X2  127.0.91.7        ExaBGP 4.2 neighbour of G1 without 4-octet AS support, hold time 3 s
#   X5  127.0.91.8:10879  ExaBGP 5 neighbour of G1 (RR client, every family incl. RTC)
#   X3  127.0.91.9        ExaBGP 4.2 with a wrong AS towards G1 (OPEN error)
#   X4  127.0.91.10       ExaBGP 4.2 with a wrong AS towards F1 (OPEN error)
# ----------------------------------------------------------------------------------------------

log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
nsx() { ip netns exec "$NS" "$@"; }

PIDFILE=$WORK/pids
started() { echo "$1 $2" >>"$PIDFILE"; }   # pid name
# spawn NAME LOGFILE CMD...: start CMD in the namespace, in the background, and record its PID
# (`ip netns exec` and `env` exec the program, so $! is the program itself)
spawn() {
    local name=$1 logf=$2
    shift 2
    ip netns exec "$NS" "$@" >"$logf" 2>&1 &
    started $! "$name"
}
pidof_node() { awk -v n="$1" '$2==n{p=$1} END{print p}' "$PIDFILE"; }

cleanup() (  # a subshell: its `set +e` must not leak
    set +e
    if [[ -f $PIDFILE ]]; then
        # reverse order: tcpdump last so that it sees the final NOTIFICATIONs
        tac "$PIDFILE" | while read -r pid name; do
            [[ $name == *tcpdump ]] && continue
            kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
        done
        sleep 1
        tac "$PIDFILE" | while read -r pid name; do
            if kill -0 "$pid" 2>/dev/null; then
                [[ $name == *tcpdump ]] && sleep 1
                kill "$pid" 2>/dev/null; sleep 0.3; kill -9 "$pid" 2>/dev/null
            fi
        done
        rm -f "$PIDFILE"
    fi
    if ip netns list | grep -qw "$NS"; then
        # anything still living in our own namespace was started by us
        for pid in $(ip netns pids "$NS" 2>/dev/null); do kill "$pid" 2>/dev/null; done
        sleep 0.5
        for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$NS"
    fi
)

if [[ ${1:-} == --cleanup ]]; then cleanup; exit 0; fi
[[ $(id -u) == 0 ]] || die "run as root"
for t in gobgpd gobgp /usr/lib/frr/bgpd /usr/lib/frr/zebra vtysh exabgp tcpdump tshark ip bridge $PY jq; do
    command -v "$t" >/dev/null || die "missing $t"
done
for d in watchfrr zebra bgpd gobgpd exabgp bird; do
    if pgrep -x "$d" >/dev/null && ! ip netns identify "$(pgrep -x "$d" | head -1)" 2>/dev/null | grep -qw "$NS"; then
        log "note: a '$d' process runs outside our namespace; it cannot interfere (we run in netns $NS)"
    fi
done

cleanup
rm -rf "$WORK"
mkdir -p "$WORK"/{g1,g2,f1,f2,x,x5,xbad,json}
chmod 755 "$WORK"
trap 'if [[ -z ${KEEP_RUNNING:-} ]]; then cleanup; fi' EXIT

# Private copies of the programs under neutral names (and configuration files without the
# programs' names in their paths): test clean-ups of other people on this machine run things like
# `pkill gobgpd` or `pkill -f exabgp`, which must not reach the capture.
BIN=$WORK/bin
mkdir -p "$BIN"
cp "$(command -v gobgpd)" "$BIN/cap91-g"
cp /usr/lib/frr/bgpd "$BIN/cap91-fb"
cp /usr/lib/frr/zebra "$BIN/cap91-fz"
cp "$(command -v tcpdump)" "$BIN/cap91-pcap"
cp "$(command -v exabgp)" "$BIN/cap91-x"  # a python script
EXA5_SITE=""
if [[ -n $EXABGP5 ]]; then
    cp "$EXABGP5" "$BIN/cap91-x5"
    EXA5_SITE=$("$(dirname "$EXABGP5")/python3" -c 'import exabgp, os; print(os.path.dirname(os.path.dirname(exabgp.__file__)))')
fi
chmod 755 "$BIN" "$BIN"/*

GOBGP_VERSION=$(gobgp --version | awk '{print $3}')
FRR_VERSION=$(/usr/lib/frr/bgpd --version | awk 'NR==1{print $3}')
EXABGP_VERSION=$(exabgp --version 2>&1 | awk '/^ExaBGP/{print $3}')
EXABGP5_VERSION=""
[[ -n $EXABGP5 ]] && EXABGP5_VERSION=$("$EXABGP5" version 2>&1 | awk '/^ExaBGP/{print $3}')
TSHARK_VERSION=$(tshark --version | awk 'NR==1{print $3}')
log "gobgp $GOBGP_VERSION, frr $FRR_VERSION, exabgp $EXABGP_VERSION, exabgp5 ${EXABGP5_VERSION:-absent}, tshark $TSHARK_VERSION"

cat >"$WORK/nodes.json" <<EOF
{
  "versions": {"gobgp": "$GOBGP_VERSION", "frr": "$FRR_VERSION", "exabgp": "$EXABGP_VERSION",
               "exabgp5": "$EXABGP5_VERSION", "tshark": "$TSHARK_VERSION"},
  "nodes": {
    "G1": {"addr": "127.0.91.1",  "impl": "gobgp",   "as": 65000,      "router_id": "127.0.91.1"},
    "XA": {"addr": "127.0.91.2",  "impl": "exabgp",  "as": 65000,      "router_id": "127.0.91.2"},
    "F1": {"addr": "127.0.91.3",  "impl": "frr",     "as": 65000,      "router_id": "127.0.91.3"},
    "G2": {"addr": "127.0.91.4",  "impl": "gobgp",   "as": 4200000001, "router_id": "127.0.91.4"},
    "F2": {"addr": "127.0.91.5",  "impl": "frr",     "as": 65000,      "router_id": "127.0.91.5"},
    "XF": {"addr": "127.0.91.6",  "impl": "exabgp",  "as": 65000,      "router_id": "127.0.91.6"},
    "X2": {"addr": "127.0.91.7",  "impl": "exabgp",  "as": 65000,      "router_id": "127.0.91.7"},
    "X5": {"addr": "127.0.91.8",  "impl": "exabgp5", "as": 65000,      "router_id": "127.0.91.8"},
    "X3": {"addr": "127.0.91.9",  "impl": "exabgp",  "as": 65000,      "router_id": "127.0.91.9"},
    "X4": {"addr": "127.0.91.10", "impl": "exabgp",  "as": 65000,      "router_id": "127.0.91.10"}
  }
}
EOF

# ----------------------------------------------------------------------------------------------
# Configurations
# ----------------------------------------------------------------------------------------------
afisafi() {  # name [extra toml lines...]
    printf '  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "%s"\n' "$1"
    shift
    local l
    for l in "$@"; do printf '    %s\n' "$l"; done
}
GR='[neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true'
ADDPATH='[neighbors.afi-safis.add-paths.config]
      receive = true
      send-max = 2'
LLGR='[neighbors.afi-safis.long-lived-graceful-restart.config]
      enabled = true
      restart-time = 3600'
neighbor() {  # addr peer-as [remote-port: connect to it instead of being passive]
    cat <<EOF

[[neighbors]]
  [neighbors.config]
    neighbor-address = "$1"
    peer-as = $2
  [neighbors.transport.config]
    local-address = "127.0.91.1"
EOF
    if [[ -n ${3:-} ]]; then
        printf '    passive-mode = false\n    remote-port = %s\n' "$3"
        printf '  [neighbors.timers.config]\n    connect-retry = 1\n'
    else
        printf '    passive-mode = true\n  [neighbors.timers.config]\n'
    fi
    printf '    hold-time = 90\n    keepalive-interval = 30\n'
}
rrclient() {
    printf '  [neighbors.route-reflector.config]\n    route-reflector-client = true\n    route-reflector-cluster-id = "127.0.91.1"\n'
}

{
    cat <<'EOF'
# G1: GoBGP route reflector for the capture (AS 65000, router id 127.0.91.1)
[global.config]
  as = 65000
  router-id = "127.0.91.1"
  port = 10179
  local-address-list = ["127.0.91.1"]
EOF
    echo; echo "# XA: ExaBGP 4.2, RR client, every family but RTC"
    neighbor 127.0.91.2 65000; rrclient
    for f in ipv4-unicast ipv6-unicast l3vpn-ipv4-unicast l3vpn-ipv6-unicast l2vpn-evpn \
             ipv4-flowspec ipv6-flowspec l3vpn-ipv4-flowspec l3vpn-ipv6-flowspec; do afisafi $f; done
    echo; echo "# F1: FRR, RR client, graceful restart, add-path send/receive on ipv4/ipv6 unicast"
    neighbor 127.0.91.3 65000; rrclient
    printf '  [neighbors.graceful-restart.config]\n    enabled = true\n    restart-time = 120\n'
    afisafi ipv4-unicast "$GR" "$ADDPATH"; afisafi ipv6-unicast "$GR" "$ADDPATH"
    afisafi l3vpn-ipv4-unicast "$GR"; afisafi l3vpn-ipv6-unicast "$GR"; afisafi l2vpn-evpn "$GR"
    echo; echo "# G2: GoBGP in AS 4200000001 (eBGP), RT constraint, graceful restart with N-bit and long-lived GR"
    neighbor 127.0.91.4 4200000001
    printf '  [neighbors.graceful-restart.config]\n    enabled = true\n    restart-time = 90\n    notification-enabled = true\n    long-lived-enabled = true\n'
    for f in ipv4-unicast l3vpn-ipv4-unicast l3vpn-ipv6-unicast l2vpn-evpn rtc; do afisafi $f "$GR" "$LLGR"; done
    echo; echo "# F2: FRR + zebra E-VPN VTEP, RR client; G1 connects to it (zebra ignores 127/8"
    echo "# addresses, so FRR with zebra cannot bind an outgoing session to one)"
    neighbor 127.0.91.5 65000 10579; rrclient

    afisafi l2vpn-evpn
    echo; echo "# X2: ExaBGP 4.2 without 4-octet AS (hold time 3 s on its side), RR client, max 5 IPv4 prefixes"
    neighbor 127.0.91.7 65000; rrclient
    afisafi ipv4-unicast '[neighbors.afi-safis.prefix-limit.config]
      max-prefixes = 5'
    afisafi ipv6-unicast
    if [[ -n $EXABGP5 ]]; then
        echo; echo "# X5: ExaBGP 5, RR client, with RT constraint"
        neighbor 127.0.91.8 65000; rrclient
        for f in ipv4-unicast l3vpn-ipv4-unicast l2vpn-evpn rtc l3vpn-ipv4-flowspec; do afisafi $f; done
    fi
    echo; echo "# X3: expects AS 65099 but ExaBGP says 65000 -> OPEN error Bad Peer AS"
    neighbor 127.0.91.9 65099
    afisafi ipv4-unicast
} >"$WORK/g1/g1.toml"

{
    cat <<'EOF'
# G2: GoBGP in AS 4200000001 (4-octet AS), eBGP neighbour of G1, with RT constraint
[global.config]
  as = 4200000001
  router-id = "127.0.91.4"
  port = 10479
  local-address-list = ["127.0.91.4"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.91.1"
    peer-as = 65000
  [neighbors.transport.config]
    local-address = "127.0.91.4"
    remote-port = 10179
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 90
    keepalive-interval = 30
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 90
    notification-enabled = true
    long-lived-enabled = true
EOF
    for f in ipv4-unicast l3vpn-ipv4-unicast l3vpn-ipv6-unicast l2vpn-evpn rtc; do afisafi $f "$GR" "$LLGR"; done
} >"$WORK/g2/g2.toml"

cat >"$WORK/f1/f1.conf" <<'EOF'
! F1: FRR bgpd -Z (no zebra), AS 65000, router id 127.0.91.3
frr defaults traditional
hostname f1
log stdout informational
!
router bgp 65000
 bgp router-id 127.0.91.3
 no bgp default ipv4-unicast
 no bgp network import-check
 bgp allow-martian-nexthop
 bgp graceful-restart
 neighbor 127.0.91.1 remote-as 65000
 neighbor 127.0.91.1 port 10179
 neighbor 127.0.91.1 update-source 127.0.91.3
 neighbor 127.0.91.1 timers connect 1
 neighbor 127.0.91.6 remote-as 65000
 neighbor 127.0.91.6 passive
 neighbor 127.0.91.6 update-source 127.0.91.3
 neighbor 127.0.91.10 remote-as 65099
 neighbor 127.0.91.10 passive
 neighbor 127.0.91.5 remote-as 65000
 neighbor 127.0.91.5 port 10579
 neighbor 127.0.91.5 update-source 127.0.91.3
 neighbor 127.0.91.5 timers connect 1
 !
 address-family ipv4 unicast
  neighbor 127.0.91.1 activate
  neighbor 127.0.91.1 addpath-tx-all-paths
  neighbor 127.0.91.6 activate
  neighbor 127.0.91.6 addpath-tx-all-paths
  neighbor 127.0.91.10 activate
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor 127.0.91.1 activate
  neighbor 127.0.91.1 addpath-tx-all-paths
  neighbor 127.0.91.6 activate
  neighbor 127.0.91.6 addpath-tx-all-paths
 exit-address-family
 !
 address-family ipv4 vpn
  neighbor 127.0.91.1 activate
  neighbor 127.0.91.6 activate
 exit-address-family
 !
 address-family ipv6 vpn
  neighbor 127.0.91.1 activate
  neighbor 127.0.91.6 activate
 exit-address-family
 !
 address-family l2vpn evpn
  neighbor 127.0.91.1 activate
  neighbor 127.0.91.5 activate
 exit-address-family
 !
 address-family ipv4 unicast
  neighbor 127.0.91.5 activate
 exit-address-family
exit
!
EOF

cat >"$WORK/f2/f2.conf" <<'EOF'
! F2: FRR bgpd + zebra as an E-VPN VTEP (VXLAN device vx91, VNI 1091, bridge br91)
frr defaults traditional
hostname f2
log stdout informational
!
router bgp 65000
 bgp router-id 127.0.91.5
 no bgp default ipv4-unicast
 bgp allow-martian-nexthop
 neighbor 127.0.91.1 remote-as 65000
 neighbor 127.0.91.1 passive
 ! zebra ignores 127/8 addresses: without an interface name here bgpd resets the session
 neighbor 127.0.91.1 update-source lo
 neighbor 127.0.91.3 remote-as 65000
 neighbor 127.0.91.3 passive
 neighbor 127.0.91.3 update-source lo
 !
 address-family ipv4 unicast
  neighbor 127.0.91.3 activate
 exit-address-family
 !
 address-family l2vpn evpn
  neighbor 127.0.91.1 activate
  neighbor 127.0.91.3 activate
  advertise-all-vni
  vni 1091
   rd 127.0.91.5:1091
   route-target import 65000:1091
   route-target export 65000:1091
  exit-vni
 exit-address-family
exit
!
EOF
cat >"$WORK/f2/z.conf" <<'EOF'
hostname f2-zebra
log stdout informational
! the peer 127.0.91.1 is only "reachable" through the namespace's dummy default route
ip nht resolve-via-default
interface lo
exit
EOF

exa_neighbors() {  # the ExaBGP 4.2 neighbours of the main ExaBGP process
    cat <<EOF
process ctl {
    run $PY $HERE/tools/exa_api.py $WORK/x/api.fifo $WORK/x/api.jsonl;
    encoder json;
}

# XA: towards G1 (GoBGP)
neighbor 127.0.91.1 {
    description "XA";
    router-id 127.0.91.2;
    local-address 127.0.91.2;
    local-as 65000;
    peer-as 65000;
    connect 10179;
    hold-time 90;
    group-updates false;
    capability {
        route-refresh;
        graceful-restart 120;
        extended-message enable;
    }
    family {
        ipv4 unicast;
        ipv6 unicast;
        ipv4 mpls-vpn;
        ipv6 mpls-vpn;
        l2vpn evpn;
        ipv4 flow;
        ipv6 flow;
        ipv4 flow-vpn;
        ipv6 flow-vpn;
    }
    api {
        processes [ ctl ];
        neighbor-changes;
        send { parsed; open; update; refresh; notification; }
        receive { parsed; open; update; refresh; notification; }
    }
}

# XF: towards F1 (FRR), add-path send/receive
neighbor 127.0.91.3 {
    description "XF";
    router-id 127.0.91.6;
    local-address 127.0.91.6;
    local-as 65000;
    peer-as 65000;
    connect 10379;
    hold-time 180;
    group-updates false;
    adj-rib-out true;
    capability {
        route-refresh;
        add-path send/receive;
    }
    # no l2vpn evpn: FRR sends E-VPN routes with a 16-byte next hop that ExaBGP 4.2 refuses
    family {
        ipv4 unicast;
        ipv6 unicast;
        ipv4 mpls-vpn;
        ipv6 mpls-vpn;
    }
    api {
        processes [ ctl ];
        neighbor-changes;
        send { parsed; open; update; refresh; notification; }
        receive { parsed; open; update; refresh; notification; }
    }
}

# X2: towards G1 (GoBGP), no 4-octet AS capability, hold time 3 s
neighbor 127.0.91.1 {
    description "X2";
    router-id 127.0.91.7;
    local-address 127.0.91.7;
    local-as 65000;
    peer-as 65000;
    connect 10179;
    hold-time 3;
    group-updates false;
    capability {
        asn4 disable;
        route-refresh;
    }
    family {
        ipv4 unicast;
        ipv6 unicast;
    }
    api {
        processes [ ctl ];
        neighbor-changes;
        send { parsed; open; update; refresh; notification; }
        receive { parsed; open; update; refresh; notification; }
    }
}
EOF
}
exa_neighbors >"$WORK/x/x.conf"

cat >"$WORK/xbad/xbad.conf" <<EOF
process ctl {
    run $PY $HERE/tools/exa_api.py $WORK/xbad/api.fifo $WORK/xbad/api.jsonl;
    encoder json;
}
# X3: G1 expects AS 65099 from 127.0.91.9
neighbor 127.0.91.1 {
    router-id 127.0.91.9;
    local-address 127.0.91.9;
    local-as 65000;
    peer-as 65000;
    connect 10179;
    family { ipv4 unicast; }
    api { processes [ ctl ]; neighbor-changes; receive { parsed; open; notification; } }
}
# X4: F1 expects AS 65099 from 127.0.91.10
neighbor 127.0.91.3 {
    router-id 127.0.91.10;
    local-address 127.0.91.10;
    local-as 65000;
    peer-as 65000;
    connect 10379;
    family { ipv4 unicast; }
    api { processes [ ctl ]; neighbor-changes; receive { parsed; open; notification; } }
}
EOF

cat >"$WORK/x5/x5.conf" <<EOF
process ctl {
    run $PY $HERE/tools/exa_api.py $WORK/x5/api.fifo $WORK/x5/api.jsonl;
    encoder json;
}
# X5: ExaBGP 5 towards G1; no family block: it offers every family it knows (RTC included)
neighbor 127.0.91.1 {
    description "X5";
    router-id 127.0.91.8;
    local-address 127.0.91.8;
    local-as 65000;
    peer-as 65000;
    connect 10179;
    hold-time 90;
    group-updates false;
    capability {
        route-refresh;
    }
    api {
        processes [ ctl ];
        neighbor-changes;
        send { parsed; open; update; refresh; notification; }
        receive { parsed; open; update; refresh; notification; }
    }
}
EOF

# keep a copy of the exact configurations beside the data
rm -rf "$HERE/configs"; mkdir -p "$HERE/configs"
cp "$WORK/g1/g1.toml" "$HERE/configs/g1-gobgpd.toml"
cp "$WORK/g2/g2.toml" "$HERE/configs/g2-gobgpd.toml"
cp "$WORK/f1/f1.conf" "$HERE/configs/f1-bgpd.conf"
cp "$WORK/f2/f2.conf" "$HERE/configs/f2-bgpd.conf"
sed "s#$WORK#\$WORK#g; s#$HERE#\$HERE#g" "$WORK/x/x.conf" >"$HERE/configs/x-exabgp4.conf"
sed "s#$WORK#\$WORK#g; s#$HERE#\$HERE#g" "$WORK/xbad/xbad.conf" >"$HERE/configs/xbad-exabgp4.conf"
sed "s#$WORK#\$WORK#g; s#$HERE#\$HERE#g" "$WORK/x5/x5.conf" >"$HERE/configs/x5-exabgp5.conf"

# ----------------------------------------------------------------------------------------------
# Namespace, capture
# ----------------------------------------------------------------------------------------------
ip netns add "$NS"
nsx ip link set lo up
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 || true
# E-VPN data plane for F2 (zebra reads it): bridge br91 with VXLAN vx91 (VNI 1091) and a veth port
nsx ip link add br91 type bridge
nsx ip link add vx91 type vxlan id 1091 local 127.0.91.5 dstport 4789 nolearning
nsx ip link set vx91 master br91
nsx ip link add vm91a type veth peer name vm91b
nsx ip link set vm91a address 02:00:00:91:05:aa
nsx ip link set vm91b address 02:00:00:91:05:bb
nsx ip link set vm91a master br91
# keep the data plane silent (no IPv6 ND from the ports): the only MACs F2 learns are the ones we add
for l in vm91a vm91b vx91; do nsx sysctl -qw net.ipv6.conf.$l.disable_ipv6=1; done
nsx ip link set br91 address 02:00:00:91:05:fe
nsx ip addr add 10.91.5.1/24 dev br91
nsx ip -6 addr add 2001:db8:915::1/64 dev br91 nodad
for l in br91 vx91 vm91a vm91b; do nsx ip link set $l up; done
# zebra ignores 127/8 and would never consider 127.0.91.1 reachable: give it a default route
nsx ip route add default via 10.91.5.254 dev br91 onlink

filter=""
for p in $PORTS; do filter+="${filter:+ or }tcp port $p"; done
spawn tcpdump "$WORK/tcpdump.log" "$BIN/cap91-pcap" -Z root -i lo -s 0 -U -w "$WORK/capture.pcap" "$filter"
sleep 1

# ----------------------------------------------------------------------------------------------
# Helpers: wait for sessions, run steps
# ----------------------------------------------------------------------------------------------
G1="gobgp -u 127.0.91.1"
G2="gobgp -u 127.0.91.4"
vty() { local dir=$1; shift; nsx vtysh --vty_socket "$WORK/$dir" -d bgpd "$@"; }

gobgp_state() {  # api-addr neighbour -> session state name (or empty)
    nsx gobgp -u "$1" neighbor "$2" -j 2>/dev/null | jq -r '.state.session_state // empty' 2>/dev/null || true
}
wait_gobgp() {  # api-addr neighbour [timeout]
    local i
    for ((i = 0; i < ${3:-300}; i++)); do
        case $(gobgp_state "$1" "$2") in 6 | ESTABLISHED | established) return 0 ;; esac
        sleep 0.1
    done
    log "WARNING: $2 not established on $1 after ${3:-300}0 ms"; return 1
}
wait_frr() {  # dir neighbour
    local i
    for ((i = 0; i < 300; i++)); do
        [[ $(vty "$1" -c "show bgp neighbors $2 json" 2>/dev/null | jq -r ".\"$2\".bgpState // empty") == Established ]] && return 0
        sleep 0.1
    done
    log "WARNING: $2 not established on $1"; return 1
}
resync() {  # after a step that made a peer reset a session: wait until every session is back
    local n
    for n in 127.0.91.2 127.0.91.3 127.0.91.4 127.0.91.5 127.0.91.7 ${EXABGP5:+127.0.91.8}; do
        wait_gobgp 127.0.91.1 $n || true
    done
    wait_frr f1 127.0.91.6 || true
    sleep 1
}
wait_api() {  # api-addr
    local i
    for ((i = 0; i < 100; i++)); do nsx gobgp -u "$1" global >/dev/null 2>&1 && return 0; sleep 0.1; done
    die "gobgpd at $1 does not answer"
}

STEPS=$WORK/steps.jsonl
: >"$STEPS"
# record ID NODE KEEP EXPECT CMD T0 T1 RC
record() {
    $PY - "$@" >>"$STEPS" <<'PYEOF' || die "bad step $1 (expect is not JSON?)"
import json, sys
i, node, keep, expect, cmd, t0, t1, rc = sys.argv[1:9]
print(json.dumps({"id": i, "node": node, "keep": [k for k in keep.split(",") if k],
                  "expect": json.loads(expect or "{}"), "cmd": cmd,
                  "t0": float(t0), "t1": float(t1), "rc": int(rc)}))
PYEOF
}

SETTLE=${SETTLE:-1.2}
# step ID NODE KEEP EXPECT CMD [SETTLE]
#   NODE runs CMD: G1/G2 (a gobgp command line), F1/F2 (a vtysh command line, run against that
#   bgpd), X/X5 (ExaBGP API commands for ExaBGP 4.2 / 5, separated by " ;; "), NS (a shell command
#   in the namespace).
#   KEEP lists the flows SRC>DST[:suffix][@types][+mods] whose messages sent between the start of
#   CMD and the end of the settle time are kept (see tools/extract.py), EXPECT the values CMD put in.
step() {
    local id=$1 node=$2 keep=$3 expect=$4 cmd=$5 settle=${6:-$SETTLE} t0 t1 rc=0 out=''
    t0=$(date +%s.%N)
    case $node in
        G1 | G2 | NS) out=$(nsx bash -c "$cmd" 2>&1) || rc=$? ;;
        F1) out=$(nsx bash -c "${cmd//vtysh /vtysh --vty_socket $WORK/f1 -d bgpd }" 2>&1) || rc=$? ;;
        F2) out=$(nsx bash -c "${cmd//vtysh /vtysh --vty_socket $WORK/f2 -d bgpd }" 2>&1) || rc=$? ;;
        X) printf '%s\n' "${cmd// ;; /$'\n'}" >"$WORK/x/api.fifo" ;;
        X5) [[ -n $EXABGP5 ]] || return 0; printf '%s\n' "${cmd// ;; /$'\n'}" >"$WORK/x5/api.fifo" ;;
        *) die "unknown node $node" ;;
    esac
    [[ $rc == 0 && $out != *"% "* && $out != *rror* ]] || log "WARNING: step $id: rc=$rc: $out"
    printf '%s [%s] %s\n%s\n' "$id" "$node" "$cmd" "$out" >>"$WORK/steps.log"
    sleep "$settle"
    t1=$(date +%s.%N)
    record "$id" "$node" "$keep" "$expect" "$cmd" "$t0" "$t1" "$rc"
    log "step $id"
}
# session ID KEEP CMD-DESCRIPTION T0 [EXPECT]  (records a session set-up window that ends now)
session() {
    local expect=${5:-}
    sleep 2
    record "$1" start "$2" "${expect:-"{}"}" "$3" "$4" "$(date +%s.%N)" 0
    log "session $1"
}

# ----------------------------------------------------------------------------------------------
# Start the speakers, one session at a time (OPEN, KEEPALIVE, End-of-RIB of each)
# ----------------------------------------------------------------------------------------------
t0=$(date +%s.%N)
spawn gobgpd-g1 "$WORK/g1/log" "$BIN/cap91-g" -f "$WORK/g1/g1.toml" -p -l info --api-hosts 127.0.91.1:50051 --pprof-disable
wait_api 127.0.91.1
spawn gobgpd-g2 "$WORK/g2/log" "$BIN/cap91-g" -f "$WORK/g2/g2.toml" -p -l info --api-hosts 127.0.91.4:50051 --pprof-disable
wait_api 127.0.91.4
wait_gobgp 127.0.91.1 127.0.91.4
session session-g1-g2 "G1>G2@open,G2>G1@open,G1>G2@eor,G2>G1@eor,G1>G2@keepalive,G2>G1@keepalive" \
    "gobgpd -f configs/g1-gobgpd.toml (neighbour 127.0.91.4) / gobgpd -f configs/g2-gobgpd.toml" "$t0"

t0=$(date +%s.%N)
spawn bgpd-f1 "$WORK/f1/log" "$BIN/cap91-fb" -S -Z -f "$WORK/f1/f1.conf" -i "$WORK/f1/f1.pid" \
    --vty_socket "$WORK/f1" -l 127.0.91.3 -p 10379 -P 0 --log stdout
wait_gobgp 127.0.91.1 127.0.91.3
session session-g1-f1 "G1>F1@open,F1>G1@open,G1>F1@eor,F1>G1@eor,G1>F1@keepalive,F1>G1@keepalive" \
    "bgpd -Z -f configs/f1-bgpd.conf (neighbor 127.0.91.1) / gobgpd -f configs/g1-gobgpd.toml (neighbour 127.0.91.3)" "$t0"

t0=$(date +%s.%N)
mkfifo "$WORK/x/api.fifo"
spawn exabgp4 "$WORK/x/log" env exabgp.tcp.bind=127.0.91.2 exabgp.tcp.port=10279 exabgp.daemon.user=root \
    exabgp.daemon.daemonize=false exabgp.api.cli=false exabgp.log.destination=stdout \
    exabgp.log.level=INFO $PY "$BIN/cap91-x" "$WORK/x/x.conf"
wait_gobgp 127.0.91.1 127.0.91.2
wait_gobgp 127.0.91.1 127.0.91.7
wait_frr f1 127.0.91.6
session session-exabgp "XA>G1@open,G1>XA@open,XA>G1@eor,XA>G1@keepalive,G1>XA@keepalive,XF>F1@open,F1>XF@open,XF>F1@eor,F1>XF@keepalive,XF>F1@keepalive,X2>G1@open,G1>X2@open,X2>G1@eor" \
    "exabgp configs/x-exabgp4.conf (neighbours XA 127.0.91.2->G1, XF 127.0.91.6->F1, X2 127.0.91.7->G1)" "$t0"

t0=$(date +%s.%N)
chown -R frr:frr "$WORK/f2"
spawn zebra-f2 "$WORK/f2/zebra.log" "$BIN/cap91-fz" -u frr -g frr -f "$WORK/f2/z.conf" \
    -i "$WORK/f2/z.pid" --vty_socket "$WORK/f2" -z "$WORK/f2/zserv.api" -P 0 --log stdout
sleep 1
spawn bgpd-f2 "$WORK/f2/log" "$BIN/cap91-fb" -u frr -g frr -f "$WORK/f2/f2.conf" \
    -i "$WORK/f2/f2.pid" --vty_socket "$WORK/f2" -z "$WORK/f2/zserv.api" -l 127.0.91.5 -p 10579 -P 0 \
    --log stdout
wait_gobgp 127.0.91.1 127.0.91.5
wait_frr f1 127.0.91.5
session session-f2 "F2>G1@open,G1>F2@open,F2>F1@open,F1>F2@open,F2>F1@eor,F1>F2@eor,F2>G1:vtep@update" \
    "zebra + bgpd -f configs/f2-bgpd.conf (advertise-all-vni, vni 1091 on VXLAN device vx91, local 127.0.91.5, in bridge br91) / bgpd -Z -f configs/f1-bgpd.conf (neighbor 127.0.91.5)" "$t0" \
    '{"*":{},"F2>G1#evpn3":{"type":"update","family":"l2vpn/evpn","evpn_route_type":3,"rd":"127.0.91.5:1091","etag":0,"originator_ip":"127.0.91.5","route_targets":["65000:1091"],"encapsulation":"vxlan","pmsi_tunnel_type":"ingress-replication","label":1091,"next_hop":"127.0.91.5"}}'


if [[ -n $EXABGP5 ]]; then
    t0=$(date +%s.%N)
    mkfifo "$WORK/x5/api.fifo"
    spawn exabgp5 "$WORK/x5/log" env exabgp.tcp.bind=127.0.91.8 exabgp.tcp.port=10879 \
        exabgp.daemon.user=root exabgp.daemon.daemonize=false exabgp.api.cli=false \
        exabgp.log.destination=stdout exabgp.log.level=INFO PYTHONPATH="$EXA5_SITE" \
        $PY "$BIN/cap91-x5" "$WORK/x5/x5.conf"
    wait_gobgp 127.0.91.1 127.0.91.8 || true
    session session-g1-x5 "X5>G1@open,G1>X5@open,X5>G1@eor,X5>G1@keepalive" \
        "exabgp (5) configs/x5-exabgp5.conf (neighbour 127.0.91.1)" "$t0"
fi

# ----------------------------------------------------------------------------------------------
# The steps
# ----------------------------------------------------------------------------------------------
source "$HERE/steps.sh"

# ----------------------------------------------------------------------------------------------
# Sender-side JSON (for the record), stop, extract, verify
# ----------------------------------------------------------------------------------------------
sj() { local f=$1; shift; "$@" >"$WORK/json/$f" 2>&1 || true; }
for fam in ipv4 ipv6 vpnv4 vpnv6 evpn rtc ipv4-flowspec ipv6-flowspec ipv4-l3vpn-flowspec ipv6-l3vpn-flowspec; do
    sj "g1-global-$fam.json" nsx gobgp -u 127.0.91.1 global rib -a $fam -j
    sj "g2-global-$fam.json" nsx gobgp -u 127.0.91.4 global rib -a $fam -j
done
sj g1-neighbors.json nsx gobgp -u 127.0.91.1 neighbor -j
sj f1-neighbors.json vty f1 -c 'show bgp neighbors json'
sj f1-ipv4.json vty f1 -c 'show bgp ipv4 unicast json'
sj f1-vpn.json vty f1 -c 'show bgp ipv4 vpn json'
sj f1-evpn.json vty f1 -c 'show bgp l2vpn evpn json'
sj f2-evpn.json vty f2 -c 'show bgp l2vpn evpn json'
sj f2-vni.json nsx vtysh --vty_socket "$WORK/f2" -d zebra -c 'show evpn vni detail json'

if [[ -n ${KEEP_RUNNING:-} ]]; then log "KEEP_RUNNING: speakers left running in netns $NS; work dir $WORK"; exit 0; fi
cleanup
trap - EXIT

cp "$WORK/capture.pcap" "$HERE/capture.pcap"
rm -rf "$HERE/sender-json"; mkdir -p "$HERE/sender-json"
for f in "$WORK"/json/*.json; do  # skip the empty tables
    [[ $(tr -d '[:space:]' <"$f") == "[]" || ! -s $f ]] || cp "$f" "$HERE/sender-json/"
done
# what ExaBGP itself says it sent (its JSON API, "send { parsed; ... }")
$PY - "$WORK"/x/api.jsonl "$WORK"/x5/api.jsonl >"$HERE/sender-json/exabgp-sent.jsonl" <<'PYEOF'
import json, sys
for path in sys.argv[1:]:
    try:
        lines = open(path)
    except OSError:
        continue
    for line in lines:
        o = json.loads(line)
        try:
            j = json.loads(o["line"])
        except ValueError:
            continue
        if j.get("neighbor", {}).get("direction") == "send":
            print(json.dumps(j))
PYEOF
$PY "$HERE/tools/extract.py" --pcap "$WORK/capture.pcap" --steps "$STEPS" --nodes "$WORK/nodes.json" \
    --out "$HERE/messages.jsonl"
$PY "$HERE/tools/verify.py" --pcap "$WORK/capture.pcap" --messages "$HERE/messages.jsonl" \
    --report "$HERE/verify-report.txt"
# refresh the coverage table of the README
$PY - "$HERE/README.md" "$HERE/tools/summary.py" "$HERE/messages.jsonl" <<'PYEOF'
import re, subprocess, sys
readme, summary, msgs = sys.argv[1:4]
table = subprocess.run([sys.executable, summary, msgs], capture_output=True, text=True, check=True).stdout
text = open(readme).read()
start, end = "<!-- coverage: written by capture.sh (tools/summary.py) -->\n", "<!-- end of coverage -->\n"
i, j = text.index(start) + len(start), text.index(end)
open(readme, "w").write(text[:i] + table + text[j:])
PYEOF
log "done: $HERE/messages.jsonl"
