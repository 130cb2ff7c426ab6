//! The BGP decision process (RFC 4271 §9.1.2.2, with the tie-breakers of RFC 4456 §9 and those
//! routers commonly use), and the multipath set: paths equal up to the IGP-cost step, which a
//! dataplane may use together (ECMP).

use std::cmp::Ordering;

use bagpipe_wire::attr::{AttributeSet, Origin};

use crate::source::{OriginKind, PathOrigin};

/// LOCAL_PREF assumed for paths without one (routes from eBGP peers, local routes).
pub const DEFAULT_LOCAL_PREF: u32 = 100;

/// One candidate path: its attributes and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub attrs: &'a AttributeSet,
    pub origin: PathOrigin,
    pub path_id: u32,
}

/// A path without ORIGIN ranks as INCOMPLETE, the least preferred.
fn origin_rank(o: Option<Origin>) -> u8 {
    match o {
        Some(Origin::Igp) => 0,
        Some(Origin::Egp) => 1,
        Some(Origin::Incomplete) | None => 2,
    }
}

/// Compares the steps up to (and including) eBGP-over-iBGP; `Equal` means the two paths are
/// equally good for multipath.
fn compare_multipath(a: &Candidate, b: &Candidate) -> Ordering {
    let lp = |c: &Candidate| c.attrs.local_pref().unwrap_or(DEFAULT_LOCAL_PREF);
    let local = |c: &Candidate| c.origin.kind != OriginKind::Local;
    let as_len = |c: &Candidate| c.attrs.as_path().map_or(0, |p| p.path_length());
    let neighbor_as = |c: &Candidate| c.attrs.as_path().and_then(|p| p.first_asn());
    lp(b)
        .cmp(&lp(a))
        .then_with(|| local(a).cmp(&local(b)))
        .then_with(|| as_len(a).cmp(&as_len(b)))
        .then_with(|| origin_rank(a.attrs.origin()).cmp(&origin_rank(b.attrs.origin())))
        .then_with(|| {
            // MED is compared only between paths from the same neighbouring AS.
            if neighbor_as(a) == neighbor_as(b) {
                a.attrs.med().unwrap_or(0).cmp(&b.attrs.med().unwrap_or(0))
            } else {
                Ordering::Equal
            }
        })
        .then_with(|| (a.origin.kind == OriginKind::Ibgp).cmp(&(b.origin.kind == OriginKind::Ibgp)))
}

/// Full order: `Less` means `a` is better.
pub fn compare(a: &Candidate, b: &Candidate) -> Ordering {
    let id = |c: &Candidate| u32::from(c.attrs.originator_id().unwrap_or(c.origin.router_id));
    compare_multipath(a, b)
        .then_with(|| id(a).cmp(&id(b)))
        .then_with(|| {
            a.attrs
                .cluster_list()
                .len()
                .cmp(&b.attrs.cluster_list().len())
        })
        .then_with(|| a.origin.address.cmp(&b.origin.address))
        .then_with(|| a.path_id.cmp(&b.path_id))
        .then_with(|| a.origin.source.cmp(&b.origin.source))
}

pub fn multipath_equal(a: &Candidate, b: &Candidate) -> bool {
    compare_multipath(a, b) == Ordering::Equal
}

/// Index of the best candidate.
pub fn best_index(candidates: &[Candidate]) -> Option<usize> {
    (0..candidates.len()).min_by(|&i, &j| compare(&candidates[i], &candidates[j]))
}

/// Indexes of the best candidate followed by those multipath-equal to it, best first.
pub fn multipath_set(candidates: &[Candidate]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&i, &j| compare(&candidates[i], &candidates[j]));
    let Some(&first) = order.first() else {
        return order;
    };
    order.retain(|&i| multipath_equal(&candidates[first], &candidates[i]));
    order
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use bagpipe_wire::attr::{AsPath, AttrValue, PathAttribute};

    fn attrs(lp: Option<u32>, path: Vec<u32>, origin: Origin, med: Option<u32>) -> AttributeSet {
        let mut v = vec![
            PathAttribute::new(AttrValue::Origin(origin)),
            PathAttribute::new(AttrValue::AsPath(AsPath::sequence(path))),
        ];
        if let Some(lp) = lp {
            v.push(PathAttribute::new(AttrValue::LocalPref(lp)));
        }
        if let Some(m) = med {
            v.push(PathAttribute::new(AttrValue::Med(m)));
        }
        AttributeSet::new(None, v)
    }

    fn origin(source: u32, kind: OriginKind, id: [u8; 4]) -> PathOrigin {
        PathOrigin {
            source,
            kind,
            router_id: Ipv4Addr::from(id),
            address: Some(IpAddr::from(id)),
            asn: 64512,
        }
    }

    #[test]
    fn steps_in_order() {
        let hi_lp = attrs(Some(200), vec![1, 2, 3], Origin::Incomplete, None);
        let short = attrs(None, vec![1], Origin::Incomplete, None);
        let igp = attrs(None, vec![1], Origin::Igp, None);
        let low_med = attrs(None, vec![1], Origin::Igp, Some(5));
        let high_med = attrs(None, vec![1], Origin::Igp, Some(50));
        let ibgp = origin(1, OriginKind::Ibgp, [10, 0, 0, 1]);
        let c = |a, o| Candidate {
            attrs: a,
            origin: o,
            path_id: 0,
        };
        assert_eq!(compare(&c(&hi_lp, ibgp), &c(&short, ibgp)), Ordering::Less);
        assert_eq!(compare(&c(&igp, ibgp), &c(&short, ibgp)), Ordering::Less);
        assert_eq!(
            compare(&c(&low_med, ibgp), &c(&high_med, ibgp)),
            Ordering::Less
        );
        let ebgp = origin(2, OriginKind::Ebgp, [10, 0, 0, 9]);
        assert_eq!(compare(&c(&igp, ebgp), &c(&igp, ibgp)), Ordering::Less);
        let low_id = origin(3, OriginKind::Ibgp, [10, 0, 0, 0]);
        assert_eq!(compare(&c(&igp, low_id), &c(&igp, ibgp)), Ordering::Less);
        let local = origin(4, OriginKind::Local, [10, 0, 0, 99]);
        assert_eq!(compare(&c(&igp, local), &c(&igp, low_id)), Ordering::Less);
    }

    #[test]
    fn multipath_stops_before_router_id() {
        let a = attrs(None, vec![1], Origin::Igp, None);
        let worse = attrs(None, vec![1, 2], Origin::Igp, None);
        let cands = [
            Candidate {
                attrs: &a,
                origin: origin(1, OriginKind::Ibgp, [10, 0, 0, 2]),
                path_id: 0,
            },
            Candidate {
                attrs: &worse,
                origin: origin(2, OriginKind::Ibgp, [10, 0, 0, 1]),
                path_id: 0,
            },
            Candidate {
                attrs: &a,
                origin: origin(3, OriginKind::Ibgp, [10, 0, 0, 1]),
                path_id: 0,
            },
        ];
        assert_eq!(best_index(&cands), Some(2));
        assert_eq!(multipath_set(&cands), vec![2, 0]);
    }
}
