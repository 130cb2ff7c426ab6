//! What the engine knows, as metrics: its BGP sessions, route table and VPN instances.

use std::fmt;

use bagpipe_dataplane::{DriverStats, TaskCounters};
use bagpipe_speaker::status::CountersSnapshot;
use bagpipe_speaker::State;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::info::Info;
use prometheus_client::metrics::MetricType;

use super::families::{counters, gauges};

/// A snapshot of the engine's state, taken at a scrape.
#[derive(Debug, Clone)]
pub struct EngineMetrics {
    pub version: &'static str,
    pub peers: Vec<PeerMetrics>,
    /// Paths in the route table received from peers.
    pub paths_received: usize,
    /// Paths in the route table that the VPN instances originate.
    pub paths_local: usize,
    /// Per address family (`ipv4/mpls-vpn`...), the destinations in the route table.
    pub destinations: Vec<(String, usize)>,
    pub instances: Vec<InstanceMetrics>,
    /// The dataplane driver of each VPN type (`evpn`, `ipvpn`).
    pub dataplane: Vec<(&'static str, DriverStats)>,
    /// Warnings and errors logged since the start.
    pub warnings: u64,
    pub errors: u64,
}

/// One configured BGP peer.
#[derive(Debug, Clone)]
pub struct PeerMetrics {
    pub address: String,
    pub state: State,
    pub uptime_seconds: Option<u64>,
    pub counters: CountersSnapshot,
    /// Paths from this peer in the route table.
    pub paths: usize,
}

/// One VPN instance.
#[derive(Debug, Clone)]
pub struct InstanceMetrics {
    /// The `vpn_instance_id` of the attach requests.
    pub id: String,
    /// `evpn` or `ipvpn`.
    pub vpn_type: &'static str,
    pub endpoints: usize,
    /// Destinations with at least one imported route: prefixes and flow rules of a VRF,
    /// MACs and flooding originators of an E-VPN instance.
    pub destinations: usize,
}

/// The RFC 4271 states, each a sample of `bagpipe_bgp_peer_state` (1 for the current one):
/// alerting on `state="Established"` needs no table of numeric codes.
const PEER_STATES: [State; 6] = [
    State::Idle,
    State::Connect,
    State::Active,
    State::OpenSent,
    State::OpenConfirm,
    State::Established,
];

impl Collector for EngineMetrics {
    fn encode(&self, mut e: DescriptorEncoder) -> fmt::Result {
        let info = e.encode_descriptor(
            "bagpipe_build",
            "The daemon's version",
            None,
            MetricType::Info,
        )?;
        Info::new([("version", self.version)]).encode(info)?;
        self.encode_peers(&mut e)?;
        self.encode_routes(&mut e)?;
        self.encode_instances(&mut e)?;
        self.encode_dataplane(&mut e)?;
        counters(
            &mut e,
            "bagpipe_log_messages",
            "Warnings and errors logged (the looking glass's logs keep the last ones)",
            [
                ([("level", "warning")], self.warnings),
                ([("level", "error")], self.errors),
            ],
        )
    }
}

/// One of a session's counters.
type CounterOf = fn(&CountersSnapshot) -> u64;

/// One of a dataplane driver task's figures.
type DriverFigure = fn(&DriverStats) -> usize;
type DriverCounter = fn(&TaskCounters) -> u64;

impl EngineMetrics {
    fn encode_peers(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        fn peer(p: &PeerMetrics) -> [(&str, &str); 1] {
            [("peer", &p.address)]
        }
        gauges(
            e,
            "bagpipe_bgp_peer_state",
            "The BGP session's state: 1 for the current one",
            self.peers.iter().flat_map(|p| {
                PEER_STATES.iter().map(move |s| {
                    (
                        [("peer", p.address.as_str()), ("state", s.name())],
                        i64::from(p.state == *s),
                    )
                })
            }),
        )?;
        gauges(
            e,
            "bagpipe_bgp_peer_uptime_seconds",
            "How long the session has been established (0 when it is not)",
            self.peers
                .iter()
                .map(|p| (peer(p), p.uptime_seconds.unwrap_or(0))),
        )?;
        gauges(
            e,
            "bagpipe_bgp_peer_paths",
            "Paths received from the peer in the route table",
            self.peers.iter().map(|p| (peer(p), p.paths)),
        )?;
        let counted: [(&str, &str, CounterOf); 8] = [
            ("messages_received", "BGP messages received", |c| c.messages_received),
            ("messages_sent", "BGP messages sent", |c| c.messages_sent),
            ("updates_received", "UPDATE messages received", |c| c.updates_received),
            ("updates_sent", "UPDATE messages sent", |c| c.updates_sent),
            ("notifications_received", "NOTIFICATION messages received", |c| {
                c.notifications_received
            }),
            ("notifications_sent", "NOTIFICATION messages sent", |c| c.notifications_sent),
            (
                "malformed_updates",
                "UPDATE messages with errors (RFC 7606: routes treated as withdrawn, or the session reset)",
                |c| c.malformed_updates,
            ),
            (
                "established_transitions",
                "Times the session reached Established",
                |c| c.established_transitions,
            ),
        ];
        for (name, help, value) in counted {
            counters(
                e,
                &format!("bagpipe_bgp_peer_{name}"),
                help,
                self.peers.iter().map(|p| (peer(p), value(&p.counters))),
            )?;
        }
        Ok(())
    }

    fn encode_routes(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        gauges(
            e,
            "bagpipe_rib_paths",
            "Paths in the route table: received from peers, or originated by the VPN instances",
            [
                ([("origin", "received")], self.paths_received),
                ([("origin", "local")], self.paths_local),
            ],
        )?;
        gauges(
            e,
            "bagpipe_rib_destinations",
            "Destinations (prefixes, MAC/IP and other NLRI) in the route table, per address family",
            self.destinations
                .iter()
                .map(|(family, n)| ([("family", family.as_str())], *n)),
        )
    }

    fn encode_instances(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        fn instance(i: &InstanceMetrics) -> [(&str, &str); 2] {
            [("vpn_instance_id", &i.id), ("vpn_type", i.vpn_type)]
        }
        gauges(
            e,
            "bagpipe_vpn_instances",
            "VPN instances (E-VPN instances, VRFs)",
            ["evpn", "ipvpn"].map(|t| {
                let n = self.instances.iter().filter(|i| i.vpn_type == t).count();
                ([("vpn_type", t)], n)
            }),
        )?;
        gauges(
            e,
            "bagpipe_vpn_instance_endpoints",
            "Endpoints (MAC and IP address on a port) attached to the instance",
            self.instances.iter().map(|i| (instance(i), i.endpoints)),
        )?;
        gauges(
            e,
            "bagpipe_vpn_instance_destinations",
            "Destinations the instance imports routes for (VRF: prefixes and flow rules; E-VPN: MACs and flooding originators)",
            self.instances.iter().map(|i| (instance(i), i.destinations)),
        )
    }

    fn encode_dataplane(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        fn driver<'a>((vpn_type, stats): &'a (&str, DriverStats)) -> [(&'a str, &'a str); 2] {
            [("vpn_type", vpn_type), ("driver", stats.driver)]
        }
        let figures: [(&str, &str, DriverFigure); 3] = [
            (
                "instances",
                "Instances the dataplane driver holds a desired state for",
                |s| s.instances,
            ),
            (
                "failed_instances",
                "Instances whose last dataplane reconcile failed (retried with backoff)",
                |s| s.failed_instances,
            ),
            (
                "pending_instances",
                "Instances with changes the dataplane driver has not applied yet",
                |s| s.pending_instances,
            ),
        ];
        for (name, help, value) in figures {
            gauges(
                e,
                &format!("bagpipe_dataplane_{name}"),
                help,
                self.dataplane.iter().map(|d| (driver(d), value(&d.1))),
            )?;
        }
        let counted: [(&str, &str, DriverCounter); 4] = [
            ("updates", "Desired-state updates the dataplane driver received", |c| c.updates),
            ("reconciles", "Reconciles of an instance by the dataplane driver", |c| c.reconciles),
            ("reconcile_failures", "Dataplane reconciles that failed", |c| c.failures),
            ("panics", "Dataplane driver calls that panicked (caught; the instance is reconciled again in full)", |c| c.panics),
        ];
        for (name, help, value) in counted {
            counters(
                e,
                &format!("bagpipe_dataplane_{name}"),
                help,
                self.dataplane
                    .iter()
                    .map(|d| (driver(d), value(&d.1.counters))),
            )?;
        }
        counters(
            e,
            "bagpipe_dataplane_entries",
            "Kernel (or switch) entries the dataplane driver created, changed and removed",
            self.dataplane.iter().flat_map(|d| {
                let [vpn_type, name] = driver(d);
                let c = &d.1.counters;
                [
                    ("created", c.created),
                    ("changed", c.changed),
                    ("removed", c.removed),
                ]
                .map(|(change, n)| ([vpn_type, name, ("change", change)], n))
            }),
        )
    }
}
