//! A scripted BGP peer: a test listens, our daemon connects to it, and the test sends exactly
//! the bytes it wants (crafted, malformed, or nothing at all) with the bagpipe-wire codec, and
//! reads what the daemon answers.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use bagpipe_wire::message::{Capability, Message, Open};
use bagpipe_wire::{CodecContext, Family};

/// Where the scripted peer waits for our daemon's connections.
pub struct ScriptedListener {
    listener: TcpListener,
}

impl ScriptedListener {
    pub fn bind(address: &str, port: u16) -> ScriptedListener {
        let listener = TcpListener::bind((address, port))
            .unwrap_or_else(|e| panic!("bind {address}:{port}: {e}"));
        listener.set_nonblocking(true).expect("non-blocking");
        ScriptedListener { listener }
    }

    /// A connection already waiting, if any.
    pub fn try_accept(&self) -> Option<TcpStream> {
        self.listener.accept().ok().map(|(s, _)| s)
    }

    /// Waits for the daemon to connect.
    pub fn accept(&self, timeout: Duration) -> ScriptedPeer {
        let start = Instant::now();
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => return ScriptedPeer::over(stream),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(
                        start.elapsed() < timeout,
                        "no connection from the daemon within {timeout:?}"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
}

/// One connection with our daemon.
pub struct ScriptedPeer {
    stream: TcpStream,
    ctx: CodecContext,
    buf: Vec<u8>,
}

impl ScriptedPeer {
    /// Connects from `local` (the address the daemon knows the peer by) to `remote`.
    pub fn connect(local: &str, remote: std::net::SocketAddr) -> ScriptedPeer {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let stream = rt
            .block_on(async {
                let socket = tokio::net::TcpSocket::new_v4()?;
                socket.bind((local.parse::<std::net::IpAddr>().unwrap(), 0).into())?;
                socket.connect(remote).await
            })
            .and_then(|s| s.into_std())
            .unwrap_or_else(|e| panic!("connect from {local} to {remote}: {e}"));
        ScriptedPeer::over(stream)
    }

    /// A peer on `stream`, which has sent nothing yet.
    fn over(stream: TcpStream) -> ScriptedPeer {
        stream.set_nonblocking(false).expect("blocking");
        stream.set_nodelay(true).expect("nodelay");
        ScriptedPeer {
            stream,
            ctx: CodecContext::initial(),
            buf: Vec::new(),
        }
    }
}

/// What `recv` got.
#[derive(Debug)]
pub enum Received {
    Message(Message),
    /// The daemon closed the connection.
    Closed,
    Timeout,
}

impl ScriptedPeer {
    /// OPEN (4-octet AS, the given families), then the daemon's OPEN and KEEPALIVE: returns
    /// the daemon's OPEN once both sides sent KEEPALIVE.
    pub fn establish(
        &mut self,
        asn: u32,
        hold_time: u16,
        id: Ipv4Addr,
        families: &[Family],
    ) -> Open {
        self.establish_with(asn, hold_time, id, families, Vec::new())
    }

    /// As `establish`, with more capabilities in the OPEN.
    pub fn establish_with(
        &mut self,
        asn: u32,
        hold_time: u16,
        id: Ipv4Addr,
        families: &[Family],
        extra: Vec<Capability>,
    ) -> Open {
        self.send_open_with(asn, hold_time, id, families, extra);
        let theirs = self.recv_open();
        self.send(&Message::Keepalive);
        self.recv_keepalive();
        theirs
    }

    pub fn send_open(&mut self, asn: u32, hold_time: u16, id: Ipv4Addr, families: &[Family]) {
        self.send_open_with(asn, hold_time, id, families, Vec::new());
    }

    fn send_open_with(
        &mut self,
        asn: u32,
        hold_time: u16,
        id: Ipv4Addr,
        families: &[Family],
        extra: Vec<Capability>,
    ) {
        let caps = families
            .iter()
            .map(|&family| Capability::Multiprotocol { family })
            .chain([Capability::FourOctetAs { asn }, Capability::RouteRefresh])
            .chain(extra)
            .collect();
        self.send(&Message::Open(Open::new(asn, hold_time, id, caps)));
    }

    /// The daemon's OPEN; from then on, messages use the 4-octet AS encoding.
    pub fn recv_open(&mut self) -> Open {
        let theirs = match self.recv(Duration::from_secs(5)) {
            Received::Message(Message::Open(o)) => o,
            other => panic!("expected the daemon's OPEN, got {other:?}"),
        };
        self.ctx = CodecContext {
            four_octet_as: true,
            ..CodecContext::default()
        };
        theirs
    }

    pub fn recv_keepalive(&mut self) {
        match self.recv(Duration::from_secs(5)) {
            Received::Message(Message::Keepalive) => {}
            other => panic!("expected the daemon's KEEPALIVE, got {other:?}"),
        }
    }

    pub fn context(&self) -> &CodecContext {
        &self.ctx
    }

    pub fn send(&mut self, m: &Message) {
        let bytes = m.to_bytes(&self.ctx).expect("encode");
        self.send_raw(&bytes);
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to the daemon");
    }

    /// The next message, or why there is none.
    pub fn recv(&mut self, timeout: Duration) -> Received {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(len)) = bagpipe_wire::message::frame_length(&self.buf, &self.ctx) {
                if self.buf.len() >= len {
                    let d = Message::decode(&self.buf[..len], &self.ctx)
                        .unwrap_or_else(|e| panic!("the daemon sent a malformed message: {e}"));
                    self.buf.drain(..len);
                    return Received::Message(d.message);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Received::Timeout;
            }
            self.stream
                .set_read_timeout(Some(left))
                .expect("read timeout");
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Received::Closed,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Received::Timeout
                }
                Err(_) => return Received::Closed,
            }
        }
    }

    /// Reads (and answers nothing) until `pick` accepts a message; None when the connection
    /// closes or `timeout` passes first.
    pub fn recv_until<T>(
        &mut self,
        timeout: Duration,
        mut pick: impl FnMut(&Message) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left) {
                Received::Message(m) => {
                    if let Some(v) = pick(&m) {
                        return Some(v);
                    }
                }
                Received::Closed | Received::Timeout => return None,
            }
        }
    }
}
