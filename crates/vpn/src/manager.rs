//! The VPN manager: turns attach/detach requests into VPN instances and their routes, routes
//! the route table's events to the instances that import them, and says which instances'
//! dataplane state changed. Owned by the engine task, like the route table it drives.
//!
//! Each operation ends by settling (`settle.rs`): every instance whose ports or received
//! routes changed recomputes the routes it derives from them (readvertise, attract_traffic)
//! and the redirections its FlowSpec routes ask for, and the differences are carried out.
//! That may change other instances of this node in turn (they receive the derived routes),
//! until nothing changes; route target records end readvertisement cycles.

mod endpoints;
mod labels;
mod learning;
mod redirects;
mod settle;
mod stitching;
mod subscriptions;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bagpipe_dataplane::{
    Encapsulation, EvpnInstanceState, InstanceState, InstanceUpdate, VrfChange, VrfState,
};
use bagpipe_rib::{Outputs, PeerChange, RouteEvent, RouteTable, SourceId};
use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::{MacAddress, RouteDistinguisher, RouteTarget};

use crate::allocators::IdAllocator;
use crate::changes::{Dirty, EviTold};
use crate::error::VpnError;
use crate::evi::{self, EviImports};
use crate::instance::{Endpoints, Imports, Instance, Options, ReceivedPath};
use crate::request::{AttachRequest, DetachRequest, VpnType};
use crate::vrf::{self, VrfImports};
use endpoints::{check_against, endpoints_to_detach};
use labels::LabelUse;
use redirects::redirect_rules;

#[derive(Debug, Clone)]
pub struct VpnConfig {
    /// The dataplane address: next hop of our routes, VXLAN tunnel endpoint.
    pub local_address: IpAddr,
    /// Administrator of the type 1 route distinguishers we allocate (`address:N`).
    pub rd_admin: Ipv4Addr,
    pub ipvpn_encapsulation: Encapsulation,
}

/// What an operation asks of the engine besides the route table: routes for peers, and for
/// each instance that changed, what changed in its desired dataplane state.
#[derive(Debug, Default)]
pub struct VpnOutputs {
    pub peers: Vec<PeerChange>,
    pub evpn: Vec<(u32, InstanceUpdate<EvpnInstanceState>)>,
    pub ipvpn: Vec<(u32, InstanceUpdate<VrfState>)>,
}

pub struct VpnManager {
    config: VpnConfig,
    instances: BTreeMap<String, Instance>,
    by_source: HashMap<SourceId, String>,
    by_vni: HashMap<u32, String>,
    labels: IdAllocator<LabelUse>,
    rds: IdAllocator<()>,
    next_instance_id: u32,
    /// Instances whose dataplane state may have changed, and which parts of it.
    dirty: BTreeMap<String, Dirty>,
    /// What the E-VPN bridges learnt, by dataplane instance id and MAC: the port.
    bridge_macs: BTreeMap<(u32, MacAddress), String>,
    /// What each instance's driver was last told of the parts always computed again, by
    /// instance id: E-VPN instances, VRFs.
    told_evi: HashMap<u32, EviTold>,
    told_vrf: HashMap<u32, VrfChange>,
    /// Instances whose derived routes and redirections may have changed.
    pending: BTreeSet<String>,
    out: VpnOutputs,
}

/// Queues an update for a driver, unless it changes nothing.
fn push_update<S: InstanceState>(
    out: &mut Vec<(u32, InstanceUpdate<S>)>,
    id: u32,
    update: InstanceUpdate<S>,
) {
    if !matches!(&update, InstanceUpdate::Changes(c) if c.is_empty()) {
        out.push((id, update));
    }
}

/// What an instance is created with.
struct NewInstance<'a> {
    external_id: &'a str,
    vpn_type: VpnType,
    vni: Option<u32>,
    gateway_ip: Option<IpAddr>,
    subnet_len: Option<u8>,
    linuxbr: Option<String>,
}

impl VpnManager {
    pub fn new(config: VpnConfig) -> Self {
        VpnManager {
            config,
            instances: BTreeMap::new(),
            by_source: HashMap::new(),
            by_vni: HashMap::new(),
            labels: IdAllocator::labels(),
            rds: IdAllocator::route_distinguishers(),
            next_instance_id: 1,
            dirty: BTreeMap::new(),
            told_evi: HashMap::new(),
            told_vrf: HashMap::new(),
            bridge_macs: BTreeMap::new(),
            pending: BTreeSet::new(),
            out: VpnOutputs::default(),
        }
    }

    pub fn config(&self) -> &VpnConfig {
        &self.config
    }

    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.instances.values()
    }

    pub fn instance(&self, external_id: &str) -> Option<&Instance> {
        self.instances.get(external_id)
    }

    /// Instances with an explicit VNI, by VNI (the looking glass's `instances_per_vni`).
    pub fn instances_per_vni(&self) -> &HashMap<u32, String> {
        &self.by_vni
    }

    fn rd(&mut self) -> Result<(RouteDistinguisher, u32), VpnError> {
        let n = self
            .rds
            .allocate(())
            .map_err(|e| VpnError::new("vpn_instance_id", e.to_string()))?;
        Ok((RouteDistinguisher::ipv4(self.config.rd_admin, n as u16), n))
    }

    /// The instance's derived routes are to be recomputed, and the parts of its dataplane
    /// state that the returned [`Dirty`] will name.
    fn dirty(&mut self, external_id: &str) -> &mut Dirty {
        self.pending.insert(external_id.to_owned());
        self.dirty.entry(external_id.to_owned()).or_default()
    }

    /// The whole dataplane state of the instance is to be recomputed.
    fn touch(&mut self, external_id: &str) {
        self.dirty(external_id).all = true;
    }

    /// An endpoint of `mac` on port `ifname` came or went.
    fn touch_endpoint(&mut self, external_id: &str, ifname: &str, mac: MacAddress) {
        let dirty = self.dirty(external_id);
        dirty.ports.insert(ifname.to_owned());
        dirty.macs.insert(mac);
    }

    /// Plugs an endpoint; creates the instance on its first endpoint. Re-attaching the same
    /// endpoint refreshes it; new route targets and options update the instance.
    pub fn attach(
        &mut self,
        rib: &mut RouteTable,
        req: &AttachRequest,
    ) -> Result<VpnOutputs, VpnError> {
        let stitch = match (&req.local_port.evpn, req.vpn_type) {
            (Some(plug), VpnType::Ipvpn) => Some(self.plan_stitch(req, plug)?),
            _ => None,
        };
        let ifname = match &stitch {
            Some(s) => s.ipvpn_if.clone(),
            None => req.local_port.linuxif.clone().ok_or_else(|| {
                VpnError::new("local_port", "a local_port with 'linuxif' is required")
            })?,
        };
        if let Some(inst) = self.instances.get(&req.vpn_instance_id) {
            check_against(inst, req, &ifname)?;
        } else {
            self.create(rib, &NewInstance::of(req))?;
        }
        self.update_instance(rib, req);
        if let Some(s) = stitch {
            self.stitch(s);
        }
        self.plug(rib, req, ifname.clone())?;
        if req.vpn_type == VpnType::Evpn {
            self.claim_learned(rib, &req.vpn_instance_id, &ifname);
        }
        Ok(self.finish(rib))
    }

    fn create(&mut self, rib: &mut RouteTable, new: &NewInstance) -> Result<(), VpnError> {
        let id = self.next_instance_id;
        let kind = match new.vpn_type {
            VpnType::Evpn => "EVI",
            VpnType::Ipvpn => "VRF",
        };
        let name = format!("{kind}-{id}");
        let (label, forced_vni) = match new.vni.filter(|v| *v != 0) {
            Some(v) => {
                if let Some(other) = self.by_vni.get(&v) {
                    return Err(VpnError::new(
                        "vni",
                        format!("VNI {v} is already used by instance {other}"),
                    ));
                }
                if !self.labels.reserve(v, LabelUse::Vni(id)) {
                    return Err(VpnError::new(
                        "vni",
                        format!("VNI {v} is already used as a label of this node"),
                    ));
                }
                (v, true)
            }
            None => (
                self.labels
                    .allocate(LabelUse::Instance(id))
                    .map_err(|e| VpnError::new("vni", e.to_string()))?,
                false,
            ),
        };
        let (rd, rd_number) = self.rd()?;
        self.next_instance_id += 1;
        let source = rib.add_local(name);
        let imports = match new.vpn_type {
            VpnType::Evpn => Imports::Evi(EviImports::default()),
            VpnType::Ipvpn => Imports::Vrf(VrfImports::default()),
        };
        let ext = new.external_id.to_owned();
        let inst = Instance {
            id,
            external_id: ext.clone(),
            vpn_type: new.vpn_type,
            source,
            rd,
            rd_number,
            label,
            forced_vni,
            import_rts: Vec::new(),
            export_rts: Vec::new(),
            gateway_ip: new.gateway_ip,
            subnet_len: new.subnet_len,
            linuxbr: new.linuxbr.clone(),
            description: None,
            endpoints: Endpoints::default(),
            macs: BTreeMap::new(),
            learned: BTreeMap::new(),
            imports,
            options: Options::default(),
            subscriptions: BTreeSet::new(),
            derived: HashMap::new(),
            redirects: BTreeMap::new(),
            redirected_by: BTreeSet::new(),
            stitch: None,
        };
        if forced_vni {
            self.by_vni.insert(label, ext.clone());
        }
        self.by_source.insert(source, ext.clone());
        self.instances.insert(ext.clone(), inst);
        self.touch(&ext);
        Ok(())
    }

    /// Applies what an attach request says of the whole instance: its description (each
    /// attach sets it, as in the original), the options it gives, and the route targets:
    /// subscriptions follow the import list, and every route is re-advertised with a new
    /// export list.
    fn update_instance(&mut self, rib: &mut RouteTable, req: &AttachRequest) {
        let ext = &req.vpn_instance_id;
        let inst = self.instances.get_mut(ext).expect("created");
        inst.description = req.instance_description.clone();
        let o = &mut inst.options;
        if let Some(r) = &req.readvertise {
            o.readvertise = Some(r.clone());
        }
        if let Some(a) = &req.attract_traffic {
            o.attract = Some(a.clone());
        }
        if let Some(f) = &req.fallback {
            o.fallback = Some(f.clone());
        }
        let imports_changed = inst.import_rts != req.import_rts;
        inst.import_rts = req.import_rts.clone();
        let exports_changed = inst.export_rts != req.export_rts;
        inst.export_rts = req.export_rts.clone();
        self.sync_subscriptions(rib, ext);
        if exports_changed {
            self.readvertise_all(rib, ext);
        }
        // Which received routes a VRF uses depends on the targets it imports; the options
        // are in the instance's header, computed again for any dirty instance.
        if imports_changed {
            self.touch(ext);
        } else {
            self.dirty(ext);
        }
    }

    /// Unplugs an endpoint (for E-VPN without an IP: every endpoint of the MAC); removes the
    /// instance once nothing needs it.
    pub fn detach(
        &mut self,
        rib: &mut RouteTable,
        req: &DetachRequest,
    ) -> Result<VpnOutputs, VpnError> {
        let ext = req.vpn_instance_id.clone();
        let inst = self
            .instances
            .get(&ext)
            .ok_or_else(|| VpnError::new("vpn_instance_id", format!("no VPN instance {ext}")))?;
        if inst.vpn_type != req.vpn_type {
            return Err(VpnError::new(
                "vpn_type",
                format!(
                    "instance {ext} is of type {}, not {}",
                    inst.vpn_type, req.vpn_type
                ),
            ));
        }
        let keys = endpoints_to_detach(inst, req);
        if keys.is_empty() {
            let what = match req.ip_address {
                Some(ip) => format!("endpoint ({}, {ip})", req.mac_address),
                None => format!("MAC {}", req.mac_address),
            };
            return Err(VpnError::new(
                if req.ip_address.is_some() {
                    "ip_address"
                } else {
                    "mac_address"
                },
                format!("{what} is not plugged in instance {ext}"),
            ));
        }
        for key in keys {
            let inst = self.instances.get_mut(&ext).expect("instance");
            let Some(ep) = inst.endpoints.remove(&key) else {
                continue;
            };
            self.rds.release(ep.rd_number);
            if inst.endpoints.of_mac(ep.mac).next().is_none() {
                if let Some(md) = inst.macs.remove(&ep.mac) {
                    self.labels.release(md.label);
                }
            }
            if let Some(r) = ep.route {
                self.withdraw(rib, &ext, &r);
            }
            self.touch_endpoint(&ext, &ep.ifname, ep.mac);
        }
        self.unstitch_if_unused(rib, &ext);
        if self.instances[&ext].is_empty() {
            self.stop_instance(rib, &ext);
        }
        Ok(self.finish(rib))
    }

    fn stop_instance(&mut self, rib: &mut RouteTable, ext: &str) {
        let inst = self.instances.remove(ext).expect("instance");
        let out = rib.remove_source(inst.source);
        self.by_source.remove(&inst.source);
        self.absorb(out);
        if inst.forced_vni {
            self.by_vni.remove(&inst.label);
        }
        self.labels.release(inst.label);
        self.rds.release(inst.rd_number);
        match inst.vpn_type {
            VpnType::Evpn => self.out.evpn.push((inst.id, InstanceUpdate::Remove)),
            VpnType::Ipvpn => self.out.ipvpn.push((inst.id, InstanceUpdate::Remove)),
        }
        self.told_evi.remove(&inst.id);
        self.told_vrf.remove(&inst.id);
        self.bridge_macs.retain(|(id, _), _| *id != inst.id);
        self.dirty.remove(ext);
        self.pending.remove(ext);
        for rt in inst.redirects.keys() {
            self.release_redirect(rib, *rt, ext);
        }
        if let Some(s) = inst.stitch {
            self.unstitch(rib, &s);
        }
    }

    /// Route table events for local workers: each goes to the instance that imports it.
    pub fn route_events(&mut self, rib: &mut RouteTable, events: Vec<RouteEvent>) -> VpnOutputs {
        self.deliver(events);
        self.finish(rib)
    }

    fn deliver(&mut self, events: Vec<RouteEvent>) {
        let local = self.config.local_address;
        for ev in events {
            let Some(ext) = self.by_source.get(&ev.worker).cloned() else {
                continue;
            };
            let Some(inst) = self.instances.get_mut(&ext) else {
                continue;
            };
            let removed = ev.attrs.is_none();
            let attrs = ev
                .attrs
                .unwrap_or_else(|| Arc::new(AttributeSet::default()));
            let path = ReceivedPath {
                nlri: ev.nlri,
                origin: ev.origin,
                path_id: ev.path_id,
                attrs,
            };
            let dirty = self.dirty.entry(ext.clone()).or_default();
            match &mut inst.imports {
                Imports::Evi(i) => dirty.macs.extend(i.apply(path, removed, local)),
                Imports::Vrf(i) => dirty.prefixes.extend(i.apply(path, removed)),
            }
            self.pending.insert(ext);
        }
    }

    /// Keeps the peer changes of a route table operation, and hands its local events to the
    /// importing instances.
    fn absorb(&mut self, out: Outputs) {
        self.out.peers.extend(out.peers);
        self.deliver(out.locals);
    }

    /// Ends an operation: settles the derived routes and redirections, then computes what
    /// changed in the dataplane state of every instance that changed and hands over the
    /// outputs.
    fn finish(&mut self, rib: &mut RouteTable) -> VpnOutputs {
        self.settle(rib);
        for (ext, dirty) in std::mem::take(&mut self.dirty) {
            let Some(inst) = self.instances.get(&ext) else {
                continue;
            };
            // A driver learns of an instance from its whole state.
            match &inst.imports {
                Imports::Evi(i) => {
                    let told = self.told_evi.get_mut(&inst.id).filter(|_| !dirty.all);
                    let update = match told {
                        Some(told) => InstanceUpdate::Changes(evi::changes(inst, i, &dirty, told)),
                        None => {
                            let state = evi::dataplane_state(inst, i);
                            let told = EviTold {
                                header: evi::header(inst),
                                floods: state.flood_list.clone(),
                            };
                            self.told_evi.insert(inst.id, told);
                            InstanceUpdate::Replace(state)
                        }
                    };
                    push_update(&mut self.out.evpn, inst.id, update);
                }
                Imports::Vrf(i) => {
                    let redirects = redirect_rules(&self.instances, inst);
                    let config = &self.config;
                    let told = self.told_vrf.get_mut(&inst.id).filter(|_| !dirty.all);
                    let update = match told {
                        Some(told) => InstanceUpdate::Changes(vrf::changes(
                            inst, i, config, redirects, &dirty, told,
                        )),
                        None => {
                            let header = vrf::header(inst, config, redirects.clone());
                            self.told_vrf.insert(inst.id, header);
                            InstanceUpdate::Replace(vrf::dataplane_state(
                                inst, i, config, redirects,
                            ))
                        }
                    };
                    push_update(&mut self.out.ipvpn, inst.id, update);
                }
            }
        }
        std::mem::take(&mut self.out)
    }

    /// The whole desired dataplane state of every instance, computed afresh: what the
    /// updates handed over so far add up to.
    pub fn dataplane_states(&self) -> (BTreeMap<u32, EvpnInstanceState>, BTreeMap<u32, VrfState>) {
        let (mut evpn, mut ipvpn) = (BTreeMap::new(), BTreeMap::new());
        for inst in self.instances.values() {
            match &inst.imports {
                Imports::Evi(i) => {
                    evpn.insert(inst.id, evi::dataplane_state(inst, i));
                }
                Imports::Vrf(i) => {
                    let redirects = redirect_rules(&self.instances, inst);
                    ipvpn.insert(
                        inst.id,
                        vrf::dataplane_state(inst, i, &self.config, redirects),
                    );
                }
            }
        }
        (evpn, ipvpn)
    }

    /// The route targets each instance imports and exports (for `bagpipe-impex2dot`).
    pub fn route_targets(&self) -> Vec<(String, Vec<RouteTarget>, Vec<RouteTarget>)> {
        self.instances
            .values()
            .map(|i| {
                (
                    i.external_id.clone(),
                    i.import_rts.clone(),
                    i.export_rts.clone(),
                )
            })
            .collect()
    }
}

impl<'a> NewInstance<'a> {
    fn of(req: &'a AttachRequest) -> Self {
        NewInstance {
            external_id: &req.vpn_instance_id,
            vpn_type: req.vpn_type,
            vni: req.vni,
            gateway_ip: req.gateway_ip,
            subnet_len: req.ip_address.map(|i| i.len),
            linuxbr: req.linuxbr.clone(),
        }
    }
}
