//! `GET /metrics` of a daemon with a real peer (another of our daemons): what it says of the
//! session, the route table, the instances and the API's requests, read back in the
//! OpenMetrics format by the Prometheus project's own parser (Python), and as the session
//! goes down.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use bagpipe_testbed::daemon::{daemon_ini, Daemon};
use bagpipe_testbed::wait::wait_for;
use support::{ipvpn, start_daemon};

const A: &str = "127.0.28.1";
const B: &str = "127.0.28.2";
const BGP_PORT: u16 = 19800;

fn daemon(me: &str, peer: &str, api_port: u16) -> Daemon {
    start_daemon(
        me,
        me,
        api_port,
        &daemon_ini(me, &[peer], BGP_PORT, api_port, ""),
    )
}

/// The value of the sample written exactly `sample` (name and labels), if there is one.
fn value(text: &str, sample: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

/// Parses `text` with prometheus_client's OpenMetrics parser (strict: it refuses what
/// Prometheus would): the metric families' names and types, one per line.
fn parsed_by_prometheus_client(text: &str) -> String {
    let script = "import sys\n\
        from prometheus_client.openmetrics.parser import text_string_to_metric_families\n\
        for f in text_string_to_metric_families(sys.stdin.read()):\n\
        \x20   print(f.name, f.type, len(f.samples))\n";
    // Debian's interpreter, which has Debian's python3-prometheus-client.
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 (scripts/install-test-deps.sh installs its prometheus client)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the OpenMetrics parser refused the metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn metrics_follow_the_session_the_routes_and_the_requests() {
    let a = daemon(A, B, 19801);
    let mut b = daemon(B, A, 19802);
    a.wait_established(1, Duration::from_secs(30));
    a.attach(&ipvpn("vrf1", "64512:10", 1, "10.28.0.1/24"));
    b.attach(&ipvpn("vrf1", "64512:10", 2, "10.28.0.2/24"));
    let mut bad = ipvpn("vrf1", "64512:10", 3, "10.28.0.3/24");
    bad["mac_address"] = "not-a-mac".into();
    assert_eq!(a.post("/attach_localport", &bad).0, 400);

    let peer = format!("{{peer=\"{B}\"}}");
    let text = wait_for(Duration::from_secs(20), "B's route in A's VRF", || {
        let text = a.metrics();
        (value(
            &text,
            r#"bagpipe_vpn_instance_destinations{vpn_instance_id="vrf1",vpn_type="ipvpn"}"#,
        ) == Some(1.0))
        .then_some(text)
    });
    let expected = [
        (
            format!("bagpipe_bgp_peer_state{{peer=\"{B}\",state=\"Established\"}}"),
            1.0,
        ),
        (
            format!("bagpipe_bgp_peer_state{{peer=\"{B}\",state=\"Active\"}}"),
            0.0,
        ),
        (
            format!("bagpipe_bgp_peer_established_transitions_total{peer}"),
            1.0,
        ),
        // B's VPNv4 route to 10.28.0.2/32 (RT Constraint routes are received too).
        (
            r#"bagpipe_vpn_instance_endpoints{vpn_instance_id="vrf1",vpn_type="ipvpn"}"#.into(),
            1.0,
        ),
        (r#"bagpipe_vpn_instances{vpn_type="ipvpn"}"#.into(), 1.0),
        (r#"bagpipe_vpn_instances{vpn_type="evpn"}"#.into(), 0.0),
        (r#"bagpipe_rib_paths{origin="local"}"#.into(), 1.0),
        (
            r#"bagpipe_api_requests_total{method="POST",path="/attach_localport",code="200"}"#
                .into(),
            1.0,
        ),
        (
            r#"bagpipe_api_requests_total{method="POST",path="/attach_localport",code="400"}"#
                .into(),
            1.0,
        ),
        (
            r#"bagpipe_api_request_duration_seconds_count{method="POST",path="/attach_localport"}"#
                .into(),
            2.0,
        ),
    ];
    for (sample, v) in &expected {
        assert_eq!(value(&text, sample), Some(*v), "{sample} in\n{text}");
    }
    let from_b = value(&text, &format!("bagpipe_bgp_peer_paths{peer}")).unwrap();
    assert!(
        from_b >= 2.0,
        "B's VPNv4 and RT Constraint routes: {from_b}"
    );
    assert_eq!(
        value(&text, r#"bagpipe_rib_paths{origin="received"}"#),
        Some(from_b)
    );
    assert_eq!(
        value(&text, r#"bagpipe_rib_destinations{family="ipv4/mpls-vpn"}"#),
        Some(2.0)
    );
    assert!(
        value(
            &text,
            &format!("bagpipe_bgp_peer_updates_received_total{peer}")
        )
        .unwrap()
            >= 1.0
    );
    assert!(value(&text, "process_resident_memory_bytes").unwrap() > 1e6);
    let reconciles = r#"bagpipe_dataplane_reconciles_total{vpn_type="ipvpn",driver="dummy"}"#;
    let reconciled = value(&text, reconciles).unwrap();
    assert!(reconciled >= 1.0, "{text}");
    // In clock ticks (10 ms): this daemon may not have used one yet.
    assert!(value(&text, "process_cpu_seconds_total").is_some_and(|s| s >= 0.0));

    let families = parsed_by_prometheus_client(&text);
    // name, type, and the number of samples when it is known
    for family in [
        "bagpipe_bgp_peer_state gauge 6",
        "bagpipe_bgp_peer_messages_received counter 1",
        "bagpipe_build info 1",
        "process_open_fds gauge 1",
        // by route and code: the attaches, and the requests of the test's harness
        "bagpipe_api_requests counter ",
        "bagpipe_api_request_duration_seconds histogram ",
    ] {
        assert!(
            families
                .lines()
                .any(|l| l == family || family.ends_with(' ') && l.starts_with(family)),
            "no {family} in\n{families}"
        );
    }

    // B stops: the session goes, and B's routes with it.
    b.stop();
    let text = wait_for(
        Duration::from_secs(20),
        "the session down in A's metrics",
        || {
            let text = a.metrics();
            (value(
                &text,
                &format!("bagpipe_bgp_peer_state{{peer=\"{B}\",state=\"Established\"}}"),
            ) == Some(0.0))
            .then_some(text)
        },
    );
    assert_eq!(
        value(&text, &format!("bagpipe_bgp_peer_paths{peer}")),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        value(&text, &format!("bagpipe_bgp_peer_uptime_seconds{peer}")),
        Some(0.0)
    );
    assert!(
        value(
            &text,
            &format!("bagpipe_bgp_peer_notifications_received_total{peer}")
        )
        .unwrap()
            >= 1.0,
        "B's Cease: {text}"
    );
    assert_eq!(
        value(
            &text,
            r#"bagpipe_vpn_instance_destinations{vpn_instance_id="vrf1",vpn_type="ipvpn"}"#
        ),
        Some(0.0)
    );
    parsed_by_prometheus_client(&text);
}
