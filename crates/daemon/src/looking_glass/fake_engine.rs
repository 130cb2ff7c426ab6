//! The engine's part of the looking glass, faked for unit tests: fixed summary counts, and
//! `bgp` and `vpns` nodes given as JSON objects.

use serde_json::Value;

use super::{EngineLookingGlass, LgEntry, LgObject, SummaryCounts};

pub struct FakeEngine {
    /// The members of the `bgp` node, all shown inline.
    pub bgp: Value,
    /// The members of the `vpns` node, all shown inline.
    pub vpns: Value,
}

impl EngineLookingGlass for FakeEngine {
    fn summary_counts(&self) -> SummaryCounts {
        SummaryCounts {
            established_peers: 1,
            local_routes: 3,
            received_routes: 3,
            vpn_instances: 2,
        }
    }

    fn bgp(&self) -> Box<dyn LgObject + '_> {
        Box::new(Inline(&self.bgp))
    }

    fn vpns(&self) -> Box<dyn LgObject + '_> {
        Box::new(Inline(&self.vpns))
    }
}

/// An object whose entries are the members of a JSON object, all shown inline.
struct Inline<'a>(&'a Value);

impl LgObject for Inline<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        self.0
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), LgEntry::Value(v.clone())))
            .collect()
    }
}
