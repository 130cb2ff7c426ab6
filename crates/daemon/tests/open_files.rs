//! The daemon raises its open files limit from the soft to the hard one at start.

mod support;

use std::os::unix::process::CommandExt;

use support::spawn_daemon;

const ADDRESS: &str = "127.0.31.2";
const API_PORT: u16 = 19902;
const BGP_PORT: u16 = 19903;

/// The soft and hard "Max open files" of a process.
fn open_files_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    (fields[3].to_string(), fields[4].to_string())
}

#[test]
fn the_soft_open_files_limit_is_raised_to_the_hard_one() {
    let dir = tempfile::tempdir().unwrap();
    let (daemon, _) = spawn_daemon(dir.path(), ADDRESS, (API_PORT, BGP_PORT), |cmd| {
        // SAFETY: setrlimit is async-signal-safe; it lowers the child's own soft limit only.
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 256,
                    rlim_max: 4096,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    assert_eq!(
        open_files_limits(daemon.pid()),
        ("4096".to_string(), "4096".to_string())
    );
}
