//! Test topology for the Linux drivers: the namespaces, VMs, probes, snapshots and foreign
//! entries of `bagpipe-testbed`, and a driver running inside a node.

pub use bagpipe_testbed::{can_use_netns, fabric, foreign, netns, probes, snapshot, vms};

pub mod node;
