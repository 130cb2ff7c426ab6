//! What a daemon's looking glass says about its peers, routes, instances and dataplane
//! drivers, and waiting until it says something.

use std::time::Duration;

use serde_json::Value;

use super::Daemon;
use crate::wait::wait_for;

impl Daemon {
    /// How many of the daemon's BGP sessions are established.
    pub fn established(&self) -> usize {
        self.lg("bgp/peers").as_array().map_or(0, |peers| {
            peers.iter().filter(|p| p["state"] == "Established").count()
        })
    }

    /// Waits until `peers` of the daemon's BGP sessions are established.
    pub fn wait_established(&self, peers: usize, timeout: Duration) {
        wait_for(
            timeout,
            &format!("{}'s {peers} BGP sessions to be established", self.name),
            || (self.established() == peers).then_some(()),
        );
    }

    /// The looking glass's view of one peer (`bgp/peers/<address>`).
    pub fn peer(&self, address: &str) -> Value {
        self.lg(&format!("bgp/peers/{address}"))
    }

    /// The state of one peer (`Established`, `Active`...), or "" when unknown.
    pub fn peer_state(&self, address: &str) -> String {
        self.peer(address)["state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until peer `address` is in `state`.
    pub fn wait_peer_state(&self, address: &str, state: &str, timeout: Duration) {
        wait_for(
            timeout,
            &format!("peer {address} of {} to be {state}", self.name),
            || (self.peer_state(address) == state).then_some(()),
        );
    }

    /// The routes of `bgp/routes` whose key contains `needle`: `(key, body)` pairs.
    pub fn routes_matching(&self, needle: &str) -> Vec<(String, Value)> {
        let all = self.lg("bgp/routes");
        let mut out = Vec::new();
        for entries in all.as_object().into_iter().flat_map(|m| m.values()) {
            for entry in entries.as_array().into_iter().flatten() {
                for (k, v) in entry.as_object().into_iter().flatten() {
                    if k.contains(needle) {
                        out.push((k.clone(), v.clone()));
                    }
                }
            }
        }
        out
    }

    /// Waits until the route table holds a route whose key contains `needle`; returns it.
    pub fn wait_route(&self, needle: &str, timeout: Duration) -> (String, Value) {
        wait_for(timeout, &format!("route {needle} in {}", self.name), || {
            self.routes_matching(needle).into_iter().next()
        })
    }

    /// Waits until no route's key contains `needle`.
    pub fn wait_no_route(&self, needle: &str, timeout: Duration) {
        wait_for(
            timeout,
            &format!("route {needle} gone from {}", self.name),
            || self.routes_matching(needle).is_empty().then_some(()),
        );
    }

    /// The ids of the VPN instances.
    pub fn instance_ids(&self) -> Vec<String> {
        self.lg("vpns/instances")
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|i| i["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The looking glass's view of one dataplane driver (`evpn` or `ipvpn`).
    pub fn driver(&self, which: &str) -> Value {
        self.lg(&format!("vpns/dataplane/drivers/{which}"))["driver"].clone()
    }

    /// A driver's state of one instance (`evpn` or `ipvpn` driver, dataplane id).
    pub fn dataplane_instance(&self, driver: &str, id: u64) -> Value {
        self.driver(driver)["instances"][id.to_string()].clone()
    }
}
