//! MACs an E-VPN instance's bridge learnt on its ports (`[DATAPLANE_DRIVER_EVPN]
//! learn_local_macs`): a VM may use MACs that no attach request gave (several interfaces on
//! one port, or machines behind it). Each is advertised as a MAC-only type 2 route, with a
//! MAC mobility sequence number above any remote route's for it, and withdrawn when the
//! bridge forgets it; MACs given by attach requests are advertised by their endpoints.
//!
//! The kernel tells of a learnt MAC once. What the bridges learnt is kept (`bridge_macs`,
//! the kernel's view): what a bridge learnt before its instance existed (after a restart,
//! before the agent attaches its ports again) or on a port not attached yet is advertised
//! once the port is attached.

use bagpipe_rib::RouteTable;
use bagpipe_wire::MacAddress;

use super::{VpnManager, VpnOutputs};
use crate::evi;
use crate::instance::{Imports, LearnedMac};
use crate::request::VpnType;

impl VpnManager {
    /// The bridge of E-VPN instance `id` (the dataplane id) learnt (`learnt`) or forgot
    /// `mac` on `port`.
    pub fn mac_learned(
        &mut self,
        rib: &mut RouteTable,
        id: u32,
        port: &str,
        mac: MacAddress,
        learnt: bool,
    ) -> VpnOutputs {
        if learnt {
            self.bridge_macs.insert((id, mac), port.to_owned());
        } else {
            self.bridge_macs.remove(&(id, mac));
        }
        let instance = self
            .instances
            .values()
            .find(|i| i.id == id && i.vpn_type == VpnType::Evpn);
        let Some(ext) = instance.map(|i| i.external_id.clone()) else {
            return VpnOutputs::default();
        };
        if self.learn(rib, &ext, port, mac, learnt) {
            self.finish(rib)
        } else {
            VpnOutputs::default()
        }
    }

    /// Advertises what the bridge of instance `ext` learnt on `port` before the port was
    /// attached (or the instance created).
    pub(super) fn claim_learned(&mut self, rib: &mut RouteTable, ext: &str, port: &str) {
        let id = self.instances[ext].id;
        let on_port: Vec<MacAddress> = self
            .bridge_macs
            .range((id, MacAddress::default())..)
            .take_while(|((i, _), _)| *i == id)
            .filter(|(_, p)| p.as_str() == port)
            .map(|((_, mac), _)| *mac)
            .collect();
        for mac in on_port {
            self.learn(rib, ext, port, mac, true);
        }
    }

    /// Advertises or withdraws the route of a learnt MAC; says whether anything changed.
    fn learn(
        &mut self,
        rib: &mut RouteTable,
        ext: &str,
        port: &str,
        mac: MacAddress,
        learnt: bool,
    ) -> bool {
        let local = self.config.local_address;
        let inst = self.instances.get_mut(ext).expect("instance");
        let known = inst.learned.get(&mac).map(|l| l.port.as_str());
        if learnt {
            // Given by an attach request, already learnt there, or on a port that is not
            // the instance's: nothing to advertise.
            if inst.macs.contains_key(&mac)
                || known == Some(port)
                || inst.endpoints.on_port(port).next().is_none()
            {
                return false;
            }
            let remote = match &inst.imports {
                Imports::Evi(i) => i.remote_seq(&mac),
                Imports::Vrf(_) => None,
            };
            // RFC 7432 §15: a MAC learnt here after it was advertised elsewhere moved here.
            let seq = remote.map_or(0, |s| s + 1);
            let (nlri, attrs) = evi::learned_mac_route(inst, mac, seq, local);
            inst.learned.insert(
                mac,
                LearnedMac {
                    port: port.to_owned(),
                    mobility_seq: seq,
                },
            );
            self.announce(rib, ext, &nlri, attrs);
        } else {
            // Forgotten on a port it is no longer on (it moved to another port): kept.
            if known != Some(port) {
                return false;
            }
            inst.learned.remove(&mac);
            let nlri = evi::mac_nlri(inst, mac, None);
            self.withdraw(rib, ext, &nlri);
        }
        self.dirty(ext).macs.insert(mac);
        true
    }

    /// An attach request now gives `mac`: its endpoint's route replaces the learnt one.
    pub(super) fn forget_learned(&mut self, rib: &mut RouteTable, ext: &str, mac: MacAddress) {
        let inst = self.instances.get_mut(ext).expect("instance");
        if inst.learned.remove(&mac).is_some() {
            let nlri = evi::mac_nlri(inst, mac, None);
            self.withdraw(rib, ext, &nlri);
        }
    }
}
