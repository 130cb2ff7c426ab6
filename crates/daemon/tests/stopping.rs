//! The daemon stops on SIGTERM even while an API client is stalled in the middle of a request.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bagpipe_daemon::api::SHUTDOWN_DRAIN;
use support::spawn_daemon;

const ADDRESS: &str = "127.0.31.3";
const API_PORT: u16 = 19904;
const BGP_PORT: u16 = 19905;

#[test]
fn sigterm_stops_the_daemon_despite_a_stalled_api_client() {
    let dir = tempfile::tempdir().unwrap();
    let (mut daemon, _) = spawn_daemon(dir.path(), ADDRESS, (API_PORT, BGP_PORT), |_| {});
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
