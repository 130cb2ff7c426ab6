//! The root of the looking glass (`GET /looking-glass`): `summary`, `config` and `logs`,
//! which the daemon knows, and `bgp` and `vpns`, which the engine provides.

use std::time::SystemTime;

use serde_json::{json, Value};

use super::clock::local_time_text;
use super::config_view::config_tree;
use super::logs::LogRing;
use super::tree::{LgEntry, LgObject};
use crate::config::Config;

/// What the engine contributes to the looking glass. The engine implements it on the
/// state it owns, and builds a [`DaemonLookingGlass`] around it to answer each
/// `ApiCommand::LookingGlass`.
pub trait EngineLookingGlass {
    /// The counts of the `summary` node.
    fn summary_counts(&self) -> SummaryCounts;
    /// The `bgp` sub-tree (`peers`, `routes`, `workers`...).
    fn bgp(&self) -> Box<dyn LgObject + '_>;
    /// The `vpns` sub-tree (`instances`, `dataplane`, `instances_per_vni`).
    fn vpns(&self) -> Box<dyn LgObject + '_>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SummaryCounts {
    pub established_peers: usize,
    pub local_routes: usize,
    pub received_routes: usize,
    pub vpn_instances: usize,
}

/// Facts about the daemon process shown in `summary`.
#[derive(Debug, Clone)]
pub struct DaemonInfo {
    pub start_time: SystemTime,
    pub version: &'static str,
}

impl DaemonInfo {
    /// Started now, with this crate's version.
    pub fn starting_now() -> Self {
        DaemonInfo {
            start_time: SystemTime::now(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

pub struct DaemonLookingGlass<'a> {
    pub info: &'a DaemonInfo,
    pub config: &'a Config,
    pub logs: &'a LogRing,
    pub engine: &'a dyn EngineLookingGlass,
}

impl DaemonLookingGlass<'_> {
    /// The `summary` node, in the shape of the original's (lg_B_summary.json).
    fn summary(&self) -> Value {
        let counts = self.engine.summary_counts();
        json!({
            "BGP_established_peers": counts.established_peers,
            "route_counts": {
                "local_routes_count": counts.local_routes,
                "received_routes_count": counts.received_routes,
            },
            "vpn_instances_count": counts.vpn_instances,
            "warnings_and_errors": self.logs.len(),
            "start_time": local_time_text(self.info.start_time, false),
            "version": self.info.version,
        })
    }
}

impl LgObject for DaemonLookingGlass<'_> {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        vec![
            ("summary".into(), LgEntry::Value(self.summary())),
            (
                "config".into(),
                LgEntry::subtree(|| config_tree(self.config)),
            ),
            ("bgp".into(), LgEntry::Object(self.engine.bgp())),
            ("vpns".into(), LgEntry::Object(self.engine.vpns())),
            (
                "logs".into(),
                LgEntry::subtree(|| json!(self.logs.records())),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake_engine::FakeEngine;
    use super::super::tree::{answer, Answer};
    use super::*;

    fn get(path: &str) -> Value {
        let (info, config, logs) = (
            DaemonInfo::starting_now(),
            Config::builtin(),
            LogRing::new(4),
        );
        let root = DaemonLookingGlass {
            info: &info,
            config: &config,
            logs: &logs,
            engine: &FakeEngine {
                bgp: json!({"workers": []}),
                vpns: json!({"workers": []}),
            },
        };
        let path: Vec<String> = path.split('/').map(str::to_owned).collect();
        answer(&root, "http://127.0.0.1:18083", &path)
            .and_then(Answer::finish)
            .unwrap()
    }

    #[test]
    fn root_in_the_shape_of_lg_b_root() {
        let root = get("");
        let base = "http://127.0.0.1:18083/looking-glass";
        for name in ["config", "bgp", "vpns", "logs"] {
            assert_eq!(
                root[name],
                json!({"href": format!("{base}/{name}")}),
                "{name}"
            );
        }
        let summary = &root["summary"];
        assert_eq!(summary["BGP_established_peers"], 1);
        assert_eq!(
            summary["route_counts"],
            json!({"local_routes_count": 3, "received_routes_count": 3})
        );
        assert_eq!(summary["vpn_instances_count"], 2);
        assert_eq!(summary["warnings_and_errors"], 0);
        assert_eq!(summary["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(summary["start_time"].as_str().unwrap().len(), 19);
        assert_eq!(summary.as_object().unwrap().len(), 6);
    }

    #[test]
    fn daemon_nodes() {
        assert_eq!(get("summary/route_counts/local_routes_count"), 3);
        assert_eq!(get("config/BGP/my_as"), 64512);
        assert_eq!(get("logs"), json!([]));
        assert_eq!(get("bgp"), json!({"workers": []}));
    }
}
