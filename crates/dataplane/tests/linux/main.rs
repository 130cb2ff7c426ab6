//! The Linux drivers against the real kernel: compute nodes, an underlay and VMs in network
//! namespaces (`bpdp-*`), a driver running inside each node, and pings between VMs.
//! Needs root; each test builds its own namespaces and deletes them, also on failure.

mod support;

mod cleanup;
mod evpn;
mod ipvpn;
mod mpls;
mod restart;
