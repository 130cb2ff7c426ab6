//! The daemon's log file under logrotate: moved away and followed by a new one, with SIGHUP
//! (`postrotate`) or without (`create` alone), and SIGHUP never ends the daemon.

mod support;

use std::path::Path;
use std::time::Duration;

use bagpipe_testbed::http;
use bagpipe_testbed::process::Process;
use bagpipe_testbed::wait::wait_for;
use serde_json::Value;
use support::spawn_daemon;

const ADDRESS: &str = "127.0.31.1";
const API_PORT: u16 = 19900;
const BGP_PORT: u16 = 19901;

fn url(path: &str) -> String {
    format!("http://{ADDRESS}:{API_PORT}{path}")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn hangup(daemon: &Process) {
    // SAFETY: signalling our own child, still running (the test checks it answers).
    assert_eq!(unsafe { libc::kill(daemon.pid() as i32, libc::SIGHUP) }, 0);
}

fn attach(port: &str, id: u8) {
    let mut body = support::ipvpn("vrf-log", "64512:1", id, &format!("10.31.0.{id}"));
    body["local_port"] = Value::from(port);
    let (status, answer) = http::post(None, &url("/attach_localport"), &body).unwrap();
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn the_log_file_follows_logrotate_and_sighup_keeps_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bgp.log");
    let (mut daemon, token) = spawn_daemon(dir.path(), ADDRESS, (API_PORT, BGP_PORT), |cmd| {
        cmd.arg("--log-file").arg(&log);
    });
    attach("tap-before", 1);
    assert!(read(&log).contains("port=tap-before"), "{}", read(&log));

    // logrotate moves the file away, creates no new one, and sends SIGHUP.
    let first = dir.path().join("bgp.log.1");
    std::fs::rename(&log, &first).unwrap();
    hangup(&daemon);
    wait_for(Duration::from_secs(10), "a new log file", || {
        read(&log).contains("log file reopened").then_some(())
    });
    attach("tap-after-hup", 2);
    assert!(read(&log).contains("port=tap-after-hup"));
    assert!(!read(&first).contains("port=tap-after-hup"));
    assert!(daemon.running(), "SIGHUP ended the daemon");
    let again = http::get_text(None, &url("/ping")).unwrap();
    assert_eq!(again, token, "the daemon restarted on SIGHUP");

    // Moved away again, with no signal this time: the next lines after a second find the
    // new file all the same.
    let second = dir.path().join("bgp.log.2");
    std::fs::rename(&log, &second).unwrap();
    let mut id = 3;
    wait_for(
        Duration::from_secs(10),
        "attach lines in a new log file",
        || {
            id += 1;
            attach(&format!("tap-unsignalled-{id}"), id);
            std::thread::sleep(Duration::from_millis(200));
            read(&log).contains("port=tap-unsignalled").then_some(())
        },
    );
    assert!(read(&second).contains("port=tap-after-hup"));

    assert!(daemon.terminate(Duration::from_secs(5)), "no clean stop");
    let output = daemon.log();
    assert!(!output.contains("panicked"), "{output}");
}
