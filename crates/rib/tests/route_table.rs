//! The route table's publish/subscribe, RT Constraint, route reflection and graceful restart
//! logic, operation by operation.

use std::net::{IpAddr, Ipv4Addr};

use bagpipe_rib::{Advert, Outputs, Peer, RouteTable, SourceId, TableConfig};
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{EvpnRoute, Nlri, PathNlri, RtcNlri, VpnPrefix};
use bagpipe_wire::{Esi, ExtendedCommunity, Family, Label, RouteTarget};

const ASN: u32 = 64512;

fn table(rr: bool) -> RouteTable {
    RouteTable::new(TableConfig {
        local_asn: ASN,
        router_id: Ipv4Addr::new(10, 0, 0, 1),
        cluster_id: rr.then_some(Ipv4Addr::new(10, 0, 0, 1)),
        next_hop: "10.0.0.1".parse().unwrap(),
    })
}

fn rt(s: &str) -> RouteTarget {
    s.parse().unwrap()
}

fn attrs(rts: &[&str], nh: &str) -> AttributeSet {
    AttributeSet::new(
        Some(nh.parse().unwrap()),
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
            PathAttribute::new(AttrValue::ExtendedCommunities(
                rts.iter().map(|r| ExtendedCommunity::from(rt(r))).collect(),
            )),
        ],
    )
}

fn vpn(rd: &str, prefix: &str) -> Nlri {
    Nlri::Vpn(VpnPrefix::new(
        rd.parse().unwrap(),
        Label::mpls(100, true),
        prefix.parse().unwrap(),
    ))
}

fn mac_route(rd: &str, mac: &str) -> Nlri {
    Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
        rd: rd.parse().unwrap(),
        esi: Esi::ZERO,
        etag: 0,
        mac: mac.parse().unwrap(),
        ip: None,
        label: Label::vni(10),
        label2: None,
    })
}

fn peer(t: &mut RouteTable, last: u8, rr_client: bool) -> SourceId {
    let addr = Ipv4Addr::new(10, 0, 0, last);
    t.add_peer(Peer::new(IpAddr::V4(addr), ASN, addr, rr_client))
}

fn id_of(t: &RouteTable, p: SourceId) -> Ipv4Addr {
    t.source(p).unwrap().peer().unwrap().router_id
}

fn update_from(nlri: Vec<Nlri>, a: &AttributeSet) -> Update {
    let family = nlri[0].family();
    Update::announce(
        family,
        a.next_hop,
        a.attributes.clone(),
        nlri.into_iter().map(PathNlri::from).collect(),
    )
}

fn announced_to(out: &Outputs, peer: SourceId) -> Vec<(Nlri, AttributeSet)> {
    out.peers
        .iter()
        .filter(|c| c.peer == peer)
        .filter_map(|c| match &c.advert {
            Advert::Announce { nlri, attrs, .. } => Some((nlri.clone(), (**attrs).clone())),
            _ => None,
        })
        .collect()
}

fn withdrawn_to(out: &Outputs, peer: SourceId) -> Vec<Nlri> {
    out.peers
        .iter()
        .filter(|c| c.peer == peer)
        .filter_map(|c| match &c.advert {
            Advert::Withdraw { nlri, .. } => Some(nlri.clone()),
            _ => None,
        })
        .collect()
}

fn eors_to(out: &Outputs, peer: SourceId) -> Vec<Family> {
    out.peers
        .iter()
        .filter(|c| c.peer == peer)
        .filter_map(|c| match c.advert {
            Advert::EndOfRib(f) => Some(f),
            _ => None,
        })
        .collect()
}

#[test]
fn local_routes_reach_subscribers_only() {
    let mut t = table(false);
    let a = t.add_local("vrf-a");
    let b = t.add_local("vrf-b");
    let c = t.add_local("vrf-c");
    t.subscribe(b, Family::VPNV4, rt("65000:1"));
    t.subscribe(c, Family::VPNV4, rt("65000:2"));
    t.subscribe(a, Family::VPNV4, rt("65000:1"));
    let out = t.announce_local(
        a,
        &vpn("65000:7", "10.1.0.0/24"),
        attrs(&["65000:1"], "192.0.2.1"),
    );
    let workers: Vec<SourceId> = out.locals.iter().map(|e| e.worker).collect();
    assert_eq!(
        workers,
        vec![b],
        "the source does not get its own route; c imports another RT"
    );
    assert!(out.locals[0].attrs.is_some());
    let out = t.withdraw_local(a, &vpn("65000:7", "10.1.0.0/24"));
    assert_eq!(out.locals.len(), 1);
    assert!(out.locals[0].attrs.is_none());
}

#[test]
fn subscribing_late_delivers_existing_routes_and_unsubscribing_withdraws() {
    let mut t = table(false);
    let a = t.add_local("a");
    let b = t.add_local("b");
    t.announce_local(
        a,
        &vpn("65000:7", "10.1.0.0/24"),
        attrs(&["65000:1", "65000:2"], "192.0.2.1"),
    );
    let out = t.subscribe(b, Family::VPNV4, rt("65000:1"));
    assert_eq!(out.locals.len(), 1);
    // A second subscription covering the same route delivers nothing new...
    assert!(t
        .subscribe(b, Family::VPNV4, rt("65000:2"))
        .locals
        .is_empty());
    // ...and dropping one of the two keeps the route.
    assert!(t
        .unsubscribe(b, Family::VPNV4, rt("65000:1"))
        .locals
        .is_empty());
    let out = t.unsubscribe(b, Family::VPNV4, rt("65000:2"));
    assert_eq!(out.locals.len(), 1);
    assert!(out.locals[0].attrs.is_none());
}

#[test]
fn changed_route_targets_move_a_route_between_importers() {
    let mut t = table(false);
    let a = t.add_local("a");
    let b = t.add_local("b");
    let c = t.add_local("c");
    t.subscribe(b, Family::EVPN, rt("65000:1"));
    t.subscribe(c, Family::EVPN, rt("65000:2"));
    let route = mac_route("65000:9", "52:54:00:00:00:01");
    t.announce_local(a, &route, attrs(&["65000:1"], "192.0.2.1"));
    let out = t.announce_local(a, &route, attrs(&["65000:2"], "192.0.2.1"));
    let mut got: Vec<(SourceId, bool)> = out
        .locals
        .iter()
        .map(|e| (e.worker, e.attrs.is_some()))
        .collect();
    got.sort();
    assert_eq!(got, vec![(b, false), (c, true)]);
}

#[test]
fn ibgp_peers_get_local_routes_with_local_pref_and_end_of_rib() {
    let mut t = table(false);
    let a = t.add_local("a");
    t.announce_local(
        a,
        &vpn("65000:7", "10.1.0.0/24"),
        attrs(&["65000:1"], "192.0.2.1"),
    );
    let p = peer(&mut t, 2, false);
    let out = t.peer_up(p, vec![Family::VPNV4, Family::EVPN], id_of(&t, p), None);
    let ann = announced_to(&out, p);
    assert_eq!(ann.len(), 1);
    assert_eq!(ann[0].1.local_pref(), Some(100));
    assert_eq!(eors_to(&out, p), vec![Family::VPNV4, Family::EVPN]);
    // Later changes flow too.
    let out = t.withdraw_local(a, &vpn("65000:7", "10.1.0.0/24"));
    assert_eq!(withdrawn_to(&out, p).len(), 1);
}

/// RFC 8950: IPv4 VPN routes with an IPv6 next hop (a node on an IPv6 underlay) go only to
/// peers that agreed to extended next hops; E-VPN routes need no such agreement.
#[test]
fn ipv4_vpn_routes_with_an_ipv6_next_hop_go_only_to_peers_that_take_them() {
    let mut t = table(false);
    let a = t.add_local("a");
    t.announce_local(
        a,
        &vpn("65000:7", "10.1.0.0/24"),
        attrs(&["65000:1"], "2001:db8::1"),
    );
    t.announce_local(
        a,
        &mac_route("65000:7", "52:54:00:00:00:01"),
        attrs(&["65000:1"], "2001:db8::1"),
    );
    let (plain, extended) = (peer(&mut t, 2, false), peer(&mut t, 3, false));
    t.set_ipv6_next_hop(extended, vec![Family::VPNV4]);
    let families = || vec![Family::VPNV4, Family::EVPN];
    let to_plain = t.peer_up(plain, families(), id_of(&t, plain), None);
    let to_extended = t.peer_up(extended, families(), id_of(&t, extended), None);
    let sent = |out: &Outputs, p| -> Vec<Family> {
        announced_to(out, p)
            .iter()
            .map(|(n, _)| n.family())
            .collect()
    };
    assert_eq!(sent(&to_plain, plain), [Family::EVPN]);
    assert_eq!(sent(&to_extended, extended), [Family::VPNV4, Family::EVPN]);
    assert_eq!(
        announced_to(&to_extended, extended)[0].1.next_hop,
        Some("2001:db8::1".parse().unwrap())
    );
}

#[test]
fn no_ibgp_to_ibgp_without_reflection() {
    let mut t = table(false);
    let p1 = peer(&mut t, 2, true);
    let p2 = peer(&mut t, 3, true);
    t.peer_up(p1, vec![Family::VPNV4], id_of(&t, p1), None);
    t.peer_up(p2, vec![Family::VPNV4], id_of(&t, p2), None);
    let out = t.receive(
        p1,
        &update_from(
            vec![vpn("65000:7", "10.1.0.0/24")],
            &attrs(&["65000:1"], "192.0.2.2"),
        ),
        false,
    );
    assert!(announced_to(&out, p2).is_empty());
}

#[test]
fn route_reflection_rules_and_attributes() {
    let mut t = table(true);
    let client1 = peer(&mut t, 2, true);
    let client2 = peer(&mut t, 3, true);
    let nonclient = peer(&mut t, 4, false);
    let nonclient2 = peer(&mut t, 5, false);
    for p in [client1, client2, nonclient, nonclient2] {
        t.peer_up(p, vec![Family::VPNV4], id_of(&t, p), None);
    }
    let out = t.receive(
        client1,
        &update_from(
            vec![vpn("65000:7", "10.1.0.0/24")],
            &attrs(&["65000:1"], "192.0.2.2"),
        ),
        false,
    );
    for p in [client2, nonclient, nonclient2] {
        let ann = announced_to(&out, p);
        assert_eq!(ann.len(), 1, "client routes go to everyone");
        assert_eq!(ann[0].1.originator_id(), Some(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(ann[0].1.cluster_list(), &[Ipv4Addr::new(10, 0, 0, 1)]);
        assert_eq!(
            ann[0].1.next_hop,
            Some("192.0.2.2".parse().unwrap()),
            "next hop unchanged"
        );
    }
    assert!(
        announced_to(&out, client1).is_empty(),
        "never back to the source"
    );
    let out = t.receive(
        nonclient,
        &update_from(
            vec![vpn("65000:8", "10.2.0.0/24")],
            &attrs(&["65000:1"], "192.0.2.4"),
        ),
        false,
    );
    assert_eq!(announced_to(&out, client1).len(), 1);
    assert_eq!(announced_to(&out, client2).len(), 1);
    assert!(
        announced_to(&out, nonclient2).is_empty(),
        "non-client routes go to clients only"
    );
}

#[test]
fn reflected_loops_are_ignored() {
    let mut t = table(true);
    let p = peer(&mut t, 2, true);
    t.peer_up(p, vec![Family::VPNV4], id_of(&t, p), None);
    let sub = t.add_local("vrf");
    t.subscribe(sub, Family::VPNV4, rt("65000:1"));
    let mut a = attrs(&["65000:1"], "192.0.2.2");
    a.set(PathAttribute::new(AttrValue::ClusterList(vec![
        Ipv4Addr::new(10, 0, 0, 1),
    ])));
    let out = t.receive(
        p,
        &update_from(vec![vpn("65000:7", "10.1.0.0/24")], &a),
        false,
    );
    assert!(out.locals.is_empty());
    assert_eq!(t.path_counts().0, 0);
}

#[test]
fn rt_constraint_filters_and_orders() {
    let mut t = table(false);
    let local = t.add_local("evi");
    t.subscribe(local, Family::EVPN, rt("65000:1"));
    t.announce_local(
        local,
        &mac_route("65000:9", "52:54:00:00:00:01"),
        attrs(&["65000:1"], "192.0.2.1"),
    );
    t.announce_local(
        local,
        &mac_route("65000:9", "52:54:00:00:00:02"),
        attrs(&["65000:2"], "192.0.2.1"),
    );
    let p = peer(&mut t, 2, false);
    let out = t.peer_up(p, vec![Family::RTC, Family::EVPN], id_of(&t, p), None);
    // Our RTC route for the imported RT, then RTC End-of-RIB; no E-VPN route yet.
    let ann = announced_to(&out, p);
    assert_eq!(ann.len(), 1);
    assert_eq!(ann[0].0, Nlri::Rtc(RtcNlri::new(ASN, rt("65000:1"))));
    assert_eq!(eors_to(&out, p), vec![Family::RTC]);
    // The peer asks for 65000:2 only, then ends its RTC table.
    let mut want2 = attrs(&[], "10.0.0.2");
    want2.next_hop = Some("10.0.0.2".parse().unwrap());
    let rtc2 = Nlri::Rtc(RtcNlri::new(ASN, rt("65000:2")));
    assert!(announced_to(
        &t.receive(p, &update_from(vec![rtc2.clone()], &want2), false),
        p
    )
    .is_empty());
    let out = t.receive(p, &Update::end_of_rib(Family::RTC), false);
    let ann = announced_to(&out, p);
    assert_eq!(ann.len(), 1, "only the route whose RT the peer asked for");
    assert_eq!(ann[0].0, mac_route("65000:9", "52:54:00:00:00:02"));
    assert_eq!(eors_to(&out, p), vec![Family::EVPN]);
    // The peer now asks for 65000:1 too, and drops 65000:2.
    let rtc1 = Nlri::Rtc(RtcNlri::new(ASN, rt("65000:1")));
    let out = t.receive(p, &update_from(vec![rtc1], &want2), false);
    assert_eq!(announced_to(&out, p).len(), 1);
    let out = t.receive(p, &Update::withdraw(Family::RTC, vec![rtc2.into()]), false);
    assert_eq!(
        withdrawn_to(&out, p),
        vec![mac_route("65000:9", "52:54:00:00:00:02")]
    );
    // Unsubscribing our last importer of 65000:1 withdraws our RTC route.
    let out = t.unsubscribe(local, Family::EVPN, rt("65000:1"));
    assert_eq!(
        withdrawn_to(&out, p),
        vec![Nlri::Rtc(RtcNlri::new(ASN, rt("65000:1")))]
    );
}

#[test]
fn default_rtc_route_asks_for_everything() {
    let mut t = table(false);
    let local = t.add_local("evi");
    t.announce_local(
        local,
        &mac_route("65000:9", "52:54:00:00:00:01"),
        attrs(&["65000:7"], "192.0.2.1"),
    );
    let p = peer(&mut t, 2, false);
    t.peer_up(p, vec![Family::RTC, Family::EVPN], id_of(&t, p), None);
    t.receive(
        p,
        &update_from(vec![Nlri::Rtc(RtcNlri::DEFAULT)], &attrs(&[], "10.0.0.2")),
        false,
    );
    let out = t.receive(p, &Update::end_of_rib(Family::RTC), false);
    assert_eq!(announced_to(&out, p).len(), 1);
}

#[test]
fn graceful_restart_keeps_stale_routes_until_end_of_rib() {
    let mut t = table(false);
    let vrf = t.add_local("vrf");
    t.subscribe(vrf, Family::VPNV4, rt("65000:1"));
    let p = peer(&mut t, 2, false);
    t.peer_up(p, vec![Family::VPNV4], id_of(&t, p), None);
    let a = attrs(&["65000:1"], "192.0.2.2");
    t.receive(
        p,
        &update_from(
            vec![vpn("65000:7", "10.1.0.0/24"), vpn("65000:7", "10.2.0.0/24")],
            &a,
        ),
        false,
    );
    let out = t.peer_down(p, true);
    assert!(out.locals.is_empty(), "routes kept during the restart");
    assert!(t.is_restarting(p));
    t.peer_up(p, vec![Family::VPNV4], id_of(&t, p), None);
    // Only one of the two comes back before End-of-RIB.
    t.receive(
        p,
        &update_from(vec![vpn("65000:7", "10.1.0.0/24")], &a),
        false,
    );
    let out = t.receive(p, &Update::end_of_rib(Family::VPNV4), false);
    assert_eq!(out.locals.len(), 1);
    assert_eq!(out.locals[0].nlri, vpn("65000:7", "10.2.0.0/24"));
    assert!(out.locals[0].attrs.is_none());
}

#[test]
fn session_loss_without_graceful_restart_withdraws() {
    let mut t = table(false);
    let vrf = t.add_local("vrf");
    t.subscribe(vrf, Family::VPNV4, rt("65000:1"));
    let p = peer(&mut t, 2, false);
    t.peer_up(p, vec![Family::VPNV4], id_of(&t, p), None);
    t.receive(
        p,
        &update_from(
            vec![vpn("65000:7", "10.1.0.0/24")],
            &attrs(&["65000:1"], "192.0.2.2"),
        ),
        false,
    );
    let out = t.peer_down(p, false);
    assert_eq!(out.locals.len(), 1);
    assert!(out.locals[0].attrs.is_none());
    assert_eq!(t.path_counts().0, 0);
}

#[test]
fn treat_as_withdraw_removes_instead_of_adding() {
    let mut t = table(false);
    let vrf = t.add_local("vrf");
    t.subscribe(vrf, Family::VPNV4, rt("65000:1"));
    let p = peer(&mut t, 2, false);
    t.peer_up(p, vec![Family::VPNV4], id_of(&t, p), None);
    let u = update_from(
        vec![vpn("65000:7", "10.1.0.0/24")],
        &attrs(&["65000:1"], "192.0.2.2"),
    );
    t.receive(p, &u, false);
    let out = t.receive(p, &u, true);
    assert_eq!(out.locals.len(), 1);
    assert!(out.locals[0].attrs.is_none());
}

#[test]
fn reflector_tells_each_client_about_the_others_identical_rtc_routes() {
    // Two clients of one AS ask for the same route target: the same RTC NLRI from both.
    let mut t = table(true);
    let c1 = peer(&mut t, 2, true);
    let c2 = peer(&mut t, 3, true);
    for p in [c1, c2] {
        t.peer_up(p, vec![Family::RTC, Family::EVPN], id_of(&t, p), None);
    }
    let rtc = Nlri::Rtc(RtcNlri::new(ASN, rt("65000:1")));
    t.receive(
        c1,
        &update_from(vec![rtc.clone()], &attrs(&[], "10.0.0.2")),
        false,
    );
    let out = t.receive(
        c2,
        &update_from(vec![rtc.clone()], &attrs(&[], "10.0.0.3")),
        false,
    );
    // Whichever path is best, each client gets the other's (and never its own back).
    let to_c1 = announced_to(&out, c1);
    assert_eq!(to_c1.len(), 1, "c1 learns that c2 wants 65000:1");
    assert_eq!(to_c1[0].1.originator_id(), Some(Ipv4Addr::new(10, 0, 0, 3)));
    let first = t.receive(
        c1,
        &update_from(vec![rtc.clone()], &attrs(&[], "10.0.0.2")),
        false,
    );
    assert!(
        announced_to(&first, c1).is_empty(),
        "a refresh of c1's own path changes nothing for c1"
    );
    // When c2 withdraws, c1 loses the interest it learned through the reflector.
    let out = t.receive(
        c2,
        &Update::withdraw(Family::RTC, vec![rtc.clone().into()]),
        false,
    );
    assert_eq!(withdrawn_to(&out, c1), vec![rtc]);
}

#[test]
fn a_peer_without_rtc_behind_us_makes_us_ask_rtc_peers_for_everything() {
    // Without reflection, an iBGP peer gets nothing from the others: nothing to ask for.
    let mut t = table(false);
    let rtc_peer = peer(&mut t, 2, false);
    t.peer_up(
        rtc_peer,
        vec![Family::RTC, Family::VPNV4],
        id_of(&t, rtc_peer),
        None,
    );
    let plain = peer(&mut t, 3, false);
    let out = t.peer_up(plain, vec![Family::VPNV4], id_of(&t, plain), None);
    assert!(announced_to(&out, rtc_peer).is_empty());

    // A reflector must get every route of its RTC clients for a client without RTC.
    let mut t = table(true);
    let rtc_peer = peer(&mut t, 2, true);
    let out = t.peer_up(
        rtc_peer,
        vec![Family::RTC, Family::VPNV4],
        id_of(&t, rtc_peer),
        None,
    );
    assert!(
        announced_to(&out, rtc_peer).is_empty(),
        "nothing to ask for yet"
    );
    let plain = peer(&mut t, 3, true);
    let out = t.peer_up(plain, vec![Family::VPNV4], id_of(&t, plain), None);
    let asked: Vec<Nlri> = announced_to(&out, rtc_peer)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(asked, vec![Nlri::Rtc(RtcNlri::DEFAULT)]);
    let out = t.peer_down(plain, false);
    assert_eq!(
        withdrawn_to(&out, rtc_peer),
        vec![Nlri::Rtc(RtcNlri::DEFAULT)]
    );
}

#[test]
fn events_of_one_source_share_its_origin_until_it_changes() {
    let mut t = table(false);
    let w = t.add_local("vrf");
    t.subscribe(w, Family::VPNV4, rt("64512:1"));
    let p = peer(&mut t, 2, false);
    t.peer_up(p, vec![Family::VPNV4], Ipv4Addr::new(10, 0, 0, 2), None);
    let a = attrs(&["64512:1"], "10.0.0.2");
    let out = t.receive(
        p,
        &update_from(
            vec![vpn("64512:7", "10.1.0.0/24"), vpn("64512:7", "10.2.0.0/24")],
            &a,
        ),
        false,
    );
    let [first, second] = &out.locals[..] else {
        panic!("{:?}", out.locals)
    };
    assert!(std::sync::Arc::ptr_eq(&first.origin, &second.origin));
    // The peer comes back with another BGP identifier: its paths carry the new one.
    t.peer_down(p, false);
    t.peer_up(p, vec![Family::VPNV4], Ipv4Addr::new(10, 9, 9, 9), None);
    let out = t.receive(
        p,
        &update_from(vec![vpn("64512:7", "10.1.0.0/24")], &a),
        false,
    );
    assert_eq!(out.locals[0].origin.router_id, Ipv4Addr::new(10, 9, 9, 9));
    assert!(!std::sync::Arc::ptr_eq(
        &out.locals[0].origin,
        &first.origin
    ));
}
