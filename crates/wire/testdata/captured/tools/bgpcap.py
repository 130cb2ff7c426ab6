"""Minimal pcap reader, TCP stream reassembly and BGP message framing (standard library only).

Used by extract.py and verify.py.  Only what is needed to cut the captured byte streams into BGP
messages and to know, per TCP connection, what each side put in its OPEN (4-octet AS, add-path).
The values inside the messages are checked with tshark's own dissector (verify.py), not here.
"""
import struct

MARKER = b"\xff" * 16
TYPES = {1: "open", 2: "update", 3: "notification", 4: "keepalive", 5: "route-refresh"}

AFI_SAFI = {
    (1, 1): "ipv4/unicast", (2, 1): "ipv6/unicast", (1, 128): "ipv4/mpls-vpn",
    (2, 128): "ipv6/mpls-vpn", (25, 70): "l2vpn/evpn", (1, 132): "ipv4/rtc",
    (1, 133): "ipv4/flow", (2, 133): "ipv6/flow", (1, 134): "ipv4/flow-vpn",
    (2, 134): "ipv6/flow-vpn", (1, 2): "ipv4/multicast", (2, 2): "ipv6/multicast",
    (1, 4): "ipv4/mpls", (2, 4): "ipv6/mpls", (25, 65): "l2vpn/vpls",
    (25, 134): "l2vpn/flow-vpn", (16388, 71): "ls/ls", (16388, 72): "ls/ls-vpn", (1, 5): "ipv4/mcast-vpn",
    (2, 5): "ipv6/mcast-vpn", (1, 85): "ipv4/mup", (2, 85): "ipv6/mup",
}

CAP_NAMES = {
    1: "multiprotocol", 2: "route-refresh", 3: "outbound-route-filtering",
    5: "extended-next-hop", 6: "extended-message", 9: "bgp-role", 64: "graceful-restart",
    65: "four-octet-as", 67: "dynamic-capability", 68: "multisession", 69: "add-path",
    70: "enhanced-route-refresh", 71: "long-lived-graceful-restart", 73: "fqdn",
    75: "software-version", 128: "route-refresh-cisco", 131: "multisession-cisco",
}


def read_pcap(path):
    """Yield (timestamp, src, sport, dst, dport, seq, flags, payload) for every IPv4 TCP packet."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    else:
        endian = ">"
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + caplen]
        off += caplen
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:  # Ethernet
            if len(pkt) < 14 or struct.unpack("!H", pkt[12:14])[0] != 0x0800:
                continue
            ip = pkt[14:]
        elif linktype == 113:  # Linux cooked
            ip = pkt[16:]
        elif linktype in (12, 101):  # raw IP
            ip = pkt
        else:
            raise ValueError("unsupported linktype %d" % linktype)
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        src = ".".join(str(b) for b in ip[12:16])
        dst = ".".join(str(b) for b in ip[16:20])
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        doff = (tcp[12] >> 4) * 4
        flags = tcp[13]
        yield ts, src, sport, dst, dport, seq, flags, tcp[doff:]


class Stream:
    """One direction of one TCP connection."""

    def __init__(self, key, conn):
        self.key = key  # (src, sport, dst, dport)
        self.conn = conn  # connection id
        self.isn = None
        self.segments = {}  # relative offset -> (timestamp, bytes)
        self.messages = []

    def add(self, ts, seq, flags, payload):
        if flags & 0x02:  # SYN
            self.isn = seq
            return
        if not payload:
            return
        if self.isn is None:  # capture started mid-connection: take the first data as origin
            self.isn = (seq - 1) & 0xFFFFFFFF
        rel = (seq - self.isn - 1) & 0xFFFFFFFF
        if rel not in self.segments or len(self.segments[rel][1]) < len(payload):
            self.segments[rel] = (ts, payload)

    def reassemble(self):
        """Return the byte stream and, for each byte offset where a segment starts, its time."""
        buf = bytearray()
        times = []  # (offset, ts)
        for rel in sorted(self.segments):
            ts, payload = self.segments[rel]
            if rel > len(buf):
                raise ValueError("gap in TCP stream %s at %d" % (self.key, len(buf)))
            new = payload[len(buf) - rel:]
            if new:
                times.append((len(buf), ts))
                buf += new
        return bytes(buf), times

    def frame(self):
        buf, times = self.reassemble()
        off = 0
        ti = 0
        while off + 19 <= len(buf):
            if buf[off:off + 16] != MARKER:
                raise ValueError("lost BGP framing in %s at %d" % (self.key, off))
            length = struct.unpack("!H", buf[off + 16:off + 18])[0]
            if off + length > len(buf):
                break  # truncated at the end of the capture
            end = off + length
            # time of the segment holding the last byte of the message
            while ti + 1 < len(times) and times[ti + 1][0] < end:
                ti += 1
            self.messages.append(Message(self, buf[off:end], times[ti][1], len(self.messages)))
            off = end
        self.trailing = len(buf) - off


class Message:
    def __init__(self, stream, raw, ts, index):
        self.stream = stream
        self.raw = raw
        self.ts = ts
        self.index = index  # position in its stream
        self.type = raw[18]
        self.type_name = TYPES.get(self.type, "type-%d" % self.type)

    @property
    def src(self):
        return self.stream.key[0]

    @property
    def dst(self):
        return self.stream.key[2]


def connections(pcap):
    """Group packets into TCP connections; return a list of (stream_a_to_b, stream_b_to_a)."""
    streams = {}
    conns = []
    for ts, src, sport, dst, dport, seq, flags, payload in read_pcap(pcap):
        key = (src, sport, dst, dport)
        rkey = (dst, dport, src, sport)
        if flags & 0x02 and not flags & 0x10:  # SYN without ACK: a new connection
            conn = len(conns)
            a, b = Stream(key, conn), Stream(rkey, conn)
            streams[key], streams[rkey] = a, b
            conns.append((a, b))
        if key not in streams:
            conn = len(conns)
            a, b = Stream(key, conn), Stream(rkey, conn)
            streams[key], streams[rkey] = a, b
            conns.append((a, b))
        streams[key].add(ts, seq, flags, payload)
    for a, b in conns:
        a.frame()
        b.frame()
    return conns


def parse_open(raw):
    """Return dict(version, my_as, hold_time, router_id, caps=[(code, value bytes)])."""
    version = raw[19]
    my_as, hold = struct.unpack("!HH", raw[20:24])
    rid = ".".join(str(b) for b in raw[24:28])
    plen = raw[28]
    params = raw[29:29 + plen]
    caps = []
    i = 0
    if plen == 255 and len(params) > 0 and params[0] == 255:  # RFC 9072 extended optional parameters
        plen = struct.unpack("!H", raw[30:32])[0]
        params = raw[32:32 + plen]
        ext = True
    else:
        ext = False
    while i < len(params):
        ptype = params[i]
        if ext:
            pl = struct.unpack("!H", params[i + 1:i + 3])[0]
            pv = params[i + 3:i + 3 + pl]
            i += 3 + pl
        else:
            pl = params[i + 1]
            pv = params[i + 2:i + 2 + pl]
            i += 2 + pl
        if ptype != 2:
            continue
        j = 0
        while j < len(pv):
            code, cl = pv[j], pv[j + 1]
            caps.append((code, pv[j + 2:j + 2 + cl]))
            j += 2 + cl
    return {"version": version, "my_as": my_as, "hold_time": hold, "router_id": rid, "caps": caps}


def open_summary(raw):
    o = parse_open(raw)
    families, names = [], []
    four = None
    addpath = {}
    for code, val in o["caps"]:
        name = CAP_NAMES.get(code, "capability-%d" % code)
        if name not in names:
            names.append(name)
        if code == 1:
            afi, safi = struct.unpack("!HxB", val[:4])
            families.append(AFI_SAFI.get((afi, safi), "%d/%d" % (afi, safi)))
        elif code == 65:
            four = struct.unpack("!I", val[:4])[0]
        elif code == 69:
            for k in range(0, len(val), 4):
                afi, safi, sr = struct.unpack("!HBB", val[k:k + 4])
                addpath[AFI_SAFI.get((afi, safi), "%d/%d" % (afi, safi))] = sr
    o.update(families=families, cap_names=names, four_octet_as=four, addpath=addpath)
    return o


def update_summary(raw, addpath_families=()):
    """Light decoding of an UPDATE: family, withdraw / End-of-RIB.  Returns a dict."""
    body = raw[19:]
    wlen = struct.unpack("!H", body[:2])[0]
    withdrawn = body[2:2 + wlen]
    alen = struct.unpack("!H", body[2 + wlen:4 + wlen])[0]
    attrs = body[4 + wlen:4 + wlen + alen]
    nlri = body[4 + wlen + alen:]
    res = {"attr_types": [], "reach": None, "unreach": None}
    i = 0
    while i < len(attrs):
        flags, code = attrs[i], attrs[i + 1]
        if flags & 0x10:
            ln = struct.unpack("!H", attrs[i + 2:i + 4])[0]
            val = attrs[i + 4:i + 4 + ln]
            i += 4 + ln
        else:
            ln = attrs[i + 2]
            val = attrs[i + 3:i + 3 + ln]
            i += 3 + ln
        res["attr_types"].append(code)
        if code == 14:
            afi, safi = struct.unpack("!HB", val[:3])
            res["reach"] = AFI_SAFI.get((afi, safi), "%d/%d" % (afi, safi))
            nhl = val[3]
            res["mp_nlri"] = val[5 + nhl:]
        elif code == 15:
            afi, safi = struct.unpack("!HB", val[:3])
            res["unreach"] = AFI_SAFI.get((afi, safi), "%d/%d" % (afi, safi))
            res["unreach_empty"] = len(val) == 3
            res["mp_nlri"] = val[3:]
    if not withdrawn and not attrs and not nlri:
        res.update(family="ipv4/unicast", end_of_rib=True, withdraw=True)
    elif res["unreach"] and res.get("unreach_empty") and not nlri and res["attr_types"] == [15]:
        res.update(family=res["unreach"], end_of_rib=True, withdraw=True)
    elif res["reach"]:
        res.update(family=res["reach"], withdraw=False)
    elif res["unreach"]:
        res.update(family=res["unreach"], withdraw=True)
    elif nlri:
        res.update(family="ipv4/unicast", withdraw=False)
    elif withdrawn:
        res.update(family="ipv4/unicast", withdraw=True)
    else:  # attributes without any NLRI
        res.update(family=None, withdraw=False)
    res["nlri_bytes"] = withdrawn + nlri + res.get("mp_nlri", b"")
    nl = res.get("mp_nlri", b"")
    if res.get("family") == "ipv4/rtc":
        res["rtc_route_targets"] = rtc_route_targets(nl)
    elif res.get("family") == "l2vpn/evpn" and nl:
        res["evpn_route_types"] = evpn_route_types(nl)
    res["classic_withdrawn"] = bool(withdrawn)
    res["classic_nlri"] = bool(nlri)
    return res


def refresh_summary(raw):
    afi, subtype, safi = struct.unpack("!HBB", raw[19:23])
    return {"family": AFI_SAFI.get((afi, safi), "%d/%d" % (afi, safi)), "subtype": subtype}


def notification_summary(raw):
    return {"code": raw[19], "subcode": raw[20], "data": raw[21:]}


def ext_community_str(ec):
    """Route-target-like extended community (8 bytes) as "admin:assigned"."""
    t = ec[0] & 0x3F
    if t == 0x00:
        return "%d:%d" % struct.unpack("!HI", ec[2:8])
    if t == 0x01:
        return "%d.%d.%d.%d:%d" % (tuple(ec[2:6]) + struct.unpack("!H", ec[6:8]))
    if t == 0x02:
        return "%d:%d" % struct.unpack("!IH", ec[2:8])
    return ec.hex()


def rtc_route_targets(nlri):
    """RT membership NLRI (RFC 4684): [length in bits][origin AS][route target]."""
    out = []
    i = 0
    while i < len(nlri):
        bits = nlri[i]
        n = (bits + 7) // 8
        body = nlri[i + 1:i + 1 + n]
        i += 1 + n
        out.append(ext_community_str(body[4:12]) if bits == 96 else "default" if bits == 0 else body.hex())
    return out


def evpn_route_types(nlri):
    out = []
    i = 0
    while i + 2 <= len(nlri):
        out.append(nlri[i])
        i += 2 + nlri[i + 1]
    return out


def _addr_bytes(a, plen=None):
    import ipaddress
    ip = ipaddress.ip_address(a)
    raw = ip.packed
    if plen is not None:
        raw = raw[:(plen + 7) // 8]
    return raw


def rd_bytes(rd):
    a, n = rd.rsplit(":", 1)
    if "." in a:
        return b"\x00\x01" + _addr_bytes(a) + struct.pack("!H", int(n))
    if int(a) > 0xFFFF:
        return b"\x00\x02" + struct.pack("!IH", int(a), int(n))
    return b"\x00\x00" + struct.pack("!HI", int(a), int(n))


def identity_patterns(expect):
    """Byte strings that the NLRI of a message announcing / withdrawing `expect` must contain."""
    pats = []
    if "prefix" in expect:
        a, plen = expect["prefix"].split("/")
        pats.append(_addr_bytes(a, int(plen)))
    if "rd" in expect:
        pats.append(rd_bytes(expect["rd"]))
    if "mac" in expect:
        pats.append(bytes.fromhex(expect["mac"].replace(":", "")))
    for k in ("ip", "originator_ip"):
        if k in expect:
            pats.append(_addr_bytes(expect[k]))
    if "flowspec" in expect:
        for tok in expect["flowspec"].replace(";", " ").split():
            if "/" in tok:
                parts = tok.split("/")
                try:
                    pats.append(_addr_bytes(parts[0], int(parts[1])))
                except ValueError:
                    pass
                break
    return pats
