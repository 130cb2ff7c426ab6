#!/usr/bin/python3
"""Cut the capture into BGP messages and write messages.jsonl (see ../README.md).

Each step of capture.sh recorded the time window of its command and the flows (SRC>DST) whose
messages it wants; every message sent on such a flow inside the window is kept, with:
  sender / receiver  implementation and version, from the node addresses;
  four_octet_as      both OPENs of that TCP connection carry the 4-octet AS capability;
  add_path_receive   families where the sender announced add-path send and the receiver receive;
  expect             the values the step's command put in (adapted per flow, see steps.sh).
"""
import argparse
import json
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
import bgpcap  # noqa: E402

IDENTITY_KEYS = ["type", "family", "withdraw", "end_of_rib", "prefix", "rd", "label", "evpn_route_type",
                 "mac", "ip", "esi", "etag", "originator_ip", "flowspec"]
KEY_ORDER = ["type", "family", "withdraw", "end_of_rib", "prefix", "rd", "route_targets", "label",
             "next_hop", "evpn_route_type", "mac", "ip", "esi", "etag", "originator_ip", "router_mac",
             "encapsulation", "pmsi_tunnel_type", "med", "local_pref", "communities",
             "large_communities", "as_path", "path_id", "originator_id", "cluster_list", "my_as",
             "hold_time", "router_id", "capabilities", "families", "notification_code",
             "notification_subcode", "flowspec", "flowspec_actions"]
DEFAULT_TYPES = {"update", "route-refresh", "notification"}
RR_CLIENTS = {"G1": ("XA", "F1", "F2", "X2", "X5")}  # route-reflector clients (see configs/g1-gobgpd.toml)


def parse_keep(entry):
    mods = entry.split("+")
    flow = mods.pop(0)
    types = None
    if "@" in flow:
        flow, t = flow.split("@", 1)
        types = set(t.split("|"))
    suffix = None
    if ":" in flow:
        flow, suffix = flow.split(":", 1)
    src, dst = flow.split(">")
    return {"src": src, "dst": dst, "suffix": suffix, "types": types, "mods": set(mods), "flow": src + ">" + dst}


def kind(msg, summary):
    if msg.type_name == "update" and summary.get("end_of_rib"):
        return "eor"
    if msg.type_name == "route-refresh":
        return "refresh"
    return msg.type_name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--steps", required=True)
    ap.add_argument("--nodes", required=True)
    ap.add_argument("--out")
    ap.add_argument("--list", action="store_true", help="print every message (debugging)")
    args = ap.parse_args()

    cfg = json.load(open(args.nodes))
    nodes = cfg["nodes"]
    versions = cfg["versions"]
    by_addr = {n["addr"]: name for name, n in nodes.items()}

    def impl(name):
        i = nodes[name]["impl"]
        return "exabgp %s" % versions["exabgp5"] if i == "exabgp5" else "%s %s" % (i, versions[i])

    steps = [json.loads(line) for line in open(args.steps)]
    conns = bgpcap.connections(args.pcap)

    # per-stream session properties, from the two OPENs of the connection
    props = {}
    for a, b in conns:
        oa = next((m for m in a.messages if m.type_name == "open"), None)
        ob = next((m for m in b.messages if m.type_name == "open"), None)
        sa = bgpcap.open_summary(oa.raw) if oa else None
        sb = bgpcap.open_summary(ob.raw) if ob else None
        four = bool(sa and sb and sa["four_octet_as"] is not None and sb["four_octet_as"] is not None)
        for s, snd, rcv in ((a, sa, sb), (b, sb, sa)):
            ap_fams = []
            if snd and rcv:
                for fam, sr in snd["addpath"].items():
                    if sr & 2 and rcv["addpath"].get(fam, 0) & 1:
                        ap_fams.append(fam)
            props[id(s)] = {"four": four, "addpath": sorted(ap_fams)}

    msgs = []
    for a, b in conns:
        for s in (a, b):
            if s.trailing:
                print("note: %d trailing bytes in %s" % (s.trailing, s.key), file=sys.stderr)
            for m in s.messages:
                if m.src in by_addr and m.dst in by_addr:
                    msgs.append(m)
    msgs.sort(key=lambda m: m.ts)

    def summary(m):
        if m.type_name == "update":
            return bgpcap.update_summary(m.raw)
        if m.type_name == "route-refresh":
            return bgpcap.refresh_summary(m.raw)
        if m.type_name == "notification":
            return bgpcap.notification_summary(m.raw)
        if m.type_name == "open":
            return bgpcap.open_summary(m.raw)
        return {}

    if args.list:
        t_first = msgs[0].ts if msgs else 0
        for m in msgs:
            step = next((s["id"] for s in steps if s["t0"] <= m.ts < s["t1"]), "")
            sm = summary(m)
            if m.type_name == "keepalive":
                continue
            desc = ""
            if m.type_name == "update":
                desc = "%s%s%s attrs=%s" % (sm.get("family"), " EoR" if sm.get("end_of_rib") else "",
                                            " withdraw" if sm.get("withdraw") else "", sm["attr_types"])
            elif m.type_name == "notification":
                desc = "%d/%d %s" % (sm["code"], sm["subcode"], sm["data"][:60])
            elif m.type_name == "route-refresh":
                desc = "%s subtype %d" % (sm["family"], sm["subtype"])
            elif m.type_name == "open":
                desc = "as %s hold %d %s" % (sm["four_octet_as"] or sm["my_as"], sm["hold_time"], sm["cap_names"])
            print("%8.3f %-3s>%-3s c%-3d %-12s %4d %-40s %s" % (
                m.ts - t_first, by_addr[m.src], by_addr[m.dst], m.stream.conn, m.type_name,
                len(m.raw), step, desc))
        return

    out = []
    seen_ids = set()
    seen_keepalive = set()
    seen_eor = set()
    seen_bytes = set()
    used = set()
    problems = 0
    for st in steps:
        expect = st["expect"]
        base = expect.get("*", expect if not any(">" in k for k in expect) else {})
        keeps = [parse_keep(k) for k in st["keep"]]
        origin = keeps[0]["src"] if keeps else None
        for k in keeps:
            src_addr, dst_addr = nodes[k["src"]]["addr"], nodes[k["dst"]]["addr"]
            cand = [m for m in msgs if m.src == src_addr and m.dst == dst_addr and st["t0"] <= m.ts < st["t1"]]
            chosen = []
            matched_type = False
            for m in cand:
                sm = summary(m)
                kd = kind(m, sm)
                types = k["types"]
                if types is None:
                    ok = kd in {"update", "refresh", "notification"}
                elif "any" in types:
                    ok = kd != "keepalive"
                else:
                    ok = kd in types
                if not ok:
                    continue
                matched_type = True
                if kd == "keepalive":
                    key = impl(k["src"])
                    if key in seen_keepalive:
                        continue
                    seen_keepalive.add(key)
                if kd == "eor":
                    key = (impl(k["src"]), sm["family"])
                    if key in seen_eor:
                        continue
                    seen_eor.add(key)
                if kd == "open" and any(c[2] == "open" for c in chosen):
                    continue
                if any(c[0].raw == m.raw for c in chosen):  # a repeat (e.g. on each reconnection)
                    continue
                chosen.append((m, sm, kd))
            if not chosen:
                if not matched_type:
                    print("WARNING: step %s: nothing on flow %s" % (st["id"], k["flow"]), file=sys.stderr)
                    problems += 1
                continue
            accepted = []
            for m, sm, kd in chosen:
                mid = "%s (%s)" % (st["id"], k["flow"])  # for messages; the id is given below
                pr = props[id(m.stream)]
                # expected values
                e = {}
                flow_expect = any(x == k["flow"] or x.startswith(k["flow"] + "#") for x in expect)
                if flow_expect:
                    auto = False
                elif st["node"] == "start":
                    auto = True
                else:  # e.g. the answer to a ROUTE-REFRESH: only what is certain
                    auto = kd != "update" and base.get("type") != m.type_name
                # what is certain from the message itself (checked against tshark by verify.py)
                if kd == "open":
                    e_auto = {"type": "open",
                              "my_as": sm["four_octet_as"] if sm["four_octet_as"] is not None else sm["my_as"],
                              "hold_time": sm["hold_time"], "router_id": sm["router_id"],
                              "capabilities": sm["cap_names"], "families": sm["families"]}
                elif kd == "keepalive":
                    e_auto = {"type": "keepalive"}
                elif kd == "eor":
                    e_auto = {"type": "update", "family": sm["family"], "end_of_rib": True}
                elif kd == "refresh":
                    e_auto = {"type": "route-refresh", "family": sm["family"]}
                elif kd == "update":
                    e_auto = {"type": "update", "family": sm.get("family"), "withdraw": sm.get("withdraw")}
                elif kd == "notification":
                    e_auto = {"type": "notification", "notification_code": sm["code"],
                              "notification_subcode": sm["subcode"]}
                else:
                    e_auto = {"type": kd}
                if kd in ("open", "keepalive", "eor") or auto:
                    e = e_auto
                else:
                    e = dict(base)
                    for kk, vv in expect.get(k["flow"], {}).items():
                        if vv is None:
                            e.pop(kk, None)
                        else:
                            e[kk] = vv
                    if "type" not in e and not any(x.startswith(k["flow"] + "#") for x in expect):
                        e = e_auto
                if e is not e_auto:
                    overrides = {}
                    for rt in sm.get("evpn_route_types", []) if m.type_name == "update" else []:
                        overrides.update(expect.get("%s#evpn%d" % (k["flow"], rt), {}))
                    for kk, vv in overrides.items():
                        if vv is None:
                            e.pop(kk, None)
                        else:
                            e[kk] = vv
                    if "type" not in e:
                        e = dict(e_auto)
                    if m.type_name == "update" and e.get("family") and e["family"] != sm.get("family"):
                        if "any-family" not in k["mods"]:
                            # another route in the same window (a session coming back re-sends its table)
                            print("note: %s: %s: %s is not the step's family, left out" % (
                                st["id"], k["flow"], sm.get("family")), file=sys.stderr)
                            continue
                        # e.g. deleting a GoBGP VRF also withdraws the VPN paths carrying its RD
                        e = dict(e_auto)
                    if "noattr" in k["mods"]:  # (an RTC route's route target is its NLRI)
                        e = {kk: vv for kk, vv in e.items() if kk in IDENTITY_KEYS
                             or (kk == "route_targets" and sm.get("family") == "ipv4/rtc")}
                    if m.type_name == "update" and sm.get("family") == "ipv4/rtc" and "route_targets" in e:
                        rts = sm.get("rtc_route_targets", [])
                        if rts and all(r in e["route_targets"] for r in rts):
                            e["route_targets"] = rts
                        else:
                            print("WARNING: %s: RTC %s not among %s" % (mid, rts, e["route_targets"]), file=sys.stderr)
                            problems += 1
                            e.pop("route_targets")
                    rr_client = k["dst"] in RR_CLIENTS.get(k["src"], ())
                    if ("refl" in k["mods"] or rr_client) and m.type_name == "update" and not sm.get("withdraw"):
                        # GoBGP adds ORIGINATOR_ID (the router id of the peer it learned the path from,
                        # its own for local paths and for RT constraint) and CLUSTER_LIST to every path
                        # it sends to a route-reflector client
                        src_id = nodes[origin]["router_id"] if origin else nodes[k["src"]]["router_id"]
                        if sm.get("family") == "ipv4/rtc":
                            src_id = nodes[k["src"]]["router_id"]
                        e["originator_id"] = src_id
                        e["cluster_list"] = [nodes[k["src"]]["router_id"]]
                    if "ebgp" in k["mods"]:
                        asn = str(nodes[k["src"]]["as"])
                        e["as_path"] = (asn + " " + e["as_path"]) if e.get("as_path") else asn
                        e.pop("local_pref", None)
                        e.pop("next_hop", None)
                        e.pop("med", None)
                    if e.get("path_id") is not None and e.get("family") not in pr["addpath"]:
                        e.pop("path_id")
                    if m.type_name == "update" and sm.get("withdraw") and not e.get("withdraw"):
                        # the same step withdrew what it announced (add; del): same NLRI, withdrawn
                        e = {kk: vv for kk, vv in e.items() if kk in IDENTITY_KEYS and kk != "label"}
                        e["withdraw"] = True
                    if m.type_name == "update" and e.get("type") not in (None, "update"):
                        e = {"type": "update", "family": sm.get("family"), "withdraw": sm.get("withdraw")}
                    if m.type_name == "update" and e.get("family") and e["family"] != sm.get("family"):
                        print("WARNING: %s: family %s on the wire, %s expected" % (mid, sm.get("family"), e["family"]),
                              file=sys.stderr)
                        problems += 1
                    if m.type_name == "update" and bool(e.get("withdraw", False)) != bool(sm.get("withdraw")):
                        print("WARNING: %s: withdraw mismatch" % mid, file=sys.stderr)
                        problems += 1
                    if m.type_name == "notification" and e.get("notification_code") not in (None, sm["code"]):
                        print("WARNING: %s: notification %d/%d" % (mid, sm["code"], sm["subcode"]), file=sys.stderr)
                        problems += 1
                # the same bytes decoded in the same way (4-octet AS, path ids for its family): nothing new
                ctx = (impl(k["src"]), m.raw, pr["four"],
                       sm.get("family") in pr["addpath"] if m.type_name == "update" else None)
                if ctx in seen_bytes and kd != "keepalive":
                    continue
                if e is not e_auto and m.type_name == "update" and not all(
                        p in sm.get("nlri_bytes", b"") for p in bgpcap.identity_patterns(e)):
                    # another route in the same window (a session coming back re-sends its table)
                    print("note: %s: %s is not the step's route, left out" % (st["id"], k["flow"]), file=sys.stderr)
                    continue
                if m.type_name == "update" and "withdraw" not in e and not e.get("end_of_rib"):
                    e["withdraw"] = False
                e = {kk: e[kk] for kk in KEY_ORDER if kk in e}
                seen_bytes.add(ctx)
                accepted.append((m, sm, kd, e, pr))
            # ids: STEP[-suffix][-kind...][-n]; flows without a suffix after the first get "-to-DST"
            first_plain = next((x for x in keeps if not x["suffix"]), None)
            for idx, (m, sm, kd, e, pr) in enumerate(accepted):
                mid = st["id"]
                if k["suffix"]:
                    mid += "-" + k["suffix"]
                elif k is not first_plain and st["node"] != "start":
                    mid += "-to-" + k["dst"].lower()
                if kd in ("open", "keepalive", "eor", "notification") and st["node"] == "start":
                    mid += "-" + kd + ("-" + sm["family"].replace("/", "-") if kd == "eor" else "")
                    mid += "-" + k["src"].lower() + "-to-" + k["dst"].lower()
                elif len(accepted) > 1:
                    mid += "-%d" % (idx + 1)
                n = 2
                base_mid = mid
                while mid in seen_ids:
                    mid = "%s-%d" % (base_mid, n)
                    n += 1
                seen_ids.add(mid)
                out.append({
                    "id": mid,
                    "sender": impl(k["src"]),
                    "receiver": impl(k["dst"]),
                    "produced_by": st["cmd"],
                    "four_octet_as": pr["four"],
                    "add_path_receive": pr["addpath"],
                    "hex": m.raw.hex(),
                    "expect": e,
                    "_ts": m.ts, "_src": m.src, "_dst": m.dst, "_conn": m.stream.conn, "_index": m.index,
                })
    with open(args.out, "w") as f:
        for o in out:
            f.write(json.dumps({k: v for k, v in o.items() if not k.startswith("_")}) + "\n")
    with open(args.out + ".index", "w") as f:  # where each message is in the pcap (for verify.py)
        for o in out:
            f.write(json.dumps({"id": o["id"], "ts": o["_ts"], "src": o["_src"], "dst": o["_dst"],
                                "conn": o["_conn"], "index": o["_index"]}) + "\n")
    counts = {}
    for o in out:
        counts[o["sender"]] = counts.get(o["sender"], 0) + 1
    print("wrote %d messages to %s %s; %d warnings" % (len(out), args.out, counts, problems), file=sys.stderr)


if __name__ == "__main__":
    main()
