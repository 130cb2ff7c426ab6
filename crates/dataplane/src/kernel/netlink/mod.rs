//! The real kernel, programmed over one rtnetlink socket of the current network namespace.
//!
//! Independent operations are pipelined: up to [`WINDOW`] requests are in flight at once, so
//! the cost of an entry is a message, not a round trip (nor, as in the original, a process).

mod build;
mod dump;
mod sysctl;

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::stream::{FuturesOrdered, StreamExt};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;

use super::{Entry, Kernel, KernelError, Op};

/// Requests in flight at once: enough to hide the round trips, few enough that the acks
/// fit the socket's receive buffer.
const WINDOW: usize = 128;

pub struct NetlinkKernel {
    handle: rtnetlink::Handle,
    /// Interface indexes by name; an entry is dropped when an operation on it fails, since
    /// the device may have been re-created under the same name.
    ifindex: Mutex<HashMap<String, u32>>,
}

/// A failed request: the kernel's errno (positive), or 0 when the socket itself failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Errno(pub i32);

impl Errno {
    fn describe(self) -> String {
        if self.0 == 0 {
            "netlink socket closed".into()
        } else {
            std::io::Error::from_raw_os_error(self.0).to_string()
        }
    }

    /// A removal that finds nothing to remove has done its job.
    fn is_absent(self) -> bool {
        matches!(
            self.0,
            libc::ENOENT | libc::ENODEV | libc::ESRCH | libc::EADDRNOTAVAIL | libc::ENXIO
        )
    }
}

impl NetlinkKernel {
    /// Opens a socket in the network namespace of the calling thread. Needs a tokio runtime:
    /// the socket's I/O runs as a task of it.
    pub(crate) fn open() -> Result<Self, KernelError> {
        let (connection, handle, _) = rtnetlink::new_connection().map_err(|e| KernelError {
            what: "open rtnetlink socket".into(),
            message: e.to_string(),
        })?;
        tokio::spawn(connection);
        Ok(NetlinkKernel {
            handle,
            ifindex: Mutex::new(HashMap::new()),
        })
    }

    /// Sends one request and waits for its acknowledgement.
    pub(super) async fn call(&self, message: RouteNetlinkMessage, flags: u16) -> Result<(), Errno> {
        self.exchange(message, NLM_F_REQUEST | NLM_F_ACK | flags)
            .await
            .map(drop)
    }

    /// Sends one dump request and returns every message of the answer.
    pub(super) async fn dump(
        &self,
        message: RouteNetlinkMessage,
    ) -> Result<Vec<RouteNetlinkMessage>, Errno> {
        self.exchange(message, NLM_F_REQUEST | NLM_F_DUMP).await
    }

    async fn exchange(
        &self,
        message: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<RouteNetlinkMessage>, Errno> {
        let mut request = NetlinkMessage::from(message);
        request.header.flags = flags;
        let mut responses = self.handle.clone().request(request).map_err(|_| Errno(0))?;
        let mut out = Vec::new();
        while let Some(response) = responses.next().await {
            match response.payload {
                NetlinkPayload::InnerMessage(m) => out.push(m),
                NetlinkPayload::Error(e) => {
                    if let Some(code) = e.code {
                        return Err(Errno(-code.get()));
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The index of a device, from the cache or the kernel.
    pub(super) async fn index_of(&self, name: &str) -> Result<u32, Errno> {
        if let Some(i) = self.ifindex.lock().expect("ifindex cache").get(name) {
            return Ok(*i);
        }
        let mut query = LinkMessage::default();
        query
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
        let answer = self
            .exchange(
                RouteNetlinkMessage::GetLink(query),
                NLM_F_REQUEST | NLM_F_ACK,
            )
            .await?;
        let index = answer
            .iter()
            .find_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(l.header.index),
                _ => None,
            })
            .ok_or(Errno(libc::ENODEV))?;
        self.remember(name, index);
        Ok(index)
    }

    pub(super) fn remember(&self, name: &str, index: u32) {
        self.ifindex
            .lock()
            .expect("ifindex cache")
            .insert(name.to_string(), index);
    }

    fn forget(&self, names: &[&str]) {
        let mut cache = self.ifindex.lock().expect("ifindex cache");
        for name in names {
            cache.remove(*name);
        }
    }

    async fn apply_one(&self, op: &Op) -> Result<(), KernelError> {
        let result = match op {
            Op::Create(entry) => self.install(entry, None).await,
            Op::Change { old, new } => self.install(new, Some(old)).await,
            Op::Remove(entry) => match self.uninstall(entry).await {
                Err(e) if e.is_absent() => Ok(()),
                other => other,
            },
        };
        result.map_err(|errno| {
            // A device we looked up may be gone or re-created: ask again next time.
            self.forget(&op.entry().devices());
            KernelError {
                what: describe(op),
                message: errno.describe(),
            }
        })
    }
}

impl Kernel for NetlinkKernel {
    async fn apply<'a>(&'a self, ops: &'a [Op]) -> Vec<Result<(), KernelError>> {
        let mut results = Vec::with_capacity(ops.len());
        let mut in_flight = FuturesOrdered::new();
        for op in ops {
            if in_flight.len() >= WINDOW {
                results.extend(in_flight.next().await);
            }
            in_flight.push_back(self.apply_one(op));
        }
        while let Some(result) = in_flight.next().await {
            results.push(result);
        }
        results
    }

    async fn dump_owned(&self) -> Result<Vec<Entry>, KernelError> {
        self.read_owned().await.map_err(|e| KernelError {
            what: "read the kernel's tables".into(),
            message: e.describe(),
        })
    }
}

fn describe(op: &Op) -> String {
    let (verb, entry) = match op {
        Op::Create(e) => ("create", e),
        Op::Change { new, .. } => ("change", new),
        Op::Remove(e) => ("remove", e),
    };
    format!(
        "{verb} {}",
        serde_json::to_string(entry).unwrap_or_else(|_| format!("{entry:?}"))
    )
}

impl NetlinkKernel {
    /// IPv4 and IPv6 forwarding, for the network namespace of the socket.
    pub(crate) fn enable_forwarding(&self) -> Result<(), KernelError> {
        sysctl::enable_forwarding().map_err(|e| KernelError {
            what: "enable IP forwarding".into(),
            message: e.describe(),
        })
    }
}
