//! The daemon stops on SIGTERM even while an API client is stalled in the middle of a request.

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use bagpipe_daemon::api::SHUTDOWN_DRAIN;
use bagpipe_testbed::daemon::daemon_ini;
use bagpipe_testbed::http;
use bagpipe_testbed::process::Process;
use bagpipe_testbed::wait::wait_for;

const ADDRESS: &str = "127.0.31.3";
const API_PORT: u16 = 19904;
const BGP_PORT: u16 = 19905;

#[test]
fn sigterm_stops_the_daemon_despite_a_stalled_api_client() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bgp.conf");
    std::fs::write(&conf, daemon_ini(ADDRESS, &[], BGP_PORT, API_PORT, "")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bagpipe-bgp"));
    cmd.arg("--config-file").arg(&conf);
    let mut daemon = Process::start("bagpipe-bgp", &mut cmd, &dir.path().join("log"));
    wait_for(Duration::from_secs(20), "the API", || {
        http::get_text(None, &format!("http://{ADDRESS}:{API_PORT}/ping")).ok()
    });
    // An attach whose body never comes whole.
    let mut stalled = TcpStream::connect((ADDRESS, API_PORT)).unwrap();
    stalled
        .write_all(b"POST /attach_localport HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let began = Instant::now();
    assert!(
        daemon.terminate(SHUTDOWN_DRAIN + Duration::from_secs(5)),
        "the daemon did not stop: {}",
        daemon.log()
    );
    assert!(
        began.elapsed() >= SHUTDOWN_DRAIN,
        "stopped before the drain time"
    );
    assert!(
        daemon.log().contains("API connections still busy"),
        "{}",
        daemon.log()
    );
}
