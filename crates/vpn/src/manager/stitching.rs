//! E-VPN-to-IP-VPN stitching (the original's `_attach_evpn_2_ipvpn`): an IP VPN attachment
//! whose `local_port` is `{"evpn": {"id": ...}}` plugs that E-VPN instance into the VRF. The
//! two are joined by a pair of ports, `bpve-<EVI>` in the E-VPN's bridge and `bpvi-<EVI>` in
//! the VRF (a veth pair the E-VPN dataplane creates, named as the dataplane marks what it
//! owns; the original's `evpn<EVI>-ipvpn<VRF>` were nobody's to clean up), or an OVS port
//! named by `evpn.ovs_port_name` that exists already; the endpoints of the request are
//! plugged on the VRF's port. The E-VPN instance stays while a VRF is plugged into it; the
//! stitching is undone when no endpoint remains on the VRF's port.
//!
//! The checks and their order are the original's, answered with a 400 naming
//! `local_port.evpn.id` where it raised a bare exception (a 500).

use bagpipe_dataplane::owned::{stitch_evpn_end, stitch_vrf_end};
use bagpipe_rib::RouteTable;

use super::VpnManager;
use crate::error::VpnError;
use crate::instance::Stitch;
use crate::request::{AttachRequest, EvpnPlug, VpnType};

const FIELD: &str = "local_port.evpn.id";

impl VpnManager {
    /// What plugging the E-VPN of `plug` into the request's VRF takes, checked against the
    /// instances as they are; nothing is changed yet.
    pub(super) fn plan_stitch(
        &self,
        req: &AttachRequest,
        plug: &EvpnPlug,
    ) -> Result<Stitch, VpnError> {
        let evi = self
            .instances
            .get(&plug.id)
            .ok_or_else(|| VpnError::new(FIELD, format!("no E-VPN instance {}", plug.id)))?;
        if evi.vpn_type != VpnType::Evpn {
            return Err(VpnError::new(
                FIELD,
                format!(
                    "instance {} is an {} instance, not evpn",
                    plug.id, evi.vpn_type
                ),
            ));
        }
        let vrf = self.instances.get(&req.vpn_instance_id);
        if let Some(s) = vrf.and_then(|v| v.stitch.as_ref()) {
            if s.evi != plug.id {
                return Err(VpnError::new(
                    FIELD,
                    format!(
                        "E-VPN instance {} is already plugged into IP VPN instance {}: a VRF \
                         takes one E-VPN",
                        s.evi, req.vpn_instance_id
                    ),
                ));
            }
            return Ok(s.clone());
        }
        if let Some(s) = &evi.stitch {
            return Err(VpnError::new(
                FIELD,
                format!(
                    "E-VPN instance {} is already plugged into IP VPN instance {}",
                    plug.id, s.vrf
                ),
            ));
        }
        let (evpn_if, ipvpn_if, veth) = match &plug.ovs_port_name {
            Some(name) => {
                // The request checks guarantee an already plugged OVS port on the VRF side.
                let ovs = req.local_port.ovs.as_ref();
                let port = ovs
                    .and_then(|o| o.port_name.clone())
                    .or_else(|| ovs.and_then(|o| o.port_number).map(|n| n.to_string()))
                    .unwrap_or_default();
                (name.clone(), port, false)
            }
            None => (stitch_evpn_end(evi.id), stitch_vrf_end(evi.id), true),
        };
        Ok(Stitch {
            evi: plug.id.clone(),
            vrf: req.vpn_instance_id.clone(),
            evpn_if,
            ipvpn_if,
            veth,
            gateway_ip: vrf.and_then(|v| v.gateway_ip).or(req.gateway_ip),
        })
    }

    /// Records the stitching on both instances (the VRF exists by now).
    pub(super) fn stitch(&mut self, s: Stitch) {
        let evi = s.evi.clone();
        if let Some(e) = self.instances.get_mut(&evi) {
            e.stitch = Some(s.clone());
        }
        if let Some(v) = self.instances.get_mut(&s.vrf) {
            v.stitch = Some(s);
        }
        self.touch(&evi);
    }

    /// Undoes the stitching of a VRF whose E-VPN port has no endpoint left.
    pub(super) fn unstitch_if_unused(&mut self, rib: &mut RouteTable, vrf: &str) {
        let Some(v) = self.instances.get(vrf) else {
            return;
        };
        let Some(s) = v.stitch.clone().filter(|s| s.vrf == vrf) else {
            return;
        };
        if v.endpoints.on_port(&s.ipvpn_if).next().is_some() {
            return;
        }
        if let Some(v) = self.instances.get_mut(vrf) {
            v.stitch = None;
        }
        self.unstitch(rib, &s);
    }

    /// The E-VPN side of undoing a stitching: the instance loses its gateway port, and goes
    /// if nothing else needs it.
    pub(super) fn unstitch(&mut self, rib: &mut RouteTable, s: &Stitch) {
        let Some(evi) = self.instances.get_mut(&s.evi) else {
            return;
        };
        if evi.stitch.as_ref() != Some(s) {
            return;
        }
        evi.stitch = None;
        self.touch(&s.evi);
        if self.instances[&s.evi].is_empty() {
            self.stop_instance(rib, &s.evi);
        }
    }
}
