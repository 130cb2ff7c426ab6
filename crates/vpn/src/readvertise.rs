//! `readvertise`: the routes a VRF receives with one of `from_rt` are advertised again toward
//! `to_rt`, with this node as next hop and the label of each of the VRF's ports, so that the
//! traffic to these prefixes comes through the ports (service chaining, as the BGPVPN and
//! networking-sfc agents use it). With `attract_traffic`, `attract.rs` advertises other
//! routes instead.
//!
//! The original advertised and withdrew these routes as each port and route came and went;
//! here they are a function of the instance's state (its ports and received routes), and the
//! manager announces what changed and withdraws what is gone, which cannot drift. Per prefix,
//! the best of the routes to readvertise is the one readvertised. Route target records
//! (draft-ietf-bess-service-chaining, extended community sub-type 0x13) carry the targets a route had before being readvertised; a route already readvertised
//! toward our "to" targets is not readvertised again, which ends loops of readvertising VRFs.

use std::collections::{BTreeSet, HashMap};

use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::{ExtendedCommunity, RouteTarget};

use crate::attract;
use crate::instance::{Endpoint, Instance, ReceivedPath};
use crate::manager::VpnConfig;
use crate::vrf::{self, best_set, Via, VrfImports};

/// Sub-type of the route target record extended community (IANA, for the three route target
/// forms).
const RT_RECORD_SUBTYPE: u8 = 0x13;

fn rt_record(rt: RouteTarget) -> ExtendedCommunity {
    let mut c = ExtendedCommunity::from(rt);
    c.0[1] = RT_RECORD_SUBTYPE;
    c
}

fn is_rt_record(c: &ExtendedCommunity) -> bool {
    c.0[0] <= 0x02 && c.0[1] == RT_RECORD_SUBTYPE
}

/// The records a readvertisement of `source` carries: those it had, and its route targets.
pub(crate) fn rt_records(source: &AttributeSet) -> Vec<ExtendedCommunity> {
    let records: BTreeSet<ExtendedCommunity> = source
        .ext_communities()
        .iter()
        .copied()
        .filter(is_rt_record)
        .chain(source.route_targets().map(rt_record))
        .collect();
    records.into_iter().collect()
}

/// The targets of the routes a VRF derives: `readvertise.to_rt`, or else the `to_rt` of
/// `attract_traffic`.
pub fn to_targets(inst: &Instance) -> Vec<RouteTarget> {
    match (&inst.options.readvertise, &inst.options.attract) {
        (Some(r), _) => r.to_rts.clone(),
        (None, Some(a)) => vec![a.to_rt],
        (None, None) => Vec::new(),
    }
}

/// Whether a received route is to be readvertised: it carries one of `from_rt`, and was not
/// readvertised toward our own "to" targets (nor, with `attract_traffic`, toward its redirect
/// targets) before.
fn to_readvertise(inst: &Instance, path: &ReceivedPath) -> bool {
    let Some(r) = &inst.options.readvertise else {
        return false;
    };
    let mut ours: Vec<ExtendedCommunity> = r.to_rts.iter().copied().map(rt_record).collect();
    if let Some(a) = &inst.options.attract {
        ours.extend(a.redirect_rts.iter().copied().map(rt_record));
    }
    let looped = path
        .attrs
        .ext_communities()
        .iter()
        .any(|c| ours.contains(c));
    !looped
        && path
            .attrs
            .route_targets()
            .any(|rt| r.from_rts.contains(&rt))
}

/// The received routes a VRF readvertises: for each prefix and flow rule, the best of those
/// to readvertise.
pub fn sources<'a>(inst: &Instance, imports: &'a VrfImports) -> Vec<&'a ReceivedPath> {
    imports
        .prefixes
        .values()
        .chain(imports.flows.values())
        .filter_map(|group| {
            let eligible = group.values().filter(|p| to_readvertise(inst, p)).collect();
            best_set(eligible).first().copied()
        })
        .collect()
}

/// The ports through which traffic attracted to this VRF comes in: endpoints that receive
/// traffic (`direction` other than `from-port`), with what their routes say.
pub fn ports(inst: &Instance) -> Vec<(&Endpoint, Via)> {
    inst.endpoints
        .values()
        .filter(|ep| ep.direction.to_port())
        .filter_map(|ep| Some((ep, Via::endpoint(inst, ep)?)))
        .collect()
}

/// Every route the VRF derives from its received routes and options.
pub fn derived_routes(
    inst: &Instance,
    imports: &VrfImports,
    config: &VpnConfig,
) -> HashMap<Nlri, AttributeSet> {
    let sources = sources(inst, imports);
    match &inst.options.attract {
        Some(a) => attract::routes(inst, config, a, &sources),
        None => readvertised_routes(inst, config, &sources),
    }
}

/// Plain readvertisement: each VPN prefix to readvertise, through each port.
fn readvertised_routes(
    inst: &Instance,
    config: &VpnConfig,
    sources: &[&ReceivedPath],
) -> HashMap<Nlri, AttributeSet> {
    let targets = to_targets(inst);
    let mut out = HashMap::new();
    for source in sources {
        let Nlri::Vpn(v) = &source.nlri else {
            continue; // FlowSpec routes are readvertised with attract_traffic only.
        };
        for (_, via) in ports(inst) {
            let (nlri, attrs) = vrf::vpn_route(
                inst,
                config,
                via,
                v.prefix,
                &targets,
                rt_records(&source.attrs),
                None,
            );
            out.insert(nlri, attrs);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use bagpipe_wire::attr::{AttrValue, PathAttribute};

    use super::*;

    #[test]
    fn records_keep_earlier_ones_and_add_the_route_targets() {
        let rt = |s: &str| s.parse::<RouteTarget>().unwrap();
        let attrs = AttributeSet::new(
            None,
            vec![PathAttribute::new(AttrValue::ExtendedCommunities(vec![
                ExtendedCommunity::from(rt("64512:2")),
                rt_record(rt("64512:1")),
                ExtendedCommunity::encapsulation(bagpipe_wire::TunnelType::MPLS),
            ]))],
        );
        let records = rt_records(&attrs);
        assert_eq!(
            records,
            vec![rt_record(rt("64512:1")), rt_record(rt("64512:2"))]
        );
        assert!(records.iter().all(is_rt_record));
        assert!(!is_rt_record(&ExtendedCommunity::from(rt("64512:1"))));
        // The record of an IPv4-form target keeps the form (type 0x01), sub-type 0x13.
        assert_eq!(rt_record(rt("192.0.2.1:7")).0[..2], [0x01, 0x13]);
    }
}
