//! Each test has its own address in 127.0.20.0/24 and its own port (CONTRIBUTING).

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};

use super::client::{Answer, Client};
use super::fake_engine::{
    start, start_with, BIG_STREAM, BODY_TIMEOUT, DATAPLANE_FAILURE, NO_REPLY, SLOW_WRITE,
    TYPE_CLASH, WRITE_STALL,
};
use super::raw;

fn addr(last_octet: u8, port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 20, last_octet], port))
}

/// shared/reference/original-api/attach_ipvpn_B.json
const ATTACH_IPVPN_B: &str = r#"{"vpn_instance_id": "ipvpn-test", "vpn_type": "ipvpn", "import_rt": ["64512:512"], "export_rt": ["64512:512"], "local_port": {"linuxif": "tapB1"}, "mac_address": "52:54:00:00:0b:01", "ip_address": "10.77.0.2/24", "gateway_ip": "10.77.0.254"}"#;
/// shared/reference/original-api/detach_ipvpn_A.json
const DETACH_IPVPN_A: &str = r#"{"vpn_instance_id": "ipvpn-test", "vpn_type": "ipvpn", "local_port": {"linuxif": "tapA1"}, "mac_address": "52:54:00:00:0a:01", "ip_address": "10.77.0.1/24"}"#;

fn with_instance_id(id: &str) -> String {
    ATTACH_IPVPN_B.replace("\"ipvpn-test\"", &format!("\"{id}\""))
}

/// An error answer: JSON, with the documented members.
fn assert_error(answer: &Answer, status: u16, field: Option<&str>) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(
        answer.headers["content-type"], "application/json",
        "{answer:?}"
    );
    let body = answer.json();
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert_eq!(
        body["field"],
        field.map_or(Value::Null, |f| json!(f)),
        "{body}"
    );
    assert_eq!(body["code"], status);
    assert_eq!(body["description"], body["error"]);
}

#[tokio::test]
async fn attach_and_detach_reach_the_engine() {
    let server = start(addr(1, 19001)).await;
    let mut client = Client::connect(server.addr).await;
    let answer = client.post_json("/attach_localport", ATTACH_IPVPN_B).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "null"));
    assert_eq!(answer.headers["content-type"], "application/json");
    let answer = client.post_json("/detach_localport", DETACH_IPVPN_A).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "null"));
    assert_eq!(
        *server.seen.lock().unwrap(),
        ["attach ipvpn-test", "detach 52:54:00:00:0a:01"]
    );
}

#[tokio::test]
async fn content_types_the_original_tolerated() {
    let server = start(addr(2, 19002)).await;
    let mut client = Client::connect(server.addr).await;
    for content_type in [
        None,
        Some("application/json; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("application/vnd.bagpipe+json"),
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| ("Content-Type", t))
            .into_iter()
            .collect();
        let answer = client
            .send("POST", "/attach_localport", &headers, Some(ATTACH_IPVPN_B))
            .await;
        assert_eq!(answer.status, 200, "{content_type:?}: {answer:?}");
    }
}

#[tokio::test]
async fn every_bad_request_is_a_json_400() {
    let server = start(addr(3, 19003)).await;
    let mut client = Client::connect(server.addr).await;
    let cases: Vec<(&str, Option<&str>, &str, Option<&str>)> = vec![
        (
            "/attach_localport",
            Some("application/json"),
            "{\"vpn_type\": ",
            None,
        ),
        ("/attach_localport", Some("application/json"), "", None),
        (
            "/attach_localport",
            Some("application/json"),
            "[1, 2]",
            None,
        ),
        (
            "/attach_localport",
            Some("application/json"),
            "\"text\"",
            None,
        ),
        (
            "/attach_localport",
            Some("multipart/form-data; boundary=x"),
            ATTACH_IPVPN_B,
            None,
        ),
        (
            "/attach_localport",
            Some("application/xml"),
            ATTACH_IPVPN_B,
            None,
        ),
        ("/attach_localport", None, "vpn_type=ipvpn", None),
        (
            "/attach_localport",
            Some("application/json"),
            "{}",
            Some("vpn_type"),
        ),
        (
            "/attach_localport",
            Some("application/json"),
            r#"{"vpn_type": "ipvpn", "vpn_instance_id": "i", "mac_address": "nope"}"#,
            Some("mac_address"),
        ),
        (
            "/detach_localport",
            Some("application/json"),
            r#"{"vpn_type": "ipvpn", "vpn_instance_id": "i", "mac_address": "52:54:00:00:0a:01", "local_port": "tap1"}"#,
            Some("ip_address"),
        ),
        ("/detach_localport", Some("application/json"), "null", None),
    ];
    for (path, content_type, body, field) in cases {
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| ("Content-Type", t))
            .into_iter()
            .collect();
        let answer = client.send("POST", path, &headers, Some(body)).await;
        assert_error(&answer, 400, field);
    }
    let answer = client
        .post_json(
            "/attach_localport",
            &ATTACH_IPVPN_B.replace("\"10.77.0.254\"", "\"10.77.0.300\""),
        )
        .await;
    assert_error(&answer, 400, Some("gateway_ip"));
    assert!(
        server.seen.lock().unwrap().is_empty(),
        "nothing invalid reaches the engine"
    );
}

#[tokio::test]
async fn engine_answers_become_http_statuses() {
    let server = start(addr(4, 19004)).await;
    let mut client = Client::connect(server.addr).await;
    let answer = client
        .post_json("/attach_localport", &with_instance_id(TYPE_CLASH))
        .await;
    assert_error(&answer, 400, Some("vpn_type"));
    assert!(answer.json()["error"].as_str().unwrap().contains("evpn"));
    let answer = client
        .post_json("/attach_localport", &with_instance_id(DATAPLANE_FAILURE))
        .await;
    assert_error(&answer, 500, None);
    let answer = client
        .post_json("/attach_localport", &with_instance_id(NO_REPLY))
        .await;
    assert_error(&answer, 503, None);
}

#[tokio::test]
async fn no_engine_means_503() {
    let server = start_with(addr(5, 19005), false).await;
    let mut client = Client::connect(server.addr).await;
    assert_error(
        &client.post_json("/attach_localport", ATTACH_IPVPN_B).await,
        503,
        None,
    );
    assert_error(&client.get("/looking-glass").await, 503, None);
    // what needs no engine still works
    assert_eq!(client.get("/ping").await.status, 200);
}

#[tokio::test]
async fn methods_and_paths_like_the_original() {
    let server = start(addr(6, 19006)).await;
    let mut client = Client::connect(server.addr).await;
    for path in ["/", "/attach_localport", "/detach_localport"] {
        let answer = client.get(path).await;
        assert_eq!((answer.status, answer.json()), (200, json!({})), "{path}");
    }
    for (method, path) in [
        ("PUT", "/attach_localport"),
        ("DELETE", "/attach_localport"),
        ("PUT", "/detach_localport"),
        ("DELETE", "/detach_localport"),
        ("POST", "/"),
        ("POST", "/ping"),
        ("POST", "/looking-glass"),
        ("DELETE", "/looking-glass/summary"),
    ] {
        let answer = client.send(method, path, &[], Some("{}")).await;
        assert_error(&answer, 405, None);
    }
    assert_error(&client.get("/attach_localport/extra").await, 404, None);
    assert_error(&client.get("/nowhere").await, 404, None);
}

#[tokio::test]
async fn ping_is_a_number_fixed_for_the_process() {
    let server = start(addr(7, 19007)).await;
    let mut client = Client::connect(server.addr).await;
    let first = client.get("/ping").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.headers["content-type"], "application/json");
    assert!(
        first.body.len() > 1 && first.body.bytes().all(|b| b.is_ascii_digit()),
        "{}",
        first.body
    );
    assert_eq!(client.get("/ping").await.body, first.body);
    // another daemon (a restart) has another number
    let other = start(addr(7, 19008)).await;
    let again = Client::connect(other.addr).await.get("/ping").await;
    assert_ne!(again.body, first.body);
}

#[tokio::test]
async fn looking_glass_over_http() {
    let server = start(addr(8, 19009)).await;
    let mut client = Client::connect(server.addr).await;
    let base = format!("http://{}/looking-glass", server.addr);
    for path in ["/looking-glass", "/looking-glass/"] {
        let root = client.get(path).await;
        assert_eq!(root.status, 200);
        let root = root.json();
        assert_eq!(root["config"], json!({"href": format!("{base}/config")}));
        assert_eq!(root["summary"]["BGP_established_peers"], 1);
    }
    let answer = client.get("/looking-glass/summary/route_counts").await;
    assert_eq!(
        answer.json(),
        json!({"local_routes_count": 3, "received_routes_count": 3})
    );
    assert_eq!(
        client.get("/looking-glass/config/BGP/my_as").await.json(),
        64512
    );
    assert_eq!(
        client
            .get("/looking-glass/bgp/route_counts/local_routes_count")
            .await
            .json(),
        3
    );
    assert_eq!(client.get("/looking-glass/logs").await.json(), json!([]));
    let missing = client.get("/looking-glass/vpns/nothing%20here").await;
    assert_error(&missing, 404, None);
    assert!(missing.json()["error"]
        .as_str()
        .unwrap()
        .contains(&format!("nothing here at {base}/vpns")));
    // links follow the Host header the client used
    let answer = client
        .send(
            "GET",
            "/looking-glass",
            &[("Host", "bagpipe.example:8082")],
            None,
        )
        .await;
    assert_eq!(
        answer.json()["bgp"]["href"],
        "http://bagpipe.example:8082/looking-glass/bgp"
    );
}

/// Many agents at once, each on its own kept-alive connection: every request is answered,
/// none with an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_parallel_clients_with_keep_alive() {
    let server = start(addr(9, 19010)).await;
    let clients = (0..200).map(|i| {
        let addr = server.addr;
        tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            for j in 0..5 {
                let answer = match j % 3 {
                    0 => {
                        client
                            .post_json("/attach_localport", &with_instance_id(&format!("vpn-{i}")))
                            .await
                    }
                    1 => client.get("/ping").await,
                    _ => client.get("/looking-glass/summary").await,
                };
                assert_eq!(answer.status, 200, "client {i} request {j}: {answer:?}");
            }
        })
    });
    for client in clients.collect::<Vec<_>>() {
        client.await.unwrap();
    }
    // per client: two attaches and one looking-glass request reach the engine
    assert_eq!(server.seen.lock().unwrap().len(), 200 * 3);
}

/// Route lists are written on blocking threads, two at a time: more requests wait their turn
/// (a full table's JSON is hundreds of megabytes) before the engine is asked (so that they
/// hold no copy of the rows while they wait), and every one is answered.
#[tokio::test]
async fn looking_glass_answers_written_later_take_turns() {
    use std::sync::atomic::Ordering::SeqCst;
    let server = start(addr(10, 19011)).await;
    let request = || {
        let addr = server.addr;
        tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            client.get(&format!("/looking-glass/{SLOW_WRITE}")).await
        })
    };
    let mut requests: Vec<_> = (0..2).map(|_| request()).collect();
    let began = tokio::time::Instant::now();
    while server.writers.running.load(SeqCst) < 2 {
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "two writers never ran"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    requests.extend((0..4).map(|_| request()));
    for request in requests {
        let answer = request.await.unwrap();
        assert_eq!((answer.status, answer.json()), (200, json!({})));
    }
    assert_eq!(
        server.writers.most_at_once.load(SeqCst),
        2,
        "writers at once"
    );
    assert!(
        server.writers.most_running_when_asked.load(SeqCst) <= 1,
        "the engine was asked while both writers ran"
    );
}

/// Clients that ask for a streamed route list and read nothing lose it after the stall
/// timeout, cut short (no last chunk), and the writers' turns they held go to the next
/// requests.
#[tokio::test]
async fn clients_that_stop_reading_give_their_turn_back() {
    use tokio::io::AsyncWriteExt;
    let server = start(addr(12, 19013)).await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let request = format!("GET /looking-glass/{BIG_STREAM} HTTP/1.1\r\nHost: x\r\n\r\n");
        s.write_all(request.as_bytes()).await.unwrap();
        stalled.push(s);
    }
    tokio::time::sleep(WRITE_STALL / 5).await;
    let mut client = Client::connect(server.addr).await;
    let summary = tokio::time::timeout(WRITE_STALL * 10, client.get("/looking-glass/summary"))
        .await
        .expect("the stalled clients kept the writers' turns");
    assert_eq!(summary.status, 200, "{summary:?}");
    let answer = raw::read_to_close(&mut stalled[0], Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 200"));
    assert!(answer.len() < 64 << 20, "the whole answer was written");
    assert!(
        !answer.ends_with("0\r\n\r\n"),
        "a cut answer looks complete"
    );
}

/// A body that does not arrive whole in time is refused with a 408, and the engine never
/// hears of the request.
#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused() {
    use tokio::io::AsyncWriteExt;
    let server = start(addr(13, 19014)).await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"POST /attach_localport HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"vpn_type\": ")
        .await
        .unwrap();
    let began = tokio::time::Instant::now();
    let text = raw::read_answer(&mut slow, "}", BODY_TIMEOUT * 10).await;
    assert!(
        began.elapsed() >= BODY_TIMEOUT,
        "refused before the timeout"
    );
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("did not arrive whole"), "{text}");
    assert!(
        server.seen.lock().unwrap().is_empty(),
        "the engine was asked"
    );
}

#[tokio::test]
async fn metrics_count_requests_and_show_the_engine() {
    let server = start(addr(11, 19012)).await;
    let mut client = Client::connect(server.addr).await;
    let ok = client.post_json("/attach_localport", ATTACH_IPVPN_B).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(client.post_json("/attach_localport", "{").await.status, 400);
    assert_eq!(client.post_json("/ping", "{}").await.status, 405);
    assert_eq!(client.get("/nowhere").await.status, 404);
    let answer = client.get("/metrics").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.headers["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = &answer.body;
    for line in [
        // the requests, by route and status (the metrics request itself is answered after)
        r#"bagpipe_api_requests_total{method="POST",path="/attach_localport",code="200"} 1"#,
        r#"bagpipe_api_requests_total{method="POST",path="/attach_localport",code="400"} 1"#,
        r#"bagpipe_api_requests_total{method="POST",path="/ping",code="405"} 1"#,
        r#"bagpipe_api_request_duration_seconds_count{method="POST",path="/attach_localport"} 2"#,
        // the engine's snapshot (the fake engine's)
        r#"bagpipe_build_info{version="0.0.0-test"} 1"#,
        r#"bagpipe_bgp_peer_state{peer="192.0.2.1",state="Established"} 1"#,
        r#"bagpipe_bgp_peer_state{peer="192.0.2.1",state="Idle"} 0"#,
        r#"bagpipe_bgp_peer_uptime_seconds{peer="192.0.2.1"} 42"#,
        r#"bagpipe_bgp_peer_updates_received_total{peer="192.0.2.1"} 5"#,
        r#"bagpipe_bgp_peer_paths{peer="192.0.2.1"} 7"#,
        r#"bagpipe_rib_paths{origin="received"} 7"#,
        r#"bagpipe_rib_paths{origin="local"} 2"#,
        r#"bagpipe_rib_destinations{family="ipv4/mpls-vpn"} 9"#,
        r#"bagpipe_vpn_instances{vpn_type="ipvpn"} 1"#,
        r#"bagpipe_vpn_instances{vpn_type="evpn"} 0"#,
        // label values escaped
        r#"bagpipe_vpn_instance_endpoints{vpn_instance_id="net \"1\"",vpn_type="ipvpn"} 2"#,
        r#"bagpipe_vpn_instance_destinations{vpn_instance_id="net \"1\"",vpn_type="ipvpn"} 7"#,
        r#"bagpipe_log_messages_total{level="warning"} 1"#,
        r#"bagpipe_dataplane_failed_instances{vpn_type="ipvpn",driver="linux"} 1"#,
        r#"bagpipe_dataplane_reconcile_failures_total{vpn_type="ipvpn",driver="linux"} 1"#,
        r#"bagpipe_dataplane_entries_total{vpn_type="ipvpn",driver="linux",change="created"} 4"#,
        "# TYPE process_resident_memory_bytes gauge",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
    }
    assert!(text.ends_with("# EOF\n"), "{text}");
    // Unmatched paths are not counted: their label would be whatever clients send.
    assert!(!text.contains("/nowhere"), "{text}");
    let again = client.get("/metrics").await.body;
    assert!(
        again.contains(r#"bagpipe_api_requests_total{method="GET",path="/metrics",code="200"} 1"#)
    );
    assert_eq!(client.post_json("/metrics", "{}").await.status, 405);
}
