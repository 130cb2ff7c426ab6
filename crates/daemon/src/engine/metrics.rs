//! The engine's snapshot for a metrics scrape: counts kept as the engine goes (route table
//! path counts, table sizes, instance sizes), so a scrape costs O(peers + instances) of the
//! engine's time whatever the number of routes.

use bagpipe_wire::Family;

use super::Engine;
use crate::metrics::{EngineMetrics, InstanceMetrics, PeerMetrics};

impl Engine {
    pub async fn metrics(&self) -> EngineMetrics {
        let mut peers: Vec<PeerMetrics> = self
            .peers
            .values()
            .map(|p| {
                let (state, uptime_seconds) = p.handle.shared.state_and_uptime();
                PeerMetrics {
                    address: p.handle.config.address.to_string(),
                    state,
                    uptime_seconds,
                    counters: p.handle.shared.counters.snapshot(),
                    paths: self.rib.paths_from(p.handle.id),
                }
            })
            .collect();
        peers.sort_by(|a, b| a.address.cmp(&b.address));
        let (paths_received, paths_local) = self.rib.path_counts();
        let t = self.rib.tables();
        let destinations = vec![
            (Family::IPV4_UNICAST.to_string(), t.ipv4.len()),
            (Family::IPV6_UNICAST.to_string(), t.ipv6.len()),
            (Family::VPNV4.to_string(), t.vpnv4.len()),
            (Family::VPNV6.to_string(), t.vpnv6.len()),
            (Family::EVPN.to_string(), t.evpn.len()),
            (Family::RTC.to_string(), t.rtc.len()),
            // One table holds the four FlowSpec families.
            ("flowspec".to_owned(), t.flow.len()),
        ];
        let instances = self
            .vpn
            .instances()
            .map(|i| InstanceMetrics {
                id: i.external_id.clone(),
                vpn_type: i.vpn_type.as_str(),
                endpoints: i.endpoints.len(),
                destinations: i.imports.destinations(),
            })
            .collect();
        let mut dataplane = Vec::new();
        // A driver whose task has stopped (it never should: its panics are caught) is left
        // out, and its absence is what an alert would see.
        if let Ok(stats) = self.evpn.stats().await {
            dataplane.push(("evpn", stats));
        }
        if let Ok(stats) = self.ipvpn.stats().await {
            dataplane.push(("ipvpn", stats));
        }
        let (warnings, errors) = self.logs.totals();
        EngineMetrics {
            version: self.info.version,
            peers,
            paths_received,
            paths_local,
            destinations,
            instances,
            dataplane,
            warnings,
            errors,
        }
    }
}
