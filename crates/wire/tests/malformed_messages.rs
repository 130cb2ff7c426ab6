//! RFC 4271 §6.1 (header), §6.2 (OPEN), RFC 5492 / RFC 9072 (capabilities and parameters),
//! RFC 7313 (ROUTE-REFRESH) and RFC 8654 (extended messages): each malformed message gives the
//! NOTIFICATION the RFCs prescribe.

mod common;

use bagpipe_wire::message::{Capability, OptionalParameter, RefreshSubtype, RouteRefresh, MARKER};
use bagpipe_wire::{CodecContext, Family, Message};
use common::*;

fn reset(code: u8, subcode: u8, data: &[u8]) -> Verdict {
    Verdict::Reset(code, subcode, data.to_vec())
}

/// An OPEN body: version 4, AS 65001, hold time 90, id 192.0.2.1, then `params` (with their
/// total length first).
fn open_body(params: &[u8]) -> Vec<u8> {
    concat(&[
        &[4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, params.len() as u8],
        params,
    ])
}

fn caps(caps: &[u8]) -> Vec<u8> {
    concat(&[&[2, caps.len() as u8], caps])
}

fn open_verdict(params: &[u8]) -> Verdict {
    verdict(&message(1, &open_body(params)), &ctx2())
}

#[test]
fn header_errors() {
    let c = ctx4();
    let keepalive = message(4, &[]);
    assert_eq!(verdict(&keepalive, &c), Verdict::Clean);

    let mut bad_marker = keepalive.clone();
    bad_marker[3] = 0xfe;
    assert_eq!(verdict(&bad_marker, &c), reset(1, 1, &[]));

    let mut bad_type = keepalive.clone();
    bad_type[18] = 6;
    assert_eq!(verdict(&bad_type, &c), reset(1, 3, &[6]));
    bad_type[18] = 0;
    assert_eq!(verdict(&bad_type, &c), reset(1, 3, &[0]));

    // Bad Message Length carries the erroneous length field.
    let long_keepalive = message(4, &[0]);
    assert_eq!(verdict(&long_keepalive, &c), reset(1, 2, &[0, 20]));
    for (kind, body_len) in [(1u8, 9usize), (2, 3), (3, 1), (5, 3)] {
        let m = message(kind, &vec![0; body_len]);
        let len = (19 + body_len) as u16;
        assert_eq!(
            verdict(&m, &c),
            reset(1, 2, &len.to_be_bytes()),
            "type {kind} of {len} octets"
        );
    }
    let mut below_header = keepalive.clone();
    below_header[17] = 18;
    assert_eq!(
        verdict(&below_header, &c),
        Verdict::Reset(1, 2, vec![0, 18])
    );
    // The length field disagrees with the octets given.
    let mut lying = keepalive.clone();
    lying.push(0);
    assert_eq!(verdict(&lying, &c), reset(1, 2, &[0, 19]));
    assert_eq!(verdict(&MARKER, &c), reset(1, 2, &[]));
}

#[test]
fn extended_messages() {
    // An UPDATE of 5000 octets: a withdrawal of many /32s.
    let withdrawn: Vec<u8> = (0..996u32)
        .flat_map(|i| {
            let b = i.to_be_bytes();
            [32, 10, b[1], b[2], b[3]]
        })
        .collect();
    let big = update(&withdrawn, &[], &[]);
    assert!(big.len() > 4096);
    let ext = CodecContext {
        extended_message: true,
        ..ctx4()
    };
    assert_eq!(verdict(&big, &ext), Verdict::Clean);
    let len = (big.len() as u16).to_be_bytes();
    assert_eq!(verdict(&big, &ctx4()), reset(1, 2, &len));
    // RFC 8654 §4: OPEN and KEEPALIVE stay within 4096 octets.
    let big_open = message(1, &[vec![0u8; 10], vec![0; 4100]].concat());
    let len = (big_open.len() as u16).to_be_bytes();
    assert_eq!(verdict(&big_open, &ext), reset(1, 2, &len));
    // Encoding refuses what the peer could not accept.
    let Message::Update(u) = decode(&big, &ext).message else {
        panic!("not an UPDATE")
    };
    let m = Message::Update(u);
    assert!(m.to_bytes(&ctx4()).is_err());
    assert_same_bytes(&big, &encode(&m, &ext), "extended UPDATE");
}

#[test]
fn open_errors() {
    let mp_evpn = [1, 4, 0, 25, 0, 70];
    assert_eq!(open_verdict(&caps(&mp_evpn)), Verdict::Clean);
    assert_eq!(open_verdict(&[]), Verdict::Clean);

    // Unsupported version: the data is the highest version we support, two octets.
    let mut v3 = message(1, &open_body(&[]));
    v3[19] = 3;
    assert_eq!(verdict(&v3, &ctx2()), reset(2, 1, &[0, 4]));

    // Optional Parameters Length not matching what follows.
    let mut body = open_body(&caps(&mp_evpn));
    body[9] += 1;
    assert_eq!(verdict(&message(1, &body), &ctx2()), reset(2, 0, &[]));
    body[9] -= 2;
    assert_eq!(verdict(&message(1, &body), &ctx2()), reset(2, 0, &[]));

    let malformed = [
        ("parameter overruns", vec![2, 9, 1, 4, 0, 25, 0, 70]),
        ("parameter header cut", vec![2]),
        ("capability overruns its parameter", vec![2, 4, 1, 4, 0, 25]),
        ("capability header cut", vec![2, 1, 1]),
        ("multiprotocol of length 3", caps(&[1, 3, 0, 25, 0])),
        ("route refresh with a value", caps(&[2, 1, 0])),
        ("4-octet AS of length 2", caps(&[65, 2, 0xfd, 0xe9])),
        ("graceful restart of length 3", caps(&[64, 3, 0, 90, 0])),
        (
            "graceful restart family cut",
            caps(&[64, 5, 0, 90, 0, 1, 1]),
        ),
        ("extended next hop of length 4", caps(&[5, 4, 0, 1, 0, 1])),
        ("add-path of length 3", caps(&[69, 3, 0, 1, 1])),
    ];
    for (what, params) in malformed {
        assert_eq!(open_verdict(&params), reset(2, 0, &[]), "{what}");
    }
}

#[test]
fn open_parameters_that_decode() {
    // An unknown parameter type is kept; refusing it is the speaker's call (RFC 4271 §6.2).
    let params = [&[9u8, 2, 0xab, 0xcd][..], &caps(&[70, 0])].concat();
    let bytes = message(1, &open_body(&params));
    let d = assert_reencodes(&bytes, &ctx2(), "unknown parameter type");
    let Message::Open(open) = d.message else {
        panic!("not an OPEN")
    };
    assert_eq!(
        open.params[0],
        OptionalParameter::Unknown {
            param_type: 9,
            data: vec![0xab, 0xcd]
        }
    );
    assert_eq!(
        open.capabilities().collect::<Vec<_>>(),
        [&Capability::EnhancedRouteRefresh]
    );

    // RFC 7911 §4: an add-path Send/Receive value other than 1-3 makes the capability one not
    // understood, to be ignored (RFC 5492), not a reason to reset.
    let bytes = message(1, &open_body(&caps(&[69, 4, 0, 1, 1, 7])));
    let d = assert_reencodes(&bytes, &ctx2(), "add-path with mode 7");
    let Message::Open(open) = d.message else {
        panic!("not an OPEN")
    };
    assert!(
        matches!(
            open.capabilities().next(),
            Some(Capability::Unknown { code: 69, .. })
        ),
        "{open:?}"
    );

    // RFC 9072: extended optional parameters (length 255, type 255, two-octet lengths).
    let cap_values: Vec<u8> = (0..70u8).flat_map(|i| [1, 4, 0, 1, 0, i]).collect();
    let mut ext = vec![4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 255, 255];
    ext.extend_from_slice(&((3 + cap_values.len()) as u16).to_be_bytes());
    ext.push(2);
    ext.extend_from_slice(&(cap_values.len() as u16).to_be_bytes());
    ext.extend_from_slice(&cap_values);
    let bytes = message(1, &ext);
    let d = assert_reencodes(&bytes, &ctx2(), "RFC 9072 extended parameters");
    let Message::Open(open) = d.message else {
        panic!("not an OPEN")
    };
    assert_eq!(open.capabilities().count(), 70);
}

#[test]
fn route_refresh() {
    let c = ctx4();
    for (sub, subtype) in [
        (0, RefreshSubtype::Request),
        (1, RefreshSubtype::BeginOfRefresh),
        (2, RefreshSubtype::EndOfRefresh),
        (9, RefreshSubtype::Reserved(9)),
    ] {
        let bytes = message(5, &[0, 25, sub, 70]);
        let d = assert_reencodes(&bytes, &c, "ROUTE-REFRESH");
        assert_eq!(
            d.message,
            Message::RouteRefresh(RouteRefresh {
                family: Family::EVPN,
                subtype
            })
        );
    }
    // RFC 7313 §5: a body other than 4 octets; the data is the whole message.
    let long = message(5, &[0, 1, 1, 1, 0]);
    assert_eq!(verdict(&long, &c), reset(7, 1, &long));
}

#[test]
fn notification_and_keepalive() {
    let n = message(3, &[6, 2, b'b', b'y', b'e']);
    let d = assert_reencodes(&n, &ctx4(), "NOTIFICATION");
    let Message::Notification(n) = d.message else {
        panic!("not a NOTIFICATION")
    };
    assert_eq!((n.code, n.subcode, n.data.as_slice()), (6, 2, &b"bye"[..]));
    assert_eq!(n.describe(), "6/2 (Cease, Administrative Shutdown)");
    assert_eq!(verdict(&message(3, &[6]), &ctx4()), reset(1, 2, &[0, 20]));
}
