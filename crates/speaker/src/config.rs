//! What the speaker needs to know about one peer.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bagpipe_wire::Family;

use crate::backoff::BackoffConfig;

/// Graceful restart as the restarting speaker (RFC 4724 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GracefulRestartConfig {
    /// Seconds the peer should keep our routes when our session drops.
    pub restart_time: u16,
    /// Families whose forwarding state our dataplane keeps across a restart (the F bit).
    pub forwarding_preserved: Vec<Family>,
    /// Set when this process has just restarted with its forwarding state preserved: the R
    /// bit, in the OPENs sent until the first session with the peer is established.
    pub restarting: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    /// Remote address; also the peer's identity for incoming connections.
    pub address: IpAddr,
    /// Remote TCP port to connect to.
    pub port: u16,
    /// Source address for outgoing connections.
    pub local_address: Option<IpAddr>,
    pub local_asn: u32,
    /// The peer's AS; `None` means our own (iBGP).
    pub remote_asn: Option<u32>,
    pub router_id: Ipv4Addr,
    /// Proposed hold time in seconds (RFC 4271 §10 suggests 90).
    pub hold_time: u16,
    /// Never connect out; wait for the peer.
    pub passive: bool,
    /// RFC 2385 TCP MD5 signature key.
    pub md5_password: Option<String>,
    pub families: Vec<Family>,
    /// Families for which we accept add-path identifiers (RFC 7911 receive).
    pub add_path_receive: Vec<Family>,
    pub graceful_restart: Option<GracefulRestartConfig>,
    pub connect_retry: BackoffConfig,
    /// Ask for RFC 8654 extended messages.
    pub extended_message: bool,
    /// After UPDATEs go out, how long the peer's task leaves the outbox alone. Route changes
    /// often come one after the other (an agent attaching ports, one request each); sent one
    /// by one, each would cost a wake-up of the BGP thread and a write that wakes the peer.
    /// Held, a burst goes out in a few UPDATEs that carry many routes each, and the engine's
    /// pushes meanwhile wake nobody; a change after a quiet spell still goes out at once.
    /// RFC 4271's MinRouteAdvertisementInterval serves the same end over seconds.
    pub update_hold: Duration,
}

/// [`PeerConfig::update_hold`] unless told otherwise: far below what a peer would notice.
pub const DEFAULT_UPDATE_HOLD: Duration = Duration::from_millis(1);

impl PeerConfig {
    /// A minimal iBGP peer with the usual defaults.
    pub fn ibgp(
        address: IpAddr,
        local_asn: u32,
        router_id: Ipv4Addr,
        families: Vec<Family>,
    ) -> Self {
        PeerConfig {
            address,
            port: 179,
            local_address: None,
            local_asn,
            remote_asn: None,
            router_id,
            hold_time: 90,
            passive: false,
            md5_password: None,
            families,
            add_path_receive: Vec::new(),
            graceful_restart: None,
            connect_retry: BackoffConfig::default(),
            extended_message: true,
            update_hold: DEFAULT_UPDATE_HOLD,
        }
    }

    pub fn remote_asn(&self) -> u32 {
        self.remote_asn.unwrap_or(self.local_asn)
    }
}
