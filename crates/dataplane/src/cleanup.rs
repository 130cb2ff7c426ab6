//! `bagpipe-bgp-cleanup`: remove every entry the Linux drivers own, and nothing else.

use serde::Serialize;

use crate::driver::DriverError;
use crate::kernel::NetlinkKernel;
use crate::reconcile::Reconciler;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CleanupReport {
    /// Entries removed: devices, FDB and neighbour entries, addresses, rules, routes
    /// (entries living on a removed device are counted too).
    pub removed: usize,
}

/// Removes, from the network namespace of the calling thread, all that the Linux drivers
/// own (see [`crate::owned`]): as a daemon that would want nothing. Proxy ARP is left on the
/// ports it was set on, since the kernel does not say who set it.
pub async fn remove_owned_entries() -> Result<CleanupReport, DriverError> {
    let kernel = NetlinkKernel::open().map_err(|e| DriverError::Kernel(e.to_string()))?;
    // Nothing is claimed: no part ever rendered.
    let mut reconciler = Reconciler::<_, ()>::new(kernel, |_| true);
    reconciler.resync().await?;
    let report = reconciler.sweep_unclaimed().await?;
    Ok(CleanupReport {
        removed: report.removed,
    })
}
