//! The receiving side of `attract_traffic`: a VRF importing VPN FlowSpec routes with a
//! redirect-to-VRF action (RFC 8955 §7.5, RFC 7674) sends the matching traffic of its ports
//! to a VRF of this node that imports the action's route target, created for that purpose as
//! the original did (`redirect-to-ipvpn-<asn>_<number>`, its `redirect_traffic_to_vpn`), and
//! removed when no VRF redirects to it any more.

use std::collections::{BTreeMap, BTreeSet};

use bagpipe_dataplane::FlowClassifier;
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::{ExtCommunityKind, RouteTarget};

use crate::flowspec::classifier_of;
use crate::instance::Instance;
use crate::vrf::{best_set, VrfImports};

/// The external id of the VRF receiving the traffic redirected to `rt` (the original's
/// `redirect_instance_extid`).
pub fn instance_id(rt: RouteTarget) -> String {
    format!("redirect-to-ipvpn-{}", rt.to_string().replace(':', "_"))
}

/// Per redirect target, the traffic a VRF's imported FlowSpec routes redirect. A route with
/// other actions than one redirect, or a rule that is not a 5-tuple, is not followed (the
/// original logged the former and failed on the latter).
pub fn wanted(
    inst: &Instance,
    imports: &VrfImports,
) -> BTreeMap<RouteTarget, BTreeSet<FlowClassifier>> {
    let mut out: BTreeMap<RouteTarget, BTreeSet<FlowClassifier>> = BTreeMap::new();
    for group in imports.flows.values() {
        let imported = group
            .values()
            .filter(|p| inst.is_imported(&p.attrs))
            .collect();
        let Some(best) = best_set(imported).first().copied() else {
            continue;
        };
        let Nlri::FlowSpec(rule) = &best.nlri else {
            continue;
        };
        let redirects: Vec<RouteTarget> = best
            .attrs
            .ext_communities()
            .iter()
            .filter_map(|c| match c.kind() {
                ExtCommunityKind::Redirect(v) => Some(RouteTarget::new(v)),
                _ => None,
            })
            .collect();
        let ([rt], Some(classifier)) = (redirects.as_slice(), classifier_of(rule)) else {
            continue;
        };
        out.entry(*rt).or_default().insert(classifier);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_the_originals() {
        let rt = |s: &str| s.parse::<RouteTarget>().unwrap();
        assert_eq!(instance_id(rt("64512:99")), "redirect-to-ipvpn-64512_99");
        assert_eq!(
            instance_id(rt("192.0.2.1:7")),
            "redirect-to-ipvpn-192.0.2.1_7"
        );
    }
}
