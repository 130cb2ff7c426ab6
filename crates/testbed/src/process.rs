//! A program running inside a namespace (`ip netns exec`), its output in a log file; killed
//! when its guard is dropped, also when the test fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NsProcess {
    child: Child,
    name: String,
    log: PathBuf,
}

impl NsProcess {
    /// Starts `program args...` in namespace `ns`; stdout and stderr go to `log` (appended,
    /// so that a restarted program keeps one log).
    pub fn start(name: &str, ns: &str, program: &Path, args: &[&str], log: &Path) -> NsProcess {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("log file {}: {e}", log.display()));
        let err = out.try_clone().expect("log file");
        // `ip netns exec` enters the namespace and then execs the program: the child's pid
        // is the program's.
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        NsProcess {
            child,
            name: name.to_string(),
            log: log.to_path_buf(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the program has not exited.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then waits up to `timeout` for the exit; false if it did not exit.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        if !self.running() {
            return true;
        }
        // SAFETY: signalling our own child, not reaped yet (checked just above).
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.running() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// SIGKILL (a crash, as far as anyone can tell), and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NsProcess {
    fn drop(&mut self) {
        if !self.terminate(Duration::from_secs(3)) {
            eprintln!("{} did not stop on SIGTERM, killing it", self.name);
            self.kill();
        }
    }
}
