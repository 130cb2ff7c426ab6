//! The VPN manager: turns attach/detach requests into VPN instances and their routes, routes
//! the route table's events to the instances that import them, and says which instances'
//! dataplane state changed. Owned by the engine task, like the route table it drives.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bagpipe_dataplane::{Encapsulation, EvpnInstanceState, VrfState};
use bagpipe_rib::{Outputs, PeerChange, RouteEvent, RouteTable, SourceId};
use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::nlri::Nlri;
use bagpipe_wire::{Family, MacAddress, RouteDistinguisher, RouteTarget};

use crate::allocators::IdAllocator;
use crate::error::VpnError;
use crate::evi::{self, EviImports};
use crate::instance::{Endpoint, Imports, Instance, MacData, ReceivedPath};
use crate::request::{AttachRequest, DetachRequest, VpnType};
use crate::vrf::{self, VrfImports};

#[derive(Debug, Clone)]
pub struct VpnConfig {
    /// The dataplane address: next hop of our routes, VXLAN tunnel endpoint.
    pub local_address: IpAddr,
    /// Administrator of the type 1 route distinguishers we allocate (`address:N`).
    pub rd_admin: Ipv4Addr,
    pub ipvpn_encapsulation: Encapsulation,
}

/// What an operation asks of the engine besides the route table: routes for peers, and the
/// new desired dataplane state of each instance that changed (None: the instance is gone).
#[derive(Debug, Default)]
pub struct VpnOutputs {
    pub peers: Vec<PeerChange>,
    pub evpn: Vec<(u32, Option<EvpnInstanceState>)>,
    pub ipvpn: Vec<(u32, Option<VrfState>)>,
}

pub struct VpnManager {
    config: VpnConfig,
    instances: BTreeMap<String, Instance>,
    by_source: HashMap<SourceId, String>,
    by_vni: HashMap<u32, String>,
    labels: IdAllocator,
    rds: IdAllocator,
    next_instance_id: u32,
    dirty: BTreeSet<String>,
    out: VpnOutputs,
}

fn families(t: VpnType) -> &'static [Family] {
    match t {
        VpnType::Evpn => &[Family::EVPN],
        VpnType::Ipvpn => &[Family::VPNV4, Family::VPNV6],
    }
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
            dirty: BTreeSet::new(),
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

    pub fn labels(&self) -> &IdAllocator {
        &self.labels
    }

    /// Instances with an explicit VNI, by VNI (the looking glass's `instances_per_vni`).
    pub fn instances_per_vni(&self) -> &HashMap<u32, String> {
        &self.by_vni
    }

    fn rd(&mut self, description: String) -> Result<(RouteDistinguisher, u32), VpnError> {
        let n = self
            .rds
            .allocate(description)
            .map_err(|e| VpnError::new("vpn_instance_id", e.to_string()))?;
        Ok((RouteDistinguisher::ipv4(self.config.rd_admin, n as u16), n))
    }

    /// Plugs an endpoint; creates the instance on its first endpoint. Re-attaching the same
    /// endpoint refreshes it; new route targets update the instance.
    pub fn attach(
        &mut self,
        rib: &mut RouteTable,
        req: &AttachRequest,
    ) -> Result<VpnOutputs, VpnError> {
        let ifname = req.local_port.linuxif.clone().ok_or_else(|| {
            VpnError::new("local_port", "a local_port with 'linuxif' is required")
        })?;
        if let Some(inst) = self.instances.get(&req.vpn_instance_id) {
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
            if let Some(md) = inst.macs.get(&req.mac_address) {
                if md.ifname != ifname {
                    return Err(VpnError::new(
                        "mac_address",
                        format!(
                            "{} is already plugged on port {} of this instance",
                            req.mac_address, md.ifname
                        ),
                    ));
                }
            }
            if let Some(ip) = req.ip_address {
                let other = inst
                    .endpoints
                    .values()
                    .find(|e| e.ip.map(|i| i.addr) == Some(ip.addr) && e.mac != req.mac_address);
                if let Some(e) = other {
                    return Err(VpnError::new(
                        "ip_address",
                        format!("{} is already bound to MAC {}", ip.addr, e.mac),
                    ));
                }
            }
        } else {
            self.create(rib, req)?;
        }
        self.update_route_targets(rib, req);
        self.plug(rib, req, ifname)?;
        self.dirty.insert(req.vpn_instance_id.clone());
        Ok(self.flush())
    }

    fn create(&mut self, rib: &mut RouteTable, req: &AttachRequest) -> Result<(), VpnError> {
        let id = self.next_instance_id;
        let kind = match req.vpn_type {
            VpnType::Evpn => "EVI",
            VpnType::Ipvpn => "VRF",
        };
        let name = format!("{kind}-{id}");
        let (label, forced_vni) = match req.vni.filter(|v| *v != 0) {
            Some(v) => {
                if let Some(other) = self.by_vni.get(&v) {
                    return Err(VpnError::new(
                        "vni",
                        format!("VNI {v} is already used by instance {other}"),
                    ));
                }
                if !self.labels.reserve(v, format!("VNI of {name}")) {
                    return Err(VpnError::new(
                        "vni",
                        format!("VNI {v} is already used as a label of this node"),
                    ));
                }
                (v, true)
            }
            None => (
                self.labels
                    .allocate(format!("Incoming traffic for {name}"))
                    .map_err(|e| VpnError::new("vni", e.to_string()))?,
                false,
            ),
        };
        let (rd, rd_number) = self.rd(format!("Default route distinguisher for {name}"))?;
        self.next_instance_id += 1;
        let source = rib.add_local(name);
        let imports = match req.vpn_type {
            VpnType::Evpn => Imports::Evi(EviImports::default()),
            VpnType::Ipvpn => Imports::Vrf(VrfImports::default()),
        };
        let inst = Instance {
            id,
            external_id: req.vpn_instance_id.clone(),
            vpn_type: req.vpn_type,
            source,
            rd,
            rd_number,
            label,
            forced_vni,
            import_rts: Vec::new(),
            export_rts: Vec::new(),
            gateway_ip: req.gateway_ip,
            subnet_len: req.ip_address.map(|i| i.len),
            linuxbr: req.linuxbr.clone(),
            description: req.instance_description.clone(),
            endpoints: BTreeMap::new(),
            macs: BTreeMap::new(),
            advertised: Vec::new(),
            imports,
        };
        if forced_vni {
            self.by_vni.insert(label, req.vpn_instance_id.clone());
        }
        self.by_source.insert(source, req.vpn_instance_id.clone());
        self.instances.insert(req.vpn_instance_id.clone(), inst);
        Ok(())
    }

    /// Applies the request's route targets: subscriptions follow the import list, and every
    /// route is re-advertised with the export list.
    fn update_route_targets(&mut self, rib: &mut RouteTable, req: &AttachRequest) {
        let inst = self
            .instances
            .get_mut(&req.vpn_instance_id)
            .expect("created");
        let source = inst.source;
        let fams = families(inst.vpn_type);
        let old_import = std::mem::replace(&mut inst.import_rts, req.import_rts.clone());
        let exports_changed = inst.export_rts != req.export_rts;
        inst.export_rts = req.export_rts.clone();
        let new_import = inst.import_rts.clone();
        for rt in new_import.iter().filter(|rt| !old_import.contains(rt)) {
            for &f in fams {
                let out = rib.subscribe(source, f, *rt);
                self.absorb(out);
            }
        }
        for rt in old_import.iter().filter(|rt| !new_import.contains(rt)) {
            for &f in fams {
                let out = rib.unsubscribe(source, f, *rt);
                self.absorb(out);
            }
        }
        if exports_changed {
            self.readvertise_all(rib, &req.vpn_instance_id);
        }
    }

    /// (Re-)advertises every route of an instance, e.g. after its export targets changed.
    fn readvertise_all(&mut self, rib: &mut RouteTable, external_id: &str) {
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

    fn endpoint_route(&self, inst: &Instance, ep: &Endpoint) -> Option<(Nlri, AttributeSet)> {
        if !ep.direction.to_port() {
            return None;
        }
        let local = self.config.local_address;
        let md = inst.macs.get(&ep.mac)?;
        match inst.vpn_type {
            VpnType::Evpn => Some(evi::mac_route(
                inst,
                ep.mac,
                ep.ip.map(|i| i.addr),
                md.mobility_seq,
                local,
            )),
            VpnType::Ipvpn => {
                vrf::endpoint_route(inst, ep, md.label, self.config.ipvpn_encapsulation, local)
            }
        }
    }

    fn announce(
        &mut self,
        rib: &mut RouteTable,
        external_id: &str,
        nlri: &Nlri,
        attrs: AttributeSet,
    ) {
        let inst = self.instances.get_mut(external_id).expect("instance");
        let source = inst.source;
        inst.set_advertised(nlri, Some(Arc::new(attrs.clone())));
        let out = rib.announce_local(source, nlri, attrs);
        self.absorb(out);
    }

    fn withdraw(&mut self, rib: &mut RouteTable, external_id: &str, nlri: &Nlri) {
        let inst = self.instances.get_mut(external_id).expect("instance");
        let source = inst.source;
        inst.set_advertised(nlri, None);
        let out = rib.withdraw_local(source, nlri);
        self.absorb(out);
    }

    fn plug(
        &mut self,
        rib: &mut RouteTable,
        req: &AttachRequest,
        ifname: String,
    ) -> Result<(), VpnError> {
        let ext = req.vpn_instance_id.clone();
        let key = (req.mac_address, req.ip_address);
        let first_endpoint = self.instances[&ext].is_empty();
        let (endpoint_rd, rd_number) = match self.instances[&ext].endpoints.get(&key) {
            Some(ep) => (ep.rd, ep.rd_number),
            None => self.rd(format!(
                "Route distinguisher for {}, interface {ifname}, endpoint ({}, {:?})",
                self.instances[&ext].name(),
                req.mac_address,
                req.ip_address.map(|i| i.to_string())
            ))?,
        };
        if !self.instances[&ext].macs.contains_key(&req.mac_address) {
            let name = self.instances[&ext].name();
            let label = self
                .labels
                .allocate(format!(
                    "Incoming traffic for {name}, interface {ifname}, MAC {}",
                    req.mac_address
                ))
                .map_err(|e| VpnError::new("mac_address", e.to_string()))?;
            // RFC 7432 §15: a MAC already advertised elsewhere moved here.
            let mobility_seq = match &self.instances[&ext].imports {
                Imports::Evi(i) => i.remote_seq(&req.mac_address).map_or(0, |s| s + 1),
                Imports::Vrf(_) => 0,
            };
            let md = MacData {
                ifname: ifname.clone(),
                local_port: req.local_port.clone(),
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
            description: req.description.clone(),
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
        let inst = self.instances.get_mut(&ext).expect("instance");
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

    /// Unplugs an endpoint (for E-VPN without an IP: every endpoint of the MAC); removes the
    /// instance with its last endpoint.
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
        let keys: Vec<(MacAddress, Option<crate::request::IpWithLength>)> = match req.ip_address {
            Some(ip) => {
                let exact = (req.mac_address, Some(ip));
                // The IP may be given with another length than at attach time.
                inst.endpoints
                    .keys()
                    .filter(|(m, i)| *m == req.mac_address && i.map(|i| i.addr) == Some(ip.addr))
                    .copied()
                    .chain(inst.endpoints.contains_key(&exact).then_some(exact))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            }
            None => inst
                .endpoints
                .keys()
                .filter(|(m, _)| *m == req.mac_address)
                .copied()
                .collect(),
        };
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
            if !inst.endpoints.keys().any(|(m, _)| *m == ep.mac) {
                if let Some(md) = inst.macs.remove(&ep.mac) {
                    self.labels.release(md.label);
                }
            }
            if let Some(r) = ep.route {
                self.withdraw(rib, &ext, &r);
            }
        }
        self.dirty.insert(ext.clone());
        if self.instances[&ext].is_empty() {
            self.stop_instance(rib, &ext);
        }
        Ok(self.flush())
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
            VpnType::Evpn => self.out.evpn.push((inst.id, None)),
            VpnType::Ipvpn => self.out.ipvpn.push((inst.id, None)),
        }
        self.dirty.remove(ext);
    }

    /// Route table events for local workers: each goes to the instance that imports it.
    pub fn route_events(&mut self, events: Vec<RouteEvent>) -> VpnOutputs {
        self.deliver(events);
        self.flush()
    }

    fn deliver(&mut self, events: Vec<RouteEvent>) {
        let local = self.config.local_address;
        for ev in events {
            let Some(ext) = self.by_source.get(&ev.worker) else {
                continue;
            };
            let Some(inst) = self.instances.get_mut(ext) else {
                continue;
            };
            let removed = ev.attrs.is_none();
            let attrs = ev
                .attrs
                .unwrap_or_else(|| Arc::new(AttributeSet::default()));
            let path = ReceivedPath {
                key: ev.key,
                nlri: ev.nlri,
                origin: ev.origin,
                path_id: ev.path_id,
                attrs,
            };
            match &mut inst.imports {
                Imports::Evi(i) => i.apply(path, removed, local),
                Imports::Vrf(i) => i.apply(path, removed, local),
            }
            self.dirty.insert(ext.clone());
        }
    }

    /// Keeps the peer changes of a route table operation, and hands its local events to the
    /// importing instances.
    fn absorb(&mut self, out: Outputs) {
        self.out.peers.extend(out.peers);
        self.deliver(out.locals);
    }

    /// Computes the dataplane state of every instance that changed and hands over the outputs.
    fn flush(&mut self) -> VpnOutputs {
        let local = self.config.local_address;
        for ext in std::mem::take(&mut self.dirty) {
            let Some(inst) = self.instances.get(&ext) else {
                continue;
            };
            match &inst.imports {
                Imports::Evi(i) => self
                    .out
                    .evpn
                    .push((inst.id, Some(evi::dataplane_state(inst, i)))),
                Imports::Vrf(i) => self.out.ipvpn.push((
                    inst.id,
                    Some(vrf::dataplane_state(
                        inst,
                        i,
                        self.config.ipvpn_encapsulation,
                        local,
                    )),
                )),
            }
        }
        std::mem::take(&mut self.out)
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
