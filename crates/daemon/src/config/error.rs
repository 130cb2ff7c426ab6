//! What can be wrong with a configuration file, and what is only worth a warning.

use std::fmt;
use std::path::PathBuf;

/// A configuration the daemon refuses to start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    #[error("[{section}] {option}: {reason}")]
    Invalid {
        section: String,
        option: String,
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(section: &str, option: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            section: section.to_owned(),
            option: option.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Something in the file that is ignored: an option or a section this daemon does not know
/// (oslo.config ignored those silently), or a deprecated name. The caller logs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub section: String,
    /// `None` for a whole section.
    pub option: Option<String>,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.option {
            Some(option) => write!(
                f,
                "line {}: [{}] {option}: {}",
                self.line, self.section, self.message
            ),
            None => write!(
                f,
                "line {}: [{}]: {}",
                self.line, self.section, self.message
            ),
        }
    }
}
