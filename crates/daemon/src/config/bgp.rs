//! `[BGP]` and the per-peer sections.
//!
//! The original's options (`local_address`, `peers`, `my_as`, `enable_rtc`, `bgp_port`) keep
//! their meaning. New options (the original only connected out, to iBGP peers, with fixed
//! timers) are all optional, and their defaults behave as the original did:
//!
//! ```ini
//! [BGP]
//! local_address = eth0              ; an address, or an interface (its first IPv4 address)
//! peers = 192.0.2.1, 192.0.2.2      ; each peer with the settings below by default
//! my_as = 64512                     ; 1-4294967295 (the original took 2-byte AS numbers only)
//! enable_rtc = True
//! bgp_port = 179                    ; port of the peers we connect to
//! listen_address = 192.0.2.10       ; accept BGP connections here (default: none, unless
//! listen_port = 179                 ;   a peer is passive: then on local_address)
//! passive = False                   ; default for peers: wait for them to connect
//! hold_time = 180
//! route_reflector = False           ; reflect routes between iBGP peers (RFC 4456)
//! cluster_id = 192.0.2.10           ; default: the router ID (local_address)
//! graceful_restart_time = 0         ; seconds; 0 disables graceful restart
//! connect_retry_initial = 1         ; seconds before reconnecting, doubled (with jitter) after
//! connect_retry_max = 8             ;   each failure up to this (the original: 5, then 20)
//!
//! [BGP_PEER 192.0.2.2]              ; settings of one peer; the peer need not be in `peers`
//! remote_as = 65001                 ; default: my_as (iBGP, as the original)
//! port = 1179                       ; default: bgp_port
//! passive = True
//! local_address = 192.0.2.11        ; default: [BGP] local_address
//! md5_password = secret             ; TCP MD5 signature (RFC 2385)
//! families = ipv4/mpls-vpn, l2vpn/evpn, ipv4/rtc
//! route_reflector_client = True     ; needs [BGP] route_reflector = True
//! max_prefixes = 100000             ; 0: no limit
//! max_prefixes_restart = 300        ; seconds before a session closed for too many prefixes
//!                                   ;   is started again; 0: it stays down until a restart
//! hold_time = 90
//! ```

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bagpipe_wire::Family;

use super::error::{ConfigError, ConfigWarning};
use super::ini::Section;
use super::options::{boolean, integer, list, Options};
use super::resolve::{host_address, interface_address, AddressResolver};

/// The section-name prefix of per-peer sections: `[BGP_PEER <address>]`.
pub const PEER_SECTION_PREFIX: &str = "BGP_PEER ";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BgpConfig {
    pub local_address: IpAddr,
    pub my_as: u32,
    pub enable_rtc: bool,
    /// TCP port of the peers we connect to.
    pub bgp_port: u16,
    /// Every peer: those of `peers`, then those only named by a `[BGP_PEER ...]` section.
    pub peers: Vec<PeerConfig>,
    pub listen_address: Option<IpAddr>,
    pub listen_port: u16,
    pub hold_time: u16,
    pub route_reflector: bool,
    pub cluster_id: Option<Ipv4Addr>,
    /// `None`: graceful restart disabled.
    pub graceful_restart_time: Option<u16>,
    pub connect_retry: ConnectRetry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    pub address: IpAddr,
    pub remote_as: u32,
    /// TCP port to connect to.
    pub port: u16,
    /// Do not connect: wait for the peer to connect to us.
    pub passive: bool,
    pub local_address: IpAddr,
    pub md5_password: Option<String>,
    pub families: Vec<Family>,
    pub route_reflector_client: bool,
    /// Prefixes received from this peer beyond which the session is closed.
    pub max_prefixes: Option<u32>,
    /// How long a session closed for too many prefixes stays down; `None`: until the daemon
    /// restarts.
    pub max_prefixes_restart: Option<Duration>,
    pub hold_time: u16,
}

/// Back-off between attempts to connect to a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectRetry {
    pub initial: Duration,
    pub max: Duration,
}

impl BgpConfig {
    /// Where to accept BGP connections: `listen_address`, else the local address (the
    /// original never listened; we do, so that peers may connect to us).
    pub fn listen_socket(&self) -> std::net::SocketAddr {
        (
            self.listen_address.unwrap_or(self.local_address),
            self.listen_port,
        )
            .into()
    }

    /// The BGP identifier: the local address when it is IPv4 (as the original), else the
    /// cluster ID.
    pub fn router_id(&self) -> Option<Ipv4Addr> {
        match self.local_address {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => self.cluster_id,
        }
    }
}

/// The families a peer is offered when the configuration names none: the original's.
pub fn default_families(enable_rtc: bool) -> Vec<Family> {
    let mut families = vec![Family::VPNV4, Family::EVPN, Family::VPN_FLOWSPEC4];
    if enable_rtc {
        families.push(Family::RTC);
    }
    families
}

/// The families this daemon can carry.
const SUPPORTED_FAMILIES: [Family; 6] = [
    Family::VPNV4,
    Family::VPNV6,
    Family::EVPN,
    Family::RTC,
    Family::VPN_FLOWSPEC4,
    Family::VPN_FLOWSPEC6,
];

const HOLD_TIME_RANGE: std::ops::RangeInclusive<u16> = 0..=u16::MAX;

fn hold_time(s: &str) -> Result<u16, String> {
    match integer(HOLD_TIME_RANGE)(s)? {
        1 | 2 => Err("the hold time must be 0 or at least 3 seconds (RFC 4271)".to_owned()),
        t => Ok(t),
    }
}

fn families(enable_rtc: bool) -> impl FnOnce(&str) -> Result<Vec<Family>, String> {
    move |s| {
        let mut out = Vec::new();
        for name in list(s)? {
            let family: Family = name.parse().map_err(|e| format!("{e}"))?;
            if !SUPPORTED_FAMILIES.contains(&family) {
                return Err(format!("family {family} is not supported"));
            }
            if family == Family::RTC && !enable_rtc {
                return Err("ipv4/rtc needs [BGP] enable_rtc = True".to_owned());
            }
            if !out.contains(&family) {
                out.push(family);
            }
        }
        Ok(out)
    }
}

fn seconds(s: &str) -> Result<Duration, String> {
    integer(1..=3600u64)(s).map(Duration::from_secs)
}

pub(crate) fn read(
    sections: &[Section],
    resolver: &dyn AddressResolver,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<BgpConfig, ConfigError> {
    let section = sections.iter().find(|s| s.name.eq_ignore_ascii_case("BGP"));
    let mut o = Options::new("BGP", section);
    let local_address = o.required("local_address", interface_address(resolver))?;
    let my_as = o.required("my_as", integer(1..=u32::MAX))?;
    let enable_rtc = o.or("enable_rtc", true, boolean)?;
    let bgp_port = o.or("bgp_port", 179, integer(0..=u16::MAX))?;
    let peer_addresses = o.or("peers", Vec::new(), |s| {
        list(s)?.iter().map(|p| host_address(resolver)(p)).collect()
    })?;
    let defaults = PeerDefaults {
        remote_as: my_as,
        port: bgp_port,
        passive: o.or("passive", false, boolean)?,
        local_address,
        families: default_families(enable_rtc),
        hold_time: o.or("hold_time", 180, hold_time)?,
        enable_rtc,
    };
    let route_reflector = o.or("route_reflector", false, boolean)?;
    let connect_retry = ConnectRetry {
        initial: o.or("connect_retry_initial", Duration::from_secs(1), seconds)?,
        max: o.or("connect_retry_max", Duration::from_secs(8), seconds)?,
    };
    if connect_retry.max < connect_retry.initial {
        return Err(o.error(
            "connect_retry_max",
            "must not be below connect_retry_initial",
        ));
    }
    let mut config = BgpConfig {
        listen_address: o.optional("listen_address", |s| {
            s.parse::<IpAddr>()
                .map_err(|_| "expected an IP address".to_owned())
        })?,
        listen_port: o.or("listen_port", bgp_port, integer(0..=u16::MAX))?,
        hold_time: defaults.hold_time,
        route_reflector,
        cluster_id: o.optional("cluster_id", |s| {
            s.parse::<Ipv4Addr>()
                .map_err(|_| "expected an IPv4 address".to_owned())
        })?,
        // 4095: the largest restart time the capability can carry (12 bits).
        graceful_restart_time: Some(o.or("graceful_restart_time", 0, integer(0..=4095u16))?)
            .filter(|t| *t != 0),
        connect_retry,
        peers: Vec::new(),
        local_address,
        my_as,
        enable_rtc,
        bgp_port,
    };
    warnings.extend(o.finish());
    config.peers = peers(
        sections,
        &peer_addresses,
        &defaults,
        route_reflector,
        resolver,
        warnings,
    )?;
    if config.router_id().is_none() {
        return Err(ConfigError::invalid(
            "BGP",
            "cluster_id",
            "an IPv6 local_address needs an IPv4 cluster_id to serve as BGP identifier",
        ));
    }
    Ok(config)
}

/// What a peer gets from `[BGP]` unless its section says otherwise.
struct PeerDefaults {
    remote_as: u32,
    port: u16,
    passive: bool,
    local_address: IpAddr,
    families: Vec<Family>,
    hold_time: u16,
    enable_rtc: bool,
}

fn peers(
    sections: &[Section],
    listed: &[IpAddr],
    defaults: &PeerDefaults,
    route_reflector: bool,
    resolver: &dyn AddressResolver,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Vec<PeerConfig>, ConfigError> {
    let mut addresses: Vec<IpAddr> = Vec::new();
    for addr in listed {
        if !addresses.contains(addr) {
            addresses.push(*addr);
        }
    }
    // Each per-peer section, with the address it names.
    let mut peer_sections: Vec<(IpAddr, &Section)> = Vec::new();
    for section in sections {
        let Some(name) = peer_section_address(&section.name) else {
            continue;
        };
        let addr = host_address(resolver)(name)
            .map_err(|reason| ConfigError::invalid(&section.name, "(section name)", reason))?;
        if peer_sections.iter().any(|(a, _)| *a == addr) {
            return Err(ConfigError::invalid(
                &section.name,
                "(section name)",
                format!("a second section for peer {addr}"),
            ));
        }
        if !addresses.contains(&addr) {
            addresses.push(addr);
        }
        peer_sections.push((addr, section));
    }
    addresses
        .into_iter()
        .map(|address| {
            let section = peer_sections
                .iter()
                .find(|(a, _)| *a == address)
                .map(|(_, s)| *s);
            let name = section.map_or_else(
                || format!("{PEER_SECTION_PREFIX}{address}"),
                |s| s.name.clone(),
            );
            let mut o = Options::new(name, section);
            let peer = peer(&mut o, address, defaults, route_reflector, resolver)?;
            warnings.extend(o.finish());
            Ok(peer)
        })
        .collect()
}

fn peer(
    o: &mut Options,
    address: IpAddr,
    d: &PeerDefaults,
    route_reflector: bool,
    resolver: &dyn AddressResolver,
) -> Result<PeerConfig, ConfigError> {
    let route_reflector_client = o.or("route_reflector_client", false, boolean)?;
    if route_reflector_client && !route_reflector {
        return Err(o.error(
            "route_reflector_client",
            "needs [BGP] route_reflector = True",
        ));
    }
    Ok(PeerConfig {
        address,
        remote_as: o.or("remote_as", d.remote_as, integer(1..=u32::MAX))?,
        port: o.or("port", d.port, integer(0..=u16::MAX))?,
        passive: o.or("passive", d.passive, boolean)?,
        local_address: o.or(
            "local_address",
            d.local_address,
            interface_address(resolver),
        )?,
        md5_password: o.optional("md5_password", |s| Ok(s.to_owned()))?,
        families: o.or("families", d.families.clone(), families(d.enable_rtc))?,
        route_reflector_client,
        max_prefixes: o
            .optional("max_prefixes", integer(0..=u32::MAX))?
            .filter(|n| *n != 0),
        max_prefixes_restart: o
            .optional("max_prefixes_restart", integer(0..=86_400u64))?
            .filter(|s| *s != 0)
            .map(Duration::from_secs),
        hold_time: o.or("hold_time", d.hold_time, hold_time)?,
    })
}

/// The peer a `[BGP_PEER <address>]` section name designates, `None` for other sections.
pub(crate) fn peer_section_address(section_name: &str) -> Option<&str> {
    let head = section_name.get(..PEER_SECTION_PREFIX.len())?;
    head.eq_ignore_ascii_case(PEER_SECTION_PREFIX)
        .then(|| section_name[PEER_SECTION_PREFIX.len()..].trim())
}
