//! Settling an operation (see the module documentation of the manager): derived routes
//! and redirections are recomputed for every instance whose state changed, until nothing
//! changes.

use std::collections::{HashMap, HashSet};

use bagpipe_rib::RouteTable;
use bagpipe_wire::nlri::Nlri;

use super::VpnManager;
use crate::instance::Imports;
use crate::readvertise;

impl VpnManager {
    /// Recomputes, until nothing changes, the derived routes and redirections of the
    /// instances whose state changed (see the module documentation).
    pub(super) fn settle(&mut self, rib: &mut RouteTable) {
        while let Some(ext) = self.pending.pop_first() {
            self.sync_redirects(rib, &ext);
            self.sync_derived(rib, &ext);
        }
    }

    /// Announces the derived routes that are new or changed, withdraws those no longer
    /// derived.
    fn sync_derived(&mut self, rib: &mut RouteTable, ext: &str) {
        let Some(inst) = self.instances.get(ext) else {
            return;
        };
        // Most instances derive nothing: spare them a walk over their received routes at
        // every route event.
        let derives = inst.options.readvertise.is_some() || inst.options.attract.is_some();
        let mut wanted = match &inst.imports {
            Imports::Vrf(i) if derives => readvertise::derived_routes(inst, i, &self.config),
            _ => HashMap::new(),
        };
        if wanted.is_empty() && inst.derived.is_empty() {
            return;
        }
        // A prefix re-advertised under the RD of an endpoint whose own route is that very
        // prefix (its subnet) is one route for the route table: the endpoint's. Derived as
        // well, it would be announced over it, and its withdrawal would take the endpoint's
        // route along while the endpoint is still there. So it is neither announced nor
        // withdrawn here.
        let endpoint_routes: HashSet<Nlri> = inst
            .endpoints
            .values()
            .filter_map(|ep| ep.route.clone())
            .collect();
        wanted.retain(|nlri, _| !endpoint_routes.contains(nlri));
        if wanted == inst.derived {
            return;
        }
        let old = std::mem::take(&mut self.instances.get_mut(ext).expect("instance").derived);
        for (nlri, attrs) in &wanted {
            if old.get(nlri) != Some(attrs) {
                self.announce(rib, ext, nlri, attrs.clone());
            }
        }
        for nlri in old
            .keys()
            .filter(|n| !wanted.contains_key(*n) && !endpoint_routes.contains(*n))
        {
            self.withdraw(rib, ext, nlri);
        }
        self.instances.get_mut(ext).expect("instance").derived = wanted;
    }
}
