//! What two OPENs agree on (RFC 4271 §4.2, RFC 5492), and the checks that refuse a peer's OPEN
//! (RFC 4271 §6.2).

use std::net::Ipv4Addr;

use bagpipe_wire::message::{open_error, Capability, Notification, Open};
use bagpipe_wire::{CodecContext, Family};

/// The session parameters both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub peer_asn: u32,
    pub peer_id: Ipv4Addr,
    /// Seconds; 0 means no keepalives and no hold timer.
    pub hold_time: u16,
    pub keepalive_time: u16,
    /// The families both sides advertised.
    pub families: Vec<Family>,
    pub four_octet_as: bool,
    pub extended_message: bool,
    pub route_refresh: bool,
    pub enhanced_route_refresh: bool,
    /// Families for which the peer sends us path identifiers.
    pub add_path_receive: Vec<Family>,
    /// Families for which we send path identifiers.
    pub add_path_send: Vec<Family>,
    /// IPv4 families whose routes may go with an IPv6 next hop, both sides having said so
    /// (RFC 8950).
    pub ipv6_next_hop: Vec<Family>,
    /// The peer's graceful restart capability, if it sent one.
    pub peer_graceful_restart: Option<bagpipe_wire::message::GracefulRestart>,
    /// The peer's capabilities as received, for the looking glass.
    pub peer_capabilities: Vec<Capability>,
}

impl Negotiated {
    /// The codec context for what we receive.
    pub fn decode_context(&self) -> CodecContext {
        CodecContext {
            four_octet_as: self.four_octet_as,
            extended_message: self.extended_message,
            add_path: self.add_path_receive.clone(),
        }
    }

    /// The codec context for what we send.
    pub fn encode_context(&self) -> CodecContext {
        CodecContext {
            four_octet_as: self.four_octet_as,
            extended_message: self.extended_message,
            add_path: self.add_path_send.clone(),
        }
    }

    pub fn has_family(&self, family: Family) -> bool {
        self.families.contains(&family)
    }
}

/// What we expect of the peer's OPEN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    pub local_id: Ipv4Addr,
    pub local_asn: u32,
    /// The configured remote AS; `None` accepts any.
    pub remote_asn: Option<u32>,
}

fn open_err(subcode: u8, data: Vec<u8>) -> Notification {
    Notification::new(
        bagpipe_wire::message::error_code::OPEN_MESSAGE,
        subcode,
        data,
    )
}

/// Checks the peer's OPEN against ours and what we expect, and negotiates the session.
pub fn negotiate(
    ours: &Open,
    theirs: &Open,
    expect: &Expectations,
) -> Result<Negotiated, Notification> {
    validate(theirs, expect)?;
    Ok(agree(ours, theirs))
}

/// RFC 4271 §6.2 checks of the peer's OPEN.
pub fn validate(theirs: &Open, expect: &Expectations) -> Result<(), Notification> {
    let peer_asn = theirs.asn();
    if let Some(want) = expect.remote_asn {
        if want != peer_asn {
            return Err(open_err(
                open_error::BAD_PEER_AS,
                theirs.my_as.to_be_bytes().to_vec(),
            ));
        }
    }
    // RFC 6286 §2.2: a zero identifier is invalid; an iBGP peer may not share ours.
    let id = theirs.bgp_id;
    if id.is_unspecified()
        || id.is_multicast()
        || id.is_broadcast()
        || (peer_asn == expect.local_asn && id == expect.local_id)
    {
        return Err(open_err(
            open_error::BAD_BGP_IDENTIFIER,
            id.octets().to_vec(),
        ));
    }
    // RFC 4271 §6.2: a hold time of one or two seconds is refused.
    if theirs.hold_time == 1 || theirs.hold_time == 2 {
        return Err(open_err(
            open_error::UNACCEPTABLE_HOLD_TIME,
            theirs.hold_time.to_be_bytes().to_vec(),
        ));
    }
    Ok(())
}

/// What the two OPENs agree on; assumes `validate` passed.
pub fn agree(ours: &Open, theirs: &Open) -> Negotiated {
    let peer_asn = theirs.asn();
    let id = theirs.bgp_id;
    let hold_time = ours.hold_time.min(theirs.hold_time);
    let our_caps: Vec<&Capability> = ours.capabilities().collect();
    let their_caps: Vec<Capability> = theirs.capabilities().cloned().collect();
    let both = |pred: &dyn Fn(&Capability) -> bool| {
        our_caps.iter().any(|c| pred(c)) && their_caps.iter().any(pred)
    };

    let their_families = theirs.families();
    let families: Vec<Family> = ours
        .families()
        .into_iter()
        .filter(|f| their_families.contains(f))
        .collect();

    let add_path_of = |c: &Capability| match c {
        Capability::AddPath { families } => Some(families.clone()),
        _ => None,
    };
    let our_ap = entries(our_caps.iter().copied(), add_path_of);
    let their_ap = entries(&their_caps, add_path_of);
    let mode = |list: &[(Family, bagpipe_wire::message::AddPathMode)], f: Family| {
        list.iter().find(|(g, _)| *g == f).map(|(_, m)| *m)
    };
    let add_path_receive = families
        .iter()
        .copied()
        .filter(|f| {
            mode(&our_ap, *f).is_some_and(|m| m.can_receive())
                && mode(&their_ap, *f).is_some_and(|m| m.can_send())
        })
        .collect();
    let add_path_send = families
        .iter()
        .copied()
        .filter(|f| {
            mode(&our_ap, *f).is_some_and(|m| m.can_send())
                && mode(&their_ap, *f).is_some_and(|m| m.can_receive())
        })
        .collect();

    let ipv6_next_hop_of = |c: &Capability| match c {
        Capability::ExtendedNextHop { entries } => Some(
            entries
                .iter()
                .filter(|e| e.next_hop_afi == bagpipe_wire::family::AFI_IPV6)
                .map(|e| e.family)
                .collect(),
        ),
        _ => None,
    };
    let ours_v6 = entries(our_caps.iter().copied(), ipv6_next_hop_of);
    let theirs_v6 = entries(&their_caps, ipv6_next_hop_of);
    let ipv6_next_hop = families
        .iter()
        .copied()
        .filter(|f| ours_v6.contains(f) && theirs_v6.contains(f))
        .collect();

    let is_rr = |c: &Capability| {
        matches!(c, Capability::RouteRefresh) || matches!(c, Capability::Unknown { code: 128, .. })
    };
    Negotiated {
        peer_asn,
        peer_id: id,
        hold_time,
        keepalive_time: hold_time / 3,
        families,
        four_octet_as: both(&|c| matches!(c, Capability::FourOctetAs { .. })),
        extended_message: both(&|c| matches!(c, Capability::ExtendedMessage)),
        route_refresh: their_caps.iter().any(is_rr)
            || their_caps
                .iter()
                .any(|c| matches!(c, Capability::EnhancedRouteRefresh)),
        enhanced_route_refresh: both(&|c| matches!(c, Capability::EnhancedRouteRefresh)),
        add_path_receive,
        add_path_send,
        ipv6_next_hop,
        peer_graceful_restart: their_caps.iter().find_map(|c| match c {
            Capability::GracefulRestart(gr) => Some(gr.clone()),
            _ => None,
        }),
        peer_capabilities: their_caps,
    }
}

/// The entries of the capabilities `pick` reads a list from (a capability may come more
/// than once), all together.
fn entries<'a, T>(
    caps: impl IntoIterator<Item = &'a Capability>,
    pick: impl Fn(&Capability) -> Option<Vec<T>>,
) -> Vec<T> {
    caps.into_iter().filter_map(pick).flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bagpipe_wire::message::AddPathMode;

    fn open(asn: u32, hold: u16, id: [u8; 4], caps: Vec<Capability>) -> Open {
        Open::new(asn, hold, Ipv4Addr::from(id), caps)
    }

    fn expect() -> Expectations {
        Expectations {
            local_id: Ipv4Addr::new(10, 0, 0, 1),
            local_asn: 64512,
            remote_asn: Some(64512),
        }
    }

    fn mp(f: Family) -> Capability {
        Capability::Multiprotocol { family: f }
    }

    #[test]
    fn intersection_of_families_and_capabilities() {
        let ours = open(
            64512,
            90,
            [10, 0, 0, 1],
            vec![
                mp(Family::EVPN),
                mp(Family::VPNV4),
                mp(Family::RTC),
                Capability::RouteRefresh,
                Capability::AddPath {
                    families: vec![(Family::VPNV4, AddPathMode::Receive)],
                },
            ],
        );
        let theirs = open(
            64512,
            30,
            [10, 0, 0, 2],
            vec![
                mp(Family::EVPN),
                mp(Family::VPNV4),
                mp(Family::VPNV6),
                Capability::RouteRefresh,
                Capability::AddPath {
                    families: vec![(Family::VPNV4, AddPathMode::Both)],
                },
            ],
        );
        let n = negotiate(&ours, &theirs, &expect()).unwrap();
        assert_eq!(n.families, vec![Family::EVPN, Family::VPNV4]);
        assert_eq!(n.hold_time, 30);
        assert_eq!(n.keepalive_time, 10);
        assert!(n.four_octet_as && n.route_refresh && !n.enhanced_route_refresh);
        assert_eq!(n.add_path_receive, vec![Family::VPNV4]);
        assert!(n.add_path_send.is_empty());
        assert!(n.ipv6_next_hop.is_empty(), "offered by neither");
    }

    #[test]
    fn ipv6_next_hops_for_ipv4_routes_when_both_sides_offer_them() {
        use bagpipe_wire::family::{AFI_IPV4, AFI_IPV6};
        use bagpipe_wire::message::ExtendedNextHop;
        let enh = |families: &[Family], next_hop_afi| Capability::ExtendedNextHop {
            entries: families
                .iter()
                .map(|&family| ExtendedNextHop {
                    family,
                    next_hop_afi,
                })
                .collect(),
        };
        let ours = open(
            64512,
            90,
            [10, 0, 0, 1],
            vec![
                mp(Family::VPNV4),
                mp(Family::IPV4_UNICAST),
                enh(&[Family::VPNV4, Family::IPV4_UNICAST], AFI_IPV6),
            ],
        );
        let theirs = |caps: Vec<Capability>| {
            let mut all = vec![mp(Family::VPNV4), mp(Family::IPV4_UNICAST)];
            all.extend(caps);
            open(64512, 90, [10, 0, 0, 2], all)
        };
        let agreed = |t: &Open| negotiate(&ours, t, &expect()).unwrap().ipv6_next_hop;
        assert_eq!(
            agreed(&theirs(vec![enh(&[Family::VPNV4], AFI_IPV6)])),
            [Family::VPNV4]
        );
        assert!(agreed(&theirs(vec![])).is_empty());
        // An IPv4 next hop AFI is not an IPv6 one.
        assert!(agreed(&theirs(vec![enh(&[Family::VPNV4], AFI_IPV4)])).is_empty());
    }

    #[test]
    fn refusals_carry_the_right_notification() {
        let ours = open(64512, 90, [10, 0, 0, 1], vec![]);
        let bad_as =
            negotiate(&ours, &open(65001, 90, [10, 0, 0, 2], vec![]), &expect()).unwrap_err();
        assert_eq!((bad_as.code, bad_as.subcode), (2, open_error::BAD_PEER_AS));
        for hold in [1, 2] {
            let e =
                negotiate(&ours, &open(64512, hold, [10, 0, 0, 2], vec![]), &expect()).unwrap_err();
            assert_eq!(
                (e.code, e.subcode, e.data.clone()),
                (2, open_error::UNACCEPTABLE_HOLD_TIME, vec![0, hold as u8])
            );
        }
        let same_id =
            negotiate(&ours, &open(64512, 90, [10, 0, 0, 1], vec![]), &expect()).unwrap_err();
        assert_eq!(same_id.subcode, open_error::BAD_BGP_IDENTIFIER);
        let zero_id =
            negotiate(&ours, &open(64512, 90, [0, 0, 0, 0], vec![]), &expect()).unwrap_err();
        assert_eq!(zero_id.subcode, open_error::BAD_BGP_IDENTIFIER);
        // A zero hold time is accepted: no keepalives.
        assert_eq!(
            negotiate(&ours, &open(64512, 0, [10, 0, 0, 2], vec![]), &expect())
                .unwrap()
                .hold_time,
            0
        );
    }

    #[test]
    fn four_octet_peer_as() {
        let e = Expectations {
            remote_asn: Some(4200000001),
            ..expect()
        };
        let ours = open(64512, 90, [10, 0, 0, 1], vec![]);
        let n = negotiate(&ours, &open(4200000001, 90, [10, 0, 0, 2], vec![]), &e).unwrap();
        assert_eq!(n.peer_asn, 4200000001);
        assert!(n.four_octet_as);
    }
}
