//! What each label of this node is for, in the looking glass's words (the original's). The
//! allocator records a few bytes per label; the text, which names the port, is written only
//! when the looking glass asks.

use std::collections::{BTreeMap, HashMap};

use bagpipe_wire::MacAddress;

use super::VpnManager;
use crate::instance::Instance;

#[derive(Debug, Clone, Copy)]
pub enum LabelUse {
    /// The VNI an attach request gave instance `id`.
    Vni(u32),
    /// The label (or VNI) allocated to instance `id`.
    Instance(u32),
    /// The label of a MAC plugged on a port of instance `id`.
    Mac(u32, MacAddress),
}

impl VpnManager {
    /// Every label allocated, with what it is for.
    pub fn label_descriptions(&self) -> BTreeMap<u32, String> {
        let by_id: HashMap<u32, &Instance> = self.instances.values().map(|i| (i.id, i)).collect();
        self.labels
            .allocated()
            .iter()
            .map(|(label, used)| (*label, describe(*used, &by_id)))
            .collect()
    }
}

fn describe(used: LabelUse, instances: &HashMap<u32, &Instance>) -> String {
    let (LabelUse::Vni(id) | LabelUse::Instance(id) | LabelUse::Mac(id, _)) = used;
    // Instances are gone only after their labels are released; a name for safety's sake.
    let inst = instances.get(&id);
    let name = inst.map_or_else(|| format!("instance {id}"), |i| i.name());
    match used {
        LabelUse::Vni(_) => format!("VNI of {name}"),
        LabelUse::Instance(_) => format!("Incoming traffic for {name}"),
        LabelUse::Mac(_, mac) => {
            let port = inst.and_then(|i| i.endpoints.of_mac(mac).next());
            let ifname = port.map_or("?", |(_, ep)| ep.ifname.as_str());
            format!("Incoming traffic for {name}, interface {ifname}, MAC {mac}")
        }
    }
}
