//! The Linux drivers: E-VPN over a bridge and a VXLAN device, IP VPN over a routing table
//! and a VXLAN device, both programmed by netlink (see [`crate::owned`] for how their
//! entries are marked).

mod evpn;
mod ipvpn;
mod learn;

pub use evpn::LinuxEvpnDriver;
pub use ipvpn::LinuxIpVpnDriver;
pub use learn::{watch_learned_macs, LearnedMac};

use serde_json::json;

use crate::kernel::{Entry, Kernel};
use crate::model::VrfState;
use crate::reconcile::Reconciler;

/// What a VRF asks that the Linux driver does not program yet: shown in the looking glass
/// and logged, never dropped in silence.
fn vrf_not_programmed(s: &VrfState) -> Vec<&'static str> {
    let fallback = s.fallback.as_ref().map(|_| "fallback");
    let redirects = (!s.redirects.is_empty()).then_some("redirects (FlowSpec redirect-to-VRF)");
    fallback.into_iter().chain(redirects).collect()
}

/// Logs what an instance asks that is not programmed, when its own fields change.
fn warn_not_programmed(id: u32, missing: &[&str]) {
    if !missing.is_empty() {
        tracing::warn!(
            instance = id,
            missing = ?missing,
            "the linux dataplane driver does not program these parts of the instance"
        );
    }
}

/// The looking-glass view shared by both drivers: configuration, entry counts by kind,
/// and the last error of each instance.
fn describe<K: Kernel, P: Ord + Clone>(
    name: &str,
    config: &crate::LinuxDriverConfig,
    reconciler: &Reconciler<K, P>,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for entry in reconciler.installed() {
        *counts.entry(kind_name(entry)).or_default() += 1;
    }
    json!({
        "name": name,
        "config": config,
        "installed": counts,
        "adopted_unclaimed": reconciler.unclaimed_count(),
        "details": extra,
    })
}

fn kind_name(entry: &Entry) -> &'static str {
    match entry {
        Entry::Bridge { .. } => "bridges",
        Entry::Vxlan(_) => "vxlan_devices",
        Entry::Veth { .. } => "veth_pairs",
        Entry::BridgePort { .. } => "bridge_ports",
        Entry::RoutedPort { .. } => "routed_ports",
        Entry::Fdb(_) => "fdb_entries",
        Entry::Neigh { .. } => "neighbour_entries",
        Entry::Addr { .. } => "addresses",
        Entry::Rule(_) => "rules",
        Entry::Route(_) => "routes",
    }
}
