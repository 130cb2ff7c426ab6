//! What the engine knows, as metrics: its BGP sessions, route table and VPN instances.

use std::fmt;

use bagpipe_dataplane::DriverStats;
use bagpipe_speaker::status::CountersSnapshot;
use bagpipe_speaker::State;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::metrics::MetricType;

use super::families::{families, family, Figure};

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
        family(
            &mut e,
            "bagpipe_log_messages",
            "Warnings and errors logged (the looking glass's logs keep the last ones)",
            ConstCounter::new,
            [
                ([("level", "warning")], self.warnings),
                ([("level", "error")], self.errors),
            ],
        )
    }
}

/// The dataplane driver of a VPN type.
type Dataplane = (&'static str, DriverStats);

impl EngineMetrics {
    fn encode_peers(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        fn peer(p: &PeerMetrics) -> [(&str, &str); 1] {
            [("peer", &p.address)]
        }
        family(
            e,
            "bagpipe_bgp_peer_state",
            "The BGP session's state: 1 for the current one",
            ConstGauge::new,
            self.peers.iter().flat_map(|p| {
                PEER_STATES.iter().map(move |s| {
                    (
                        [("peer", p.address.as_str()), ("state", s.name())],
                        i64::from(p.state == *s),
                    )
                })
            }),
        )?;
        family(
            e,
            "bagpipe_bgp_peer_uptime_seconds",
            "How long the session has been established (0 when it is not)",
            ConstGauge::new,
            self.peers
                .iter()
                .map(|p| (peer(p), p.uptime_seconds.unwrap_or(0))),
        )?;
        family(
            e,
            "bagpipe_bgp_peer_paths",
            "Paths received from the peer in the route table",
            ConstGauge::new,
            self.peers.iter().map(|p| (peer(p), p.paths)),
        )?;
        let counted: [Figure<PeerMetrics, u64>; 8] = [
            ("messages_received", "BGP messages received", |p| p.counters.messages_received),
            ("messages_sent", "BGP messages sent", |p| p.counters.messages_sent),
            ("updates_received", "UPDATE messages received", |p| p.counters.updates_received),
            ("updates_sent", "UPDATE messages sent", |p| p.counters.updates_sent),
            ("notifications_received", "NOTIFICATION messages received", |p| {
                p.counters.notifications_received
            }),
            ("notifications_sent", "NOTIFICATION messages sent", |p| p.counters.notifications_sent),
            (
                "malformed_updates",
                "UPDATE messages with errors (RFC 7606: routes treated as withdrawn, or the session reset)",
                |p| p.counters.malformed_updates,
            ),
            (
                "established_transitions",
                "Times the session reached Established",
                |p| p.counters.established_transitions,
            ),
        ];
        families(
            e,
            "bagpipe_bgp_peer_",
            ConstCounter::new,
            &counted,
            &self.peers,
            peer,
        )
    }

    fn encode_routes(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        family(
            e,
            "bagpipe_rib_paths",
            "Paths in the route table: received from peers, or originated by the VPN instances",
            ConstGauge::new,
            [
                ([("origin", "received")], self.paths_received),
                ([("origin", "local")], self.paths_local),
            ],
        )?;
        family(
            e,
            "bagpipe_rib_destinations",
            "Destinations (prefixes, MAC/IP and other NLRI) in the route table, per address family",
            ConstGauge::new,
            self.destinations
                .iter()
                .map(|(family, n)| ([("family", family.as_str())], *n)),
        )
    }

    fn encode_instances(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        fn instance(i: &InstanceMetrics) -> [(&str, &str); 2] {
            [("vpn_instance_id", &i.id), ("vpn_type", i.vpn_type)]
        }
        family(
            e,
            "bagpipe_vpn_instances",
            "VPN instances (E-VPN instances, VRFs)",
            ConstGauge::new,
            ["evpn", "ipvpn"].map(|t| {
                let n = self.instances.iter().filter(|i| i.vpn_type == t).count();
                ([("vpn_type", t)], n)
            }),
        )?;
        family(
            e,
            "bagpipe_vpn_instance_endpoints",
            "Endpoints (MAC and IP address on a port) attached to the instance",
            ConstGauge::new,
            self.instances.iter().map(|i| (instance(i), i.endpoints)),
        )?;
        family(
            e,
            "bagpipe_vpn_instance_destinations",
            "Destinations the instance imports routes for (VRF: prefixes and flow rules; E-VPN: MACs and flooding originators)", ConstGauge::new,
            self.instances.iter().map(|i| (instance(i), i.destinations)),
        )
    }

    fn encode_dataplane(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        fn driver((vpn_type, stats): &Dataplane) -> [(&str, &str); 2] {
            [("vpn_type", vpn_type), ("driver", stats.driver)]
        }
        let figures: [Figure<Dataplane, usize>; 3] = [
            (
                "instances",
                "Instances the dataplane driver holds a desired state for",
                |d| d.1.instances,
            ),
            (
                "failed_instances",
                "Instances whose last dataplane reconcile failed (retried with backoff)",
                |d| d.1.failed_instances,
            ),
            (
                "pending_instances",
                "Instances with changes the dataplane driver has not applied yet",
                |d| d.1.pending_instances,
            ),
        ];
        let prefix = "bagpipe_dataplane_";
        families(
            e,
            prefix,
            ConstGauge::new,
            &figures,
            &self.dataplane,
            driver,
        )?;
        let counted: [Figure<Dataplane, u64>; 4] = [
            ("updates", "Desired-state updates the dataplane driver received", |d| d.1.counters.updates),
            ("reconciles", "Reconciles of an instance by the dataplane driver", |d| d.1.counters.reconciles),
            ("reconcile_failures", "Dataplane reconciles that failed", |d| d.1.counters.failures),
            ("panics", "Dataplane driver calls that panicked (caught; the instance is reconciled again in full)", |d| d.1.counters.panics),
        ];
        families(
            e,
            prefix,
            ConstCounter::new,
            &counted,
            &self.dataplane,
            driver,
        )?;
        family(
            e,
            "bagpipe_dataplane_entries",
            "Kernel (or switch) entries the dataplane driver created, changed and removed",
            ConstCounter::new,
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
