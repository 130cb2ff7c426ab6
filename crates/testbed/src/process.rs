//! Programs under test or measured: their output in a log file, stopped when their guard is
//! dropped (SIGTERM, then SIGKILL), also when a test fails or a benchmark is interrupted.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Process {
    child: Child,
    name: String,
    log: PathBuf,
}

impl Process {
    /// Starts `cmd`; its stdout and stderr are appended to `log` (so that a restarted program
    /// keeps one log). To run it inside a namespace, build `cmd` with
    /// [`crate::netns::command`].
    pub fn spawn(name: &str, cmd: &mut Command, log: &Path) -> std::io::Result<Process> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let err = out.try_clone()?;
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to send SIGTERM to the
        // child when the thread that started it dies, so that a killed test run or an
        // interrupted benchmark leaves nothing behind.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot start {name}: {e}")))?;
        Ok(Process {
            child,
            name: name.to_string(),
            log: log.to_path_buf(),
        })
    }

    /// [`Process::spawn`] for tests: panics when the program cannot start.
    pub fn start(name: &str, cmd: &mut Command, log: &Path) -> Process {
        Process::spawn(name, cmd, log).unwrap_or_else(|e| panic!("{e} (log {})", log.display()))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the program wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the program has not exited.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn signal(&mut self, signal: i32) {
        if self.running() {
            // SAFETY: signalling our own child, not reaped yet (checked just above).
            unsafe { libc::kill(self.child.id() as i32, signal) };
        }
    }

    /// SIGTERM, then waits up to `timeout` for the exit; false if it did not exit.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + timeout;
        loop {
            if !self.running() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL (a crash, as far as anyone can tell), and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.terminate(Duration::from_secs(3)) {
            eprintln!("{} did not stop on SIGTERM, killing it", self.name);
            self.kill();
        }
    }
}

/// Prints the last lines of what `name` logged when the test is failing: the guards of the
/// programs under test call it as they drop.
pub fn print_log_if_failing(name: &str, log: &str) {
    const LINES: usize = 400;
    if std::thread::panicking() {
        let all: Vec<&str> = log.lines().collect();
        eprintln!("--- last lines of {name}'s log:");
        for line in &all[all.len().saturating_sub(LINES)..] {
            eprintln!("{line}");
        }
    }
}
