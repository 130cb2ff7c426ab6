//! The route table subscriptions of an instance, level-triggered: what it wants is
//! computed from its import targets and options, and the difference applied.

use std::collections::BTreeSet;

use bagpipe_rib::RouteTable;
use bagpipe_wire::{Family, RouteTarget};

use super::VpnManager;
use crate::instance::Instance;
use crate::request::VpnType;

/// What an instance subscribes to: its import targets in the families of its type (for a
/// VRF, VPN FlowSpec too, for redirections), and for a VRF the `readvertise.from_rt` targets
/// likewise. (The original subscribed to `from_rt` in VPNv4 only, so that the FlowSpec routes
/// it meant to readvertise only came when they also carried an imported target.)
fn wanted_subscriptions(inst: &Instance) -> BTreeSet<(Family, RouteTarget)> {
    const VRF_FAMILIES: [Family; 4] = [
        Family::VPNV4,
        Family::VPNV6,
        Family::VPN_FLOWSPEC4,
        Family::VPN_FLOWSPEC6,
    ];
    let (families, from_rts): (&[Family], &[RouteTarget]) = match inst.vpn_type {
        VpnType::Evpn => (&[Family::EVPN], &[]),
        VpnType::Ipvpn => (
            &VRF_FAMILIES,
            inst.options
                .readvertise
                .as_ref()
                .map_or(&[], |r| r.from_rts.as_slice()),
        ),
    };
    inst.import_rts
        .iter()
        .chain(from_rts)
        .flat_map(|rt| families.iter().map(move |f| (*f, *rt)))
        .collect()
}

impl VpnManager {
    /// Brings the instance's route table subscriptions to what it wants. New ones first, so
    /// that a path carrying both an old and a new target is not withdrawn in between.
    pub(super) fn sync_subscriptions(&mut self, rib: &mut RouteTable, external_id: &str) {
        let inst = self.instances.get_mut(external_id).expect("instance");
        let wanted = wanted_subscriptions(inst);
        let old = std::mem::replace(&mut inst.subscriptions, wanted.clone());
        let source = inst.source;
        for (f, rt) in wanted.difference(&old) {
            let out = rib.subscribe(source, *f, *rt);
            self.absorb(out);
        }
        for (f, rt) in old.difference(&wanted) {
            let out = rib.unsubscribe(source, *f, *rt);
            self.absorb(out);
        }
    }
}
