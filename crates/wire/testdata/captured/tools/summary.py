#!/usr/bin/python3
"""Print a markdown table of what messages.jsonl covers (per sender and family)."""
import collections
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "messages.jsonl"
msgs = [json.loads(line) for line in open(path)]
cell = collections.defaultdict(lambda: collections.Counter())
senders = []
for m in msgs:
    s = m["sender"]
    if s not in senders:
        senders.append(s)
    e = m["expect"]
    t = e["type"]
    if t == "update":
        fam = e.get("family") or "?"
        kind = "EoR" if e.get("end_of_rib") else "withdraw" if e.get("withdraw") else "announce"
        if kind == "announce" and m["add_path_receive"] and fam in m["add_path_receive"]:
            kind = "announce+path-id"
        if kind == "announce" and e.get("evpn_route_type"):
            kind = "type %d" % e["evpn_route_type"]
        cell[fam][(s, kind)] += 1
    else:
        cell[t][(s, t)] += 1

print("| family / message | " + " | ".join(senders) + " |")
print("|---|" + "---|" * len(senders))
for fam in sorted(cell, key=lambda f: (f in ("open", "keepalive", "notification", "route-refresh"), f)):
    row = []
    for s in senders:
        parts = ["%d %s" % (n, k) for (ss, k), n in sorted(cell[fam].items()) if ss == s]
        row.append(", ".join(parts) if parts else "")
    print("| %s | %s |" % (fam, " | ".join(row)))
print()
print("total: %d messages; " % len(msgs) + ", ".join(
    "%s %d" % (s, sum(1 for m in msgs if m["sender"] == s)) for s in senders))
