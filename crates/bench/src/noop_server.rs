//! The floor of the attach benchmark: an HTTP server that does no work. It reads each
//! request (headers and body) and answers `200 null`, as an attach does, on one blocking
//! thread per connection — no event loop, no task hand-over, nothing between the socket
//! and the answer. What a client measures against it is what this machine's kernel and
//! scheduler cost per request; no server can answer the same client faster, so its rate
//! bounds the ratio any daemon can show against the original here.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

const ANSWER_KEEP_ALIVE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\nnull";
const ANSWER_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnull";

pub struct NoopServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl NoopServer {
    /// Listens on `addr` with `threads` threads, each accepting and serving one connection
    /// at a time (as many as the benchmark's most parallel clients).
    pub fn start(addr: SocketAddr, threads: usize) -> std::io::Result<NoopServer> {
        let listener = Arc::new(TcpListener::bind(addr)?);
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|_| {
                let (listener, stop) = (listener.clone(), stop.clone());
                std::thread::spawn(move || {
                    while let Ok((conn, _)) = listener.accept() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        // A failed connection only ends itself.
                        let _ = serve(conn);
                    }
                })
            })
            .collect();
        Ok(NoopServer {
            addr,
            stop,
            threads,
        })
    }
}

impl Drop for NoopServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // One connection per thread blocked in accept() wakes it to see the flag.
        for _ in &self.threads {
            let _ = TcpStream::connect(self.addr);
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Answers the requests of one connection until the client closes it or asks to.
fn serve(conn: TcpStream) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(64 * 1024, conn.try_clone()?);
    let mut writer = conn;
    let mut line = String::new();
    let mut body = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let (mut length, mut close) = (0, false);
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
        writer.write_all(if close {
            ANSWER_CLOSE
        } else {
            ANSWER_KEEP_ALIVE
        })?;
        if close {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Client;

    #[test]
    fn answers_null_on_kept_alive_and_new_connections() {
        let server = NoopServer::start("127.0.59.1:21990".parse().unwrap(), 2).unwrap();
        for keep_alive in [true, false] {
            let mut client = Client::new(server.addr, keep_alive);
            for _ in 0..3 {
                let r = client
                    .post_json("/attach_localport", b"{\"a\": 1}")
                    .unwrap();
                assert_eq!((r.status, r.body.as_slice()), (200, &b"null"[..]));
            }
        }
    }
}
