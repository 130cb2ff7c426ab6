//! The passive side: listens for BGP connections and hands each one to the task of the peer
//! whose address it comes from. Connections from unknown addresses are closed at once.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tracing::{info, warn};

/// Tells the listener about a peer (or, with `None`, that it is gone).
pub struct Registration {
    pub peer: IpAddr,
    pub inbound: Option<mpsc::Sender<TcpStream>>,
    pub md5_password: Option<String>,
}

pub struct ListenerHandle {
    registrations: mpsc::Sender<Registration>,
    pub local_addrs: Vec<SocketAddr>,
}

impl ListenerHandle {
    pub async fn register(&self, r: Registration) {
        let _ = self.registrations.send(r).await;
    }
}

/// Binds every address (IPv4 and IPv6 alike) and starts accepting.
pub fn spawn_listener(addrs: &[SocketAddr]) -> std::io::Result<ListenerHandle> {
    let mut listeners = Vec::new();
    for addr in addrs {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.bind(*addr)?;
        listeners.push(socket.listen(128)?);
    }
    let local_addrs = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect::<Vec<_>>();
    let (tx, rx) = mpsc::channel(64);
    for a in &local_addrs {
        info!(address = %a, "listening for BGP connections");
    }
    tokio::spawn(accept_loop(listeners, rx));
    Ok(ListenerHandle {
        registrations: tx,
        local_addrs,
    })
}

async fn accept_loop(listeners: Vec<TcpListener>, mut registrations: mpsc::Receiver<Registration>) {
    let (conn_tx, mut conn_rx) = mpsc::channel::<(TcpStream, SocketAddr)>(64);
    let listeners: Vec<std::sync::Arc<TcpListener>> =
        listeners.into_iter().map(std::sync::Arc::new).collect();
    for l in &listeners {
        let l = std::sync::Arc::clone(l);
        let tx = conn_tx.clone();
        tokio::spawn(async move {
            loop {
                match l.accept().await {
                    Ok(c) => {
                        if tx.send(c).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
        });
    }
    let mut peers: HashMap<IpAddr, mpsc::Sender<TcpStream>> = HashMap::new();
    // The listener outlives its handle: once nobody can register peers any more, it keeps
    // serving the ones it knows.
    let mut registering = true;
    loop {
        tokio::select! {
            r = registrations.recv(), if registering => {
                let Some(r) = r else {
                    registering = false;
                    continue;
                };
                for l in &listeners {
                    let same_family = l.local_addr().is_ok_and(|a| a.is_ipv4() == r.peer.is_ipv4());
                    if same_family && (r.md5_password.is_some() || r.inbound.is_none()) {
                        if let Err(e) = crate::md5::set_md5_key(l.as_ref(), r.peer, r.md5_password.as_deref()) {
                            warn!(peer = %r.peer, error = %e, "could not set the TCP MD5 key on the listening socket");
                        }
                    }
                }
                match r.inbound {
                    Some(tx) => { peers.insert(r.peer, tx); }
                    None => { peers.remove(&r.peer); }
                }
            }
            Some((stream, from)) = conn_rx.recv() => {
                let peer = canonical(from.ip());
                match peers.get(&peer) {
                    Some(tx) => { let _ = tx.send(stream).await; }
                    None => info!(from = %from, "BGP connection from an unconfigured address, closed"),
                }
            }
        }
    }
}

/// IPv4 peers reaching an IPv6 socket appear as IPv4-mapped addresses.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}
