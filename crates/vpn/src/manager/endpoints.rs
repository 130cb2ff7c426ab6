//! Endpoints: plugging one (its labels, RDs and route), the checks of an attach to an
//! existing instance, which endpoints a detach designates, and the announcements of the
//! instance's routes.

use bagpipe_rib::RouteTable;
use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::nlri::Nlri;

use super::{LabelUse, VpnManager};
use crate::error::VpnError;
use crate::evi;
use crate::instance::{Endpoint, EndpointKey, Imports, Instance, MacData};
use crate::request::{AttachRequest, DetachRequest, VpnType};
use crate::vrf;

impl VpnManager {
    /// (Re-)advertises every route of an instance, e.g. after its export targets changed.
    pub(super) fn readvertise_all(&mut self, rib: &mut RouteTable, external_id: &str) {
        let local = self.config.local_address;
        let inst = &self.instances[external_id];
        let mut routes = Vec::new();
        if inst.vpn_type == VpnType::Evpn {
            routes.push(evi::multicast_route(inst, local));
        }
        for ep in inst.endpoints.values() {
            if let Some(r) = self.endpoint_route(inst, ep) {
                routes.push(r);
            }
        }
        for (nlri, attrs) in routes {
            self.announce(rib, external_id, &nlri, attrs);
        }
    }

    pub(super) fn endpoint_route(
        &self,
        inst: &Instance,
        ep: &Endpoint,
    ) -> Option<(Nlri, AttributeSet)> {
        if !ep.direction.to_port() {
            return None;
        }
        match inst.vpn_type {
            VpnType::Evpn => {
                let md = inst.macs.get(&ep.mac)?;
                Some(evi::mac_route(
                    inst,
                    ep,
                    md.mobility_seq,
                    self.config.local_address,
                ))
            }
            VpnType::Ipvpn => vrf::endpoint_route(inst, ep, &self.config),
        }
    }

    pub(super) fn announce(
        &mut self,
        rib: &mut RouteTable,
        external_id: &str,
        nlri: &Nlri,
        attrs: AttributeSet,
    ) {
        let out = rib.announce_local(self.instances[external_id].source, nlri, attrs);
        self.absorb(out);
    }

    pub(super) fn withdraw(&mut self, rib: &mut RouteTable, external_id: &str, nlri: &Nlri) {
        let out = rib.withdraw_local(self.instances[external_id].source, nlri);
        self.absorb(out);
    }

    pub(super) fn plug(
        &mut self,
        rib: &mut RouteTable,
        req: &AttachRequest,
        ifname: String,
    ) -> Result<(), VpnError> {
        let ext = req.vpn_instance_id.clone();
        let key = (req.mac_address, req.ip_address);
        let first_endpoint = self.instances[&ext].endpoints.is_empty();
        let (endpoint_rd, rd_number) = match self.instances[&ext].endpoints.get(&key) {
            Some(ep) => (ep.rd, ep.rd_number),
            None => self.rd()?,
        };
        if !self.instances[&ext].macs.contains_key(&req.mac_address) {
            self.forget_learned(rib, &ext, req.mac_address);
            let id = self.instances[&ext].id;
            let label = self
                .labels
                .allocate(LabelUse::Mac(id, req.mac_address))
                .map_err(|e| VpnError::new("mac_address", e.to_string()))?;
            // RFC 7432 §15: a MAC already advertised elsewhere moved here.
            let mobility_seq = match &self.instances[&ext].imports {
                Imports::Evi(i) => i.remote_seq(&req.mac_address).map_or(0, |s| s + 1),
                Imports::Vrf(_) => 0,
            };
            let md = MacData {
                label,
                mobility_seq,
            };
            self.instances
                .get_mut(&ext)
                .expect("instance")
                .macs
                .insert(req.mac_address, md);
        }
        let ep = Endpoint {
            mac: req.mac_address,
            ip: req.ip_address,
            ifname,
            local_port: req.local_port.clone(),
            direction: req.direction,
            local_pref: req.local_pref,
            lb_order: req.lb_consistent_hash_order,
            advertise_subnet: req.advertise_subnet,
            description: req.description.clone().map(Box::new),
            rd: endpoint_rd,
            rd_number,
            route: None,
        };
        let route = self.endpoint_route(&self.instances[&ext], &ep);
        let old_route = self.instances[&ext]
            .endpoints
            .get(&key)
            .and_then(|e| e.route.clone());
        if let Some(old) = old_route.filter(|o| Some(o) != route.as_ref().map(|(n, _)| n)) {
            self.withdraw(rib, &ext, &old);
        }
        self.touch_endpoint(&ext, &ep.ifname, ep.mac);
        let inst = self.instances.get_mut(&ext).expect("instance");
        // A MAC is on one port only (check_against): re-plugging keeps the port.
        inst.endpoints.insert(
            key,
            Endpoint {
                route: route.as_ref().map(|(n, _)| n.clone()),
                ..ep
            },
        );
        if inst.subnet_len.is_none() {
            inst.subnet_len = req.ip_address.map(|i| i.len);
        }
        // A MAC-only E-VPN endpoint is superseded by the same MAC with an IP (as the original).
        if req.ip_address.is_some() {
            if let Some(wild) = inst.endpoints.remove(&(req.mac_address, None)) {
                self.rds.release(wild.rd_number);
                if let Some(r) = wild.route {
                    self.withdraw(rib, &ext, &r);
                }
            }
        }
        if first_endpoint && self.instances[&ext].vpn_type == VpnType::Evpn {
            let (nlri, attrs) =
                evi::multicast_route(&self.instances[&ext], self.config.local_address);
            self.announce(rib, &ext, &nlri, attrs);
        }
        if let Some((nlri, attrs)) = route {
            self.announce(rib, &ext, &nlri, attrs);
        }
        Ok(())
    }
}

/// The checks of an attach to an existing instance: same type and VNI, a MAC on one port
/// only, an IP bound to one MAC only.
pub(super) fn check_against(
    inst: &Instance,
    req: &AttachRequest,
    ifname: &str,
) -> Result<(), VpnError> {
    if inst.vpn_type != req.vpn_type {
        return Err(VpnError::new(
            "vpn_type",
            format!(
                "instance {} exists with type {}, not {}",
                req.vpn_instance_id, inst.vpn_type, req.vpn_type
            ),
        ));
    }
    if let Some(v) = req.vni {
        if v != inst.label {
            return Err(VpnError::new(
                "vni",
                format!("instance {} uses VNI {}", req.vpn_instance_id, inst.label),
            ));
        }
    }
    if let Some((_, ep)) = inst.endpoints.of_mac(req.mac_address).next() {
        if ep.ifname != ifname {
            return Err(VpnError::new(
                "mac_address",
                format!(
                    "{} is already plugged on port {} of this instance",
                    req.mac_address, ep.ifname
                ),
            ));
        }
    }
    if let Some(ip) = req.ip_address {
        let other = inst
            .endpoints
            .with_addr(ip.addr)
            .find(|e| e.mac != req.mac_address);
        if let Some(e) = other {
            return Err(VpnError::new(
                "ip_address",
                format!("{} is already bound to MAC {}", ip.addr, e.mac),
            ));
        }
    }
    Ok(())
}

/// The endpoints a detach designates: the (MAC, IP) given, whatever the length given with
/// the IP; without an IP (E-VPN), every endpoint of the MAC.
pub(super) fn endpoints_to_detach(inst: &Instance, req: &DetachRequest) -> Vec<EndpointKey> {
    let of_mac = inst.endpoints.of_mac(req.mac_address).map(|(key, _)| key);
    match req.ip_address {
        Some(ip) => of_mac
            .filter(|(_, i)| i.map(|i| i.addr) == Some(ip.addr))
            .copied()
            .collect(),
        None => of_mac.copied().collect(),
    }
}
