//! The API's connection loop: accepts connections and serves each with hyper's HTTP/1.1
//! server. `axum::serve` does the same for any protocol, and the generality costs on every
//! connection: it first reads the request's first bytes on their own to tell HTTP/2's preface
//! from HTTP/1 (one more system call and a buffer the request is then replayed from), and
//! builds a service per connection through a make-service. The Neutron agents open a
//! connection per request, so that cost is paid per attach; the API speaks HTTP/1.1 only
//! (as the original does).

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use axum::serve::Listener;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What the connection loop allows its clients.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// A connection that has not sent a whole request head within this time (idle between
    /// requests, or stalled in the middle of one) is closed: otherwise clients that connect
    /// and say nothing would hold file descriptors until the daemon has none left to accept
    /// its agents with.
    pub header_timeout: Duration,
    /// How long a stop waits for the requests being answered; then their connections are
    /// closed. A client stalled in the middle of a request body would otherwise keep the
    /// daemon from stopping at all.
    pub shutdown_drain: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets each
/// connection finish the request it is answering (idle kept-alive ones close at once) for up
/// to `limits.shutdown_drain`, closes those still open, and returns.
pub async fn serve_http1(
    mut listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    // Dropped when shutting down: each connection's receiver then sees it closed.
    let (stopping, stop_seen) = watch::channel(());
    // Dropped when the drain time is over: connections still open close at once.
    let (aborting, abort_seen) = watch::channel(());
    // Each connection holds a receiver; all dropped means all connections are closed.
    let (closed, open) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        // `Listener::accept` retries failed accepts itself (and waits a second when out of
        // file descriptors) instead of returning them.
        let (tcp, _peer) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        // Small answers on kept-alive connections must not wait for Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let (mut stop_seen, mut abort_seen) = (stop_seen.clone(), abort_seen.clone());
        let open = open.clone();
        let http = http.clone();
        tokio::spawn(async move {
            let mut conn = pin!(http.serve_connection(TokioIo::new(tcp), service));
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop_seen.changed() => {
                    conn.as_mut().graceful_shutdown();
                    tokio::select! {
                        _ = conn => {}
                        _ = abort_seen.changed() => {}
                    }
                }
            }
            drop(open);
        });
    }
    drop(listener);
    drop(stopping);
    drop(open);
    if tokio::time::timeout(limits.shutdown_drain, closed.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = closed.receiver_count(),
            "API connections still busy after {:?} of stopping: closed",
            limits.shutdown_drain
        );
        drop(aborting);
        closed.closed().await;
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use axum::routing::{get, post};
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    use tokio::sync::oneshot;

    use super::*;
    use crate::api::tests::raw;

    /// `/slow` answers after 300 ms, `/` at once, `POST /echo` with the body it reads.
    fn app() -> Router {
        let slow = || async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            "slow"
        };
        Router::new()
            .route("/", get(|| async { "fast" }))
            .route("/slow", get(slow))
            .route("/echo", post(|body: String| async move { body }))
    }

    async fn send(stream: &mut TcpStream, path: &str) {
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
    }

    async fn read_to_close(stream: &mut TcpStream) -> String {
        raw::read_to_close(stream, Duration::from_secs(5)).await
    }

    async fn read_answer(stream: &mut TcpStream, body: &str) -> String {
        raw::read_answer(stream, body, Duration::from_secs(5)).await
    }

    const LIMITS: Limits = Limits {
        header_timeout: Duration::from_secs(60),
        shutdown_drain: Duration::from_secs(5),
    };

    fn start(addr: SocketAddr) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        start_with(addr, LIMITS)
    }

    fn start_with(
        addr: SocketAddr,
        limits: Limits,
    ) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let listener = crate::api::bind(addr, 16).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve_http1(listener, app(), limits, async {
            let _ = stopped.await;
        }));
        (stop, server)
    }

    #[tokio::test]
    async fn serves_kept_alive_and_closing_connections() {
        let addr = SocketAddr::from(([127, 0, 21, 9], 19110));
        let (_stop, _server) = start(addr);
        let mut kept = TcpStream::connect(addr).await.unwrap();
        for _ in 0..3 {
            send(&mut kept, "/").await;
            let answer = read_answer(&mut kept, "fast").await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        }
        let mut once = TcpStream::connect(addr).await.unwrap();
        once.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let answer = read_to_close(&mut once).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("fast"), "{answer}");
    }

    /// On shutdown a request being answered is answered, an idle kept-alive connection is
    /// closed, no connection is accepted any more, and the server returns once the last
    /// connection is closed.
    #[tokio::test]
    async fn shutdown_finishes_requests_and_closes_idle_connections() {
        let addr = SocketAddr::from(([127, 0, 21, 9], 19111));
        let (stop, server) = start(addr);
        let mut idle = TcpStream::connect(addr).await.unwrap();
        send(&mut idle, "/").await;
        read_answer(&mut idle, "fast").await;
        let mut busy = TcpStream::connect(addr).await.unwrap();
        send(&mut busy, "/slow").await;
        tokio::time::sleep(Duration::from_millis(50)).await;

        stop.send(()).unwrap();
        assert_eq!(read_to_close(&mut idle).await, "", "idle connection closed");
        assert!(!server.is_finished(), "returned before the slow answer");
        let answer = read_to_close(&mut busy).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("slow"), "{answer}");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server returns once its connections are closed")
            .unwrap();
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "still accepting connections"
        );
    }

    /// Connections silent, stalled in a request head, or idle after an answer for longer than
    /// the header timeout are closed; one sending requests more often stays open.
    #[tokio::test]
    async fn connections_that_send_no_request_in_time_are_closed() {
        let addr = SocketAddr::from(([127, 0, 21, 9], 19112));
        let timeout = Duration::from_millis(300);
        let (_stop, _server) = start_with(
            addr,
            Limits {
                header_timeout: timeout,
                ..LIMITS
            },
        );
        let began = tokio::time::Instant::now();
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut stalled = TcpStream::connect(addr).await.unwrap();
        stalled.write_all(b"GET / HTTP/1.1\r\nHo").await.unwrap();
        let mut idle = TcpStream::connect(addr).await.unwrap();
        send(&mut idle, "/").await;
        read_answer(&mut idle, "fast").await;
        let mut busy = TcpStream::connect(addr).await.unwrap();
        for _ in 0..6 {
            send(&mut busy, "/").await;
            let answer = read_answer(&mut busy, "fast").await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            tokio::time::sleep(timeout / 3).await;
        }
        assert!(
            began.elapsed() > timeout * 2,
            "the busy client outlived the timeout"
        );
        for (name, stream) in [
            ("silent", &mut silent),
            ("stalled", &mut stalled),
            ("idle", &mut idle),
        ] {
            let rest = read_to_close(stream).await;
            assert!(!rest.contains("200 OK"), "{name}: {rest}");
        }
    }

    /// A client stalled in the middle of a request body does not keep the server from
    /// stopping: after the drain time its connection is closed and the server returns.
    #[tokio::test]
    async fn shutdown_closes_connections_stalled_after_the_drain_time() {
        let addr = SocketAddr::from(([127, 0, 21, 9], 19113));
        let drain = Duration::from_millis(300);
        let (stop, server) = start_with(
            addr,
            Limits {
                shutdown_drain: drain,
                ..LIMITS
            },
        );
        let mut stalled = TcpStream::connect(addr).await.unwrap();
        stalled
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let began = tokio::time::Instant::now();
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server returns despite the stalled client")
            .unwrap();
        assert!(began.elapsed() >= drain, "returned before the drain time");
        assert_eq!(read_to_close(&mut stalled).await, "", "connection closed");
    }
}
