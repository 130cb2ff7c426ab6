//! What the benchmarks need of the processes they measure beyond `bagpipe_testbed::process`:
//! their CPU time and memory from /proc, whether a program is installed, and the
//! `bagpipe-bgp` to measure.

use std::path::Path;

/// CPU time (user + system) a process has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(ticks as f64 / hz)
}

/// VmRSS of a process, in bytes.
pub fn rss(pid: u32) -> Option<u64> {
    status_bytes(pid, "VmRSS:")
}

/// The anonymous part of a process's resident memory (RssAnon), in bytes: what it
/// allocated, without the pages of its program file that running a code path for the first
/// time maps in (a one-time cost, shared and reclaimable, not a cost per port or route).
pub fn private_memory(pid: u32) -> Option<u64> {
    status_bytes(pid, "RssAnon:")
}

/// A `kB` field of /proc/<pid>/status, in bytes.
fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Whether an executable is on the PATH (or is a path that exists).
pub fn installed(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// The `bagpipe-bgp` binary built beside this benchmark (same target directory), unless
/// `BAGPIPE_BGP` names another.
pub fn daemon_binary() -> anyhow::Result<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("BAGPIPE_BGP") {
        return Ok(p.into());
    }
    sibling_binary("bagpipe-bgp", "cargo build --release -p bagpipe-daemon")
}

/// The binary `name` in the directory of the running one; `build` says how to make it.
pub fn sibling_binary(name: &str, build: &str) -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    exe.parent()
        .map(|d| d.join(name))
        .filter(|p| p.exists())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{name} not found beside {}: build it ({build})",
                exe.display()
            )
        })
}
