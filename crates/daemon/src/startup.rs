//! Builds a running daemon from its configuration: dataplane drivers, route table, VPN
//! manager, BGP listener and peers, the engine task and the REST API.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::{bail, Context};
use bagpipe_dataplane::{
    check_linux_config, spawn_driver, watch_learned_macs, DriverHandle, DummyDriver, Encapsulation,
    EvpnInstanceState, InstanceState, IpVpnEncapsulation, LinuxDriverConfig, LinuxEvpnDriver,
    LinuxIpVpnDriver, VrfState,
};
use bagpipe_rib::{Peer, RouteTable, TableConfig};
use bagpipe_speaker::backoff::BackoffConfig;
use bagpipe_speaker::listener::{spawn_listener, Registration};
use bagpipe_speaker::{
    spawn_peer, GracefulRestartConfig, PeerConfig as SessionConfig, DEFAULT_UPDATE_HOLD,
};
use bagpipe_vpn::{VpnConfig, VpnManager};
use bagpipe_wire::Family;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::api::{bind, serve, ApiState};
use crate::bgp_thread::BgpThread;
use crate::config::{Config, EvpnDriver, IpvpnDriver};
use crate::engine::restart::Replay;
use crate::engine::{Engine, EnginePeer};
use crate::looking_glass::LogRing;

/// A started daemon: where it listens, and how to stop it.
pub struct Daemon {
    pub api_addr: SocketAddr,
    pub bgp_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    engine: JoinHandle<()>,
    api: JoinHandle<()>,
    bgp: BgpThread,
}

impl Daemon {
    /// Closes the API, then the BGP sessions — with a Cease NOTIFICATION, or, restarting
    /// gracefully (`graceful_restart_time` and a Linux dataplane), without one so that the
    /// peers keep our routes (see `engine::restart`); the dataplane is left as it is, for the
    /// next start to adopt.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.api.await;
        let _ = self.engine.await;
        self.bgp.stop().await;
    }
}

/// A driver task, and how many entries of a previous run it adopted.
type Driver<S> = (DriverHandle<S>, usize);

/// Learnt MACs waiting for the engine: a burst (a bridge's table read at start) waits here
/// rather than in the kernel's socket buffer, whose overflow would lose events.
const LEARNED_MACS_QUEUE: usize = 4096;

async fn evpn_driver(config: &Config, local: IpAddr) -> anyhow::Result<Driver<EvpnInstanceState>> {
    Ok(match config.evpn.driver {
        EvpnDriver::Dummy => (spawn_driver(DummyDriver::<EvpnInstanceState>::new()), 0),
        EvpnDriver::Linux => {
            let cfg = LinuxDriverConfig {
                local_address: local,
                vxlan_dst_port: config.evpn.vxlan_dst_port,
            };
            check_linux_config(&cfg, None).context("[DATAPLANE_DRIVER_EVPN]")?;
            let handle = spawn_driver(
                LinuxEvpnDriver::new(cfg).context("[DATAPLANE_DRIVER_EVPN] linux driver")?,
            );
            let adopted = adopt(&handle, "E-VPN").await;
            (handle, adopted)
        }
        EvpnDriver::Ovs => bail!(
            "[DATAPLANE_DRIVER_EVPN] dataplane_driver = ovs is not implemented; use linux or dummy"
        ),
    })
}

async fn ipvpn_driver(config: &Config, local: IpAddr) -> anyhow::Result<Driver<VrfState>> {
    Ok(match config.ipvpn.driver {
        IpvpnDriver::Dummy => (spawn_driver(DummyDriver::<VrfState>::new()), 0),
        IpvpnDriver::Linux => {
            let cfg = LinuxDriverConfig { local_address: local, vxlan_dst_port: config.evpn.vxlan_dst_port };
            check_linux_config(&cfg, Some(IpVpnEncapsulation::Vxlan)).context("[DATAPLANE_DRIVER_IPVPN]")?;
            let handle = spawn_driver(LinuxIpVpnDriver::new(cfg).context("[DATAPLANE_DRIVER_IPVPN] linux driver")?);
            let adopted = adopt(&handle, "IP VPN").await;
            (handle, adopted)
        }
        IpvpnDriver::Ovs => bail!("[DATAPLANE_DRIVER_IPVPN] dataplane_driver = ovs is not implemented; use linux or dummy"),
    })
}

/// After a restart, the driver takes over the kernel entries of the previous run instead of
/// flushing them: traffic keeps flowing while routes are learned again. Returns how many
/// entries it adopted.
async fn adopt<S: InstanceState>(handle: &DriverHandle<S>, what: &str) -> usize {
    match handle.resync().await {
        Ok(Ok(adopted)) => adopted,
        Ok(Err(e)) => {
            warn!(error = %e, "{what} dataplane: could not read the kernel state");
            0
        }
        Err(_) => {
            warn!("{what} dataplane driver task is gone");
            0
        }
    }
}

/// Starts everything; returns once the API and the BGP listener are bound.
pub async fn start(config: Config, logs: LogRing) -> anyhow::Result<Daemon> {
    let bgp = &config.bgp;
    let router_id = bgp
        .router_id()
        .context("[BGP] local_address is IPv6: set cluster_id to give a BGP identifier")?;
    let evpn_local = config
        .evpn
        .dataplane_local_address
        .unwrap_or(bgp.local_address);
    let ipvpn_local = config
        .ipvpn
        .dataplane_local_address
        .unwrap_or(bgp.local_address);
    let (evpn, evpn_adopted) = evpn_driver(&config, evpn_local).await?;
    let (ipvpn, ipvpn_adopted) = ipvpn_driver(&config, ipvpn_local).await?;
    let linux_dataplane =
        config.evpn.driver == EvpnDriver::Linux || config.ipvpn.driver == IpvpnDriver::Linux;
    // The dataplane of a previous run was adopted: this start is a restart (engine::restart).
    let restarted = evpn_adopted + ipvpn_adopted > 0;
    if restarted {
        info!(
            evpn = evpn_adopted,
            ipvpn = ipvpn_adopted,
            "dataplane entries of a previous run adopted: replaying until the agents have re-sent their attachments"
        );
    }

    let rib = RouteTable::new(TableConfig {
        local_asn: bgp.my_as,
        router_id,
        cluster_id: bgp
            .route_reflector
            .then(|| bgp.cluster_id.unwrap_or(router_id)),
        next_hop: bgp.local_address,
    });
    let encap = if config.ipvpn.driver == IpvpnDriver::Linux || config.ipvpn.vxlan_encap {
        Encapsulation::Vxlan
    } else {
        Encapsulation::Mpls
    };
    let rd_admin = match ipvpn_local {
        IpAddr::V4(a) => a,
        IpAddr::V6(_) => router_id,
    };
    let vpn = VpnManager::new(VpnConfig {
        local_address: evpn_local,
        rd_admin,
        ipvpn_encapsulation: encap,
    });

    let bgp_thread = BgpThread::start().context("starting the BGP thread")?;
    let listen = bgp.listen_socket();
    let listener = match bgp_thread.enter(|| spawn_listener(&[listen])) {
        Ok(l) => Some(l),
        Err(e) if bgp.listen_address.is_some() || bgp.peers.iter().any(|p| p.passive) => {
            bail!("[BGP] cannot listen for BGP connections on {listen}: {e}")
        }
        Err(e) => {
            warn!(address = %listen, error = %e, "not listening for BGP connections (peers can still be reached)");
            None
        }
    };
    let bgp_addr = listener
        .as_ref()
        .and_then(|l| l.local_addrs.first().copied());

    // Each queued event can be a decoded UPDATE of hundreds of routes: a short queue is
    // enough to keep the engine busy, and what a long one held while a table filled stayed in
    // the heap afterwards (a third of the memory per route).
    let (peer_tx, peer_rx) = mpsc::channel(64);
    let config = Arc::new(config);
    let (api_tx, api_rx) = mpsc::channel(1024);
    let mut engine = Engine::new(rib, vpn, evpn, ipvpn, Arc::clone(&config), logs);
    for pc in &config.bgp.peers {
        let id = engine.rib.add_peer(Peer::new(
            pc.address,
            pc.remote_as,
            router_id,
            pc.route_reflector_client,
        ));
        let session = SessionConfig {
            address: pc.address,
            port: pc.port,
            local_address: Some(pc.local_address),
            local_asn: config.bgp.my_as,
            remote_asn: Some(pc.remote_as),
            router_id,
            hold_time: pc.hold_time,
            passive: pc.passive,
            md5_password: pc.md5_password.clone(),
            families: pc.families.clone(),
            // We keep every path a peer sends (RFC 7911): a reflector that sends several
            // paths per route lets our VRFs use them all (ECMP).
            add_path_receive: pc
                .families
                .iter()
                .copied()
                .filter(|f| *f != Family::RTC)
                .collect(),
            graceful_restart: config
                .bgp
                .graceful_restart_time
                .map(|t| GracefulRestartConfig {
                    restart_time: t,
                    forwarding_preserved: if linux_dataplane {
                        pc.families.clone()
                    } else {
                        Vec::new()
                    },
                    restarting: restarted,
                }),
            connect_retry: BackoffConfig {
                initial: config.bgp.connect_retry.initial,
                max: config.bgp.connect_retry.max,
            },
            extended_message: true,
            update_hold: DEFAULT_UPDATE_HOLD,
        };
        let handle = bgp_thread.enter(|| spawn_peer(id, session, peer_tx.clone()));
        if let Some(l) = &listener {
            l.register(Registration {
                peer: pc.address,
                inbound: Some(handle.inbound()),
                md5_password: pc.md5_password.clone(),
            })
            .await;
        }
        engine.peers.insert(
            id,
            EnginePeer {
                handle,
                max_prefixes: pc.max_prefixes,
                max_prefixes_restart: pc.max_prefixes_restart,
            },
        );
    }
    drop(peer_tx);
    let graceful_restart = config.bgp.graceful_restart_time;
    engine.graceful_stop = graceful_restart.is_some() && linux_dataplane;
    engine.replay = restarted.then(|| {
        Replay::new(
            tokio::time::Instant::now(),
            config.bgp.peers.len(),
            graceful_restart,
        )
    });

    let api_listener = bind(config.api.socket(), config.api.listen_backlog)
        .with_context(|| format!("[API] cannot listen on {}", config.api.socket()))?;
    let api_addr = api_listener.local_addr()?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let learned = if config.evpn.learn_local_macs {
        Some(
            watch_learned_macs(LEARNED_MACS_QUEUE)
                .context("[DATAPLANE_DRIVER_EVPN] learn_local_macs")?,
        )
    } else {
        None
    };
    let engine = tokio::spawn(engine.run(peer_rx, api_rx, learned, shutdown_rx.clone()));
    let state = ApiState::new(api_tx, api_addr);
    let mut api_shutdown = shutdown_rx;
    let api = tokio::spawn(serve(api_listener, state, async move {
        let _ = api_shutdown.changed().await;
    }));
    info!(api = %api_addr, bgp = ?bgp_addr, peers = config.bgp.peers.len(), "bagpipe-bgp started");
    Ok(Daemon {
        api_addr,
        bgp_addr,
        shutdown: shutdown_tx,
        engine,
        api,
        bgp: bgp_thread,
    })
}
