//! The boundary between the VPN layer and a dataplane.

use std::collections::BTreeMap;
use std::future::Future;

use serde::Serialize;

use crate::change::{Changed, InstanceState};

/// A dataplane for one kind of VPN instance (`State` is [`crate::EvpnInstanceState`] or
/// [`crate::VrfState`]).
///
/// Level-triggered: each call says what parts of one instance should be, never how to get
/// there. A driver remembers what it installed and applies the difference, touches nothing it
/// did not create, and after a restart ([`DataplaneDriver::resync`]) adopts what the previous
/// run left instead of flushing it, so traffic keeps flowing.
///
/// Drivers run inside the task of [`crate::spawn_driver`], which keeps the desired state of
/// every instance; nothing else calls them.
pub trait DataplaneDriver: Send + 'static {
    type State: InstanceState;

    /// The name of the driver in the configuration (`dummy`, `linux`).
    fn name(&self) -> &'static str;

    /// Brings the `changed` parts of instance `id` to what `desired` says of them (with
    /// [`Changed::All`], the whole instance); `None`: the instance is gone (and `changed` is
    /// `All`). The cost is meant to be that of the parts changed, not of the instance.
    ///
    /// On error, what could be applied was applied and is remembered; a later call (the task
    /// retries with `All`) applies the rest.
    fn reconcile_instance(
        &mut self,
        id: u32,
        desired: Option<&Self::State>,
        changed: &Changed<<Self::State as InstanceState>::Part>,
    ) -> impl Future<Output = Result<ReconcileReport, DriverError>> + Send;

    /// Re-reads the kernel and adopts the entries this driver owns (left by a previous run);
    /// returns how many it found. Adopted entries that no instance claims are only removed by
    /// [`DataplaneDriver::sweep_unclaimed`], which the daemon calls once it has replayed its
    /// state, so a restart never blackholes traffic meanwhile.
    fn resync(&mut self) -> impl Future<Output = Result<usize, DriverError>> + Send;

    /// Removes the entries adopted by [`DataplaneDriver::resync`] that no instance claimed.
    fn sweep_unclaimed(&mut self) -> impl Future<Output = Result<usize, DriverError>> + Send;

    /// What the driver installed and how it is configured, for the looking glass; `desired`
    /// is the state of every instance, as the task keeps it.
    fn describe(&self, desired: &BTreeMap<u32, Self::State>) -> serde_json::Value;
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
