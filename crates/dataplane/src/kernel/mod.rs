//! The kernel as the Linux drivers see it: a set of [`Entry`] values that can be created,
//! changed, removed, and listed. [`NetlinkKernel`] is the real one; a fake in memory
//! (`fake.rs`, tests only) lets the diff logic be tested without privileges.

mod entry;
#[cfg(test)]
pub(crate) mod fake;
mod netlink;

use std::future::Future;

pub use entry::{
    Entry, FdbEntry, FdbKind, Key, NextHop, RouteEntry, RouteKind, RuleEntry, VxlanDevice,
};
pub use netlink::NetlinkKernel;

/// One change to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Create(Entry),
    /// Same key, new value: replaced in place where the kernel can.
    Change {
        old: Entry,
        new: Entry,
    },
    Remove(Entry),
}

impl Op {
    pub(crate) fn entry(&self) -> &Entry {
        match self {
            Op::Create(e) | Op::Change { new: e, .. } | Op::Remove(e) => e,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {message}")]
pub struct KernelError {
    /// The operation, as an operator would read it.
    pub what: String,
    pub message: String,
}

/// Where the Linux drivers' entries are applied.
pub trait Kernel: Send + Sync + 'static {
    /// Applies independent operations (their order does not matter; the kernel may run them
    /// concurrently) and returns one result per operation, in order.
    fn apply<'a>(
        &'a self,
        ops: &'a [Op],
    ) -> impl Future<Output = Vec<Result<(), KernelError>>> + Send + 'a;

    /// Every entry of ours the kernel holds (see [`crate::owned`] for what is ours).
    fn dump_owned(&self) -> impl Future<Output = Result<Vec<Entry>, KernelError>> + Send + '_;
}
