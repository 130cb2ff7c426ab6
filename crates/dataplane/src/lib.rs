//! Dataplane drivers of bagpipe-rs: the driver interface, a recording dummy, and Linux
//! drivers for E-VPN (bridge + VXLAN) and IP VPN (policy routing + VXLAN) programmed by
//! netlink.
//!
//! # The interface the VPN layer drives
//!
//! ```text
//! EvpnInstanceState / VrfState      desired state of ONE instance, made of parts
//! trait InstanceState {             the parts (port, MAC, prefix...) and their changes
//!     type Part; type Change;
//!     fn apply(&mut self, Change) -> Part;
//! }
//! InstanceUpdate::Replace(state) | Changes(Vec<Change>) | Remove    what the VPN layer sends
//! trait DataplaneDriver {           one implementation per kind (E-VPN or IP VPN)
//!     type State: InstanceState;
//!     fn name(&self) -> &'static str;
//!     async fn reconcile_instance(&mut self, id, Option<&State>, &Changed<Part>)
//!         -> Result<ReconcileReport>;      // Changed::All | Changed::Parts(set)
//!     async fn resync(&mut self) -> usize;    // after a restart: adopt what is ours
//!     async fn sweep_unclaimed(&mut self);    // then drop what nobody claimed
//!     fn describe(&self, &desired states) -> serde_json::Value;   // looking glass
//! }
//! spawn_driver(driver) -> DriverHandle<State>    the task keeps every desired state
//!     .update(id, InstanceUpdate)   bounded channel; bursts coalesce per instance and part
//!     .resync() .sweep_unclaimed() .describe() .flush()
//! check_linux_config(&LinuxDriverConfig, Option<IpVpnEncapsulation>)   at start-up
//! DummyDriver<State>                  records calls
//! LinuxEvpnDriver / LinuxIpVpnDriver  netlink, in the calling thread's network namespace
//! watch_learned_macs(capacity)       MACs our bridges learn on ports (attach without MAC)
//! remove_owned_entries()             what bagpipe-bgp-cleanup runs
//! ```
//!
//! Drivers are level-triggered: an update says what (parts of) an instance should be; the
//! driver diffs that with what it installed and applies the difference, so a repeated update
//! changes nothing, failed operations are retried (the task retries the whole instance), and
//! a restarted daemon adopts the entries of the previous run (traffic keeps flowing) instead
//! of flushing them. A change costs what it changed, not the size of its instance: the VPN
//! layer sends the parts that changed, the drivers render and diff those parts only. What is
//! ours is marked (see [`owned`]); nothing else is ever touched.
//!
//! Inside the Linux drivers (one job per module): `model` and `change` → each driver's
//! `render` turns a part of a state into kernel entries (`kernel::Entry`) → `reconcile` diffs them with what is
//! installed → `kernel::NetlinkKernel` applies the operations, pipelined, or
//! `kernel::fake::FakeKernel` in unit tests.
//!
//! # Tests and benchmark
//! `cargo test -p bagpipe-dataplane`: unit tests of the diff logic on the fake kernel, and
//! (as root) `tests/linux/`, which builds compute nodes, an underlay and VMs in network
//! namespaces (`bpdp-*`, with `bagpipe-testbed`), runs the drivers inside the nodes and pings
//! between the VMs.
//! `cargo bench -p bagpipe-dataplane --bench programming` (root, `BENCH_N`, default 10,000)
//! times the drivers against one `bridge fdb replace` process per entry.

mod change;
mod cleanup;
mod config;
mod driver;
mod dummy;
mod kernel;
mod linux;
mod model;
pub mod owned;
mod reconcile;
mod task;

pub use change::{
    Changed, EvpnChange, EvpnPart, InstanceState, InstanceUpdate, VrfChange, VrfPart,
};
pub use cleanup::{remove_owned_entries, CleanupReport};
pub use config::{
    check_linux_config, ConfigError, IpVpnEncapsulation, LinuxDriverConfig, DEFAULT_VXLAN_DST_PORT,
    MPLS_PLATFORM_LABELS,
};
pub use driver::{DataplaneDriver, DriverError, ReconcileReport};
pub use dummy::{DummyCall, DummyDriver, DummyRecord};
pub use linux::{watch_learned_macs, LearnedMac, LinuxEvpnDriver, LinuxIpVpnDriver};
pub use model::{
    Encapsulation, EvpnGatewayPort, EvpnInstanceState, EvpnLocalPort, FloodEntry, FlowClassifier,
    InterfaceAddress, PortRange, RemoteMac, RemoteNextHop, TrafficRedirect, VrfFallback,
    VrfLocalPort, VrfState,
};
pub use task::{
    spawn_driver, spawn_driver_with, DriverGone, DriverHandle, DriverStats, DriverTaskConfig,
    TaskCounters,
};
