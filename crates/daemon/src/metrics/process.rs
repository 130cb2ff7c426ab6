//! The process's own figures under the names every Prometheus client library uses
//! (`process_*`), read from `/proc` at each scrape.

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use super::families::family;

const NO_LABELS: [(&str, &str); 0] = [];

/// What `/proc/self` said; a figure that could not be read is left out.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProcessMetrics {
    pub cpu_seconds: Option<f64>,
    pub resident_bytes: Option<u64>,
    pub virtual_bytes: Option<u64>,
    pub threads: Option<u64>,
    pub start_time_seconds: Option<f64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
}

impl ProcessMetrics {
    pub fn read() -> Self {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let boot = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| boot_time(&s));
        // SAFETY: sysconf and getrlimit only read system values into what we pass them.
        let (ticks, page) = unsafe {
            (
                libc::sysconf(libc::_SC_CLK_TCK),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        let max_fds = (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0)
            .then_some(limit.rlim_cur);
        let mut m = from_stat(&stat, ticks as f64, page as u64, boot);
        m.open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as u64);
        m.max_fds = max_fds;
        m
    }
}

/// The figures of a `/proc/<pid>/stat` line (proc(5)), with the clock tick rate, the page
/// size and the boot time (seconds since the epoch).
fn from_stat(stat: &str, ticks: f64, page: u64, boot: Option<u64>) -> ProcessMetrics {
    // The command name, in parentheses, may hold spaces and parentheses itself: the
    // fields are counted from the last `)`. `field(n)` is proc(5)'s field n.
    let rest: Vec<&str> = stat
        .rsplit_once(')')
        .map_or_else(Vec::new, |(_, r)| r.split_whitespace().collect());
    let field = |n: usize| rest.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    ProcessMetrics {
        cpu_seconds: field(14)
            .zip(field(15))
            .map(|(user, system)| (user + system) as f64 / ticks),
        resident_bytes: field(24).map(|pages| pages * page),
        virtual_bytes: field(23),
        threads: field(20),
        start_time_seconds: field(22)
            .zip(boot)
            .map(|(since_boot, boot)| boot as f64 + since_boot as f64 / ticks),
        open_fds: None,
        max_fds: None,
    }
}

/// The `btime` line of `/proc/stat`.
fn boot_time(proc_stat: &str) -> Option<u64> {
    proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

impl Collector for ProcessMetrics {
    fn encode(&self, mut e: DescriptorEncoder) -> fmt::Result {
        let one = |v: Option<u64>| v.map(|v| (NO_LABELS, v));
        if let Some(cpu) = self.cpu_seconds {
            family(
                &mut e,
                "process_cpu_seconds",
                "CPU time used, user and system, in seconds",
                ConstCounter::new,
                [(NO_LABELS, cpu)],
            )?;
        }
        let figures = [
            (
                "process_resident_memory_bytes",
                "Resident memory",
                self.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory",
                self.virtual_bytes,
            ),
            ("process_threads", "Threads", self.threads),
            ("process_open_fds", "Open file descriptors", self.open_fds),
            (
                "process_max_fds",
                "Most file descriptors the process may open",
                self.max_fds,
            ),
        ];
        for (name, help, value) in figures {
            family(&mut e, name, help, ConstGauge::new, one(value))?;
        }
        if let Some(start) = self.start_time_seconds {
            family(
                &mut e,
                "process_start_time_seconds",
                "When the process started, in seconds since the Unix epoch",
                ConstGauge::new,
                [(NO_LABELS, start)],
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        // A command name with a space and a parenthesis, as proc(5) allows.
        let stat = "4242 (bgp (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 3 0 \
                    1000 123456789 1792 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let m = from_stat(stat, 100.0, 4096, Some(1_700_000_000));
        assert_eq!(m.cpu_seconds, Some(3.0));
        assert_eq!(m.threads, Some(3));
        assert_eq!(m.virtual_bytes, Some(123_456_789));
        assert_eq!(m.resident_bytes, Some(1792 * 4096));
        assert_eq!(m.start_time_seconds, Some(1_700_000_010.0));
    }

    #[test]
    fn an_unreadable_stat_leaves_the_figures_out() {
        assert_eq!(from_stat("", 100.0, 4096, None), ProcessMetrics::default());
        assert_eq!(
            boot_time("cpu 1 2 3\nbtime 1700000000\n"),
            Some(1_700_000_000)
        );
        assert_eq!(boot_time("cpu 1 2 3\n"), None);
    }

    #[test]
    fn this_process_reads_itself() {
        let m = ProcessMetrics::read();
        assert!(m.resident_bytes.is_some_and(|b| b > 1 << 20), "{m:?}");
        assert!(m.threads.is_some_and(|t| t >= 1), "{m:?}");
        assert!(m.open_fds.is_some_and(|n| n >= 3), "{m:?}");
        assert!(m.max_fds.is_some_and(|n| n >= m.open_fds.unwrap()), "{m:?}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = m.start_time_seconds.expect("start time");
        assert!(
            start <= now + 1.0 && start > now - 86_400.0,
            "{start} vs {now}"
        );
    }
}
