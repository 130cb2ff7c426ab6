//! Network namespaces that a test creates and always deletes, and running code inside one.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;

/// Runs `ip` (or another tool) and panics with its output when it fails.
pub fn run(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ip -n <ns> ...`
pub fn ip(ns: &str, args: &str) -> String {
    let mut all = vec!["ip", "-n", ns];
    all.extend(args.split_whitespace());
    run(&all)
}

/// A command run inside `ns` (`ip netns exec`).
pub fn exec(ns: &str, args: &str) -> String {
    let mut all = vec!["ip", "netns", "exec", ns];
    all.extend(args.split_whitespace());
    run(&all)
}

/// The command that runs `program` inside `ns`. `ip netns exec` enters the namespace and
/// then execs the program: the child's pid is the program's.
pub fn command(ns: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns]).arg(program);
    cmd
}

/// A namespace, deleted on drop (also when the test fails).
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `name` (deleting one left over by a killed run first), loopback up. Each crate
    /// names its namespaces with its own prefix (CONTRIBUTING.md).
    pub fn new(name: &str) -> Netns {
        assert!(
            name.len() > 5 && name.starts_with("bp"),
            "namespace {name:?}: use the prefix of your crate (bpdp-, bpd-, ...)"
        );
        // Left over by a test run that was killed.
        let _ = Command::new("ip").args(["netns", "del", name]).output();
        run(&["ip", "netns", "add", name]);
        ip(name, "link set lo up");
        Netns {
            name: name.to_string(),
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Moves the calling thread into namespace `ns` (for good: use a thread of its own).
pub fn enter(ns: &str) {
    let file = File::open(format!("/run/netns/{ns}")).unwrap_or_else(|e| panic!("netns {ns}: {e}"));
    // SAFETY: setns on a valid descriptor only changes this thread's namespace.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns {ns}: {}", std::io::Error::last_os_error());
}

/// Runs `f` on a thread inside `ns` and returns its result.
pub fn in_netns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let ns = ns.to_string();
    std::thread::spawn(move || {
        enter(&ns);
        f()
    })
    .join()
    .expect("thread in netns panicked")
}
