//! `[COMMON]` (how to run commands as root) and `[DEFAULT]` (logging, the oslo.log options
//! of the original that make sense here).

use std::path::PathBuf;

use super::error::{ConfigError, ConfigWarning};
use super::ini::Section;
use super::options::{boolean, Options};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonConfig {
    /// Prefix of commands run as root (`sudo`, or oslo.rootwrap).
    pub root_helper: String,
    /// A root helper daemon, used instead of `root_helper` when set.
    pub root_helper_daemon: Option<String>,
}

impl Default for CommonConfig {
    fn default() -> Self {
        CommonConfig {
            root_helper: "sudo".to_owned(),
            root_helper_daemon: None,
        }
    }
}

/// The oslo.log options of `[DEFAULT]` that this daemon honours.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoggingConfig {
    /// Log at debug level.
    pub debug: bool,
    pub log_file: Option<PathBuf>,
    /// Directory of `log_file` when it is relative.
    pub log_dir: Option<PathBuf>,
    pub use_syslog: bool,
    pub use_stderr: bool,
    /// One JSON object per line instead of text (oslo.log's `use_json`).
    pub use_json: bool,
}

pub(crate) fn read_common(
    section: Option<&Section>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<CommonConfig, ConfigError> {
    let mut o = Options::new("COMMON", section);
    let config = CommonConfig {
        root_helper: o.string("root_helper", "sudo"),
        root_helper_daemon: o.optional("root_helper_daemon", |s| Ok(s.to_owned()))?,
    };
    warnings.extend(o.finish());
    Ok(config)
}

pub(crate) fn read_logging(
    section: Option<&Section>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<LoggingConfig, ConfigError> {
    let mut o = Options::new("DEFAULT", section);
    let path = |s: &str| Ok(PathBuf::from(s));
    let config = LoggingConfig {
        debug: o.or("debug", false, boolean)?,
        log_file: o.optional("log_file", path)?,
        log_dir: o.optional("log_dir", path)?,
        use_syslog: o.or("use_syslog", false, boolean)?,
        use_stderr: o.or("use_stderr", false, boolean)?,
        use_json: o.or("use_json", false, boolean)?,
    };
    warnings.extend(o.finish());
    Ok(config)
}
