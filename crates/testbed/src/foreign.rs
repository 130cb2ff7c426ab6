//! Kernel entries of others — a bridge, a VXLAN device with a flood entry, routes, a rule, a
//! neighbour entry — created by hand the way an operator or another agent would, to check
//! that a cleanup of our entries leaves them alone.

use crate::netns::{exec, ip};
use crate::snapshot::stable;

/// The `ip` commands that create them (the flood entry aside).
const COMMANDS: &[&str] = &[
    "link add brfor type bridge",
    "link set brfor up",
    "link add vxfor type vxlan id 4242 local 192.0.2.1 dstport 4790 nolearning",
    "route add 10.99.0.0/24 dev brfor",
    "route add 10.98.0.0/24 dev brfor table 100",
    "rule add pref 1000 from 10.99.0.0/24 lookup 100",
    "neigh add 10.99.0.7 lladdr 02:99:00:00:00:07 dev brfor nud permanent",
];

/// Creates the entries in namespace `ns`.
pub fn add(ns: &str) {
    for command in COMMANDS {
        ip(ns, command);
    }
    exec(
        ns,
        "bridge fdb append 00:00:00:00:00:00 dev vxfor dst 192.0.2.9",
    );
}

/// The entries as they are in `ns`, as comparable text.
pub fn state(ns: &str) -> String {
    [
        stable(&ip(ns, "-d link show brfor")),
        stable(&ip(ns, "-d link show vxfor")),
        exec(ns, "bridge fdb show dev vxfor"),
        ip(ns, "route show 10.99.0.0/24"),
        ip(ns, "route show table 100"),
        ip(ns, "rule show pref 1000"),
        ip(ns, "neigh show dev brfor"),
    ]
    .join("\n")
}
