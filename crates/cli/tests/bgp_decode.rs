//! `bagpipe-bgp-decode` run as a process: hex arguments and stdin, raw streams, session context
//! options, JSON output, malformed input and exit statuses.

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::{Command, Output, Stdio};

use bagpipe_wire::attr::{AsPath, AttrValue, Origin, PathAttribute};
use bagpipe_wire::hex::Hex;
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{EvpnRoute, Nlri, PathNlri};
use bagpipe_wire::{
    CodecContext, Esi, ExtendedCommunity, Family, Label, Message, RouteTarget, TunnelType,
};
use serde_json::Value;

fn decode_cmd(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bagpipe-bgp-decode"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs bagpipe-bgp-decode");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("writes stdin");
    child.wait_with_output().expect("waits")
}

/// The JSON lines printed, and the exit status.
fn run(args: &[&str], stdin: &[u8]) -> (Vec<Value>, i32) {
    let out = decode_cmd(args, stdin);
    let lines = String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (lines, out.status.code().expect("exit status"))
}

fn ctx() -> CodecContext {
    CodecContext {
        four_octet_as: true,
        ..CodecContext::default()
    }
}

fn evpn_update(path_id: Option<u32>) -> Message {
    let rt: RouteTarget = "65000:100".parse().unwrap();
    let attrs = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::sequence(vec![4200000001]))),
        PathAttribute::new(AttrValue::ExtendedCommunities(vec![
            rt.into(),
            ExtendedCommunity::encapsulation(TunnelType::VXLAN),
        ])),
    ];
    let route = EvpnRoute::MacIpAdvertisement {
        rd: "192.0.2.1:7".parse().unwrap(),
        esi: Esi::ZERO,
        etag: 0,
        mac: "52:54:00:aa:bb:01".parse().unwrap(),
        ip: Some("10.0.0.1".parse().unwrap()),
        label: Label::vni(1091),
        label2: None,
    };
    Message::Update(Update::announce(
        Family::EVPN,
        Some(Ipv4Addr::new(192, 0, 2, 1).into()),
        attrs,
        vec![PathNlri {
            path_id,
            nlri: Nlri::Evpn(route),
        }],
    ))
}

fn hex(m: &Message, ctx: &CodecContext) -> String {
    Hex(&m.to_bytes(ctx).unwrap()).to_string()
}

#[test]
fn decodes_an_evpn_update_into_readable_json() {
    let full = hex(&evpn_update(None), &ctx());
    // Without the marker too: it is prepended.
    for input in [full.clone(), full[32..].to_string()] {
        let (lines, status) = run(&[&input], b"");
        assert_eq!(status, 0, "{lines:?}");
        let m = &lines[0];
        assert_eq!(m["verdict"], "clean");
        assert_eq!(m["issues"], Value::Array(vec![]));
        assert_eq!(
            m["routes"]["announced"][0]["route"],
            "type2 rd 192.0.2.1:7 etag 0 mac 52:54:00:aa:bb:01 ip 10.0.0.1 label 1091"
        );
        assert_eq!(m["routes"]["announced"][0]["family"], "l2vpn/evpn");
        assert_eq!(m["routes"]["announced"][0]["next_hop"], "192.0.2.1");
        let body = &m["message"]["body"];
        assert_eq!(m["message"]["type"], "update");
        let attrs = body["attributes"].as_array().unwrap();
        let ext = attrs
            .iter()
            .find(|a| a["attribute"] == "extended-communities")
            .expect("extended communities");
        assert_eq!(ext["value"][0], "target:65000:100");
        assert_eq!(ext["value"][1], "encap:VXLAN");
        let path = attrs.iter().find(|a| a["attribute"] == "as-path").unwrap();
        assert_eq!(path["value"]["segments"][0]["asns"][0], 4200000001u32);
        let reach = attrs.iter().find(|a| a["attribute"] == "mp-reach").unwrap();
        let route = &reach["value"]["nlri"][0];
        assert_eq!(route["mac"], "52:54:00:aa:bb:01");
        assert_eq!(route["rd"], "192.0.2.1:7");
        assert_eq!(route["esi"], "00:00:00:00:00:00:00:00:00:00");
        // Both readings of the label field: raw 24 bits (VNI) and MPLS.
        assert_eq!(route["label"]["raw"], 1091);
        assert_eq!(route["label"]["mpls_label"], 1091 >> 4);
    }
}

#[test]
fn reads_stdin_lines_and_skips_comments() {
    let keepalive = "ffffffffffffffffffffffffffffffff001304";
    let input = format!("# a comment\n{keepalive}\n\n001304\n");
    let (lines, status) = run(&[], input.as_bytes());
    assert_eq!(status, 0);
    assert_eq!(lines.len(), 2);
    assert!(lines
        .iter()
        .all(|l| l["message"]["type"] == "keepalive" && l["length"] == 19));
}

#[test]
fn session_context_options() {
    let two = CodecContext::initial();
    let m = hex(&evpn_update(None), &two);
    let (lines, status) = run(&["--two-octet-as", &m], b"");
    assert_eq!(status, 0, "{lines:?}");
    // The 4-octet AS went out as AS_TRANS on a 2-octet session.
    let attrs = lines[0]["message"]["body"]["attributes"]
        .as_array()
        .unwrap();
    let path = attrs.iter().find(|a| a["attribute"] == "as-path").unwrap();
    assert_eq!(path["value"]["segments"][0]["asns"][0], 23456);
    // Read as 4-octet, the 2-octet AS_PATH is malformed: treat-as-withdraw, exit 1.
    let (lines, status) = run(&[&m], b"");
    assert_eq!(status, 1);
    assert_eq!(lines[0]["verdict"], "treat-as-withdraw");
    assert_eq!(lines[0]["issues"][0]["action"], "treat-as-withdraw");
    assert!(lines[0]["issues"][0]["rule"]
        .as_str()
        .unwrap()
        .starts_with("RFC 7606 §7.2"));

    let add_path = CodecContext {
        add_path: vec![Family::EVPN],
        ..ctx()
    };
    let m = hex(&evpn_update(Some(7)), &add_path);
    let (lines, status) = run(&["--add-path", "l2vpn/evpn,ipv4/unicast", &m], b"");
    assert_eq!(status, 0, "{lines:?}");
    assert_eq!(lines[0]["routes"]["announced"][0]["path_id"], 7);
    let (_, status) = run(&[&m], b"");
    assert_eq!(status, 1, "without add-path the identifier is read as NLRI");
}

#[test]
fn malformed_messages_name_offset_rule_and_notification() {
    // An UPDATE whose only attribute overruns the Total Path Attribute Length by one octet
    // but carries MP_REACH_NLRI: session reset.
    let bad = "ffffffffffffffffffffffffffffffff001e0200000007900e0004000119";
    let (lines, status) = run(&[bad], b"");
    assert_eq!(status, 1);
    let e = &lines[0]["error"];
    assert_eq!(lines[0]["verdict"], "session-reset");
    assert_eq!(e["offset"], 23);
    assert_eq!(e["notification"]["code"], 3);
    assert_eq!(e["notification"]["subcode"], 9);
    assert!(e["rule"].as_str().unwrap().contains("RFC 7606"));
    assert_eq!(lines[0]["hex"], bad);
    let stderr = String::from_utf8(decode_cmd(&[bad], b"").stderr).unwrap();
    assert!(stderr.contains("at byte 23"), "{stderr}");

    // A malformed ATOMIC_AGGREGATE is only discarded: the routes stand, exit 0.
    let discard = "ffffffffffffffffffffffffffffffff001f02000000084001010040060100";
    let (lines, status) = run(&[discard], b"");
    assert_eq!(status, 0, "{lines:?}");
    assert_eq!(lines[0]["verdict"], "attribute-discard");

    // Not hex at all: unusable input.
    let out = decode_cmd(&["0x13zz"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("not hex at character"));
}

#[test]
fn raw_streams_are_split_by_their_headers() {
    let dir = std::env::temp_dir().join(format!("bagpipe-bgp-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stream.bin");
    let mut stream = Vec::new();
    for m in [&Message::Keepalive, &evpn_update(None), &Message::Keepalive] {
        stream.extend(m.to_bytes(&ctx()).unwrap());
    }
    std::fs::write(&path, &stream).unwrap();
    let (lines, status) = run(&["--raw", path.to_str().unwrap()], b"");
    assert_eq!(status, 0, "{lines:?}");
    let offsets: Vec<u64> = lines
        .iter()
        .map(|l| l["stream_offset"].as_u64().unwrap())
        .collect();
    assert_eq!(offsets, [0, 19, (stream.len() - 19) as u64]);

    // Cut short, then garbage: the messages before are decoded, the rest is reported.
    let (lines, status) = run(&["--raw", "-"], &stream[..stream.len() - 1]);
    assert_eq!(status, 1);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["stream_offset"], (stream.len() - 19) as u64);
    assert!(lines[2]["error"]["detail"]
        .as_str()
        .unwrap()
        .contains("18 octets"));
    let mut garbage = stream.clone();
    garbage[19] = 0;
    let (lines, status) = run(&["--raw", "-"], &garbage);
    assert_eq!(status, 1);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["error"]["notification"]["subcode"], 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
