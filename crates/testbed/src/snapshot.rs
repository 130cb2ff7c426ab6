//! The kernel state of a namespace as text, to compare before and after a driver restart.

use crate::netns::{exec, ip};

/// Links, static FDB entries, permanent neighbours, addresses, routes and rules of `ns`,
/// leaving out what changes by itself (timers, learnt entries, neighbour states); read once
/// IPv6 duplicate address detection is over, since the local routes of the addresses come
/// when it ends.
pub fn kernel_state(ns: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !ip(ns, "-6 addr show tentative").trim().is_empty()
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let links = stable(&ip(ns, "-d link show"));
    let fdb: String = exec(ns, "bridge fdb show")
        .lines()
        .filter(|l| l.contains("permanent") || l.contains("static") || l.contains(" self"))
        .filter(|l| !kernel_multicast(l))
        .map(|l| format!("{l}\n"))
        .collect();
    [
        links,
        fdb,
        ip(ns, "neigh show nud permanent"),
        // One line per address, so that leaving one out leaves out all of it.
        without_kernel_multicast(&stable(&ip(ns, "-o addr show"))),
        ip(ns, "-4 route show table all"),
        without_kernel_multicast(&ip(ns, "-6 route show table all")),
        ip(ns, "-4 rule show"),
        ip(ns, "-6 rule show"),
    ]
    .join("\n----\n")
}

/// `ip` output without what the kernel changes by itself: running timers (`gc_timer
/// 212.34`), operational states (a bridge goes from UNKNOWN to UP as its ports forward),
/// duplicate address detection in progress.
pub fn stable(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut out = Vec::new();
            let mut words = line.split_whitespace();
            while let Some(w) = words.next() {
                if w.ends_with("_timer") || w == "state" {
                    words.next();
                } else if w != "tentative" {
                    out.push(w);
                }
            }
            out.join(" ") + "\n"
        })
        .collect()
}

/// What the kernel adds by itself, asynchronously, as IPv6 configures an interface:
/// multicast group entries (`33:33:…`, `01:00:5e:…` FDB entries; `multicast` and `anycast`
/// routes) and link-local addresses and their routes (once duplicate address detection
/// ends). Never ours, and not stable between two snapshots a moment apart.
fn kernel_multicast(line: &str) -> bool {
    line.starts_with("33:33:")
        || line.starts_with("01:00:5e:")
        || line.starts_with("multicast ")
        || line.starts_with("anycast ")
        || line.contains("fe80:")
}

fn without_kernel_multicast(text: &str) -> String {
    text.lines()
        .filter(|l| !kernel_multicast(l))
        .map(|l| format!("{l}\n"))
        .collect()
}
