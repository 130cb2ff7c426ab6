//! Where the tools find bagpipe-bgp's REST API when not told: the `[API] port` of the
//! daemon's configuration file, as the original tools read it.

use std::path::Path;

use bagpipe_daemon::config::{Config, ConfigError, DEFAULT_API_PORT, DEFAULT_CONFIG_FILE};

/// The API port of `/etc/bagpipe-bgp/bgp.conf`, or 8082 when there is no such file. A file
/// that cannot be read is reported on stderr and the default used: these are
/// troubleshooting tools, and an error elsewhere in the file is no reason to refuse to work.
pub fn default_api_port() -> u16 {
    match Config::load(Path::new(DEFAULT_CONFIG_FILE)) {
        Ok(loaded) => loaded.config.api.port,
        Err(ConfigError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            DEFAULT_API_PORT
        }
        Err(e) => {
            eprintln!("warning: {DEFAULT_CONFIG_FILE}: {e}; using API port {DEFAULT_API_PORT}");
            DEFAULT_API_PORT
        }
    }
}
