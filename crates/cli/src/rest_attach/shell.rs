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

/// Runs `command`, a program and its arguments separated by spaces (as the original's
/// shell commands: no argument of ours has a space); returns its standard output, or why
/// it failed when that stops the work.
pub fn run(command: &str, on_failure: OnFailure) -> Result<String, String> {
    let argv: Vec<&str> = command.split_whitespace().collect();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let (program, args) = if root {
        (argv[0], &argv[1..])
    } else {
        ("sudo", &argv[..])
    };
    let failure = match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        Ok(out) => format!(
            "Exit code {} when running '{command}': {}",
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("cannot run '{command}': {e}"),
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
