//! Why an attach or detach was refused, naming the request field at fault.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct VpnError {
    pub field: &'static str,
    pub reason: String,
}

impl VpnError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        VpnError {
            field,
            reason: reason.into(),
        }
    }
}
