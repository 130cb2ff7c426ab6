//! The boundary between the VPN layer and a dataplane.

use std::fmt::Debug;
use std::future::Future;

use serde::Serialize;

/// A dataplane for one kind of VPN instance (`State` is [`crate::EvpnInstanceState`] or
/// [`crate::VrfState`]).
///
/// Level-triggered: each call says what one instance should be, never what changed. A
/// driver remembers what it installed and applies the difference, touches nothing it did
/// not create, and after a restart ([`DataplaneDriver::resync`]) adopts what the previous
/// run left instead of flushing it, so traffic keeps flowing.
///
/// Drivers run inside the task of [`crate::spawn_driver`]; nothing else calls them.
pub trait DataplaneDriver: Send + 'static {
    type State: Clone + Debug + PartialEq + Serialize + Send + Sync + 'static;

    /// The name of the driver in the configuration (`dummy`, `linux`).
    fn name(&self) -> &'static str;

    /// Brings the dataplane of instance `id` to `desired`; `None` removes the instance.
    ///
    /// On error, what could be applied was applied and is remembered; calling again with the
    /// same state retries the rest.
    fn reconcile_instance(
        &mut self,
        id: u32,
        desired: Option<&Self::State>,
    ) -> impl Future<Output = Result<ReconcileReport, DriverError>> + Send;

    /// Re-reads the kernel and adopts the entries this driver owns (left by a previous run);
    /// returns how many it found. Adopted entries that no instance claims are only removed by
    /// [`DataplaneDriver::sweep_unclaimed`], which the daemon calls once it has replayed its
    /// state, so a restart never blackholes traffic meanwhile.
    fn resync(&mut self) -> impl Future<Output = Result<usize, DriverError>> + Send;

    /// Removes the entries adopted by [`DataplaneDriver::resync`] that no instance claimed.
    fn sweep_unclaimed(&mut self) -> impl Future<Output = Result<usize, DriverError>> + Send;

    /// What the driver installed and how it is configured, for the looking glass.
    fn describe(&self) -> serde_json::Value;
}

/// What one reconcile did to the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    pub created: usize,
    pub changed: usize,
    pub removed: usize,
}

impl ReconcileReport {
    pub fn total(&self) -> usize {
        self.created + self.changed + self.removed
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// Some kernel operations failed; the others were applied.
    #[error("{failed} of {attempted} dataplane operations failed, first: {first}")]
    Partial {
        failed: usize,
        attempted: usize,
        first: String,
    },
    /// The desired state cannot be programmed by this driver (it says why).
    #[error("unsupported desired state: {0}")]
    Unsupported(String),
    #[error("netlink: {0}")]
    Kernel(String),
}
