//! The load generator's side of one iBGP session, over a blocking socket: OPEN and KEEPALIVE
//! exchange, then pre-encoded UPDATEs written as fast as the receiver reads them. A reader
//! thread drains whatever the receiver sends (End-of-RIB, KEEPALIVEs) and notes a
//! NOTIFICATION or a closed connection; a keepalive thread keeps the session up while the
//! benchmark waits.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use bagpipe_speaker::open::build_open;
use bagpipe_speaker::PeerConfig;
use bagpipe_wire::message::frame_length;
use bagpipe_wire::{CodecContext, Family, Message};

/// Proposed hold time: long, so that a slow receiver does not drop the session while it
/// works through the feed.
const HOLD_TIME: u16 = 240;

pub struct Session {
    stream: Arc<Mutex<TcpStream>>,
    down: Arc<Mutex<Option<String>>>,
    stop: Arc<AtomicBool>,
    /// How the receiver decodes what we send.
    pub ctx: CodecContext,
}

fn connect_from(local: IpAddr, remote: SocketAddr, timeout: Duration) -> anyhow::Result<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stream = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(local, 0))?;
        tokio::time::timeout(timeout, socket.connect(remote))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))?
    })?;
    let std = stream.into_std()?;
    std.set_nonblocking(false)?;
    std.set_nodelay(true)?;
    Ok(std)
}

/// Reads one whole message (header included) from a blocking stream.
fn read_message(stream: &mut TcpStream) -> anyhow::Result<Vec<u8>> {
    let mut head = [0u8; 19];
    stream.read_exact(&mut head)?;
    let len = u16::from_be_bytes([head[16], head[17]]) as usize;
    if len < 19 {
        bail!("bad message length {len}");
    }
    let mut m = head.to_vec();
    m.resize(len, 0);
    stream.read_exact(&mut m[19..])?;
    Ok(m)
}

const KEEPALIVE: [u8; 19] = {
    let mut k = [0xffu8; 19];
    k[16] = 0;
    k[17] = 19;
    k[18] = 4;
    k
};

impl Session {
    /// Connects from `local` to `remote` and brings an iBGP session of AS `asn` up with
    /// `families`.
    pub fn establish(
        local: Ipv4Addr,
        remote: SocketAddr,
        asn: u32,
        families: Vec<Family>,
        timeout: Duration,
    ) -> anyhow::Result<Session> {
        let mut config = PeerConfig::ibgp(remote.ip(), asn, local, families);
        config.hold_time = HOLD_TIME;
        config.extended_message = false;
        let open = build_open(&config);
        let mut stream = connect_from(local.into(), remote, timeout)
            .with_context(|| format!("connecting to {remote}"))?;
        stream.set_read_timeout(Some(timeout))?;
        let initial = CodecContext::initial();
        stream.write_all(&Message::Open(open).to_bytes(&initial)?)?;
        let mut their_open = None;
        let mut hold = HOLD_TIME;
        loop {
            let m = read_message(&mut stream).context("waiting for the OPEN exchange")?;
            match Message::decode(&m, &initial).map(|d| d.message) {
                Ok(Message::Open(o)) => {
                    hold = hold.min(o.hold_time);
                    their_open = Some(o);
                    stream.write_all(&KEEPALIVE)?;
                }
                Ok(Message::Keepalive) if their_open.is_some() => break,
                Ok(Message::Notification(n)) => bail!("NOTIFICATION during the OPEN exchange: {n}"),
                Ok(other) => bail!("unexpected message during the OPEN exchange: {other:?}"),
                Err(e) => bail!("malformed message during the OPEN exchange: {e}"),
            }
        }
        let theirs = their_open.expect("OPEN received");
        let four_octet_as = theirs
            .capabilities()
            .any(|c| matches!(c, bagpipe_wire::message::Capability::FourOctetAs { .. }));
        stream.set_read_timeout(None)?;
        let reader = stream.try_clone()?;
        let stream = Arc::new(Mutex::new(stream));
        let down = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        spawn_drain(reader, Arc::clone(&down));
        spawn_keepalives(
            Arc::clone(&stream),
            Arc::clone(&stop),
            Duration::from_secs((hold as u64 / 3).clamp(1, 30)),
        );
        Ok(Session {
            stream,
            down,
            stop,
            ctx: CodecContext {
                four_octet_as,
                ..CodecContext::default()
            },
        })
    }

    /// Writes `bytes` (whole messages), in pieces so that KEEPALIVEs can go in between.
    pub fn send(&self, bytes: &[u8]) -> anyhow::Result<()> {
        for piece in crate::feed::split_messages(bytes, 64 * 1024) {
            self.stream
                .lock()
                .expect("stream lock")
                .write_all(piece)
                .context("sending UPDATEs")?;
        }
        Ok(())
    }

    /// Why the session ended, if it did.
    pub fn down(&self) -> Option<String> {
        self.down.lock().expect("lock").clone()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Ok(s) = self.stream.lock() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn spawn_drain(mut stream: TcpStream, down: Arc<Mutex<Option<String>>>) {
    std::thread::spawn(move || {
        let why = loop {
            match read_message(&mut stream) {
                Ok(m) if m[18] == 3 => {
                    let ctx = CodecContext::initial();
                    break match frame_length(&m, &ctx)
                        .ok()
                        .and_then(|_| Message::decode(&m, &ctx).ok())
                    {
                        Some(d) => format!("NOTIFICATION received: {:?}", d.message),
                        None => "NOTIFICATION received".to_string(),
                    };
                }
                Ok(_) => {}
                Err(e) => break format!("connection closed: {e}"),
            }
        };
        *down.lock().expect("lock") = Some(why);
    });
}

fn spawn_keepalives(stream: Arc<Mutex<TcpStream>>, stop: Arc<AtomicBool>, every: Duration) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
            // Sleep in small steps so that a stopped session ends the thread soon.
            let mut slept = Duration::from_millis(200);
            while slept < every && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                slept += Duration::from_millis(200);
            }
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if stream
                .lock()
                .map(|mut s| s.write_all(&KEEPALIVE).is_err())
                .unwrap_or(true)
            {
                return;
            }
        }
    });
}
