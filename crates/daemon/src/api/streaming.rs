//! A response body written by a blocking task as it goes: what the task writes passes through
//! a small channel to the connection, so that an answer of hundreds of megabytes (the
//! looking glass's route lists for a full table) is never held whole in memory.

use std::convert::Infallible;
use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use tokio::sync::{mpsc, OwnedSemaphorePermit};

/// Pieces in flight between the writer and the connection (the writer hands over ~64 KiB at
/// a time).
const PIECES: usize = 4;

/// The body that `write` writes on a blocking thread, holding `turn` until it is done.
pub fn written_by(
    write: impl FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'static,
    turn: OwnedSemaphorePermit,
) -> Body {
    let (tx, rx) = mpsc::channel(PIECES);
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        // An error is the client gone (the channel closed): nothing more to write.
        let _ = write(&mut ChannelWriter(tx));
    });
    Body::from_stream(Pieces(rx))
}

struct ChannelWriter(mpsc::Sender<Bytes>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client is gone"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Pieces(mpsc::Receiver<Bytes>);

impl futures_core::Stream for Pieces {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|piece| piece.map(Ok))
    }
}
