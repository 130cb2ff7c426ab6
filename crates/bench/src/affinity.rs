//! Which CPUs a measured client and server run on. On this 2-vCPU VM a wake-up from one
//! vCPU to another (a request reaching the server, an answer reaching the client) costs
//! 50–100 µs and happens or not as the scheduler places the two, from run to run: the same
//! binary measured 4k and 17k requests/s for one client within minutes. With client and
//! server on one CPU that cost is gone for every daemon alike, and what remains is the
//! daemons' own work per request.

use std::io;

/// The CPU that a pinned client and server share.
pub const SHARED_CPU: usize = 0;

/// The set holding `cpu` alone.
fn only(cpu: usize) -> libc::cpu_set_t {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET writes inside it (it ignores
    // indexes beyond its 1024 bits).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        set
    }
}

/// The CPUs thread `tid` (0: the calling thread) may run on.
fn cpus_of(tid: libc::pid_t) -> io::Result<libc::cpu_set_t> {
    // SAFETY: sched_getaffinity writes at most `size_of` bytes into the set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(set)
    }
}

/// Restricts thread `tid` (0: the calling thread) to `cpus`.
fn set_thread_cpus(tid: libc::pid_t, cpus: &libc::cpu_set_t) -> io::Result<()> {
    // SAFETY: sched_setaffinity reads `size_of` bytes of the set.
    if unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), cpus) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Every thread of process `pid` on `cpus`; threads it starts later inherit the setting
/// from the thread that starts them.
fn set_process_cpus(pid: u32, cpus: &libc::cpu_set_t) -> io::Result<()> {
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let Ok(tid) = task?.file_name().to_string_lossy().parse::<libc::pid_t>() else {
            continue;
        };
        match set_thread_cpus(tid, cpus) {
            // A thread that ended since the listing.
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
            r => r?,
        }
    }
    Ok(())
}

/// Runs the calling thread on [`SHARED_CPU`] from now on.
pub fn pin_this_thread() -> io::Result<()> {
    set_thread_cpus(0, &only(SHARED_CPU))
}

/// A process whose threads run on [`SHARED_CPU`] only, until this is dropped (then on
/// the CPUs its main thread had before).
pub struct Pinned {
    pid: u32,
    before: libc::cpu_set_t,
}

impl Pinned {
    pub fn new(pid: u32) -> io::Result<Pinned> {
        let before = cpus_of(pid as libc::pid_t)?;
        set_process_cpus(pid, &only(SHARED_CPU))?;
        Ok(Pinned { pid, before })
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        // The process may have exited: nothing left to restore then.
        let _ = set_process_cpus(self.pid, &self.before);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(set: libc::cpu_set_t) -> Vec<usize> {
        // SAFETY: CPU_ISSET reads inside the set.
        (0..1024)
            .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
            .collect()
    }

    #[test]
    fn a_process_is_pinned_while_the_guard_lives_and_released_after() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id() as libc::pid_t;
        let before = list(cpus_of(pid).unwrap());
        {
            let _pinned = Pinned::new(child.id()).unwrap();
            assert_eq!(list(cpus_of(pid).unwrap()), vec![SHARED_CPU]);
        }
        assert_eq!(list(cpus_of(pid).unwrap()), before);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn a_thread_pins_itself_alone() {
        let before = list(cpus_of(0).unwrap());
        let pinned = std::thread::spawn(|| {
            pin_this_thread().unwrap();
            list(cpus_of(0).unwrap())
        })
        .join()
        .unwrap();
        assert_eq!(pinned, vec![SHARED_CPU]);
        assert_eq!(
            list(cpus_of(0).unwrap()),
            before,
            "other threads keep their CPUs"
        );
    }
}
