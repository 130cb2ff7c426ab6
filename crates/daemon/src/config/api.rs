//! `[API]`: where the REST API listens.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::error::{ConfigError, ConfigWarning};
use super::ini::Section;
use super::options::{integer, Options};
use super::resolve::{host_address, AddressResolver};

/// The original's default port, which the Neutron agents use by default too.
pub const DEFAULT_API_PORT: u16 = 8082;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// `host` (formerly `api_host`): an address or a host name, resolved when read.
    pub host: IpAddr,
    /// `port` (formerly `api_port`).
    pub port: u16,
    /// New: length of the queue of connections not yet accepted; the agents of a whole
    /// rack may re-send their attachments at once after a restart.
    pub listen_backlog: u32,
}

impl ApiConfig {
    pub fn socket(&self) -> SocketAddr {
        (self.host, self.port).into()
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_API_PORT,
            listen_backlog: 4096,
        }
    }
}

pub(crate) fn read(
    section: Option<&Section>,
    resolver: &dyn AddressResolver,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<ApiConfig, ConfigError> {
    let mut o = Options::new("API", section);
    let d = ApiConfig::default();
    let old_host = o.deprecated_name("api_host", "host");
    let old_port = o.deprecated_name("api_port", "port");
    let mut host = o.optional("host", host_address(resolver))?;
    let mut port = o.optional("port", integer(0..=u16::MAX))?;
    // The old names count only when the new ones are not given.
    if let (None, Some(e)) = (host, old_host) {
        host = Some(host_address(resolver)(&e.value).map_err(|r| o.error("api_host", r))?);
    }
    if let (None, Some(e)) = (port, old_port) {
        port = Some(integer(0..=u16::MAX)(&e.value).map_err(|r| o.error("api_port", r))?);
    }
    let config = ApiConfig {
        host: host.unwrap_or(d.host),
        port: port.unwrap_or(d.port),
        listen_backlog: o.or("listen_backlog", d.listen_backlog, integer(1..=65535u32))?,
    };
    warnings.extend(o.finish());
    Ok(config)
}
