//! A response body written by a blocking task as it goes: what the task writes passes through
//! a small channel to the connection, so that an answer of hundreds of megabytes (the
//! looking glass's route lists for a full table) is never held whole in memory.

use std::io::{self, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, OwnedSemaphorePermit};

/// Pieces in flight between the writer and the connection (the writer hands over ~64 KiB at
/// a time).
const PIECES: usize = 4;

/// The body that `write` writes on a blocking thread, holding `turn` until it is done. A
/// client that takes nothing for `stall` (gone without closing, or stopped reading) loses
/// its answer, and the turn goes to the next: the looking glass has two. An answer cut short
/// ends the connection without the body's last chunk, so that the client sees it incomplete
/// rather than a shorter document.
pub fn written_by(
    write: impl FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'static,
    turn: OwnedSemaphorePermit,
    stall: Duration,
) -> Body {
    let (tx, rx) = mpsc::channel(PIECES);
    let failed = Arc::new(AtomicBool::new(false));
    let writer = ChannelWriter {
        tx,
        stall,
        runtime: Handle::current(),
    };
    let failed_to_write = Arc::clone(&failed);
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let mut writer = writer;
        if write(&mut writer).is_err() {
            failed_to_write.store(true, Ordering::SeqCst);
        }
        // Dropping the writer (its sender) ends the body.
    });
    Body::from_stream(Pieces { rx, failed })
}

struct ChannelWriter {
    tx: mpsc::Sender<Bytes>,
    stall: Duration,
    runtime: Handle,
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let piece = Bytes::copy_from_slice(buf);
        let sent = self
            .runtime
            .block_on(tokio::time::timeout(self.stall, self.tx.send(piece)));
        match sent {
            Ok(Ok(())) => Ok(buf.len()),
            Ok(Err(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client is gone",
            )),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            )),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Pieces {
    rx: mpsc::Receiver<Bytes>,
    /// Set by the writer before it ends when it could not write the whole answer; taken
    /// back when the error is yielded, so that it is yielded once.
    failed: Arc<AtomicBool>,
}

impl futures_core::Stream for Pieces {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(None) => {
                let cut_short = self.failed.swap(false, Ordering::SeqCst);
                Poll::Ready(cut_short.then(|| Err(io::Error::other("the answer was cut short"))))
            }
            other => other.map(|piece| piece.map(Ok)),
        }
    }
}
