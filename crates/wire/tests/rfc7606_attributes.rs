//! RFC 7606 §7 (and RFC 4271 §6.3, RFC 6793 §6, RFC 8092, RFC 6514, RFC 9012): for each path
//! attribute, malformed lengths, flags and values give the verdict the RFCs prescribe.
//!
//! Each case puts one attribute into an otherwise valid UPDATE announcing 10.0.0.0/8, so the
//! verdict can only come from that attribute.

mod common;

use bagpipe_wire::attr::AttrValue;
use bagpipe_wire::{CodecContext, Message};
use common::*;

const WITHDRAW: Verdict = Verdict::Withdraw;
const DISCARD: Verdict = Verdict::Discard;

/// UPDATE error code, subcodes of RFC 4271 §6.3.
const UPDATE_ERR: u8 = 3;
const UNRECOGNIZED_WELL_KNOWN: u8 = 2;
const FLAGS_ERROR: u8 = 4;
const OPTIONAL_ATTRIBUTE_ERROR: u8 = 9;

/// The valid UPDATE with `a` added, replacing the base attribute of the same type code.
fn with_attr(a: &[u8], ctx: &CodecContext) -> (Vec<u8>, std::ops::Range<usize>) {
    let as_path = if ctx.four_octet_as {
        as_path4()
    } else {
        as_path2()
    };
    let mut attrs = Vec::new();
    let mut range = 0..0;
    let mut placed = false;
    for base in [origin_igp(), as_path, next_hop()] {
        if base[1] == a[1] {
            range = attrs.len()..attrs.len() + a.len();
            attrs.extend_from_slice(a);
            placed = true;
        } else {
            attrs.extend_from_slice(&base);
        }
    }
    if !placed {
        range = attrs.len()..attrs.len() + a.len();
        attrs.extend_from_slice(a);
    }
    // Header 19, withdrawn length 2, attribute length 2.
    let at = 23;
    (
        update(&[], &attrs, &[8, 10]),
        range.start + at..range.end + at,
    )
}

/// Checks the verdict, and that every finding points inside the attribute under test.
fn check(name: &str, a: &[u8], ctx: &CodecContext, expected: Verdict) {
    let (bytes, range) = with_attr(a, ctx);
    let got = verdict(&bytes, ctx);
    assert_eq!(got, expected, "{name}\n{}", hex_dump(&bytes));
    let offsets: Vec<usize> = match Message::decode(&bytes, ctx) {
        Ok(d) => d.issues.iter().map(|i| i.offset).collect(),
        Err(e) => vec![e.offset],
    };
    for o in offsets {
        assert!(
            (range.start..=range.end).contains(&o),
            "{name}: finding at offset {o}, attribute at {range:?}"
        );
    }
}

fn reset_with_attr(subcode: u8, a: &[u8]) -> Verdict {
    Verdict::Reset(UPDATE_ERR, subcode, a.to_vec())
}

#[test]
fn base_update_is_clean() {
    for ctx in [ctx4(), ctx2()] {
        let (bytes, _) = with_attr(&origin_igp(), &ctx);
        assert_eq!(verdict(&bytes, &ctx), Verdict::Clean);
    }
}

#[test]
fn origin() {
    let c = ctx4();
    check("ORIGIN length 2", &attr(0x40, 1, &[0, 0]), &c, WITHDRAW);
    check("ORIGIN length 0", &attr(0x40, 1, &[]), &c, WITHDRAW);
    check("ORIGIN value 3", &attr(0x40, 1, &[3]), &c, WITHDRAW);
    check("ORIGIN optional", &attr(0xc0, 1, &[0]), &c, WITHDRAW);
    check("ORIGIN not transitive", &attr(0x00, 1, &[0]), &c, WITHDRAW);
    check("ORIGIN EGP", &attr(0x40, 1, &[1]), &c, Verdict::Clean);
    // The partial bit is not one RFC 7606 §3 c checks.
    check("ORIGIN partial", &attr(0x60, 1, &[2]), &c, Verdict::Clean);
}

#[test]
fn as_path() {
    let c4 = ctx4();
    let c2 = ctx2();
    let seg = |t: u8, n: u8, asns: &[u8]| attr(0x40, 2, &[&[t, n][..], asns].concat());
    check(
        "segment overrun",
        &seg(2, 2, &[0, 0, 0xfd, 0xe9]),
        &c4,
        WITHDRAW,
    );
    check(
        "segment type 5",
        &seg(5, 1, &[0, 0, 0xfd, 0xe9]),
        &c4,
        WITHDRAW,
    );
    check(
        "segment type 0",
        &seg(0, 1, &[0, 0, 0xfd, 0xe9]),
        &c4,
        WITHDRAW,
    );
    check("zero-length segment", &seg(2, 0, &[]), &c4, WITHDRAW);
    check(
        "one trailing octet",
        &attr(0x40, 2, &[2, 1, 0, 0, 0xfd, 0xe9, 2]),
        &c4,
        WITHDRAW,
    );
    // 2-octet ASes read as 4-octet ones overrun, and the reverse leaves octets over.
    check(
        "2-octet path on a 4-octet session",
        &as_path2(),
        &c4,
        WITHDRAW,
    );
    check(
        "4-octet path on a 2-octet session",
        &as_path4(),
        &c2,
        WITHDRAW,
    );
    check(
        "optional flag",
        &attr(0xc0, 2, &as_path4()[3..]),
        &c4,
        WITHDRAW,
    );
    check(
        "empty AS_PATH (iBGP)",
        &attr(0x40, 2, &[]),
        &c4,
        Verdict::Clean,
    );
    check(
        "AS_SET",
        &seg(1, 1, &[0, 0, 0xfd, 0xe9]),
        &c4,
        Verdict::Clean,
    );
    check(
        "confed sequence",
        &seg(3, 1, &[0, 0, 0xfd, 0xe9]),
        &c4,
        Verdict::Clean,
    );
    check(
        "confed set",
        &seg(4, 1, &[0, 0, 0xfd, 0xe9]),
        &c4,
        Verdict::Clean,
    );
}

#[test]
fn as4_path() {
    let c = ctx2();
    let seq = [2, 1, 0xfa, 0x56, 0xea, 0x02];
    check("AS4_PATH", &attr(0xc0, 17, &seq), &c, Verdict::Clean);
    check("AS4_PATH overrun", &attr(0xc0, 17, &seq[..5]), &c, DISCARD);
    check(
        "AS4_PATH type 9",
        &attr(0xc0, 17, &[9, 1, 0, 0, 0, 1]),
        &c,
        DISCARD,
    );
    check(
        "AS4_PATH zero-length segment",
        &attr(0xc0, 17, &[2, 0]),
        &c,
        DISCARD,
    );
    // RFC 7606 §3 c: a flags conflict is treat-as-withdraw, whatever the attribute.
    check("AS4_PATH well-known", &attr(0x40, 17, &seq), &c, WITHDRAW);
}

#[test]
fn next_hop_med_local_pref_originator_id() {
    let c = ctx4();
    for (name, code, flags) in [
        ("NEXT_HOP", 3, 0x40),
        ("MED", 4, 0x80),
        ("LOCAL_PREF", 5, 0x40),
        ("ORIGINATOR_ID", 9, 0x80),
    ] {
        check(name, &attr(flags, code, &[1, 2, 3, 4]), &c, Verdict::Clean);
        check(name, &attr(flags, code, &[1, 2, 3]), &c, WITHDRAW);
        check(name, &attr(flags, code, &[1, 2, 3, 4, 5]), &c, WITHDRAW);
        check(name, &attr(flags, code, &[]), &c, WITHDRAW);
        check(name, &attr(flags ^ 0xc0, code, &[1, 2, 3, 4]), &c, WITHDRAW);
    }
}

#[test]
fn atomic_aggregate_and_aggregators() {
    let (c4, c2) = (ctx4(), ctx2());
    check("ATOMIC_AGGREGATE", &attr(0x40, 6, &[]), &c4, Verdict::Clean);
    check(
        "ATOMIC_AGGREGATE length 1",
        &attr(0x40, 6, &[0]),
        &c4,
        DISCARD,
    );
    check(
        "ATOMIC_AGGREGATE optional",
        &attr(0xc0, 6, &[]),
        &c4,
        WITHDRAW,
    );

    let agg4 = [0, 0, 0xfd, 0xe9, 192, 0, 2, 9];
    let agg2 = [0xfd, 0xe9, 192, 0, 2, 9];
    check(
        "AGGREGATOR 4-octet",
        &attr(0xc0, 7, &agg4),
        &c4,
        Verdict::Clean,
    );
    check(
        "AGGREGATOR 2-octet",
        &attr(0xc0, 7, &agg2),
        &c2,
        Verdict::Clean,
    );
    check(
        "AGGREGATOR 6 on 4-octet",
        &attr(0xc0, 7, &agg2),
        &c4,
        DISCARD,
    );
    check(
        "AGGREGATOR 8 on 2-octet",
        &attr(0xc0, 7, &agg4),
        &c2,
        DISCARD,
    );
    check("AGGREGATOR 7", &attr(0xc0, 7, &agg4[..7]), &c4, DISCARD);
    check(
        "AGGREGATOR well-known",
        &attr(0x40, 7, &agg4),
        &c4,
        WITHDRAW,
    );

    check(
        "AS4_AGGREGATOR",
        &attr(0xc0, 18, &agg4),
        &c2,
        Verdict::Clean,
    );
    check("AS4_AGGREGATOR 6", &attr(0xc0, 18, &agg2), &c2, DISCARD);
    check(
        "AS4_AGGREGATOR 9",
        &attr(0xc0, 18, &[&agg4[..], &[0]].concat()),
        &c2,
        DISCARD,
    );
    check(
        "AS4_AGGREGATOR non-transitive",
        &attr(0x80, 18, &agg4),
        &c2,
        WITHDRAW,
    );
}

#[test]
fn list_attributes_need_a_non_zero_multiple() {
    let c = ctx4();
    for (name, code, flags, unit) in [
        ("COMMUNITIES", 8, 0xc0, 4),
        ("CLUSTER_LIST", 10, 0x80, 4),
        ("EXTENDED_COMMUNITIES", 16, 0xc0, 8),
        ("LARGE_COMMUNITIES", 32, 0xc0, 12),
    ] {
        let value = vec![7u8; unit * 2];
        check(name, &attr(flags, code, &value), &c, Verdict::Clean);
        check(name, &attr(flags, code, &value[1..]), &c, WITHDRAW);
        check(name, &attr(flags, code, &value[..unit + 1]), &c, WITHDRAW);
        check(name, &attr(flags, code, &[]), &c, WITHDRAW);
        check(name, &attr(flags ^ 0x80, code, &value), &c, WITHDRAW);
    }
}

#[test]
fn pmsi_tunnel() {
    let c = ctx4();
    let ok = [0, 6, 0, 0x03, 0xe8, 192, 0, 2, 1];
    check("PMSI_TUNNEL", &attr(0xc0, 22, &ok), &c, Verdict::Clean);
    check(
        "PMSI_TUNNEL no tunnel id",
        &attr(0xc0, 22, &ok[..5]),
        &c,
        Verdict::Clean,
    );
    check(
        "PMSI_TUNNEL length 4",
        &attr(0xc0, 22, &ok[..4]),
        &c,
        WITHDRAW,
    );
    check("PMSI_TUNNEL well-known", &attr(0x40, 22, &ok), &c, WITHDRAW);
}

#[test]
fn tunnel_encapsulation() {
    let c = ctx4();
    // VXLAN tunnel (type 8) with a UDP destination port sub-TLV (8, length 2).
    let ok = [0, 8, 0, 4, 8, 2, 0x12, 0xb5];
    check(
        "TUNNEL_ENCAPSULATION",
        &attr(0xc0, 23, &ok),
        &c,
        Verdict::Clean,
    );
    let tlv_overrun = [0, 8, 0, 9, 8, 2, 0x12, 0xb5];
    check(
        "tunnel TLV overrun",
        &attr(0xc0, 23, &tlv_overrun),
        &c,
        DISCARD,
    );
    let sub_overrun = [0, 8, 0, 4, 8, 3, 0x12, 0xb5];
    check(
        "sub-TLV overrun",
        &attr(0xc0, 23, &sub_overrun),
        &c,
        DISCARD,
    );
    check(
        "truncated TLV header",
        &attr(0xc0, 23, &ok[..3]),
        &c,
        DISCARD,
    );
    check("non-transitive", &attr(0x80, 23, &ok), &c, WITHDRAW);
}

#[test]
fn mp_reach_and_unreach() {
    let c = ctx4();
    // VPNv4 10.0.0.0/8 with label 16, RD 65000:1.
    let vpn = [96, 0x00, 0x01, 0x01, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 10];
    let vpn_nh = [0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1];
    check(
        "VPNv4 MP_REACH",
        &mp_reach(1, 128, &vpn_nh, &vpn),
        &c,
        Verdict::Clean,
    );

    let truncated = attr(0x90, 14, &[0, 1]);
    check(
        "MP_REACH shorter than AFI/SAFI",
        &truncated,
        &c,
        reset_with_attr(9, &truncated),
    );
    let nh_overrun = attr(0x90, 14, &[0, 1, 128, 40, 0, 0]);
    check(
        "next hop overruns",
        &nh_overrun,
        &c,
        reset_with_attr(9, &nh_overrun),
    );
    let no_reserved = attr(0x90, 14, &[&[0, 1, 128, 12][..], &vpn_nh].concat());
    check(
        "no reserved octet",
        &no_reserved,
        &c,
        reset_with_attr(9, &no_reserved),
    );
    // RFC 7606 §7.11: a next hop length the family cannot have hides where the NLRI starts.
    let odd_nh = mp_reach(1, 128, &[192, 0, 2, 1, 0], &vpn);
    check(
        "VPNv4 next hop of 5 octets",
        &odd_nh,
        &c,
        reset_with_attr(9, &odd_nh),
    );
    let bad_nlri = mp_reach(1, 128, &vpn_nh, &vpn[..12]);
    check(
        "NLRI overruns",
        &bad_nlri,
        &c,
        reset_with_attr(9, &bad_nlri),
    );
    let flags = [&[0xd0][..], &mp_reach(1, 128, &vpn_nh, &vpn)[1..]].concat();
    check(
        "MP_REACH transitive",
        &flags,
        &c,
        reset_with_attr(FLAGS_ERROR, &flags),
    );

    check("MP_UNREACH", &mp_unreach(1, 128, &vpn), &c, Verdict::Clean);
    let short = attr(0x90, 15, &[0, 1]);
    check(
        "MP_UNREACH too short",
        &short,
        &c,
        reset_with_attr(9, &short),
    );
    let bad = mp_unreach(1, 128, &vpn[..5]);
    check(
        "MP_UNREACH NLRI overrun",
        &bad,
        &c,
        reset_with_attr(9, &bad),
    );
    let flags = [&[0x50][..], &mp_unreach(1, 128, &vpn)[1..]].concat();
    check(
        "MP_UNREACH well-known",
        &flags,
        &c,
        reset_with_attr(FLAGS_ERROR, &flags),
    );
    assert_eq!(OPTIONAL_ATTRIBUTE_ERROR, 9);
}

#[test]
fn unknown_attributes() {
    let c = ctx4();
    let well_known = attr(0x40, 99, &[1, 2]);
    check(
        "unrecognized well-known",
        &well_known,
        &c,
        reset_with_attr(UNRECOGNIZED_WELL_KNOWN, &well_known),
    );
    let (bytes, _) = with_attr(&attr(0xc0, 99, &[1, 2]), &c);
    let d = assert_reencodes(&bytes, &c, "unknown optional transitive");
    let Message::Update(u) = d.message else {
        panic!("not an UPDATE")
    };
    assert_eq!(
        u.get(99),
        Some(&AttrValue::Unknown {
            code: 99,
            data: vec![1, 2]
        })
    );
}

#[test]
fn extended_length_flag_is_kept_when_not_needed() {
    let c = ctx4();
    let a = attr(0xd0, 8, &[0xfd, 0xe8, 0, 1]);
    let (bytes, _) = with_attr(&a, &c);
    assert_reencodes(&bytes, &c, "COMMUNITIES with an extended length of 4");
}
