//! Local MACs learnt by our E-VPN bridges, for ports whose attach request gave no MAC: the
//! kernel tells of each FDB entry a bridge learns or forgets, and the VPN layer advertises
//! (or withdraws) the MAC of the ports it cares about.

use std::collections::HashMap;

use bagpipe_wire::MacAddress;
use futures_util::TryStreamExt;
use netlink_packet_core::NetlinkPayload;
use netlink_packet_route::link::LinkAttribute;
use netlink_packet_route::neighbour::{
    NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage as Msg};
use rtnetlink::MulticastGroup;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::driver::DriverError;
use crate::owned::{is_owned_device, EVPN_BRIDGE_PREFIX};

/// A MAC one of our bridges learnt on a port (`learnt`), or forgot (aged out, port gone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LearnedMac {
    pub bridge: String,
    pub port: String,
    pub mac: MacAddress,
    pub learnt: bool,
}

/// Watches, in the network namespace of the calling thread (inside a tokio runtime), the
/// MACs our bridges learn on the ports plugged into them: first those already learnt, then
/// each change. The watch ends when the receiver is dropped.
pub fn watch_learned_macs(capacity: usize) -> Result<mpsc::Receiver<LearnedMac>, DriverError> {
    let (connection, handle, mut messages) =
        rtnetlink::new_multicast_connection(&[MulticastGroup::Neigh])
            .map_err(|e| DriverError::Kernel(format!("subscribe to FDB notifications: {e}")))?;
    tokio::spawn(connection);
    let (tx, rx) = mpsc::channel(capacity.max(1));
    tokio::spawn(async move {
        let mut names = Names {
            handle: handle.clone(),
            known: HashMap::new(),
        };
        // Subscribed before the dump: nothing learnt in between is missed.
        let mut existing = handle
            .neighbours()
            .get()
            .set_address_family(AddressFamily::Bridge)
            .execute();
        while let Ok(Some(neighbour)) = existing.try_next().await {
            if let Some(event) = names.learned(&neighbour, true).await {
                if tx.send(event).await.is_err() {
                    return;
                }
            }
        }
        while let Some((message, _)) = futures_util::StreamExt::next(&mut messages).await {
            let (learnt, neighbour) = match message.payload {
                NetlinkPayload::InnerMessage(Msg::NewNeighbour(n)) => (true, n),
                NetlinkPayload::InnerMessage(Msg::DelNeighbour(n)) => (false, n),
                _ => continue,
            };
            let Some(event) = names.learned(&neighbour, learnt).await else {
                continue;
            };
            if tx.send(event).await.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

/// Interface names and bridges by index, asked once per interface.
struct Names {
    handle: rtnetlink::Handle,
    /// index → (name, index of its bridge)
    known: HashMap<u32, (String, u32)>,
}

impl Names {
    async fn learned(&mut self, n: &NeighbourMessage, learnt: bool) -> Option<LearnedMac> {
        // Learnt entries of a bridge (they name it in an attribute): static and local ones
        // are set by someone, and `self` entries belong to the port's own table.
        let dynamic = !matches!(
            n.header.state,
            NeighbourState::Noarp | NeighbourState::Permanent
        );
        let in_bridge = n
            .attributes
            .iter()
            .any(|a| matches!(a, NeighbourAttribute::Controller(_)));
        if n.header.family != AddressFamily::Bridge
            || n.header.flags.contains(NeighbourFlags::Own)
            || !in_bridge
            || !dynamic
        {
            return None;
        }
        let mac = n.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::LinkLayerAddress(b) => <[u8; 6]>::try_from(b.as_slice()).ok(),
            _ => None,
        })?;
        let (port, bridge_index) = self.link(n.header.ifindex).await?;
        let (bridge, _) = self.link(bridge_index).await?;
        let ours = bridge.starts_with(EVPN_BRIDGE_PREFIX) && is_owned_device(&bridge);
        (ours && !is_owned_device(&port)).then_some(LearnedMac {
            bridge,
            port,
            mac: MacAddress(mac),
            learnt,
        })
    }

    async fn link(&mut self, index: u32) -> Option<(String, u32)> {
        if let Some(known) = self.known.get(&index) {
            return Some(known.clone());
        }
        let link = self
            .handle
            .link()
            .get()
            .match_index(index)
            .execute()
            .try_next()
            .await
            .ok()??;
        let mut name = None;
        let mut master = 0;
        for a in link.attributes {
            match a {
                LinkAttribute::IfName(n) => name = Some(n),
                LinkAttribute::Controller(m) => master = m,
                _ => {}
            }
        }
        let entry = (name?, master);
        self.known.insert(index, entry.clone());
        Some(entry)
    }
}
