# shellcheck shell=bash
# The injection steps of capture.sh (sourced by it; uses its `step` function).
#
#   step ID NODE KEEP EXPECT CMD [SETTLE]
#
# NODE runs CMD: G1/G2 a gobgp command line, F1/F2 a vtysh command line (run against that bgpd),
# X an ExaBGP 4.2 API command, X5 an ExaBGP 5 API command, NS a shell command in the namespace.
# KEEP: comma-separated flows SRC>DST[:suffix][@types][+mods]; the messages of each flow sent
# between the start of CMD and the end of its settle time are kept, with id ID[-suffix][-n].
#   @types: update (default: update, route-refresh, notification), refresh, notification, open,
#           keepalive, eor, any
#   +refl:  SRC reflects a route learned from a client/iBGP peer: ORIGINATOR_ID and CLUSTER_LIST
#           are expected (originator = router id of the step's NODE, cluster list = SRC's id)
#   +ebgp:  SRC sends over eBGP: its AS is prepended to AS_PATH, no LOCAL_PREF, next hop = SRC
#   +noattr: only the NLRI-identity keys of EXPECT apply (the attributes are the sender's own)
#   +any-family: also keep UPDATEs of other families (otherwise left out as unrelated)
# EXPECT: JSON of the values CMD put in. Keys "*" (base) and "SRC>DST" (overrides, null deletes)
# may be used when the flows differ.
#
# Quirks met (see README.md):
# * GoBGP CLI: a 4-octet-AS route distinguisher / route target must be written in asdot
#   ("64086.59905:7" = 4200000001:7); "4200000001:7" is silently truncated to 65535:7.
#   "esi-label N single-active" is refused (esi-label takes one argument); "default-gateway" must
#   follow a list argument ("esi single-homed default-gateway").
# * ExaBGP 4.2 and 5 refuse an E-VPN next hop that is not 4 bytes (NOTIFICATION 3/0, session reset);
#   (GoBGP turns FRR's 16-byte ::ffff:a.b.c.d E-VPN next hop into 4 bytes when it reflects it)
#   FRR refuses a PMSI tunnel attribute with an IPv6 tunnel id (NOTIFICATION 3/5); ExaBGP 4.2
#   cannot decode an IPv6-address-specific extended community (NOTIFICATION 1/0). Steps that
#   provoke one of these announce and withdraw within a second ("add; sleep 1; del") so that the
#   route is gone before the session comes back, then `resync` waits for every session.
# * ExaBGP 4.2 writes "target:192.0.2.1:7" as a 2-octet-AS route target 49152:33619975 (type 0x00);
#   IPv4-address route targets are therefore given to ExaBGP in hex (0x0102c00002010007).

# ---------------------------------------------------------------------------------- RT constraint
step gobgp-rtc-vrf-add G1 "G1>G2,G1>X5:rr" \
    '{"type":"update","family":"ipv4/rtc","route_targets":["65000:100"]}' \
    "$G1 vrf add red rd 65000:2 rt both 65000:100" 2
step gobgp-rtc-vrf-add-4octet G2 "G2>G1,G1>X5:reflected+noattr" \
    '{"type":"update","family":"ipv4/rtc","route_targets":["65000:100","192.0.2.1:7","4200000001:7"]}' \
    "$G2 vrf add blue rd 64086.59905:7 rt import 65000:100 192.0.2.1:7 64086.59905:7 export 64086.59905:7" 2

# ---------------------------------------------------------------------------------- GoBGP IPv4/IPv6
# (not sent to G2: GoBGP sends nothing without a route target to a peer with RTC negotiated)
step gobgp-ipv4-unicast G1 "G1>XA,G1>F1:addpath,G1>X2:2octet-as" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.1.0.0/24","next_hop":"127.0.91.1","as_path":"65001 65002","med":10,"local_pref":200,"communities":["65000:1","65000:2"],"large_communities":["65000:1:2","65000:3:4"]}' \
    "$G1 global rib -a ipv4 add 10.1.0.0/24 origin igp aspath 65001,65002 nexthop 127.0.91.1 med 10 local-pref 200 community 65000:1,65000:2 large-community 65000:1:2,65000:3:4"
step gobgp-ipv4-unicast-identifier G1 "G1>XA,G1>F1:addpath" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.1.1.0/24","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a ipv4 add 10.1.1.0/24 identifier 7 nexthop 127.0.91.1"
step gobgp-ipv4-unicast-as-set G1 "G1>XA,G1>X2:2octet-as" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.1.2.0/24","next_hop":"127.0.91.1","as_path":"65001 {65003,65004}","med":12}' \
    "$G1 global rib -a ipv4 add 10.1.2.0/24 origin egp aspath '65001 {65003,65004}' nexthop 127.0.91.1 med 12 aggregator 65001:192.0.2.9 aigp metric 100"
step gobgp-ipv4-unicast-as4 G1 "G1>XA,G1>X2:2octet-as" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.1.3.0/24","next_hop":"127.0.91.1","as_path":"65001 4200000002"}' \
    "$G1 global rib -a ipv4 add 10.1.3.0/24 aspath 65001,4200000002 nexthop 127.0.91.1"
step gobgp-ipv6-unicast G1 "G1>XA,G1>F1:addpath,G1>X2:2octet-as" \
    '{"type":"update","family":"ipv6/unicast","prefix":"2001:db8:1::/48","next_hop":"2001:db8:91::1","as_path":"65001","med":20,"local_pref":210,"communities":["65000:20"],"large_communities":["65000:20:21"]}' \
    "$G1 global rib -a ipv6 add 2001:db8:1::/48 aspath 65001 nexthop 2001:db8:91::1 med 20 local-pref 210 community 65000:20 large-community 65000:20:21"

# ---------------------------------------------------------------------------------- GoBGP VPNv4/v6
step gobgp-vpnv4-rd0 G1 "G1>XA,G1>F1,G1>G2:ebgp+ebgp" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.2.0.0/24","rd":"65000:2","label":200,"route_targets":["65000:100"],"next_hop":"127.0.91.1","med":11,"local_pref":201,"communities":["65000:11"]}' \
    "$G1 global rib -a vpnv4 add 10.2.0.0/24 label 200 rd 65000:2 rt 65000:100 nexthop 127.0.91.1 med 11 local-pref 201 community 65000:11"
step gobgp-vpnv4-rd1 G1 "G1>XA,G1>F1,G1>G2:ebgp+ebgp" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.2.1.0/24","rd":"192.0.2.1:7","label":201,"route_targets":["192.0.2.1:7"],"next_hop":"127.0.91.1"}' \
    "$G1 global rib -a vpnv4 add 10.2.1.0/24 label 201 rd 192.0.2.1:7 rt 192.0.2.1:7 nexthop 127.0.91.1"
step gobgp-vpnv4-rd2 G1 "G1>XA,G1>F1,G1>G2:ebgp+ebgp" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.2.2.0/24","rd":"4200000001:7","label":202,"route_targets":["4200000001:7"],"next_hop":"127.0.91.1"}' \
    "$G1 global rib -a vpnv4 add 10.2.2.0/24 label 202 rd 64086.59905:7 rt 64086.59905:7 nexthop 127.0.91.1"
step gobgp-vpnv4-three-rts G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.2.3.0/24","rd":"65000:2","label":203,"route_targets":["65000:100","192.0.2.1:7","4200000001:7"],"next_hop":"127.0.91.1","local_pref":203}' \
    "$G1 global rib -a vpnv4 add 10.2.3.0/24 label 203 rd 65000:2 rt 65000:100 192.0.2.1:7 64086.59905:7 nexthop 127.0.91.1 local-pref 203"
step gobgp-vpnv6-rd0 G1 "G1>XA,G1>F1,G1>G2:ebgp+ebgp" \
    '{"type":"update","family":"ipv6/mpls-vpn","prefix":"2001:db8:2::/48","rd":"65000:2","label":210,"route_targets":["65000:100"],"next_hop":"2001:db8:91::1","med":21}' \
    "$G1 global rib -a vpnv6 add 2001:db8:2::/48 label 210 rd 65000:2 rt 65000:100 nexthop 2001:db8:91::1 med 21"
step gobgp-vpnv6-rd1 G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"ipv6/mpls-vpn","prefix":"2001:db8:2:1::/64","rd":"192.0.2.1:7","label":211,"route_targets":["192.0.2.1:7","4200000001:7"],"next_hop":"2001:db8:91::1"}' \
    "$G1 global rib -a vpnv6 add 2001:db8:2:1::/64 label 211 rd 192.0.2.1:7 rt 192.0.2.1:7 64086.59905:7 nexthop 2001:db8:91::1"
step gobgp-vpnv6-rd2 G1 "G1>XA" \
    '{"type":"update","family":"ipv6/mpls-vpn","prefix":"2001:db8:2:2::/64","rd":"4200000001:7","label":212,"route_targets":["4200000001:7"],"next_hop":"2001:db8:91::1"}' \
    "$G1 global rib -a vpnv6 add 2001:db8:2:2::/64 label 212 rd 64086.59905:7 rt 64086.59905:7 nexthop 2001:db8:91::1"

# ---------------------------------------------------------------------------------- GoBGP E-VPN
step gobgp-evpn-ead G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":1,"rd":"65000:2","esi":"00:11:22:33:44:55:66:77:88:99","etag":100,"label":1001,"route_targets":["65000:100"],"encapsulation":"vxlan","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add a-d esi 0 11:22:33:44:55:66:77:88:99 etag 100 label 1001 rd 65000:2 rt 65000:100 encap vxlan esi-label 1002 nexthop 127.0.91.1"
step gobgp-evpn-macadv-mac-only G1 "G1>XA,G1>F1,G1>F2" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"65000:2","mac":"02:00:00:91:01:01","etag":0,"label":1010,"route_targets":["65000:100"],"encapsulation":"vxlan","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add macadv 02:00:00:91:01:01 0.0.0.0 etag 0 label 1010 rd 65000:2 rt 65000:100 encap vxlan nexthop 127.0.91.1"
step gobgp-evpn-macadv-ipv4 G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"65000:2","mac":"02:00:00:91:01:02","ip":"10.91.1.2","etag":0,"label":1011,"route_targets":["65000:100"],"encapsulation":"vxlan","router_mac":"02:00:00:91:01:ff","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add macadv 02:00:00:91:01:02 10.91.1.2 etag 0 label 1011 rd 65000:2 rt 65000:100 encap vxlan router-mac 02:00:00:91:01:ff nexthop 127.0.91.1"
step gobgp-evpn-macadv-ipv4-two-labels-esi G1 "G1>XA" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"192.0.2.1:7","mac":"02:00:00:91:01:04","ip":"10.91.1.4","esi":"00:11:22:33:44:55:66:77:88:99","etag":10,"route_targets":["192.0.2.1:7"],"encapsulation":"vxlan","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add macadv 02:00:00:91:01:04 10.91.1.4 esi 0 11:22:33:44:55:66:77:88:99 etag 10 label 1013,2013 rd 192.0.2.1:7 rt 192.0.2.1:7 encap vxlan nexthop 127.0.91.1"
step gobgp-evpn-macadv-ipv6 G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"4200000001:7","mac":"02:00:00:91:01:03","ip":"2001:db8:91:1::3","etag":0,"label":1012,"route_targets":["4200000001:7"],"encapsulation":"vxlan","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add macadv 02:00:00:91:01:03 2001:db8:91:1::3 etag 0 label 1012 rd 64086.59905:7 rt 64086.59905:7 encap vxlan esi single-homed default-gateway nexthop 127.0.91.1"
step gobgp-evpn-multicast G1 "G1>XA,G1>F1,G1>F2" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":3,"rd":"65000:2","etag":0,"originator_ip":"127.0.91.1","route_targets":["65000:100"],"encapsulation":"vxlan","pmsi_tunnel_type":"ingress-replication","label":1020,"next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add multicast 127.0.91.1 etag 0 rd 65000:2 rt 65000:100 encap vxlan pmsi ingress-repl 1020 127.0.91.1 nexthop 127.0.91.1"
# IPv6 originator and IPv6 PMSI tunnel id: FRR (F1, F2) reset their session (3/5, attribute length)
step gobgp-evpn-multicast-ipv6 G1 "G1>XA,G1>F1,F1>G1:frr-rejects@notification,G1>F2,F2>G1:frr-rejects@notification" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":3,"rd":"192.0.2.1:7","etag":20,"originator_ip":"2001:db8:91::1","route_targets":["192.0.2.1:7"],"encapsulation":"vxlan","pmsi_tunnel_type":"ingress-replication","label":1021,"next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add multicast 2001:db8:91::1 etag 20 rd 192.0.2.1:7 rt 192.0.2.1:7 encap vxlan pmsi ingress-repl 1021 2001:db8:91::1 nexthop 127.0.91.1; sleep 1; $G1 global rib -a evpn del multicast 2001:db8:91::1 etag 20 rd 192.0.2.1:7" 2
resync
step gobgp-evpn-es G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":4,"rd":"65000:2","esi":"03:02:00:00:91:01:01:00:00:2a","originator_ip":"127.0.91.1","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add esi 127.0.91.1 esi MAC 02:00:00:91:01:01 42 rd 65000:2 encap vxlan nexthop 127.0.91.1"
step gobgp-evpn-prefix-ipv4 G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":5,"rd":"65000:2","prefix":"10.91.50.0/24","etag":0,"label":1050,"route_targets":["65000:100"],"encapsulation":"vxlan","router_mac":"02:00:00:91:01:ff","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add prefix 10.91.50.0/24 gw 0.0.0.0 etag 0 label 1050 rd 65000:2 rt 65000:100 encap vxlan router-mac 02:00:00:91:01:ff nexthop 127.0.91.1"
step gobgp-evpn-prefix-ipv6 G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":5,"rd":"192.0.2.1:7","prefix":"2001:db8:95::/64","etag":0,"label":1051,"route_targets":["192.0.2.1:7"],"encapsulation":"vxlan","router_mac":"02:00:00:91:01:ff","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add prefix 2001:db8:95::/64 gw :: etag 0 label 1051 rd 192.0.2.1:7 rt 192.0.2.1:7 encap vxlan router-mac 02:00:00:91:01:ff nexthop 127.0.91.1"
step gobgp-evpn-prefix-ipv4-gw-esi G1 "G1>XA" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":5,"rd":"65000:2","prefix":"10.91.51.0/24","esi":"00:11:22:33:44:55:66:77:88:99","etag":5,"label":1052,"route_targets":["65000:100"],"encapsulation":"vxlan","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add prefix 10.91.51.0/24 gw 10.91.51.1 esi 0 11:22:33:44:55:66:77:88:99 etag 5 label 1052 rd 65000:2 rt 65000:100 encap vxlan nexthop 127.0.91.1"

# MAC mobility: G2 advertises a MAC, then G1 advertises the same MAC as local (sequence 0), then
# G2 advertises it again (sequence 1)
step gobgp-evpn-macadv-remote G2 "G2>G1+ebgp,G1>XA:reflected+noattr" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"4200000001:7","mac":"02:00:00:91:04:01","ip":"10.91.4.1","etag":0,"label":4001,"route_targets":["65000:100"],"encapsulation":"vxlan","next_hop":"127.0.91.4"}' \
    "$G2 global rib -a evpn add macadv 02:00:00:91:04:01 10.91.4.1 etag 0 label 4001 rd 64086.59905:7 rt 65000:100 encap vxlan nexthop 127.0.91.4" 2
step gobgp-evpn-macadv-mobility G1 "G1>XA,G1>G2:ebgp+ebgp,G2>G1:g2-withdraws-its-own+noattr" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"65000:2","mac":"02:00:00:91:04:01","ip":"10.91.1.41","etag":0,"label":1041,"route_targets":["65000:100"],"encapsulation":"vxlan","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add macadv 02:00:00:91:04:01 10.91.1.41 etag 0 label 1041 rd 65000:2 rt 65000:100 encap vxlan nexthop 127.0.91.1" 2
step gobgp-evpn-macadv-mobility-seq1 G2 "G2>G1+ebgp" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"4200000001:7","mac":"02:00:00:91:04:01","ip":"10.91.4.1","etag":0,"label":4002,"route_targets":["65000:100"],"encapsulation":"vxlan","next_hop":"127.0.91.4"}' \
    "$G2 global rib -a evpn add macadv 02:00:00:91:04:01 10.91.4.1 etag 0 label 4002 rd 64086.59905:7 rt 65000:100 encap vxlan nexthop 127.0.91.4" 2
step gobgp-vpnv4-from-4octet-as G2 "G2>G1+ebgp,G1>XA:reflected+noattr" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.4.0.0/24","rd":"4200000001:7","label":400,"route_targets":["65000:100","4200000001:7"],"next_hop":"127.0.91.4","communities":["65000:44"]}' \
    "$G2 global rib -a vpnv4 add 10.4.0.0/24 label 400 rd 64086.59905:7 rt 65000:100 64086.59905:7 nexthop 127.0.91.4 community 65000:44" 2

# ---------------------------------------------------------------------------------- GoBGP FlowSpec
step gobgp-flow4-ports G1 "G1>XA" \
    '{"type":"update","family":"ipv4/flow","flowspec":"destination 10.10.0.0/24 source 10.11.0.0/16 protocol ==tcp destination-port >=1024&<=2048 source-port ==80 ==443","flowspec_actions":["rate-limit 1000"]}' \
    "$G1 global rib -a ipv4-flowspec add match destination 10.10.0.0/24 source 10.11.0.0/16 protocol ==tcp destination-port '>=1024&<=2048' source-port ==80 ==443 then rate-limit 1000"
step gobgp-flow4-icmp G1 "G1>XA" \
    '{"type":"update","family":"ipv4/flow","flowspec":"destination 10.10.1.0/24 protocol ==icmp icmp-type ==8 icmp-code ==0","flowspec_actions":["discard"]}' \
    "$G1 global rib -a ipv4-flowspec add match destination 10.10.1.0/24 protocol ==icmp icmp-type ==8 icmp-code ==0 then discard"
step gobgp-flow4-flags G1 "G1>XA" \
    '{"type":"update","family":"ipv4/flow","flowspec":"destination 10.10.2.0/24 tcp-flags =S &!A fragment =is-fragment !=dont-fragment packet-length >100&<1500 !=576 dscp ==46 ==10","flowspec_actions":["redirect 65000:300","mark 10"]}' \
    "$G1 global rib -a ipv4-flowspec add match destination 10.10.2.0/24 tcp-flags =S '&!A' fragment =is-fragment '!=dont-fragment' packet-length '>100&<1500' '!=576' dscp ==46 ==10 then redirect 65000:300 mark 10"
step gobgp-flow4-port-redirect-ip G1 "G1>XA" \
    '{"type":"update","family":"ipv4/flow","flowspec":"destination 10.10.3.0/24 port !=22 <=1023 tcp-flags =!SA","flowspec_actions":["redirect 192.0.2.1:9","action sample-terminal"]}' \
    "$G1 global rib -a ipv4-flowspec add match destination 10.10.3.0/24 port '!=22' '<=1023' tcp-flags '=!SA' then redirect 192.0.2.1:9 action sample-terminal"
# redirect to a 4-octet-AS route target: ExaBGP 4.2 fails to decode it ("maximum recursion depth
# exceeded") and closes the session without a NOTIFICATION
step gobgp-flow4-redirect-as4 G1 "G1>XA" \
    '{"type":"update","family":"ipv4/flow","flowspec":"source 10.11.4.0/24 protocol ==udp ==tcp","flowspec_actions":["redirect 4200000001:9","action sample"]}' \
    "$G1 global rib -a ipv4-flowspec add match source 10.11.4.0/24 protocol ==udp ==tcp then redirect 64086.59905:9 action sample; sleep 1; $G1 global rib -a ipv4-flowspec del match source 10.11.4.0/24 protocol ==udp ==tcp" 2
resync
step gobgp-flow6 G1 "G1>XA" \
    '{"type":"update","family":"ipv6/flow","flowspec":"destination 2001:db8:10::/48 source 2001:db8:11::/48 protocol ==tcp destination-port ==443 label ==12345","flowspec_actions":["rate-limit 500","redirect 65000:600"]}' \
    "$G1 global rib -a ipv6-flowspec add match destination 2001:db8:10::/48 source 2001:db8:11::/48 protocol ==tcp destination-port ==443 label ==12345 then rate-limit 500 redirect 65000:600"
step gobgp-flow6-offset G1 "G1>XA" \
    '{"type":"update","family":"ipv6/flow","flowspec":"destination 2001:db8:10:1::/64 8 protocol ==udp ==tcp label >=100&<=200","flowspec_actions":["discard"]}' \
    "$G1 global rib -a ipv6-flowspec add match destination 2001:db8:10:1::/64 8 protocol ==udp ==tcp label '>=100&<=200' then discard"
# IPv6-address-specific redirect (extended communities in attribute 25): ExaBGP 4.2 resets (1/0)
step gobgp-flow6-redirect-ipv6 G1 "G1>XA,XA>G1:exabgp-rejects@notification" \
    '{"type":"update","family":"ipv6/flow","flowspec":"destination 2001:db8:10:2::/64","flowspec_actions":["redirect 2001:db8::1:9"]}' \
    "$G1 global rib -a ipv6-flowspec add match destination 2001:db8:10:2::/64 then redirect 2001:db8::1:9; sleep 1; $G1 global rib -a ipv6-flowspec del match destination 2001:db8:10:2::/64" 2
resync
step gobgp-flowvpn4 G1 "G1>XA" \
    '{"type":"update","family":"ipv4/flow-vpn","rd":"65000:2","flowspec":"destination 10.12.0.0/24 protocol ==udp destination-port ==4789","flowspec_actions":["discard"],"route_targets":["65000:100"]}' \
    "$G1 global rib -a ipv4-l3vpn-flowspec add rd 65000:2 match destination 10.12.0.0/24 protocol ==udp destination-port ==4789 then discard rt 65000:100"
step gobgp-flowvpn4-redirect-rt G1 "G1>XA" \
    '{"type":"update","family":"ipv4/flow-vpn","rd":"192.0.2.1:7","flowspec":"source 10.12.1.0/24","flowspec_actions":["redirect 65000:200","rate-limit 2000"],"route_targets":["192.0.2.1:7"]}' \
    "$G1 global rib -a ipv4-l3vpn-flowspec add rd 192.0.2.1:7 match source 10.12.1.0/24 then redirect 65000:200 rate-limit 2000 rt 192.0.2.1:7"
step gobgp-flowvpn6 G1 "G1>XA" \
    '{"type":"update","family":"ipv6/flow-vpn","rd":"4200000001:7","flowspec":"destination 2001:db8:12::/48","flowspec_actions":["discard"],"route_targets":["4200000001:7"]}' \
    "$G1 global rib -a ipv6-l3vpn-flowspec add rd 64086.59905:7 match destination 2001:db8:12::/48 then discard rt 64086.59905:7"

# ---------------------------------------------------------------------------------- ExaBGP 4.2 -> G1
XA="neighbor 127.0.91.1 local-ip 127.0.91.2"
step exabgp-ipv4-unicast X "XA>G1,G1>F1:reflected+refl,G1>X2:reflected-2octet-as+refl" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.20.0.0/24","next_hop":"192.0.2.2","as_path":"65020 65021","med":40,"local_pref":400,"communities":["65000:40","65000:41"],"large_communities":["65000:40:41"]}' \
    "$XA announce route 10.20.0.0/24 next-hop 192.0.2.2 origin igp as-path [ 65020 65021 ] med 40 local-preference 400 community [ 65000:40 65000:41 ] large-community [ 65000:40:41 ]"
step exabgp-ipv6-unicast X "XA>G1,G1>F1:reflected+refl" \
    '{"type":"update","family":"ipv6/unicast","prefix":"2001:db8:20::/48","next_hop":"2001:db8:91::2","med":41,"local_pref":401,"communities":["65000:42"]}' \
    "$XA announce route 2001:db8:20::/48 next-hop 2001:db8:91::2 med 41 local-preference 401 community [ 65000:42 ]"
step exabgp-vpnv4-rd0 X "XA>G1,G1>F1:reflected+refl,G1>G2:ebgp+ebgp+noattr" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.21.0.0/24","rd":"65000:2","label":2100,"route_targets":["65000:100","192.0.2.1:7","4200000001:7"],"next_hop":"192.0.2.2","local_pref":402}' \
    "$XA announce route 10.21.0.0/24 rd 65000:2 label 2100 next-hop 192.0.2.2 local-preference 402 extended-community [ target:65000:100 0x0102c00002010007 target:4200000001:7 ]"
step exabgp-vpnv4-rd1 X "XA>G1" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.21.1.0/24","rd":"192.0.2.1:7","label":2101,"route_targets":["192.0.2.1:7"],"next_hop":"192.0.2.2"}' \
    "$XA announce route 10.21.1.0/24 rd 192.0.2.1:7 label 2101 next-hop 192.0.2.2 extended-community [ 0x0102c00002010007 ]"
step exabgp-vpnv4-rt-ipv4-text-quirk X "XA>G1" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.21.3.0/24","rd":"192.0.2.1:8","label":2103,"next_hop":"192.0.2.2"}' \
    "$XA announce route 10.21.3.0/24 rd 192.0.2.1:8 label 2103 next-hop 192.0.2.2 extended-community [ target:192.0.2.1:8 ]"
step exabgp-vpnv4-rd2 X "XA>G1" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.21.2.0/24","rd":"4200000001:7","label":2102,"route_targets":["4200000001:7"],"next_hop":"192.0.2.2"}' \
    "$XA announce route 10.21.2.0/24 rd 4200000001:7 label 2102 next-hop 192.0.2.2 extended-community [ target:4200000001:7 ]"
step exabgp-vpnv6 X "XA>G1,G1>F1:reflected+refl" \
    '{"type":"update","family":"ipv6/mpls-vpn","prefix":"2001:db8:21::/48","rd":"65000:2","label":2110,"route_targets":["65000:100"],"next_hop":"2001:db8:91::2"}' \
    "$XA announce route 2001:db8:21::/48 rd 65000:2 label 2110 next-hop 2001:db8:91::2 extended-community [ target:65000:100 ]"
step exabgp-flow4-ports X "XA>G1" \
    '{"type":"update","family":"ipv4/flow","flowspec":"destination 10.30.0.0/24; source 10.31.0.0/16; protocol =tcp; destination-port [ =80 >=8080&<=8088 ]; source-port >1024","flowspec_actions":["rate-limit 9600"],"communities":["65000:30"]}' \
    "$XA announce flow route { match { destination 10.30.0.0/24; source 10.31.0.0/16; protocol =tcp; destination-port [ =80 >=8080&<=8088 ]; source-port >1024; } then { rate-limit 9600; community [ 65000:30 ]; } }"
step exabgp-flow4-icmp X "XA>G1" \
    '{"type":"update","family":"ipv4/flow","flowspec":"destination 10.30.1.0/24; protocol =icmp; icmp-type =8; icmp-code =0","flowspec_actions":["discard"]}' \
    "$XA announce flow route { match { destination 10.30.1.0/24; protocol =icmp; icmp-type =8; icmp-code =0; } then { discard; } }"
step exabgp-flow4-flags X "XA>G1" \
    '{"type":"update","family":"ipv4/flow","flowspec":"destination 10.30.2.0/24; tcp-flags [ =syn !=rst&!fin ]; fragment [ is-fragment !dont-fragment ]; packet-length [ <100 >=1400&<=1500 ]; dscp [ =46 !=0 ]","flowspec_actions":["redirect 65000:300","mark 10"]}' \
    "$XA announce flow route { match { destination 10.30.2.0/24; tcp-flags [ =syn !=rst&!fin ]; fragment [ is-fragment !dont-fragment ]; packet-length [ <100 >=1400&<=1500 ]; dscp [ =46 !=0 ]; } then { redirect 65000:300; mark 10; } }"
# (not "redirect 4200000001:300": ExaBGP 4.2 hits "maximum recursion depth exceeded" on a 4-octet-AS
# redirect community and closes the session before sending the UPDATE)
step exabgp-flow4-port-action X "XA>G1" \
    '{"type":"update","family":"ipv4/flow","flowspec":"destination 10.30.3.0/24; port [ !=22 <=1023 ]","flowspec_actions":["action sample-terminal"]}' \
    "$XA announce flow route { match { destination 10.30.3.0/24; port [ !=22 <=1023 ]; } then { action sample-terminal; } }"
step exabgp-flow4-redirect-nexthop X "XA>G1" \
    '{"type":"update","family":"ipv4/flow","flowspec":"source 10.31.4.0/24; protocol [ =udp =tcp ]","flowspec_actions":["redirect 192.0.2.50"]}' \
    "$XA announce flow route { match { source 10.31.4.0/24; protocol [ =udp =tcp ]; } then { redirect 192.0.2.50; } }"
step exabgp-flow6 X "XA>G1" \
    '{"type":"update","family":"ipv6/flow","flowspec":"destination 2001:db8:30::/48/0; source 2001:db8:31::/48/0; next-header =tcp; destination-port =443; flow-label >100&<2000; traffic-class =46","flowspec_actions":["rate-limit 9600","redirect 65000:301"]}' \
    "$XA announce flow route { match { destination 2001:db8:30::/48/0; source 2001:db8:31::/48/0; next-header =tcp; destination-port =443; flow-label >100&<2000; traffic-class =46; } then { rate-limit 9600; redirect 65000:301; } }"
step exabgp-flowvpn4 X "XA>G1" \
    '{"type":"update","family":"ipv4/flow-vpn","rd":"65000:2","flowspec":"destination 10.32.0.0/24; protocol =udp","flowspec_actions":["discard"],"route_targets":["65000:100"]}' \
    "$XA announce flow route { rd 65000:2; match { destination 10.32.0.0/24; protocol =udp; } then { discard; extended-community [ target:65000:100 ]; } }"
step exabgp-flowvpn6 X "XA>G1" \
    '{"type":"update","family":"ipv6/flow-vpn","rd":"192.0.2.1:7","flowspec":"destination 2001:db8:32::/48/0","flowspec_actions":["rate-limit 9600"],"route_targets":["192.0.2.1:7"]}' \
    "$XA announce flow route { rd 192.0.2.1:7; match { destination 2001:db8:32::/48/0; } then { rate-limit 9600; extended-community [ 0x0102c00002010007 ]; } }"

# ExaBGP without 4-octet AS (X2): AS_PATH with AS_TRANS + AS4_PATH
step exabgp-ipv4-2octet-as X "X2>G1,G1>XA:reflected+refl" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.22.0.0/24","next_hop":"192.0.2.7","as_path":"65022 4200000002"}' \
    "neighbor 127.0.91.1 local-ip 127.0.91.7 announce route 10.22.0.0/24 next-hop 192.0.2.7 as-path [ 65022 4200000002 ]"

# ExaBGP add-path (XF -> F1): two paths for one prefix
XF="neighbor 127.0.91.3 local-ip 127.0.91.6"
step exabgp-ipv4-addpath-1 X "XF>F1" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.23.0.0/24","path_id":1,"next_hop":"127.0.91.6","med":50}' \
    "$XF announce route 10.23.0.0/24 path-information 0.0.0.1 next-hop 127.0.91.6 med 50"
step exabgp-ipv4-addpath-2 X "XF>F1" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.23.0.0/24","path_id":2,"next_hop":"192.0.2.6","med":51}' \
    "$XF announce route 10.23.0.0/24 path-information 0.0.0.2 next-hop 192.0.2.6 med 51"
step exabgp-ipv6-addpath X "XF>F1" \
    '{"type":"update","family":"ipv6/unicast","prefix":"2001:db8:23::/48","path_id":3,"next_hop":"2001:db8:91::6"}' \
    "$XF announce route 2001:db8:23::/48 path-information 0.0.0.3 next-hop 2001:db8:91::6"

# ---------------------------------------------------------------------------------- FRR F1
RMV4="-c 'route-map RM-V4 permit 10' -c 'set metric 30' -c 'set local-preference 300' -c 'set community 65000:3 65000:4' -c 'set large-community 65000:3:4' -c 'set as-path prepend 65010 65011' -c 'set ip next-hop 192.0.2.3' -c 'exit'"
step frr-ipv4-unicast F1 "F1>G1:addpath,F1>XF:addpath-to-exabgp,G1>XA:reflected+refl,G1>X2:reflected-2octet-as+refl" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.3.0.0/24","next_hop":"192.0.2.3","as_path":"65010 65011","med":30,"local_pref":300,"communities":["65000:3","65000:4"],"large_communities":["65000:3:4"]}' \
    "vtysh -c 'configure terminal' $RMV4 -c 'router bgp 65000' -c 'address-family ipv4 unicast' -c 'network 10.3.0.0/24 route-map RM-V4'" 2
RMV6="-c 'route-map RM-V6 permit 10' -c 'set metric 32' -c 'set community 65000:6' -c 'set ipv6 next-hop global 2001:db8:91::3' -c 'exit'"
step frr-ipv6-unicast F1 "F1>G1:addpath,F1>XF:addpath-to-exabgp,G1>XA:reflected+refl" \
    '{"type":"update","family":"ipv6/unicast","prefix":"2001:db8:3::/48","next_hop":"2001:db8:91::3","med":32,"local_pref":100,"communities":["65000:6"]}' \
    "vtysh -c 'configure terminal' $RMV6 -c 'router bgp 65000' -c 'address-family ipv6 unicast' -c 'network 2001:db8:3::/48 route-map RM-V6'" 2
RMVPN="-c 'route-map RM-VPN permit 10' -c 'set extcommunity rt 65000:100 192.0.2.1:7 4200000001:7' -c 'set metric 31' -c 'exit'"
step frr-vpnv4-rd0 F1 "F1>G1,F1>XF:to-exabgp,G1>XA:reflected+refl" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.3.1.0/24","rd":"65000:2","label":301,"route_targets":["65000:100","192.0.2.1:7","4200000001:7"],"med":31}' \
    "vtysh -c 'configure terminal' $RMVPN -c 'router bgp 65000' -c 'address-family ipv4 vpn' -c 'network 10.3.1.0/24 rd 65000:2 label 301 route-map RM-VPN'" 2
step frr-vpnv4-rd2 F1 "F1>G1,G1>XA:reflected+refl" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.3.2.0/24","rd":"4200000001:7","label":302}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family ipv4 vpn' -c 'network 10.3.2.0/24 rd 4200000001:7 label 302'" 2
step frr-vpnv4-rd1 F1 "F1>G1" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.3.3.0/24","rd":"192.0.2.1:7","label":303,"route_targets":["65000:100","192.0.2.1:7","4200000001:7"],"med":31}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family ipv4 vpn' -c 'network 10.3.3.0/24 rd 192.0.2.1:7 label 303 route-map RM-VPN'" 2
step frr-vpnv6 F1 "F1>G1,F1>XF:to-exabgp,G1>XA:reflected+refl" \
    '{"type":"update","family":"ipv6/mpls-vpn","prefix":"2001:db8:31::/48","rd":"192.0.2.1:7","label":311,"route_targets":["65000:100","192.0.2.1:7","4200000001:7"],"med":31}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family ipv6 vpn' -c 'network 2001:db8:31::/48 rd 192.0.2.1:7 label 311 route-map RM-VPN'" 2
# FRR sends its E-VPN routes with a 16-byte next hop (::ffff:127.0.91.3), which ExaBGP refuses;
# GoBGP rewrites it to 4 bytes when it reflects them, so XA accepts them. Each route is announced
# and withdrawn (one step gives both messages); resync in case a session went down anyway.
# FRR 8.4 ignores, for these static type-5 routes, the "esi" (sent as zero, although its JSON shows
# it) and the route-map (no route targets, no MED): those values are not in the expectations.
step frr-evpn-prefix-ipv4 F1 "F1>G1,G1>XA:reflected+refl" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":5,"rd":"4200000001:7","prefix":"10.3.5.0/24","etag":0,"label":3005,"router_mac":"02:00:00:91:03:05"}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family l2vpn evpn' -c 'network 10.3.5.0/24 rd 4200000001:7 ethtag 0 label 3005 esi 00:11:22:33:44:55:66:77:88:99 gwip 0.0.0.0 routermac 02:00:00:91:03:05 route-map RM-VPN'; sleep 1; vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family l2vpn evpn' -c 'no network 10.3.5.0/24 rd 4200000001:7 ethtag 0 label 3005 esi 00:11:22:33:44:55:66:77:88:99 gwip 0.0.0.0'" 2
resync
step frr-evpn-prefix-ipv6 F1 "F1>G1,G1>XA:reflected+refl" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":5,"rd":"65000:5","prefix":"2001:db8:35::/48","etag":5,"label":3006,"router_mac":"02:00:00:91:03:06"}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family l2vpn evpn' -c 'network 2001:db8:35::/48 rd 65000:5 ethtag 5 label 3006 esi 00:00:00:00:00:00:00:00:00:00 gwip :: routermac 02:00:00:91:03:06'; sleep 1; vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family l2vpn evpn' -c 'no network 2001:db8:35::/48 rd 65000:5 ethtag 5 label 3006 esi 00:00:00:00:00:00:00:00:00:00 gwip ::'" 2
resync
step frr-evpn-prefix-ipv4-gw F1 "F1>G1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":5,"rd":"192.0.2.1:7","prefix":"10.3.6.0/24","etag":0,"label":3007,"router_mac":"02:00:00:91:03:07"}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family l2vpn evpn' -c 'network 10.3.6.0/24 rd 192.0.2.1:7 ethtag 0 label 3007 esi 00:00:00:00:00:00:00:00:00:00 gwip 10.3.6.1 routermac 02:00:00:91:03:07'; sleep 1; vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family l2vpn evpn' -c 'no network 10.3.6.0/24 rd 192.0.2.1:7 ethtag 0 label 3007 esi 00:00:00:00:00:00:00:00:00:00 gwip 10.3.6.1'" 2
resync

# ---------------------------------------------------------------------------------- FRR F2 (zebra VTEP)
step frr-evpn-macip-mac-only NS "F2>G1,G1>XA:reflected+refl+noattr" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"127.0.91.5:1091","mac":"02:00:00:91:05:01","etag":0,"label":1091,"route_targets":["65000:1091"],"encapsulation":"vxlan","next_hop":"127.0.91.5"}' \
    "bridge fdb add 02:00:00:91:05:01 dev vm91a master static" 2
step frr-evpn-macip-ipv4 NS "F2>G1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"127.0.91.5:1091","mac":"02:00:00:91:05:01","ip":"10.91.5.11","etag":0,"label":1091,"route_targets":["65000:1091"],"encapsulation":"vxlan","next_hop":"127.0.91.5"}' \
    "ip neigh replace 10.91.5.11 lladdr 02:00:00:91:05:01 dev br91 nud reachable" 2
step frr-evpn-macip-ipv6 NS "F2>G1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"127.0.91.5:1091","mac":"02:00:00:91:05:01","ip":"2001:db8:915::11","etag":0,"label":1091,"route_targets":["65000:1091"],"encapsulation":"vxlan","next_hop":"127.0.91.5"}' \
    "ip -6 neigh replace 2001:db8:915::11 lladdr 02:00:00:91:05:01 dev br91 nud reachable" 2
step frr-evpn-macip-sticky NS "F2>G1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"127.0.91.5:1091","mac":"02:00:00:91:05:02","etag":0,"label":1091,"route_targets":["65000:1091"],"encapsulation":"vxlan","next_hop":"127.0.91.5"}' \
    "bridge fdb add 02:00:00:91:05:02 dev vm91a master static sticky" 2
step gobgp-evpn-macadv-to-vtep G1 "G1>F2" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"65000:91","mac":"02:00:00:91:05:03","etag":0,"label":1091,"route_targets":["65000:1091"],"encapsulation":"vxlan","next_hop":"127.0.91.1"}' \
    "$G1 global rib -a evpn add macadv 02:00:00:91:05:03 0.0.0.0 etag 0 label 1091 rd 65000:91 rt 65000:1091 encap vxlan nexthop 127.0.91.1" 2
step frr-evpn-macip-mobility NS "F2>G1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"127.0.91.5:1091","mac":"02:00:00:91:05:03","etag":0,"label":1091,"route_targets":["65000:1091"],"encapsulation":"vxlan","next_hop":"127.0.91.5"}' \
    "bridge fdb replace 02:00:00:91:05:03 dev vm91a master static" 2
step frr-evpn-default-gw F2 "F2>G1" \
    '{"type":"update","family":"l2vpn/evpn","evpn_route_type":2,"rd":"127.0.91.5:1091","mac":"02:00:00:91:05:fe","etag":0,"label":1091,"route_targets":["65000:1091"],"encapsulation":"vxlan","next_hop":"127.0.91.5"}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family l2vpn evpn' -c 'advertise-default-gw'" 3
step frr-evpn-macip-withdraw NS "F2>G1" \
    '{"type":"update","family":"l2vpn/evpn","withdraw":true,"evpn_route_type":2,"rd":"127.0.91.5:1091","mac":"02:00:00:91:05:02","etag":0}' \
    "bridge fdb del 02:00:00:91:05:02 dev vm91a master" 2

# ---------------------------------------------------------------------------------- ExaBGP 5
X5="neighbor 127.0.91.1"
step exabgp5-vpnv4 X5 "X5>G1" \
    '{"type":"update","family":"ipv4/mpls-vpn","prefix":"10.25.0.0/24","rd":"65000:2","label":2500,"route_targets":["65000:100"],"next_hop":"127.0.91.8","med":55}' \
    "$X5 announce route 10.25.0.0/24 rd 65000:2 label 2500 next-hop 127.0.91.8 med 55 extended-community [ target:65000:100 ]"
step exabgp5-flowvpn4 X5 "X5>G1" \
    '{"type":"update","family":"ipv4/flow-vpn","rd":"65000:2","flowspec":"destination 10.35.0.0/24; destination-port [ =53 ]","flowspec_actions":["rate-limit 9600"],"route_targets":["65000:100"]}' \
    "$X5 announce flow route { rd 65000:2; match { destination 10.35.0.0/24; destination-port [ =53 ]; } then { rate-limit 9600; extended-community [ target:65000:100 ]; } }"

# ---------------------------------------------------------------------------------- withdrawals
step gobgp-ipv4-unicast-withdraw G1 "G1>XA,G1>F1:addpath,G1>X2:2octet-as" \
    '{"type":"update","family":"ipv4/unicast","withdraw":true,"prefix":"10.1.0.0/24"}' \
    "$G1 global rib -a ipv4 del 10.1.0.0/24"
step gobgp-ipv6-unicast-withdraw G1 "G1>XA,G1>F1:addpath" \
    '{"type":"update","family":"ipv6/unicast","withdraw":true,"prefix":"2001:db8:1::/48"}' \
    "$G1 global rib -a ipv6 del 2001:db8:1::/48"
step gobgp-vpnv4-withdraw G1 "G1>XA,G1>F1,G1>G2:ebgp" \
    '{"type":"update","family":"ipv4/mpls-vpn","withdraw":true,"prefix":"10.2.0.0/24","rd":"65000:2"}' \
    "$G1 global rib -a vpnv4 del 10.2.0.0/24 label 200 rd 65000:2"
step gobgp-vpnv6-withdraw G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"ipv6/mpls-vpn","withdraw":true,"prefix":"2001:db8:2:1::/64","rd":"192.0.2.1:7"}' \
    "$G1 global rib -a vpnv6 del 2001:db8:2:1::/64 label 211 rd 192.0.2.1:7"
step gobgp-evpn-macadv-withdraw G1 "G1>XA,G1>F1" \
    '{"type":"update","family":"l2vpn/evpn","withdraw":true,"evpn_route_type":2,"rd":"65000:2","mac":"02:00:00:91:01:02","ip":"10.91.1.2","etag":0}' \
    "$G1 global rib -a evpn del macadv 02:00:00:91:01:02 10.91.1.2 etag 0 label 1011 rd 65000:2"
step gobgp-evpn-multicast-withdraw G1 "G1>XA,G1>F1,G1>F2" \
    '{"type":"update","family":"l2vpn/evpn","withdraw":true,"evpn_route_type":3,"rd":"65000:2","etag":0,"originator_ip":"127.0.91.1"}' \
    "$G1 global rib -a evpn del multicast 127.0.91.1 etag 0 rd 65000:2"
step gobgp-flow4-withdraw G1 "G1>XA" \
    '{"type":"update","family":"ipv4/flow","withdraw":true,"flowspec":"destination 10.10.1.0/24 protocol ==icmp icmp-type ==8 icmp-code ==0"}' \
    "$G1 global rib -a ipv4-flowspec del match destination 10.10.1.0/24 protocol ==icmp icmp-type ==8 icmp-code ==0"
step gobgp-flowvpn4-withdraw G1 "G1>XA" \
    '{"type":"update","family":"ipv4/flow-vpn","withdraw":true,"rd":"65000:2","flowspec":"destination 10.12.0.0/24 protocol ==udp destination-port ==4789"}' \
    "$G1 global rib -a ipv4-l3vpn-flowspec del rd 65000:2 match destination 10.12.0.0/24 protocol ==udp destination-port ==4789"
# (deleting the VRF also withdraws the paths added with its route distinguisher)
step gobgp-rtc-withdraw G2 "G2>G1+any-family" \
    '{"type":"update","family":"ipv4/rtc","withdraw":true,"route_targets":["65000:100","192.0.2.1:7","4200000001:7"]}' \
    "$G2 vrf del blue" 2
step exabgp-ipv4-unicast-withdraw X "XA>G1,G1>F1:reflected" \
    '{"type":"update","family":"ipv4/unicast","withdraw":true,"prefix":"10.20.0.0/24"}' \
    "$XA withdraw route 10.20.0.0/24 next-hop 192.0.2.2"
step exabgp-vpnv4-withdraw X "XA>G1,G1>F1:reflected" \
    '{"type":"update","family":"ipv4/mpls-vpn","withdraw":true,"prefix":"10.21.0.0/24","rd":"65000:2"}' \
    "$XA withdraw route 10.21.0.0/24 rd 65000:2 label 2100 next-hop 192.0.2.2"
step exabgp-flow4-withdraw X "XA>G1" \
    '{"type":"update","family":"ipv4/flow","withdraw":true,"flowspec":"destination 10.30.1.0/24; protocol =icmp; icmp-type =8; icmp-code =0"}' \
    "$XA withdraw flow route { match { destination 10.30.1.0/24; protocol =icmp; icmp-type =8; icmp-code =0; } }"
step exabgp-ipv4-addpath-withdraw X "XF>F1" \
    '{"type":"update","family":"ipv4/unicast","withdraw":true,"prefix":"10.23.0.0/24","path_id":2}' \
    "$XF withdraw route 10.23.0.0/24 path-information 0.0.0.2 next-hop 192.0.2.6"
step frr-ipv4-unicast-withdraw F1 "F1>G1:addpath,F1>XF:addpath-to-exabgp,G1>XA:reflected" \
    '{"type":"update","family":"ipv4/unicast","withdraw":true,"prefix":"10.3.0.0/24"}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family ipv4 unicast' -c 'no network 10.3.0.0/24 route-map RM-V4'" 2
step frr-vpnv4-withdraw F1 "F1>G1,F1>XF:to-exabgp,G1>XA:reflected" \
    '{"type":"update","family":"ipv4/mpls-vpn","withdraw":true,"prefix":"10.3.1.0/24","rd":"65000:2"}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'address-family ipv4 vpn' -c 'no network 10.3.1.0/24 rd 65000:2 label 301'" 2

# ---------------------------------------------------------------------------------- route refresh
# (GoBGP 3.10 never sends ROUTE-REFRESH: "neighbor X softresetin" re-reads its Adj-RIB-In)
step frr-route-refresh-to-gobgp F1 "F1>G1@refresh,G1>F1:answer@any" \
    '{"*":{},"F1>G1":{"type":"route-refresh","family":"ipv4/unicast"}}' \
    "vtysh -c 'clear bgp ipv4 unicast 127.0.91.1 soft in'" 2
step frr-route-refresh-to-exabgp F1 "F1>XF@refresh,XF>F1:answer@any" \
    '{"*":{},"F1>XF":{"type":"route-refresh","family":"ipv6/unicast"}}' \
    "vtysh -c 'clear bgp ipv6 unicast 127.0.91.6 soft in'" 2
step exabgp-route-refresh X "XF>F1@refresh,F1>XF:answer@any" \
    '{"*":{},"XF>F1":{"type":"route-refresh","family":"ipv4/unicast"}}' \
    "$XF announce route-refresh ipv4 unicast" 2
# FRR to FRR: enhanced route refresh (BoRR, the routes, EoRR; FRR sends the EoRR ~35 s later)
step frr-ipv4-unicast-to-frr F1 "F1>F2" \
    '{"type":"update","family":"ipv4/unicast","prefix":"10.3.9.0/24","next_hop":"127.0.91.3","med":39}' \
    "vtysh -c 'configure terminal' -c 'route-map RM-MED39 permit 10' -c 'set metric 39' -c 'exit' -c 'router bgp 65000' -c 'address-family ipv4 unicast' -c 'network 10.3.9.0/24 route-map RM-MED39'" 2
step frr-enhanced-route-refresh F2 "F2>F1@refresh,F1>F2:answer@any" \
    '{"*":{},"F2>F1":{"type":"route-refresh","family":"ipv4/unicast"}}' \
    "vtysh -c 'clear bgp ipv4 unicast 127.0.91.3 soft in'" 45

# ---------------------------------------------------------------------------------- NOTIFICATIONs
# hold timer expiry: freeze ExaBGP; G1 holds X2's session (hold time 3 s) and gives up
EXA_PID=$(pidof_node exabgp4)
step gobgp-notification-hold-timer NS "G1>X2@notification" \
    '{"type":"notification","notification_code":4,"notification_subcode":0}' \
    "kill -STOP $EXA_PID; sleep 5; kill -CONT $EXA_PID" 1
wait_gobgp 127.0.91.1 127.0.91.7 || true
wait_gobgp 127.0.91.1 127.0.91.2 || true
wait_frr f1 127.0.91.6 || true
sleep 2
# too many prefixes: G1 allows 5 IPv4 prefixes from X2
X2="neighbor 127.0.91.1 local-ip 127.0.91.7"
step gobgp-notification-max-prefix X "G1>X2@notification" \
    '{"type":"notification","notification_code":6,"notification_subcode":1}' \
    "$X2 announce route 10.22.1.0/24 next-hop 192.0.2.7 ;; $X2 announce route 10.22.2.0/24 next-hop 192.0.2.7 ;; $X2 announce route 10.22.3.0/24 next-hop 192.0.2.7 ;; $X2 announce route 10.22.4.0/24 next-hop 192.0.2.7 ;; $X2 announce route 10.22.5.0/24 next-hop 192.0.2.7" 3
step gobgp-notification-admin-reset G1 "G1>XA@notification" \
    '{"type":"notification","notification_code":6,"notification_subcode":4}' \
    "$G1 neighbor 127.0.91.2 reset --reason 'bagpipe-rs capture: admin reset'" 2
step exabgp-notification-teardown X "XF>F1@notification" \
    '{"type":"notification","notification_code":6,"notification_subcode":3}' \
    "$XF teardown 3" 3
wait_frr f1 127.0.91.6 || true
step frr-notification-shutdown F1 "F1>XF@notification,XF>F1:exabgp-answer@notification" \
    '{"*":{"type":"notification","notification_code":6,"notification_subcode":2},"XF>F1":{"notification_code":1,"notification_subcode":0}}' \
    "vtysh -c 'configure terminal' -c 'router bgp 65000' -c 'neighbor 127.0.91.6 shutdown message bagpipe-rs capture: frr shutdown'" 2
step frr-notification-clear F1 "F1>G1@notification" \
    '{"type":"notification","notification_code":6,"notification_subcode":4}' \
    "vtysh -c 'clear bgp 127.0.91.1'" 2
step gobgp-notification-hard-reset G1 "G1>G2@notification" \
    '{"type":"notification","notification_code":6,"notification_subcode":4}' \
    "$G1 neighbor 127.0.91.4 reset" 2
step gobgp-notification-shutdown G1 "G1>X5@notification" \
    '{"type":"notification","notification_code":6,"notification_subcode":2}' \
    "$G1 neighbor 127.0.91.8 disable --reason 'bagpipe-rs capture: shutdown'" 2

# OPEN errors: a second ExaBGP whose AS does not match what G1 (X3) and F1 (X4) expect
t0=$(date +%s.%N)
mkfifo "$WORK/xbad/api.fifo"
spawn exabgp4-bad "$WORK/xbad/log" env exabgp.tcp.bind=127.0.91.9 exabgp.tcp.port=10979 \
    exabgp.daemon.user=root exabgp.daemon.daemonize=false exabgp.api.cli=false \
    exabgp.log.destination=stdout exabgp.log.level=INFO $PY "$BIN/cap91-x" "$WORK/xbad/xbad.conf"
sleep 4
kill "$(pidof_node exabgp4-bad)" 2>/dev/null || true
session notification-bad-peer-as "X3>G1@open,G1>X3@notification,X4>F1@open,F1>X4@notification" \
    "exabgp configs/xbad-exabgp4.conf (local-as 65000; G1 expects 65099 from 127.0.91.9, F1 expects 65099 from 127.0.91.10)" "$t0" \
    '{"*":{},"G1>X3":{"type":"notification","notification_code":2,"notification_subcode":2},"F1>X4":{"type":"notification","notification_code":2,"notification_subcode":2}}'
