//! The VRFs that receive redirected traffic (see [`crate::redirect`]): created when a first
//! VRF of this node imports a FlowSpec route redirecting to their route target, removed when
//! the last one stops (the original's `redirect_traffic_to_vpn` / `stop_redirect_to_vpn`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use bagpipe_dataplane::TrafficRedirect;
use bagpipe_rib::RouteTable;
use bagpipe_wire::RouteTarget;

use super::{NewInstance, VpnManager};
use crate::instance::{Imports, Instance};
use crate::redirect;
use crate::request::VpnType;

impl VpnManager {
    /// Follows the redirections the instance's FlowSpec routes now ask for.
    pub(super) fn sync_redirects(&mut self, rib: &mut RouteTable, ext: &str) {
        let Some(inst) = self.instances.get(ext) else {
            return;
        };
        let Imports::Vrf(imports) = &inst.imports else {
            return;
        };
        let mut wanted = redirect::wanted(inst, imports);
        // A redirection VRF importing its own target's FlowSpec routes: nothing to follow.
        wanted.retain(|rt, _| redirect::instance_id(*rt) != ext);
        if wanted == inst.redirects {
            return;
        }
        let old: BTreeSet<RouteTarget> = inst.redirects.keys().copied().collect();
        let new: BTreeSet<RouteTarget> = wanted.keys().copied().collect();
        self.instances.get_mut(ext).expect("instance").redirects = wanted;
        self.dirty.entry(ext.to_owned()).or_default();
        for rt in new.difference(&old) {
            self.redirect_to(rib, *rt, ext);
        }
        for rt in old.difference(&new) {
            self.release_redirect(rib, *rt, ext);
        }
    }

    /// Registers `from` with the VRF receiving the traffic redirected to `rt`, creating it
    /// as the original did: importing `rt`, exporting nothing, gateway 127.0.0.1/24.
    fn redirect_to(&mut self, rib: &mut RouteTable, rt: RouteTarget, from: &str) {
        let id = redirect::instance_id(rt);
        if !self.instances.contains_key(&id) {
            let new = NewInstance {
                external_id: &id,
                vpn_type: VpnType::Ipvpn,
                vni: None,
                gateway_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                subnet_len: Some(24),
                linuxbr: None,
            };
            // Out of labels or RDs: the traffic is not redirected (the FlowSpec route is
            // ignored), which is all that can be done for it.
            if self.create(rib, &new).is_err() {
                return;
            }
            self.instances.get_mut(&id).expect("created").import_rts = vec![rt];
            self.sync_subscriptions(rib, &id);
            self.touch(&id);
        }
        if let Some(target) = self.instances.get_mut(&id) {
            if target.vpn_type == VpnType::Ipvpn {
                target.redirected_by.insert(from.to_owned());
            }
        }
    }

    /// `from` no longer redirects to `rt`: the receiving VRF goes when nothing needs it.
    pub(super) fn release_redirect(&mut self, rib: &mut RouteTable, rt: RouteTarget, from: &str) {
        let id = redirect::instance_id(rt);
        let Some(target) = self.instances.get_mut(&id) else {
            return;
        };
        target.redirected_by.remove(from);
        if target.is_empty() {
            self.stop_instance(rib, &id);
        }
    }
}

/// The redirections of a VRF for its dataplane: classifier and receiving VRF (one of
/// `instances`).
pub(super) fn redirect_rules(
    instances: &BTreeMap<String, Instance>,
    inst: &Instance,
) -> Vec<TrafficRedirect> {
    let mut out = Vec::new();
    for (rt, classifiers) in &inst.redirects {
        let Some(target) = instances
            .get(&redirect::instance_id(*rt))
            .filter(|t| t.redirected_by.contains(&inst.external_id))
        else {
            continue;
        };
        out.extend(classifiers.iter().map(|c| TrafficRedirect {
            classifier: c.clone(),
            to_instance: target.id,
        }));
    }
    out
}
