//! Running the `ip` and `ovs-vsctl` commands that plumb ports, as root: directly when we
//! are root, through `sudo` otherwise (the original's default root helper).

use std::process::Command;

/// What a failure of a command means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// The step is needed: stop.
    Stop,
    /// Go on, with a warning on stderr in the original's words.
    Warn,
    /// The step only removes what may be there: go on silently.
    Ignore,
}

/// Runs `argv`; returns its standard output, or why it failed when that stops the work.
pub fn run(argv: &[&str], on_failure: OnFailure) -> Result<String, String> {
    let shown = argv.join(" ");
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let mut command = if root {
        Command::new(argv[0])
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg(argv[0]);
        sudo
    };
    let failure = match command.args(&argv[1..]).output() {
        Ok(out) if out.status.success() => {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        Ok(out) => format!(
            "Exit code {} when running '{shown}': {}",
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("cannot run '{shown}': {e}"),
    };
    match on_failure {
        OnFailure::Stop => Err(failure),
        OnFailure::Warn => {
            eprintln!("[WARNING]  {failure}");
            Ok(String::new())
        }
        OnFailure::Ignore => Ok(String::new()),
    }
}
