//! Attach latency while the looking glass lists every route: one client attaches a port at a
//! steady pace while another reads `GET /looking-glass/bgp/routes` back to back. A daemon
//! that builds that answer on the thread that serves attaches makes every attach wait for it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::http::Client;
use crate::report::Spread;

pub struct Contention {
    /// Attaches answered 200, and their latencies.
    pub attaches: usize,
    pub failed: usize,
    pub latency: Spread,
    /// `bgp/routes` answers received (200, and errors), the mean time and size of the 200s.
    pub lg_answers: usize,
    pub lg_errors: usize,
    pub lg_mean: Option<Duration>,
    pub lg_bytes: usize,
}

/// Attaches port `i` (`body(i)`) every `pace` for `span`, while `bgp/routes` is read in a loop.
pub fn attach_during_lg(
    api: SocketAddr,
    body: impl Fn(usize) -> Vec<u8>,
    span: Duration,
    pace: Duration,
) -> Contention {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut client = Client::new(api, true);
            let (mut times, mut bytes, mut errors) = (Vec::new(), 0, 0);
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                match client.get("/looking-glass/bgp/routes") {
                    Ok(r) if r.status == 200 => {
                        times.push(t.elapsed());
                        bytes = r.body.len();
                    }
                    // An error answer is still a request the daemon served (the original
                    // answers this benchmark's bgp/routes with 500).
                    Ok(_) => errors += 1,
                    Err(_) => break,
                }
            }
            (times, bytes, errors)
        });
        let mut client = Client::new(api, true);
        let (mut latencies, mut failed) = (Vec::new(), 0);
        let began = Instant::now();
        let mut i = 0;
        while began.elapsed() < span {
            let t = Instant::now();
            match client.post_json("/attach_localport", &body(i)) {
                Ok(r) if r.status == 200 => latencies.push(t.elapsed()),
                _ => failed += 1,
            }
            i += 1;
            std::thread::sleep(pace.saturating_sub(t.elapsed()));
        }
        stop.store(true, Ordering::Relaxed);
        let (lg, lg_bytes, lg_errors) = reader.join().expect("reader thread");
        Contention {
            attaches: latencies.len(),
            failed,
            latency: Spread::of(latencies),
            lg_answers: lg.len(),
            lg_errors,
            lg_mean: (!lg.is_empty()).then(|| lg.iter().sum::<Duration>() / lg.len() as u32),
            lg_bytes,
        }
    })
}
