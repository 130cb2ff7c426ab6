//! The daemon configuration: the original's INI file (`/etc/bagpipe-bgp/bgp.conf`) read as
//! is, with its sections, option names and defaults, plus new options that only add
//! (see [`bgp`] for the BGP ones, [`api::ApiConfig::listen_backlog`]).
//!
//! Unknown sections and options are returned as warnings for the caller to log (the
//! original ignored them silently); invalid values are refused with the section, the option
//! and the reason.

mod api;
mod bgp;
mod common;
mod dataplane;
mod error;
mod ini;
mod options;
#[cfg(test)]
mod properties;
mod resolve;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

pub use api::{ApiConfig, DEFAULT_API_PORT};
pub use bgp::{default_families, BgpConfig, ConnectRetry, PeerConfig, PEER_SECTION_PREFIX};
pub use common::{CommonConfig, LoggingConfig};
pub use dataplane::{
    EvpnDataplaneConfig, EvpnDriver, HashMethod, IpvpnDataplaneConfig, IpvpnDriver, MplsOverGre,
};
pub use error::{ConfigError, ConfigWarning};
pub use resolve::{AddressResolver, SystemResolver};

/// Where the original looked for its configuration, and so do we.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/bagpipe-bgp/bgp.conf";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub bgp: BgpConfig,
    pub api: ApiConfig,
    pub common: CommonConfig,
    pub ipvpn: IpvpnDataplaneConfig,
    pub evpn: EvpnDataplaneConfig,
    pub logging: LoggingConfig,
}

/// A configuration read from a file, and what in the file was ignored.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<ConfigWarning>,
}

/// The sections a file may have besides the per-peer ones.
const KNOWN_SECTIONS: [&str; 6] = [
    "DEFAULT",
    "BGP",
    "API",
    "COMMON",
    "DATAPLANE_DRIVER_IPVPN",
    "DATAPLANE_DRIVER_EVPN",
];

impl Config {
    /// The configuration used when no file is given: a lone node on the loopback, no
    /// peer, dummy dataplanes, the API on 127.0.0.1:8082.
    pub fn builtin() -> Self {
        Config {
            bgp: BgpConfig {
                local_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
                my_as: 64512,
                enable_rtc: true,
                bgp_port: 179,
                peers: Vec::new(),
                listen_address: None,
                listen_port: 179,
                hold_time: 180,
                route_reflector: false,
                cluster_id: None,
                graceful_restart_time: None,
                connect_retry: ConnectRetry {
                    initial: std::time::Duration::from_secs(1),
                    max: std::time::Duration::from_secs(8),
                },
            },
            api: ApiConfig::default(),
            common: CommonConfig::default(),
            ipvpn: IpvpnDataplaneConfig::default(),
            evpn: EvpnDataplaneConfig::default(),
            logging: LoggingConfig::default(),
        }
    }

    /// Reads the file at `path`, resolving interface and host names on this machine.
    pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, &SystemResolver)
    }

    /// Reads the text of a configuration file.
    pub fn parse(text: &str, resolver: &dyn AddressResolver) -> Result<Loaded, ConfigError> {
        let sections = ini::parse(text)?;
        let section = |name: &str| sections.iter().find(|s| s.name.eq_ignore_ascii_case(name));
        let mut warnings = Vec::new();
        for s in &sections {
            let known = KNOWN_SECTIONS
                .iter()
                .any(|k| s.name.eq_ignore_ascii_case(k))
                || bgp::peer_section_address(&s.name).is_some();
            if !known {
                warnings.push(ConfigWarning {
                    section: s.name.clone(),
                    option: None,
                    line: s.entries.first().map_or(0, |e| e.line),
                    message: "unknown section, ignored".to_owned(),
                });
            }
        }
        let config = Config {
            logging: common::read_logging(section("DEFAULT"), &mut warnings)?,
            common: common::read_common(section("COMMON"), &mut warnings)?,
            api: api::read(section("API"), resolver, &mut warnings)?,
            bgp: bgp::read(&sections, resolver, &mut warnings)?,
            ipvpn: dataplane::read_ipvpn(
                section("DATAPLANE_DRIVER_IPVPN"),
                resolver,
                &mut warnings,
            )?,
            evpn: dataplane::read_evpn(section("DATAPLANE_DRIVER_EVPN"), resolver, &mut warnings)?,
        };
        Ok(Loaded { config, warnings })
    }
}
