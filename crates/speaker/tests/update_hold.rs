//! The hold after a write ([`PeerConfig::update_hold`]), against a peer scripted over a real
//! loopback TCP connection: a route queued after a quiet spell goes out at once; routes queued
//! one after the other while the task holds go out together, in one UPDATE, when the hold is
//! over.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bagpipe_speaker::{spawn_peer, OutItem, PeerConfig, PeerHandle};
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::message::{frame_length, Capability, Message, Open};
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::{CodecContext, Family};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 10, 1);
const LOCAL: Ipv4Addr = Ipv4Addr::new(127, 0, 10, 2);
const PORT: u16 = 18000;
const ASN: u32 = 64512;
/// Long enough that what the test measures cannot be scheduling noise.
const HOLD: Duration = Duration::from_secs(1);
/// How soon a route that is not held must reach the peer.
const PROMPT: Duration = Duration::from_millis(500);

/// The scripted peer's end of the session.
struct Scripted {
    stream: TcpStream,
    buf: Vec<u8>,
    ctx: CodecContext,
}

impl Scripted {
    async fn recv(&mut self) -> Message {
        loop {
            if let Some(len) = frame_length(&self.buf, &self.ctx).expect("framing") {
                if self.buf.len() >= len {
                    let m = Message::decode(&self.buf[..len], &self.ctx).expect("decodes");
                    self.buf.drain(..len);
                    return m.message;
                }
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk))
                .await
                .expect("a message within 10 s")
                .expect("read");
            assert!(n > 0, "the speaker closed the session");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn send(&mut self, m: Message) {
        let bytes = m.to_bytes(&self.ctx).expect("encode");
        self.stream.write_all(&bytes).await.expect("write");
    }

    /// The prefixes of the next UPDATE (keepalives skipped).
    async fn next_update(&mut self) -> Vec<String> {
        loop {
            if let Message::Update(u) = self.recv().await {
                return u.announced().map(|(_, _, n)| n.nlri.to_string()).collect();
            }
        }
    }
}

/// Our speaker connected to the scripted peer, the session established.
async fn established() -> (PeerHandle<u32>, Scripted) {
    let listener = TcpListener::bind(SocketAddr::new(PEER.into(), PORT))
        .await
        .expect("bind");
    let mut config = PeerConfig::ibgp(PEER.into(), ASN, LOCAL, vec![Family::IPV4_UNICAST]);
    config.port = PORT;
    config.local_address = Some(IpAddr::V4(LOCAL));
    config.update_hold = HOLD;
    let (events, mut engine) = mpsc::channel(64);
    // The engine's side: nothing to do with the events here but take them.
    tokio::spawn(async move { while engine.recv().await.is_some() {} });
    let handle = spawn_peer(1, config, events);
    let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the speaker connects")
        .expect("accept");
    let mut peer = Scripted {
        stream,
        buf: Vec::new(),
        ctx: CodecContext::default(),
    };
    assert!(matches!(peer.recv().await, Message::Open(_)));
    let caps = vec![
        Capability::Multiprotocol {
            family: Family::IPV4_UNICAST,
        },
        Capability::FourOctetAs { asn: ASN },
    ];
    peer.send(Message::Open(Open::new(ASN, 90, PEER, caps)))
        .await;
    peer.ctx.four_octet_as = true;
    peer.send(Message::Keepalive).await;
    assert!(matches!(peer.recv().await, Message::Keepalive));
    (handle, peer)
}

/// The attributes of every route here, shared as the route table shares (interns) equal
/// attribute sets: routes with the same set can go in one UPDATE.
fn attributes() -> Arc<AttributeSet> {
    Arc::new(AttributeSet::new(
        Some(LOCAL.into()),
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
        ],
    ))
}

fn announce(handle: &PeerHandle<u32>, attrs: &Arc<AttributeSet>, key: u32) {
    let nlri = Nlri::Unicast {
        prefix: format!("10.0.{key}.0/24").parse().unwrap(),
    };
    handle.outbox.push([(
        Some(key),
        OutItem::Announce {
            family: Family::IPV4_UNICAST,
            nlri: nlri.into(),
            attrs: Arc::clone(attrs),
        },
    )]);
}

#[tokio::test]
async fn routes_queued_during_the_hold_go_out_together_and_a_lone_one_at_once() {
    let (handle, mut peer) = established().await;
    let attrs = attributes();

    // Nothing was written before: no hold, the route goes at once.
    let queued = Instant::now();
    announce(&handle, &attrs, 1);
    assert_eq!(peer.next_update().await, ["10.0.1.0/24"]);
    let first = Instant::now();
    assert!(first - queued < PROMPT, "held {:?}", first - queued);

    // Three more, one after the other, each while the task holds after the first write.
    for key in 2..=4 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        announce(&handle, &attrs, key);
    }
    let batch = peer.next_update().await;
    let waited = first.elapsed();
    assert_eq!(batch, ["10.0.2.0/24", "10.0.3.0/24", "10.0.4.0/24"]);
    assert!(
        waited >= HOLD - Duration::from_millis(100),
        "sent {waited:?} after the previous UPDATE, within the hold"
    );

    // A quiet spell longer than the hold: the next route goes at once again.
    tokio::time::sleep(HOLD + Duration::from_millis(200)).await;
    let queued = Instant::now();
    announce(&handle, &attrs, 5);
    assert_eq!(peer.next_update().await, ["10.0.5.0/24"]);
    assert!(queued.elapsed() < PROMPT, "held {:?}", queued.elapsed());
}
