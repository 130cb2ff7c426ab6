//! The kernel state of a namespace as text, to compare before and after a driver restart.

use super::netns::{exec, ip};

/// Links, static FDB entries, permanent neighbours, addresses, routes and rules of `ns`,
/// leaving out what changes by itself (timers, learnt entries, neighbour states).
pub fn kernel_state(ns: &str) -> String {
    let links = strip_timers(&ip(ns, "-d link show"));
    let fdb: String = exec(ns, "bridge fdb show")
        .lines()
        .filter(|l| l.contains("permanent") || l.contains("static") || l.contains(" self"))
        .map(|l| format!("{l}\n"))
        .collect();
    [
        links,
        fdb,
        ip(ns, "neigh show nud permanent"),
        ip(ns, "addr show"),
        ip(ns, "-4 route show table all"),
        ip(ns, "-6 route show table all"),
        ip(ns, "-4 rule show"),
        ip(ns, "-6 rule show"),
    ]
    .join("\n----\n")
}

/// Bridges print running timers (`gc_timer 212.34`) in `ip -d link`.
fn strip_timers(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut out = Vec::new();
            let mut words = line.split_whitespace();
            while let Some(w) = words.next() {
                if w.ends_with("_timer") {
                    words.next();
                } else {
                    out.push(w);
                }
            }
            out.join(" ") + "\n"
        })
        .collect()
}
