//! Two of our daemons driven by random sequences of attach and detach requests over real
//! HTTP, fields drawn from a few values so that requests collide (same port, MAC, address;
//! an instance's other type; both route targets), RT Constraint on:
//! - peered directly, one daemon restarted in between: each time BGP has settled, what each
//!   daemon advertises to the other is exactly what the other holds from it;
//! - through a GoBGP route reflector: each time BGP has settled, what each daemon advertises
//!   to the reflector is exactly what GoBGP holds from it (its Adj-RIB-In). What GoBGP then
//!   reflects is not checked: GoBGP 3.10 sometimes never reflects a withdrawal that follows
//!   an update of the same E-VPN route by a few milliseconds (seen here, about one run in
//!   five; in the captures, the client's UPDATE and then its withdrawal reach GoBGP, which
//!   drops the route from its tables and sends the other client nothing; not seen with RT
//!   Constraint off: 0 of 15 runs, against 2 of 15 with it);
//! - through a third daemon of ours in route-reflector mode, and through FRR's bgpd as the
//!   reflector (without RT Constraint, which FRR lacks): each time BGP has settled, each
//!   client holds from the reflector every route the other originates with a route target
//!   it imports, and nothing the other no longer originates (what GoBGP fails above);
//!
//! and once every port left is detached (found through the looking glass), both daemons
//! hold no instance, no local route and no dataplane state, and (but through GoBGP) no
//! route from the other.
//! The seed is printed; `BAGPIPE_SEED=<seed>` replays a run.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bagpipe_testbed::daemon::{daemon_ini, Daemon};
use bagpipe_testbed::gobgp::{self, Gobgp};
use bagpipe_testbed::wait::poll;
use serde_json::{json, Value};
use support::frr::Frr;
use support::{daemon_with_peer, start_daemon};

const ADDRESSES: [&str; 2] = ["127.0.28.9", "127.0.28.10"];
const API_PORTS: [u16; 2] = [19811, 19812];
const BGP_PORT: u16 = 19810;
const OPERATIONS: usize = 150;

fn daemon(i: usize) -> Daemon {
    let (me, peer) = (ADDRESSES[i], ADDRESSES[1 - i]);
    let ini = daemon_ini(me, &[peer], BGP_PORT, API_PORTS[i], "");
    start_daemon(me, me, API_PORTS[i], &ini)
}

/// A random attach or detach request.
fn request(rng: &mut fastrand::Rng) -> (&'static str, Value) {
    let (id, vpn_type) = [
        ("e1", "evpn"),
        ("e2", "evpn"),
        ("v1", "ipvpn"),
        ("v2", "ipvpn"),
    ][rng.usize(..4)];
    let vpn_type = if rng.u8(..20) == 0 {
        if vpn_type == "evpn" {
            "ipvpn"
        } else {
            "evpn"
        }
    } else {
        vpn_type
    };
    let port = format!("tap{}", rng.u8(..3));
    let mac = format!("52:54:00:00:00:{:02x}", rng.u8(..4));
    let ip = format!("10.1.0.{}/24", rng.u8(1..5));
    if rng.u8(..5) < 3 {
        let rt = ["64512:1", "64512:2"][rng.usize(..2)];
        let body = json!({"vpn_instance_id": id, "vpn_type": vpn_type, "import_rt": [rt], "export_rt": [rt],
            "local_port": {"linuxif": port}, "mac_address": mac, "ip_address": ip,
            "gateway_ip": "10.1.0.254", "advertise_subnet": rng.bool()});
        ("/attach_localport", body)
    } else {
        let mut body = json!({"vpn_instance_id": id, "vpn_type": vpn_type,
            "local_port": {"linuxif": port}, "mac_address": mac});
        if vpn_type == "ipvpn" || rng.bool() {
            body["ip_address"] = ip.into();
        }
        ("/detach_localport", body)
    }
}

/// The keys of a looking-glass route list (`[{key: route}, ...]`), of the routes whose
/// source is `source` when given.
fn keys(list: &Value, source: Option<&str>) -> BTreeSet<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flatten()
        .filter(|(_, route)| source.is_none_or(|s| route["source"]["id"] == s))
        .map(|(k, _)| k.clone())
        .collect()
}

/// What `from` advertises to `to` and what `to` holds from `from`, when they differ.
fn difference(from: &Daemon, to: &Daemon, from_address: &str, to_address: &str) -> Option<String> {
    let advertised = keys(
        &from.lg(&format!("bgp/peers/{to_address}/adv_routes")),
        None,
    );
    let held: BTreeSet<String> = to
        .lg("bgp/routes")
        .as_object()
        .into_iter()
        .flat_map(|families| families.values())
        .flat_map(|list| keys(list, Some(&format!("BGP-{from_address}"))))
        .collect();
    (advertised != held).then(|| {
        format!(
            "{from_address} advertises {:?} that {to_address} lacks; {to_address} holds {:?} not advertised",
            advertised.difference(&held).collect::<Vec<_>>(),
            held.difference(&advertised).collect::<Vec<_>>()
        )
    })
}

/// Detach requests for every endpoint of every instance of `d`.
fn plugged(d: &Daemon) -> Vec<Value> {
    let mut out = Vec::new();
    for inst in d.lg("vpns/instances").as_array().into_iter().flatten() {
        let id = inst["id"].as_str().unwrap();
        let detail = d.lg(&format!("vpns/instances/{id}"));
        let vpn_type = if detail["instance_type"] == "EVI" {
            "evpn"
        } else {
            "ipvpn"
        };
        let ports = d.lg(&format!("vpns/instances/{id}/ports"));
        for (port, p) in ports.as_object().into_iter().flatten() {
            for ep in p["endpoints"].as_array().into_iter().flatten() {
                let mut body = json!({"vpn_instance_id": id, "vpn_type": vpn_type,
                    "local_port": {"linuxif": port}, "mac_address": ep["mac_address"]});
                if !ep["ip_address"].is_null() {
                    body["ip_address"] = ep["ip_address"].clone();
                }
                out.push(body);
            }
        }
    }
    out
}

/// Sends `OPERATIONS` random requests to either daemon; returns how many were accepted.
fn random_requests(nodes: &[Daemon; 2], rng: &mut fastrand::Rng) -> usize {
    let mut accepted = 0;
    for _ in 0..OPERATIONS {
        let (path, body) = request(rng);
        let (status, answer) = nodes[rng.usize(..2)].post(path, &body);
        assert!(
            status == 200 || status == 400,
            "{path} {body}: {status} {answer}"
        );
        if status == 400 {
            assert!(
                answer["field"].is_string() || answer["error"].is_string(),
                "{answer}"
            );
        } else {
            accepted += 1;
        }
    }
    accepted
}

/// The seed of a run (`BAGPIPE_SEED`, or a new one, printed) and its generator.
fn seeded() -> (u64, fastrand::Rng) {
    let seed = std::env::var("BAGPIPE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("seed {seed} (BAGPIPE_SEED={seed} replays this run)");
    (seed, fastrand::Rng::with_seed(seed))
}

/// Waits until `wrong` finds nothing wrong (BGP has settled); fails with what it found.
fn settle(what: &str, seed: u64, wrong: &dyn Fn() -> Option<String>) {
    let settled = poll(Duration::from_secs(20), Duration::from_millis(100), || {
        wrong().is_none().then_some(())
    });
    if settled.is_none() {
        panic!("{what} (seed {seed}): {:?}", wrong());
    }
}

/// Waits until each daemon holds exactly what the other advertises to it.
fn check_settled(nodes: &[Daemon; 2], what: &str, seed: u64) {
    settle(what, seed, &|| {
        difference(&nodes[0], &nodes[1], ADDRESSES[0], ADDRESSES[1])
            .or_else(|| difference(&nodes[1], &nodes[0], ADDRESSES[1], ADDRESSES[0]))
    });
}

/// Our daemons at `clients`, peers of reflector `rr`, their APIs on `api` and `api + 1`,
/// sessions established.
fn reflector_clients(rr: &str, clients: [&str; 2], port: u16, api: u16) -> [Daemon; 2] {
    let nodes = [0, 1].map(|i| {
        let (me, api) = (clients[i], api + i as u16);
        start_daemon(me, me, api, &daemon_ini(me, &[rr], port, api, ""))
    });
    for d in &nodes {
        d.wait_established(1, Duration::from_secs(30));
    }
    nodes
}

/// Two rounds of random requests, then every endpoint detached, each time until `wrong`
/// finds nothing wrong; then nothing is left (`received`: no route from the peer either).
fn requests_then_detach_all(
    nodes: &[Daemon; 2],
    rng: &mut fastrand::Rng,
    seed: u64,
    wrong: &dyn Fn() -> Option<String>,
    received: bool,
) {
    let accepted = random_requests(nodes, rng) + random_requests(nodes, rng);
    eprintln!("{accepted} of {} requests accepted", 2 * OPERATIONS);
    settle("after random requests", seed, wrong);
    detach_everything(nodes, seed);
    settle("after detaching everything", seed, wrong);
    assert_empty(nodes, seed, received);
}

#[test]
fn random_requests_leave_both_daemons_consistent_then_empty() {
    let (seed, mut rng) = seeded();
    let mut nodes = [daemon(0), daemon(1)];
    nodes[0].wait_established(1, Duration::from_secs(30));
    let mut accepted = random_requests(&nodes, &mut rng);
    check_settled(&nodes, "after random requests", seed);
    // The second daemon restarts (without its ports: nobody re-sends them here), then more.
    nodes[1].stop();
    nodes[1].start_again();
    nodes[0].wait_established(1, Duration::from_secs(30));
    check_settled(&nodes, "after a restart", seed);
    accepted += random_requests(&nodes, &mut rng);
    eprintln!("{accepted} of {} requests accepted", 2 * OPERATIONS);
    check_settled(&nodes, "after more random requests", seed);

    detach_everything(&nodes, seed);
    check_settled(&nodes, "after detaching everything", seed);
    assert_empty(&nodes, seed, true);
}

fn detach_everything(nodes: &[Daemon; 2], seed: u64) {
    for d in nodes {
        for body in plugged(d) {
            let (status, answer) = d.post("/detach_localport", &body);
            assert_eq!(status, 200, "detach {body}: {answer} (seed {seed})");
        }
    }
}

/// No instance, no local route, no dataplane instance; with `received`, no route from the
/// peer either.
fn assert_empty(nodes: &[Daemon; 2], seed: u64, received: bool) {
    for d in nodes {
        assert_eq!(d.lg("vpns/instances"), json!([]), "seed {seed}");
        let counts = &d.lg("summary")["route_counts"];
        assert_eq!(counts["local_routes_count"], 0, "seed {seed}: {counts}");
        if received {
            assert_eq!(counts["received_routes_count"], 0, "seed {seed}: {counts}");
        }
        let metrics = d.metrics();
        for driver in ["evpn", "ipvpn"] {
            let line =
                format!("bagpipe_dataplane_instances{{vpn_type=\"{driver}\",driver=\"dummy\"}} 0");
            assert!(metrics.lines().any(|l| l == line), "seed {seed}: no {line}");
        }
    }
}

const RR: &str = "127.0.28.17";
const RR_CLIENTS: [&str; 2] = ["127.0.28.18", "127.0.28.19"];

/// A route as both sides name it: E-VPN MAC/IP `mac|rd|mac|ip`, inclusive multicast
/// `mcast|rd|originator`, VPN `vpn|rd|prefix`.
fn route_id(kind: &str, rd: &str, rest: &[&str]) -> String {
    format!("{kind}|{rd}|{}", rest.join("|"))
}

/// Our looking glass's route key (`type2 rd R etag 0 mac M ip I label ...`,
/// `type3 rd R etag 0 originator O ...`, `R:P label ...`), as a [`route_id`].
fn ours(key: &str) -> Option<String> {
    let w: Vec<&str> = key.split_whitespace().collect();
    match w.first()? {
        &"type2" => Some(route_id(
            "mac",
            w[2],
            &[w[6], w.get(8).copied().unwrap_or("-")],
        )),
        &"type3" => Some(route_id("mcast", w[2], &[w[6]])),
        &"rtc" => None,
        vpn => {
            let (rd, prefix) = vpn.rsplit_once(':')?;
            Some(route_id("vpn", rd, &[prefix]))
        }
    }
}

/// A network column of GoBGP's `neighbor <n> adj-in` table, as a [`route_id`].
fn gobgps(network: &str) -> Option<String> {
    let field = |name: &str| {
        network
            .split(['[', ']'])
            .find_map(|f| f.strip_prefix(&format!("{name}:")))
    };
    match field("type") {
        Some("macadv") => Some(route_id(
            "mac",
            field("rd")?,
            &[field("mac")?, field("ip").unwrap_or("-")],
        )),
        Some("multicast") => Some(route_id("mcast", field("rd")?, &[field("ip")?])),
        Some(_) => None,
        None => {
            let (rd, prefix) = network.rsplit_once(':')?;
            Some(route_id("vpn", rd, &[prefix]))
        }
    }
}

/// What `d` advertises to the reflector, and what GoBGP holds from it, when they differ.
fn not_received(rr: &Gobgp, d: &Daemon, address: &str) -> Option<String> {
    let advertised: BTreeSet<String> = keys(&d.lg(&format!("bgp/peers/{RR}/adv_routes")), None)
        .iter()
        .filter_map(|k| ours(k))
        .collect();
    let mut held = BTreeSet::new();
    for family in ["evpn", "vpnv4"] {
        let table = rr
            .cli(&["neighbor", address, "adj-in", "-a", family])
            .unwrap_or_default();
        for line in table.lines().skip(1) {
            // "   0   <network> [labels] next-hop ...": the network has no spaces.
            if let Some(id) = line.split_whitespace().nth(1).and_then(gobgps) {
                held.insert(id);
            }
        }
    }
    (advertised != held).then(|| {
        format!(
            "{address} advertises {:?} that GoBGP lacks; GoBGP holds {:?} from it, not advertised",
            advertised.difference(&held).collect::<Vec<_>>(),
            held.difference(&advertised).collect::<Vec<_>>()
        )
    })
}

#[test]
fn random_requests_through_a_gobgp_reflector() {
    let (seed, mut rng) = seeded();
    let port = 19820;
    let families = ["l2vpn-evpn", "l3vpn-ipv4-unicast", "rtc"];
    let toml = format!(
        "{}\n{}\n{}",
        gobgp::global(64512, RR, port),
        gobgp::neighbor(RR_CLIENTS[0], RR, 64512, true, &families),
        gobgp::neighbor(RR_CLIENTS[1], RR, 64512, true, &families)
    );
    let rr = Gobgp::start("gobgp-random", &format!("{RR}:19821"), &toml);
    let nodes = reflector_clients(RR, RR_CLIENTS, port, 19822);
    let wrong = || {
        not_received(&rr, &nodes[0], RR_CLIENTS[0])
            .or_else(|| not_received(&rr, &nodes[1], RR_CLIENTS[1]))
    };
    requests_then_detach_all(&nodes, &mut rng, seed, &wrong, false);
}

/// The VPN routes in `d`'s route table (RT Constraint ones aside), by key: their source and
/// route targets.
fn vpn_routes(d: &Daemon) -> BTreeMap<String, (String, Vec<String>)> {
    let mut out = BTreeMap::new();
    for (family, list) in d.lg("bgp/routes").as_object().into_iter().flatten() {
        if family.starts_with("ipv4/rtc") {
            continue;
        }
        let routes = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_object);
        for (key, route) in routes.flatten() {
            let source = route["source"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let targets = route["route_targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(String::from))
                .collect();
            out.insert(key.clone(), (source, targets));
        }
    }
    out
}

/// The route targets `d`'s instances import.
fn interest(d: &Daemon) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for inst in d.lg("vpns/instances").as_array().into_iter().flatten() {
        let detail = d.lg(&format!("vpns/instances/{}", inst["id"].as_str().unwrap()));
        for t in detail["route_targets"]["import"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.insert(t.as_str().unwrap().to_owned());
        }
    }
    out
}

/// What is wrong with what `x` holds from reflector `rr`, given what `y` originates.
fn reflected_wrong(rr: &str, x: &Daemon, y: &Daemon) -> Option<String> {
    let from_rr = format!("BGP-{rr}");
    let held: BTreeSet<String> = vpn_routes(x)
        .into_iter()
        .filter(|(_, (source, _))| *source == from_rr)
        .map(|(k, _)| k)
        .collect();
    let originated: BTreeMap<String, Vec<String>> = vpn_routes(y)
        .into_iter()
        .filter(|(_, (source, _))| !source.starts_with("BGP-"))
        .map(|(k, (_, targets))| (k, targets))
        .collect();
    let wanted = interest(x);
    let stale: Vec<&String> = held
        .iter()
        .filter(|k| !originated.contains_key(*k))
        .collect();
    let missing: Vec<&String> = originated
        .iter()
        .filter(|(k, targets)| targets.iter().any(|t| wanted.contains(t)) && !held.contains(*k))
        .map(|(k, _)| k)
        .collect();
    (!stale.is_empty() || !missing.is_empty()).then(|| {
        format!(
            "{} holds {stale:?} that {} no longer originates, lacks {missing:?}",
            x.url(""),
            y.url("")
        )
    })
}

#[test]
fn random_requests_through_our_reflector() {
    let (seed, mut rng) = seeded();
    let (rr, clients) = ("127.0.28.33", ["127.0.28.34", "127.0.28.35"]);
    let port = 19840;
    let reflect = format!(
        "route_reflector = True\n\n[BGP_PEER {}]\nroute_reflector_client = True\n\n[BGP_PEER {}]\nroute_reflector_client = True\n",
        clients[0], clients[1]
    );
    let _reflector = start_daemon(
        "RR",
        rr,
        19841,
        &daemon_ini(rr, &clients, port, 19841, &reflect),
    );
    let nodes = reflector_clients(rr, clients, port, 19842);
    let wrong = || {
        reflected_wrong(rr, &nodes[0], &nodes[1])
            .or_else(|| reflected_wrong(rr, &nodes[1], &nodes[0]))
    };
    requests_then_detach_all(&nodes, &mut rng, seed, &wrong, true);
}

/// FRR's bgpd reflecting VPNv4 and E-VPN between `clients`.
fn frr_reflector(frr: &str, clients: [&str; 2], port: u16) -> String {
    let mut neighbors = String::new();
    let mut families = String::new();
    for c in clients {
        neighbors += &format!(
            " neighbor {c} remote-as 64512\n neighbor {c} port {port}\n neighbor {c} update-source {frr}\n neighbor {c} timers connect 1\n"
        );
    }
    for family in ["ipv4 vpn", "l2vpn evpn"] {
        families += &format!(" address-family {family}\n");
        for c in clients {
            families +=
                &format!("  neighbor {c} activate\n  neighbor {c} route-reflector-client\n");
        }
        families += " exit-address-family\n";
    }
    format!(
        "frr defaults traditional\nhostname frr-rr\nlog stdout informational\n!\nrouter bgp 64512\n bgp router-id {frr}\n bgp cluster-id {frr}\n no bgp default ipv4-unicast\n bgp allow-martian-nexthop\n{neighbors}{families}exit\n"
    )
}

#[test]
fn random_requests_through_an_frr_reflector() {
    let (seed, mut rng) = seeded();
    let (rr, clients) = ("127.0.28.41", ["127.0.28.42", "127.0.28.43"]);
    let port = 19850;
    let _frr = Frr::start("frr-rr", rr, port, &frr_reflector(rr, clients, port));
    // FRR 8.4 has no RT Constraint: the families without it.
    let families = "ipv4/mpls-vpn, l2vpn/evpn";
    let nodes =
        [0, 1].map(|i| daemon_with_peer(clients[i], 19852 + i as u16, rr, port, families, ""));
    for d in &nodes {
        d.wait_established(1, Duration::from_secs(30));
    }
    let wrong = || {
        reflected_wrong(rr, &nodes[0], &nodes[1])
            .or_else(|| reflected_wrong(rr, &nodes[1], &nodes[0]))
    };
    requests_then_detach_all(&nodes, &mut rng, seed, &wrong, true);
}
