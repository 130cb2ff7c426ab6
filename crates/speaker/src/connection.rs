//! The two I/O tasks of one TCP connection: a reader that splits the byte stream into messages
//! and decodes them (off the peer task, so decoding runs beside the route table), and a writer
//! that drains a queue of encoded bytes (so that a peer that reads slowly never blocks us from
//! reading what it sends).

use bagpipe_wire::message::{Message, Open};
use bagpipe_wire::{CodecContext, DecodeError};
use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::negotiate::agree;

/// What a reader reports, tagged with its connection's generation.
#[derive(Debug)]
pub enum ConnInput {
    Message(bagpipe_wire::Decoded),
    /// A message the session must be reset for; the reader stops.
    Malformed(DecodeError),
    /// End of stream or I/O error; the reader stops.
    Closed(String),
}

/// Reads until the connection closes or a message is malformed. The decoding context follows
/// the OPEN exchange: after the peer's OPEN, UPDATEs are decoded with what both agreed.
pub fn spawn_reader(
    mut read: OwnedReadHalf,
    generation: u64,
    our_open: Open,
    tx: mpsc::Sender<(u64, ConnInput)>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ctx = CodecContext::initial();
        let mut buf = BytesMut::with_capacity(64 * 1024);
        loop {
            loop {
                let len = match bagpipe_wire::message::frame_length(&buf, &ctx) {
                    Ok(Some(len)) if buf.len() >= len => len,
                    Ok(_) => break,
                    Err(e) => {
                        let _ = tx.send((generation, ConnInput::Malformed(e))).await;
                        return;
                    }
                };
                let result = Message::decode(&buf[..len], &ctx);
                buf.advance(len);
                let input = match result {
                    Ok(d) => {
                        if let Message::Open(theirs) = &d.message {
                            ctx = agree(&our_open, theirs).decode_context();
                        }
                        ConnInput::Message(d)
                    }
                    Err(e) => ConnInput::Malformed(e),
                };
                let stop = matches!(input, ConnInput::Malformed(_));
                if tx.send((generation, input)).await.is_err() || stop {
                    return;
                }
            }
            buf.reserve(64 * 1024);
            match read.read_buf(&mut buf).await {
                Ok(0) => {
                    let _ = tx
                        .send((
                            generation,
                            ConnInput::Closed("connection closed by peer".into()),
                        ))
                        .await;
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx
                        .send((generation, ConnInput::Closed(format!("read error: {e}"))))
                        .await;
                    return;
                }
            }
        }
    })
}

/// Writes every chunk it is given, in order; when the sender is dropped it flushes and closes
/// the connection (so a NOTIFICATION queued before a drop is still sent).
pub fn spawn_writer(mut write: OwnedWriteHalf) -> mpsc::Sender<Bytes> {
    let (tx, mut rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        while let Some(chunk) = rx.recv().await {
            if write.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = write.flush().await;
        let _ = write.shutdown().await;
    });
    tx
}
