//! RFC 7606 §3–§5 and RFC 4271 §6.3 at the level of the whole UPDATE: repeated and missing
//! attributes, attribute framing, the length fields, and malformed NLRI of every family.

mod common;

use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{EvpnRoute, Nlri};
use bagpipe_wire::{Family, Message};
use common::*;

const MALFORMED_ATTRIBUTE_LIST: Verdict = Verdict::Reset(3, 1, Vec::new());
const INVALID_NETWORK_FIELD: Verdict = Verdict::Reset(3, 10, Vec::new());

fn base() -> Vec<u8> {
    concat(&[&origin_igp(), &as_path4(), &next_hop()])
}

fn the_update(bytes: &[u8]) -> Update {
    match decode(bytes, &ctx4()).message {
        Message::Update(u) => u,
        other => panic!("not an UPDATE: {other:?}"),
    }
}

/// MP_REACH_NLRI with a next hop fitting `family` (E-VPN, RTC: IPv4; VPN: RD + IPv4; FlowSpec:
/// none) and raw NLRI.
fn reach(family: Family, nlri: &[u8]) -> Vec<u8> {
    let nh: &[u8] = match family.safi {
        128 if family.afi == 2 => &[0; 24],
        128 => &[0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1],
        133 | 134 => &[],
        _ if family.afi == 2 => &[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        _ => &[192, 0, 2, 1],
    };
    mp_reach(family.afi, family.safi, nh, nlri)
}

/// The verdict of an UPDATE carrying ORIGIN, AS_PATH and `nlri` of `family` in MP_REACH_NLRI.
fn reach_verdict(family: Family, nlri: &[u8]) -> Verdict {
    let attrs = concat(&[&origin_igp(), &as_path4(), &reach(family, nlri)]);
    verdict(&update(&[], &attrs, &[]), &ctx4())
}

/// An NLRI that must be rejected: a session reset with the MP_REACH_NLRI attribute as data
/// (RFC 7606 §5.3, RFC 4760 §7: Optional Attribute Error), also in MP_UNREACH_NLRI.
fn assert_bad_nlri(family: Family, nlri: &[u8], what: &str) {
    let attr = reach(family, nlri);
    assert_eq!(
        reach_verdict(family, nlri),
        Verdict::Reset(3, 9, attr),
        "{family} {what}: {}",
        bagpipe_wire::hex::Hex(nlri)
    );
    let unreach = mp_unreach(family.afi, family.safi, nlri);
    assert_eq!(
        verdict(&update(&[], &unreach, &[]), &ctx4()),
        Verdict::Reset(3, 9, unreach.clone()),
        "{family} {what} withdrawn"
    );
}

fn assert_good_nlri(family: Family, nlri: &[u8], what: &str) {
    assert_eq!(
        reach_verdict(family, nlri),
        Verdict::Clean,
        "{family} {what}"
    );
}

#[test]
fn repeated_attribute_keeps_the_first() {
    let attrs = concat(&[&base(), &attr(0x40, 1, &[2])]);
    let bytes = update(&[], &attrs, &[8, 10]);
    assert_eq!(verdict(&bytes, &ctx4()), Verdict::Discard);
    assert_eq!(
        the_update(&bytes).origin(),
        Some(bagpipe_wire::attr::Origin::Igp)
    );
    // A repeated attribute that is also malformed is discarded for being repeated.
    let attrs = concat(&[&base(), &attr(0x40, 1, &[9, 9])]);
    assert_eq!(
        verdict(&update(&[], &attrs, &[8, 10]), &ctx4()),
        Verdict::Discard
    );
}

#[test]
fn repeated_mp_attributes_reset_the_session() {
    let vpn = [96, 0, 1, 1, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 10];
    let r = reach(Family::VPNV4, &vpn);
    let attrs = concat(&[&origin_igp(), &as_path4(), &r, &r]);
    assert_eq!(
        verdict(&update(&[], &attrs, &[]), &ctx4()),
        MALFORMED_ATTRIBUTE_LIST
    );
    let u = mp_unreach(1, 128, &vpn);
    assert_eq!(
        verdict(&update(&[], &concat(&[&u, &u]), &[]), &ctx4()),
        MALFORMED_ATTRIBUTE_LIST
    );
}

#[test]
fn missing_mandatory_attributes_withdraw() {
    let nlri = [8, 10];
    for (name, attrs) in [
        ("ORIGIN", concat(&[&as_path4(), &next_hop()])),
        ("AS_PATH", concat(&[&origin_igp(), &next_hop()])),
        ("NEXT_HOP", concat(&[&origin_igp(), &as_path4()])),
        ("ORIGIN, AS_PATH, NEXT_HOP", Vec::new()),
    ] {
        let bytes = update(&[], &attrs, &nlri);
        let d = decode(&bytes, &ctx4());
        assert_eq!(verdict(&bytes, &ctx4()), Verdict::Withdraw, "{name}");
        assert!(
            d.issues
                .iter()
                .any(|i| i.detail == format!("missing {name}")),
            "{name}: {:?}",
            d.issues
        );
    }
    // MP_REACH_NLRI needs ORIGIN and AS_PATH, not NEXT_HOP (RFC 4760 §3).
    let evpn3 = [
        3, 17, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 0, 0, 0, 32, 192, 0, 2, 1,
    ];
    let r = reach(Family::EVPN, &evpn3);
    assert_eq!(
        verdict(
            &update(&[], &concat(&[&origin_igp(), &as_path4(), &r]), &[]),
            &ctx4()
        ),
        Verdict::Clean
    );
    assert_eq!(verdict(&update(&[], &r, &[]), &ctx4()), Verdict::Withdraw);
    // Withdrawals and End-of-RIB markers need no attributes.
    assert_eq!(verdict(&update(&nlri, &[], &[]), &ctx4()), Verdict::Clean);
    assert_eq!(
        verdict(&update(&[], &mp_unreach(25, 70, &[]), &[]), &ctx4()),
        Verdict::Clean
    );
}

#[test]
fn attribute_overrunning_the_attributes_withdraws() {
    // RFC 7606 §4: the Total Path Attribute Length still locates the NLRI field.
    let overrun = concat(&[&base(), &[0xc0, 8, 8, 0, 0, 0, 1]]);
    let bytes = update(&[], &overrun, &[8, 10]);
    assert_eq!(verdict(&bytes, &ctx4()), Verdict::Withdraw);
    assert_eq!(
        the_update(&bytes).nlri.len(),
        1,
        "the NLRI is still located"
    );
    for tail in [&[0x40][..], &[0x40, 1], &[0x50, 8, 0]] {
        let attrs = concat(&[&base(), tail]);
        assert_eq!(
            verdict(&update(&[], &attrs, &[8, 10]), &ctx4()),
            Verdict::Withdraw,
            "fewer octets left than an attribute header: {tail:02x?}"
        );
    }
    // An overrunning MP_REACH_NLRI hides NLRI that cannot be withdrawn: session reset.
    let mut r = reach(
        Family::VPNV4,
        &[96, 0, 1, 1, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 10],
    );
    r[2] += 1;
    let attrs = concat(&[&origin_igp(), &as_path4(), &r]);
    assert_eq!(
        verdict(&update(&[], &attrs, &[]), &ctx4()),
        Verdict::Reset(3, 9, r)
    );
}

#[test]
fn length_fields_exceeding_the_message_reset() {
    let good = update(&[8, 10], &base(), &[8, 11]);
    assert_eq!(verdict(&good, &ctx4()), Verdict::Clean);
    // Withdrawn Routes Length one too large.
    let mut bad = good.clone();
    bad[20] = 200;
    assert_eq!(verdict(&bad, &ctx4()), MALFORMED_ATTRIBUTE_LIST);
    // Total Path Attribute Length one too large.
    let mut bad = good.clone();
    let at = 19 + 2 + 2 + 1;
    bad[at] += 3;
    assert_eq!(verdict(&bad, &ctx4()), MALFORMED_ATTRIBUTE_LIST);
    // No room for the Total Path Attribute Length at all.
    let short = message(2, &[0, 1, 8, 10]);
    assert_eq!(verdict(&short, &ctx4()), MALFORMED_ATTRIBUTE_LIST);
}

#[test]
fn classic_nlri_fields() {
    for (what, withdrawn, nlri) in [
        (
            "withdrawn prefix length 33",
            &[33u8, 10, 0, 0, 0, 0][..],
            &[][..],
        ),
        ("withdrawn prefix overruns", &[24, 10, 0], &[]),
        ("NLRI prefix length 40", &[], &[40, 10, 0, 0, 0, 0]),
        ("NLRI prefix overruns", &[], &[32, 10, 0, 0]),
    ] {
        let attrs = if nlri.is_empty() { Vec::new() } else { base() };
        assert_eq!(
            verdict(&update(withdrawn, &attrs, nlri), &ctx4()),
            INVALID_NETWORK_FIELD,
            "{what}"
        );
    }
    // Add-path: a truncated path identifier.
    let ctx = ctx_add_path(&[Family::IPV4_UNICAST]);
    let bytes = update(&[0, 0, 0], &[], &[]);
    assert_eq!(verdict(&bytes, &ctx), INVALID_NETWORK_FIELD);
    let bytes = update(&[0, 0, 0, 7, 8, 10], &[], &[]);
    assert_eq!(verdict(&bytes, &ctx), Verdict::Clean);
    // The same bytes without add-path: 0.0.0.0/0 four times, then a prefix that overruns.
    assert_eq!(verdict(&bytes, &ctx4()), INVALID_NETWORK_FIELD);
}

#[test]
fn unicast_nlri() {
    assert_good_nlri(Family::IPV6_UNICAST, &[48, 0x20, 1, 0xd, 0xb8, 0, 1], "/48");
    assert_bad_nlri(Family::IPV6_UNICAST, &[129; 17], "length 129");
    assert_bad_nlri(Family::IPV6_UNICAST, &[64, 0x20, 1], "overrun");
    assert_bad_nlri(Family::IPV4_UNICAST, &[33, 10, 0, 0, 0, 0], "length 33");
}

#[test]
fn vpn_nlri() {
    let rd = [0, 0, 0xfd, 0xe8, 0, 0, 0, 1];
    let label = [0, 1, 1];
    let good = concat(&[&[96], &label, &rd, &[10]]);
    assert_good_nlri(Family::VPNV4, &good, "10.0.0.0/8");
    assert_bad_nlri(
        Family::VPNV4,
        &concat(&[&[80], &label, &rd[..7]]),
        "no room for the RD",
    );
    assert_bad_nlri(
        Family::VPNV4,
        &concat(&[&[96 + 25], &label, &rd, &[10; 5]]),
        "/33",
    );
    assert_bad_nlri(Family::VPNV4, &good[..good.len() - 1], "overrun");
    // A label without the bottom-of-stack bit then no room for another label.
    assert_bad_nlri(
        Family::VPNV4,
        &concat(&[&[96], &[0, 1, 0], &rd, &[10]]),
        "stack",
    );
    let v6 = concat(&[&[24 + 64 + 129], &label, &rd, &[0; 17]]);
    assert_bad_nlri(Family::VPNV6, &v6, "/129");
    // RFC 8277 §2.4: a withdrawal may carry 0x800000 instead of a label stack.
    let withdraw = concat(&[&[96], &[0x80, 0, 0], &rd, &[10]]);
    let bytes = update(&[], &mp_unreach(1, 128, &withdraw), &[]);
    assert_eq!(verdict(&bytes, &ctx4()), Verdict::Clean);
}

/// An E-VPN route: type, length, value.
fn evpn(route_type: u8, value: &[u8]) -> Vec<u8> {
    concat(&[&[route_type, value.len() as u8], value])
}

#[test]
fn evpn_nlri() {
    let rd = [0, 0, 0xfd, 0xe8, 0, 0, 0, 1];
    let esi = [0u8; 10];
    let tag = [0u8; 4];
    let mac = [48, 2, 0, 0, 0, 0, 1];
    let label = [0, 0x64, 0];
    let t1 = concat(&[&rd, &esi, &tag, &label]);
    let t2 = concat(&[&rd, &esi, &tag, &mac, &[32, 10, 0, 0, 1], &label]);
    let t3 = concat(&[&rd, &tag, &[32, 192, 0, 2, 1]]);
    let t4 = concat(&[&rd, &esi, &[32, 192, 0, 2, 1]]);
    let t5 = concat(&[&rd, &esi, &tag, &[24, 10, 1, 0, 0], &[0; 4], &label]);
    for (t, v) in [(1, &t1), (2, &t2), (3, &t3), (4, &t4), (5, &t5)] {
        assert_good_nlri(Family::EVPN, &evpn(t, v), &format!("type {t}"));
        let mut long = v.clone();
        long.push(0);
        assert_bad_nlri(
            Family::EVPN,
            &evpn(t, &long),
            &format!("type {t} one octet long"),
        );
        assert_bad_nlri(
            Family::EVPN,
            &evpn(t, &v[..v.len() - 1]),
            &format!("type {t} one octet short"),
        );
        let mut overrun = evpn(t, v);
        overrun[1] += 1;
        assert_bad_nlri(Family::EVPN, &overrun, &format!("type {t} overruns"));
    }
    let mac47 = concat(&[&rd, &esi, &tag, &[47], &mac[1..], &[0], &label]);
    assert_bad_nlri(Family::EVPN, &evpn(2, &mac47), "MAC length 47");
    let ip24 = concat(&[&rd, &esi, &tag, &mac, &[24, 10, 0, 0, 1], &label]);
    assert_bad_nlri(Family::EVPN, &evpn(2, &ip24), "IP length 24");
    let t5_33 = concat(&[&rd, &esi, &tag, &[33, 10, 1, 0, 0], &[0; 4], &label]);
    assert_bad_nlri(Family::EVPN, &evpn(5, &t5_33), "type 5 prefix length 33");
    assert_bad_nlri(Family::EVPN, &[2], "truncated route header");

    // RFC 7606 §5.4: an unknown route type is skipped, the routes around it are kept.
    let nlri = concat(&[&evpn(3, &t3), &evpn(42, &[1, 2, 3]), &evpn(1, &t1)]);
    let attrs = concat(&[&origin_igp(), &as_path4(), &reach(Family::EVPN, &nlri)]);
    let bytes = update(&[], &attrs, &[]);
    let d = assert_reencodes(&bytes, &ctx4(), "E-VPN with an unknown route type");
    assert!(d.issues.is_empty());
    let Message::Update(u) = d.message else {
        panic!("not an UPDATE")
    };
    let types: Vec<u8> = u
        .mp_reach()
        .expect("MP_REACH_NLRI")
        .nlri
        .iter()
        .map(|n| match &n.nlri {
            Nlri::Evpn(r) => r.route_type(),
            other => panic!("not E-VPN: {other:?}"),
        })
        .collect();
    assert_eq!(types, [3, 42, 1]);
    assert!(matches!(
        &u.mp_reach().unwrap().nlri[1].nlri,
        Nlri::Evpn(EvpnRoute::Unknown { code: 42, .. })
    ));
}

#[test]
fn rtc_nlri() {
    let full = concat(&[
        &[96],
        &[0, 0, 0xfd, 0xe8],
        &[0, 2, 0xfd, 0xe8, 0, 0, 0, 100],
    ]);
    assert_good_nlri(Family::RTC, &full, "96 bits");
    assert_good_nlri(Family::RTC, &[0], "default");
    let mut l48 = full[..7].to_vec();
    l48[0] = 48;
    assert_good_nlri(Family::RTC, &l48, "48 bits");
    for len in [1u8, 8, 31, 97, 255] {
        let mut bad = full.clone();
        bad[0] = len;
        assert_bad_nlri(
            Family::RTC,
            &bad[..1 + (len as usize).div_ceil(8).min(12)],
            &format!("length {len}"),
        );
    }
    assert_bad_nlri(Family::RTC, &full[..12], "overrun");
}

#[test]
fn flowspec_nlri() {
    // destination 10.0.0.0/8, protocol =6 (end bit set).
    let rule = [1, 8, 10, 3, 0x81, 6];
    let nlri = |body: &[u8]| concat(&[&[body.len() as u8], body]);
    assert_good_nlri(Family::FLOWSPEC4, &nlri(&rule), "rule");
    assert_bad_nlri(
        Family::FLOWSPEC4,
        &nlri(&[1, 8, 10, 14, 0x81, 6]),
        "unknown component 14",
    );
    assert_bad_nlri(
        Family::FLOWSPEC4,
        &nlri(&[1, 8, 10, 13, 0x81, 6]),
        "flow label in IPv4",
    );
    assert_bad_nlri(
        Family::FLOWSPEC4,
        &nlri(&[1, 8, 10, 3, 0x01, 6]),
        "no end-of-list bit",
    );
    assert_bad_nlri(
        Family::FLOWSPEC4,
        &nlri(&[3, 0x81, 6, 1, 8, 10]),
        "out of order",
    );
    assert_bad_nlri(
        Family::FLOWSPEC4,
        &nlri(&[1, 8, 10, 1, 8, 10]),
        "repeated component",
    );
    assert_bad_nlri(
        Family::FLOWSPEC4,
        &nlri(&[1, 8, 10, 3, 0x91, 6]),
        "value overruns",
    );
    assert_bad_nlri(
        Family::FLOWSPEC4,
        &nlri(&[1, 33, 10, 0, 0, 0, 0]),
        "prefix /33",
    );
    assert_bad_nlri(Family::FLOWSPEC4, &nlri(&[]), "no component");
    assert_bad_nlri(Family::FLOWSPEC4, &[7, 1, 8, 10], "overrun");
    assert_bad_nlri(Family::VPN_FLOWSPEC4, &nlri(&[0, 0, 0xfd]), "RD cut short");
    let rd = [0, 0, 0xfd, 0xe8, 0, 0, 0, 1];
    assert_good_nlri(
        Family::VPN_FLOWSPEC4,
        &nlri(&concat(&[&rd, &rule])),
        "VPN rule",
    );
    // IPv6: length, offset, pattern (RFC 8956 §3.1).
    assert_good_nlri(
        Family::FLOWSPEC6,
        &nlri(&[1, 32, 0, 0x20, 1, 0xd, 0xb8]),
        "/32",
    );
    assert_good_nlri(Family::FLOWSPEC6, &nlri(&[1, 128, 128]), "/128 offset 128");
    assert_bad_nlri(
        Family::FLOWSPEC6,
        &nlri(&[1, 32, 40, 0x20]),
        "offset beyond the length",
    );
    assert_bad_nlri(Family::FLOWSPEC6, &nlri(&[1, 129, 0]), "/129");
    assert_good_nlri(
        Family::FLOWSPEC6,
        &nlri(&[13, 0x91, 0x30, 0x39]),
        "flow label",
    );
    // Two-octet NLRI length (RFC 8955 §4.1): 0xf0nn.
    let long: Vec<u8> = concat(&[&[1, 8, 10, 3], &[0x01, 6].repeat(124), &[0x81, 17]]);
    assert!(long.len() >= 240);
    let two = concat(&[&(0xf000 | long.len() as u16).to_be_bytes(), &long]);
    assert_good_nlri(Family::FLOWSPEC4, &two, "two-octet length");
}
