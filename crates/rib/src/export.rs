//! Which best paths go to which peer, and with which attributes: iBGP split horizon, route
//! reflection (RFC 4456), RT Constraint filtering (RFC 4684), and the eBGP rules.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bagpipe_wire::attr::code;
use bagpipe_wire::attr::{flags, AttrValue, AttributeSet, PathAttribute};
use bagpipe_wire::family::{AFI_IPV4, SAFI_MPLS_VPN, SAFI_UNICAST};
use bagpipe_wire::nlri::RtcNlri;
use bagpipe_wire::Family;

use crate::decision::DEFAULT_LOCAL_PREF;
use crate::source::{Peer, Source, SourceId, SourceKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableConfig {
    pub local_asn: u32,
    pub router_id: Ipv4Addr,
    /// Route reflection is on when a cluster id is set (RFC 4456 §7).
    pub cluster_id: Option<Ipv4Addr>,
    /// Next hop of the routes we originate ourselves (RT Constraint routes).
    pub next_hop: IpAddr,
}

/// Families whose routes are selected by route target, hence filtered by RT Constraint.
pub fn uses_route_targets(f: Family) -> bool {
    matches!(
        f,
        Family::VPNV4
            | Family::VPNV6
            | Family::EVPN
            | Family::VPN_FLOWSPEC4
            | Family::VPN_FLOWSPEC6
    )
}

/// Whether `interests` (a peer's RTC routes) ask for a route with these attributes.
pub fn wanted(interests: &HashSet<RtcNlri>, attrs: &AttributeSet) -> bool {
    if interests.iter().any(|i| i.is_default()) {
        return true;
    }
    attrs
        .route_targets()
        .any(|rt| interests.iter().any(|i| i.covers(&rt)))
}

/// Whether a best path from `source` may be sent to `target`, given the target's RTC
/// interests (passed apart so that a change of interests can be evaluated before/after).
pub fn eligible(
    config: &TableConfig,
    family: Family,
    attrs: &AttributeSet,
    source: &Source,
    target_id: SourceId,
    target: &Peer,
    interests: &HashSet<RtcNlri>,
) -> bool {
    if source.id == target_id || !target.has_family(family) {
        return false;
    }
    let target_ibgp = target.asn == config.local_asn;
    if let SourceKind::Peer(from) = &source.kind {
        let from_ibgp = from.asn == config.local_asn;
        if from_ibgp && target_ibgp {
            // iBGP split horizon, relaxed by route reflection: a client's routes go to every
            // peer, a non-client's to clients only.
            if config.cluster_id.is_none() || !(from.rr_client || target.rr_client) {
                return false;
            }
        }
    }
    if attrs.originator_id() == Some(target.router_id) {
        return false;
    }
    if !target_ibgp && attrs.as_path().is_some_and(|p| p.contains(target.asn)) {
        return false;
    }
    if !next_hop_fits(family, attrs, target, target_ibgp) {
        return false;
    }
    if target.rtc && uses_route_targets(family) {
        return target.rtc_eor && wanted(interests, attrs);
    }
    true
}

/// RFC 8950: an IPv4 unicast or VPN route goes with an IPv6 next hop (ours on an IPv6
/// underlay, or a reflected one) only to a peer that agreed to receive it so; to any other
/// it would be a malformed UPDATE.
fn next_hop_fits(family: Family, attrs: &AttributeSet, target: &Peer, target_ibgp: bool) -> bool {
    if family.afi != AFI_IPV4 || !(family.safi == SAFI_UNICAST || family.safi == SAFI_MPLS_VPN) {
        return true;
    }
    let next_hop = next_hop_toward(attrs.next_hop, target, target_ibgp);
    !next_hop.is_some_and(|nh| nh.to_canonical().is_ipv6())
        || target.ipv6_next_hop.contains(&family)
}

/// The next hop a route goes to `target` with: our address on the session toward an eBGP
/// peer, the route's own otherwise.
fn next_hop_toward(next_hop: Option<IpAddr>, target: &Peer, target_ibgp: bool) -> Option<IpAddr> {
    match target.local_address {
        Some(ours) if !target_ibgp => Some(ours),
        _ => next_hop,
    }
}

/// The attributes to send: reflection adds ORIGINATOR_ID and CLUSTER_LIST, iBGP needs a
/// LOCAL_PREF, eBGP gets our AS prepended and our address as next hop. Results are cached per
/// (attribute set, source, target) so that routes sharing attributes still share one `Arc`.
pub struct Exporter<'a> {
    pub config: &'a TableConfig,
    cache: HashMap<(usize, SourceId, SourceId), Arc<AttributeSet>>,
}

impl<'a> Exporter<'a> {
    pub fn new(config: &'a TableConfig) -> Self {
        Exporter {
            config,
            cache: HashMap::new(),
        }
    }

    pub fn attrs(
        &mut self,
        attrs: &Arc<AttributeSet>,
        source: &Source,
        target_id: SourceId,
        target: &Peer,
    ) -> Arc<AttributeSet> {
        let key = (Arc::as_ptr(attrs) as usize, source.id, target_id);
        if let Some(a) = self.cache.get(&key) {
            return Arc::clone(a);
        }
        let out = match transform(self.config, attrs, source, target) {
            Some(changed) => Arc::new(changed),
            None => Arc::clone(attrs),
        };
        self.cache.insert(key, Arc::clone(&out));
        out
    }
}

/// `None` when the attributes go out unchanged.
fn transform(
    config: &TableConfig,
    attrs: &AttributeSet,
    source: &Source,
    target: &Peer,
) -> Option<AttributeSet> {
    let target_ibgp = target.asn == config.local_asn;
    let from_peer = source.peer();
    let mut a = attrs.clone();
    let mut changed = false;
    if let Some(from) = from_peer {
        // RFC 4271 §5: unknown optional transitive attributes go on with the partial bit;
        // unknown non-transitive ones do not go on.
        let before = a.attributes.len();
        a.attributes
            .retain(|p| !matches!(p.value, AttrValue::Unknown { .. }) || p.is_transitive());
        for p in a.attributes.iter_mut().filter(|p| {
            matches!(p.value, AttrValue::Unknown { .. }) && p.flags & flags::PARTIAL == 0
        }) {
            p.flags |= flags::PARTIAL;
            changed = true;
        }
        changed |= a.attributes.len() != before;
        let reflecting = target_ibgp && from.asn == config.local_asn;
        if let (true, Some(cluster)) = (reflecting, config.cluster_id) {
            if a.originator_id().is_none() {
                a.set(PathAttribute::new(AttrValue::OriginatorId(from.router_id)));
            }
            let mut list = vec![cluster];
            list.extend_from_slice(a.cluster_list());
            a.set(PathAttribute::new(AttrValue::ClusterList(list)));
            changed = true;
        }
    }
    if target_ibgp {
        if a.local_pref().is_none() {
            a.set(PathAttribute::new(AttrValue::LocalPref(DEFAULT_LOCAL_PREF)));
            changed = true;
        }
    } else {
        for c in [code::LOCAL_PREF, code::ORIGINATOR_ID, code::CLUSTER_LIST] {
            a.remove(c);
        }
        if from_peer.is_some() {
            a.remove(code::MED);
        }
        let mut path = a.as_path().cloned().unwrap_or_default();
        path.prepend(config.local_asn);
        a.set(PathAttribute::new(AttrValue::AsPath(path)));
        a.next_hop = next_hop_toward(a.next_hop, target, false);
        changed = true;
    }
    changed.then_some(a)
}
