//! How the Linux drivers mark what they create, so that a restarted daemon adopts it and
//! `bagpipe-bgp-cleanup` removes it, while anything created by others is never touched.
//!
//! - devices: names start with [`DEVICE_PREFIX`] and fit the kernel's 15 characters;
//! - routes, policy rules, neighbour entries and addresses: the route protocol number
//!   [`RT_PROTO_BAGPIPE`] (`proto 19` in `ip route`, `ip rule`, `ip neigh`, `ip addr`);
//! - FDB entries carry no protocol: ours are those on our devices, plus static entries on
//!   ports of our bridges;
//! - routing tables: [`table_of`] maps a VRF to its table, above [`TABLE_BASE`].

/// Every device we create starts with this; the next letter says which kind.
pub const DEVICE_PREFIX: &str = "bpv";
/// The bridge of an E-VPN instance the driver created (`bpvb-<id>`).
pub const EVPN_BRIDGE_PREFIX: &str = "bpvb-";
/// The VXLAN device of an E-VPN instance (`bpvx-<id>`).
pub const EVPN_VXLAN_PREFIX: &str = "bpvx-";
/// The VXLAN device of an IP VPN instance (`bpvr-<id>`).
pub const VRF_VXLAN_PREFIX: &str = "bpvr-";
/// E-VPN-to-IP-VPN stitching joins the bridge of E-VPN instance `<id>` to the VRF it is
/// plugged into with a veth pair: `bpve-<id>` in the bridge...
pub const STITCH_EVPN_END_PREFIX: &str = "bpve-";
/// ...and `bpvi-<id>`, a port the VRF routes for (an E-VPN is plugged into one VRF at most).
pub const STITCH_VRF_END_PREFIX: &str = "bpvi-";

/// The route protocol of our routes, rules, neighbour entries and addresses (the number the
/// original bagpipe-bgp used for its routes).
pub const RT_PROTO_BAGPIPE: u8 = 19;

/// Table of VRF `id` is `TABLE_BASE + id`: far above the numbers people pick by hand.
pub const TABLE_BASE: u32 = 0x6270_0000;

/// Priority of our policy rules: after the `local` table (0), before `main` (32766).
pub const RULE_PRIORITY: u32 = 1000;

/// Linux limit on interface names (IFNAMSIZ - 1).
pub const IFNAME_MAX: usize = 15;

pub fn evpn_bridge_name(id: u32) -> String {
    format!("{EVPN_BRIDGE_PREFIX}{id}")
}

pub fn evpn_vxlan_name(id: u32) -> String {
    format!("{EVPN_VXLAN_PREFIX}{id}")
}

pub fn vrf_vxlan_name(id: u32) -> String {
    format!("{VRF_VXLAN_PREFIX}{id}")
}

/// The bridge end of the stitching of E-VPN instance `evi`.
pub fn stitch_evpn_end(evi: u32) -> String {
    format!("{STITCH_EVPN_END_PREFIX}{evi}")
}

/// The VRF end of the stitching of E-VPN instance `evi`.
pub fn stitch_vrf_end(evi: u32) -> String {
    format!("{STITCH_VRF_END_PREFIX}{evi}")
}

/// `None` when `id` is too large to have a table of its own.
pub fn table_of(id: u32) -> Option<u32> {
    TABLE_BASE.checked_add(id).filter(|t| *t != u32::MAX)
}

/// Whether a device name is one of ours.
pub fn is_owned_device(name: &str) -> bool {
    [
        EVPN_BRIDGE_PREFIX,
        EVPN_VXLAN_PREFIX,
        VRF_VXLAN_PREFIX,
        STITCH_EVPN_END_PREFIX,
        STITCH_VRF_END_PREFIX,
    ]
    .iter()
    .any(|p| name.strip_prefix(p).is_some_and(is_id))
}

/// The instance a device name belongs to, given the prefix of its kind.
pub fn instance_of_device(name: &str, prefix: &str) -> Option<u32> {
    name.strip_prefix(prefix).filter(|s| is_id(s))?.parse().ok()
}

/// The VRF a table belongs to.
pub fn instance_of_table(table: u32) -> Option<u32> {
    table.checked_sub(TABLE_BASE)
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_the_kernel_and_round_trip() {
        for name in [
            evpn_bridge_name(u32::MAX),
            evpn_vxlan_name(u32::MAX),
            vrf_vxlan_name(u32::MAX),
            stitch_evpn_end(u32::MAX),
            stitch_vrf_end(u32::MAX),
        ] {
            assert!(name.len() <= IFNAME_MAX, "{name}");
            assert!(name.starts_with(DEVICE_PREFIX));
            assert!(is_owned_device(&name));
        }
        assert_eq!(instance_of_device("bpvx-42", EVPN_VXLAN_PREFIX), Some(42));
        assert_eq!(instance_of_device("bpvx-42", EVPN_BRIDGE_PREFIX), None);
    }

    #[test]
    fn foreign_names_are_not_ours() {
        for name in [
            "bpvx-",
            "bpvx-1a",
            "bpvb",
            "eth0",
            "bpvq-1",
            "xbpvb-1",
            "bpvb-12345678901",
        ] {
            assert!(!is_owned_device(name), "{name}");
        }
    }

    #[test]
    fn tables_map_back_to_instances() {
        assert_eq!(table_of(7).and_then(instance_of_table), Some(7));
        assert_eq!(instance_of_table(254), None);
        assert_eq!(table_of(u32::MAX), None);
    }
}
