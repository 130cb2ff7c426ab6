//! ExaBGP with an API process: every message ExaBGP prints (JSON: updates it received, neighbour
//! state changes) is appended to `received.jsonl`, and lines written with `command` go to
//! ExaBGP as API commands (`neighbor X announce route ...`).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use bagpipe_testbed::process::Process;
use bagpipe_testbed::wait::wait_for;

const API_PROCESS: &str = r#"
import os, sys, threading
d = sys.argv[1]
def commands():
    while True:
        with open(os.path.join(d, "commands")) as f:
            for line in f:
                line = line.strip()
                if line:
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
threading.Thread(target=commands, daemon=True).start()
with open(os.path.join(d, "received.jsonl"), "a", buffering=1) as out:
    for line in sys.stdin:
        out.write(line)
"#;

pub struct Exabgp {
    process: Process,
    dir: tempfile::TempDir,
    exe: PathBuf,
    bind: String,
    port: u16,
}

impl Exabgp {
    /// Starts `exe` (Debian's `exabgp`, or an ExaBGP 5 from a venv) listening on
    /// `bind:port`, with `neighbors` (neighbour blocks that may use `processes [ api ]`).
    pub fn start(name: &str, exe: &Path, bind: &str, port: u16, neighbors: &str) -> Exabgp {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("api.py"), API_PROCESS).expect("write api.py");
        let fifo = std::ffi::CString::new(dir.path().join("commands").to_str().unwrap()).unwrap();
        // SAFETY: a valid C string path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0, "mkfifo");
        let process = Self::launch(name, exe, dir.path(), bind, port, neighbors);
        Exabgp {
            process,
            dir,
            exe: exe.to_path_buf(),
            bind: bind.to_string(),
            port,
        }
    }

    fn launch(
        name: &str,
        exe: &Path,
        dir: &Path,
        bind: &str,
        port: u16,
        neighbors: &str,
    ) -> Process {
        let conf = format!(
            "process api {{\n    run /usr/bin/python3 {}/api.py {};\n    encoder json;\n}}\n{neighbors}",
            dir.display(),
            dir.display()
        );
        let path = dir.join("exabgp.conf");
        std::fs::write(&path, conf).expect("write exabgp.conf");
        let mut cmd = Command::new(exe);
        cmd.env("exabgp.tcp.bind", bind)
            .env("exabgp.tcp.port", port.to_string())
            .env("exabgp.daemon.user", "root")
            .env("exabgp.daemon.daemonize", "false")
            .env("exabgp.api.cli", "false")
            .env("exabgp.log.destination", "stdout")
            .env("exabgp.log.level", "INFO")
            .arg(&path);
        Process::start(name, &mut cmd, &dir.join("exabgp.log"))
    }

    /// Kills ExaBGP (SIGKILL: no NOTIFICATION).
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts ExaBGP again, with other neighbours.
    pub fn restart(&mut self, neighbors: &str) {
        self.process = Self::launch(
            "exabgp",
            &self.exe,
            self.dir.path(),
            &self.bind,
            self.port,
            neighbors,
        );
    }

    /// Sends one API command, once the API process is there to read it.
    pub fn command(&self, line: &str) {
        let path = self.dir.path().join("commands");
        let mut f = wait_for(Duration::from_secs(10), "ExaBGP API process", || {
            std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&path)
                .ok()
        });
        writeln!(f, "{line}").expect("write an ExaBGP command");
    }

    /// Every JSON message ExaBGP printed so far.
    pub fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("received.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The UPDATEs ExaBGP received, as `message.update` objects.
    pub fn updates(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|m| m["type"] == "update")
            .map(|m| m["neighbor"]["message"]["update"].clone())
            .collect()
    }

    /// Whether ExaBGP said the session went up (and not down since).
    pub fn is_up(&self) -> bool {
        self.received()
            .iter()
            .rfind(|m| m["type"] == "state")
            .is_some_and(|m| m["neighbor"]["state"] == "up")
    }
}

/// A neighbour block for ExaBGP at `exa`, which connects to our daemon at `ours` on `port`
/// (iBGP, AS 64512), prints what it receives to the API process, and has `settings` (its
/// families, capabilities, static routes...).
pub fn neighbor(ours: &str, exa: &str, port: u16, settings: &str) -> String {
    format!(
        "neighbor {ours} {{
    router-id {exa};
    local-address {exa};
    local-as 64512;
    peer-as 64512;
    connect {port};
    api {{ processes [ api ]; neighbor-changes; receive {{ parsed; update; }} }}
{settings}
}}
"
    )
}

/// An ExaBGP 5 executable: `BAGPIPE_EXABGP5`, or a venv that this function makes with pip
/// (`exabgp==5.0.15`) the first time. None when neither works (the caller skips).
pub fn exabgp5() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("BAGPIPE_EXABGP5") {
        return Some(PathBuf::from(p));
    }
    let venv = std::env::temp_dir().join("bagpipe-rs-exabgp5-venv");
    let exe = venv.join("bin/exabgp");
    let is_five = |exe: &Path| {
        Command::new(exe)
            .arg("version")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("5.0.15"))
    };
    if is_five(&exe) {
        return Some(exe);
    }
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "-q",
                "--disable-pip-version-check",
                "exabgp==5.0.15",
            ])
            .status()
            .is_ok_and(|s| s.success());
    (ok && is_five(&exe)).then_some(exe)
}
