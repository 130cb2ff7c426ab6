//! `[DATAPLANE_DRIVER_IPVPN]` and `[DATAPLANE_DRIVER_EVPN]`: which dataplane driver each VPN
//! type uses, and the drivers' options, with the original's names and defaults.
//!
//! The original registered a driver's options only when that driver was loaded, so options
//! of another driver were silently ignored. Here every option of the section is read
//! whatever the driver, so that a typo'd value is reported even before switching drivers;
//! the looking glass still shows only the options of the driver in use, as the original.

use std::net::IpAddr;

use super::error::{ConfigError, ConfigWarning};
use super::ini::Section;
use super::options::{boolean, choice, integer, list, Options};
use super::resolve::{interface_address, AddressResolver};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpvpnDriver {
    Dummy,
    /// Linux kernel routing (VRF tables, MPLS routes where the kernel has MPLS).
    Linux,
    /// Open vSwitch (MPLS-over-GRE, MPLS-over-Ethernet, VXLAN).
    Ovs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvpnDriver {
    Dummy,
    /// Linux bridge and VXLAN device.
    Linux,
    /// Open vSwitch (the Neutron OVS agent's tunnel bridge).
    Ovs,
}

/// `mpls_over_gre` of the OVS driver (its choices are case-sensitive, as in oslo.config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MplsOverGre {
    Auto,
    Yes,
    No,
}

/// `hash_method` of the OVS driver: the OVS group bucket `selection_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashMethod {
    Hash,
    DpHash,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvpnDataplaneConfig {
    pub driver: IpvpnDriver,
    /// Next hop of our routes and tunnel source; default: `[BGP] local_address`.
    pub dataplane_local_address: Option<IpAddr>,
    /// Interface for MPLS traffic (linux and ovs drivers); `None` or `*gre*`: MPLS over GRE.
    pub mpls_interface: Option<String>,
    pub mpls_over_gre: MplsOverGre,
    pub proxy_arp: bool,
    pub arp_responder: bool,
    pub vxlan_encap: bool,
    pub ovs_bridge: String,
    pub input_table: u8,
    pub ovs_table_id_start: u8,
    pub gre_tunnel: String,
    pub gre_tunnel_options: Vec<String>,
    pub ovsbr_interfaces_mtu: Option<u32>,
    pub hash_method: HashMethod,
    pub hash_method_param: u64,
    pub hash_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvpnDataplaneConfig {
    pub driver: EvpnDriver,
    pub dataplane_local_address: Option<IpAddr>,
    /// Tunnel bridge of the ovs driver.
    pub ovs_bridge: String,
    /// UDP port VXLAN traffic is sent to (linux driver).
    pub vxlan_dst_port: u16,
    /// Advertise the MACs the instances' bridges learn on attached ports besides the MACs
    /// the attach requests gave (linux driver): VMs with several MACs, or behind a port.
    pub learn_local_macs: bool,
}

/// Driver names, with the class paths old configuration files used (the original's
/// entry points kept them for backward compatibility).
const IPVPN_DRIVERS: [(&str, IpvpnDriver); 9] = [
    ("dummy", IpvpnDriver::Dummy),
    ("linux", IpvpnDriver::Linux),
    ("ovs", IpvpnDriver::Ovs),
    ("DummyDataplaneDriver", IpvpnDriver::Dummy),
    (
        "mpls_linux_dataplane.MPLSLinuxDataplaneDriver",
        IpvpnDriver::Linux,
    ),
    (
        "mpls_ovs_dataplane.MPLSOVSDataplaneDriver",
        IpvpnDriver::Ovs,
    ),
    (
        "bagpipe.bgp.vpn.ipvpn.DummyDataplaneDriver",
        IpvpnDriver::Dummy,
    ),
    (
        "bagpipe.bgp.vpn.ipvpn.mpls_linux_dataplane.MPLSLinuxDataplaneDriver",
        IpvpnDriver::Linux,
    ),
    (
        "bagpipe.bgp.vpn.ipvpn.mpls_ovs_dataplane.MPLSOVSDataplaneDriver",
        IpvpnDriver::Ovs,
    ),
];

const EVPN_DRIVERS: [(&str, EvpnDriver); 7] = [
    ("dummy", EvpnDriver::Dummy),
    ("linux", EvpnDriver::Linux),
    ("ovs", EvpnDriver::Ovs),
    ("DummyDataplaneDriver", EvpnDriver::Dummy),
    ("linux_vxlan.LinuxVXLANDataplaneDriver", EvpnDriver::Linux),
    (
        "bagpipe.bgp.vpn.evpn.DummyDataplaneDriver",
        EvpnDriver::Dummy,
    ),
    (
        "bagpipe.bgp.vpn.evpn.linux_vxlan.LinuxVXLANDataplaneDriver",
        EvpnDriver::Linux,
    ),
];

impl IpvpnDriver {
    pub fn name(self) -> &'static str {
        match self {
            IpvpnDriver::Dummy => "dummy",
            IpvpnDriver::Linux => "linux",
            IpvpnDriver::Ovs => "ovs",
        }
    }
}

impl EvpnDriver {
    pub fn name(self) -> &'static str {
        match self {
            EvpnDriver::Dummy => "dummy",
            EvpnDriver::Linux => "linux",
            EvpnDriver::Ovs => "ovs",
        }
    }
}

impl MplsOverGre {
    pub fn name(self) -> &'static str {
        match self {
            MplsOverGre::Auto => "auto",
            MplsOverGre::Yes => "True",
            MplsOverGre::No => "False",
        }
    }
}

impl HashMethod {
    pub fn name(self) -> &'static str {
        match self {
            HashMethod::Hash => "hash",
            HashMethod::DpHash => "dp_hash",
        }
    }
}

impl Default for IpvpnDataplaneConfig {
    fn default() -> Self {
        IpvpnDataplaneConfig {
            driver: IpvpnDriver::Dummy,
            dataplane_local_address: None,
            mpls_interface: None,
            mpls_over_gre: MplsOverGre::Auto,
            proxy_arp: false,
            arp_responder: false,
            vxlan_encap: false,
            ovs_bridge: "br-mpls".to_owned(),
            input_table: 0,
            ovs_table_id_start: 1,
            gre_tunnel: "mpls_gre".to_owned(),
            gre_tunnel_options: Vec::new(),
            ovsbr_interfaces_mtu: None,
            hash_method: HashMethod::DpHash,
            hash_method_param: 0,
            hash_fields: Vec::new(),
        }
    }
}

impl Default for EvpnDataplaneConfig {
    fn default() -> Self {
        EvpnDataplaneConfig {
            driver: EvpnDriver::Dummy,
            dataplane_local_address: None,
            ovs_bridge: "br-tun".to_owned(),
            vxlan_dst_port: 4789,
            learn_local_macs: false,
        }
    }
}

/// OVS table numbers: 255 is reserved by OpenFlow.
const OVS_TABLE: std::ops::RangeInclusive<u8> = 0..=254;

pub(crate) fn read_ipvpn(
    section: Option<&Section>,
    resolver: &dyn AddressResolver,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<IpvpnDataplaneConfig, ConfigError> {
    let mut o = Options::new("DATAPLANE_DRIVER_IPVPN", section);
    let d = IpvpnDataplaneConfig::default();
    let config = IpvpnDataplaneConfig {
        driver: o.or("dataplane_driver", d.driver, choice(&IPVPN_DRIVERS))?,
        dataplane_local_address: o
            .optional("dataplane_local_address", interface_address(resolver))?,
        mpls_interface: o.optional("mpls_interface", |s| Ok(s.to_owned()))?,
        mpls_over_gre: o.or(
            "mpls_over_gre",
            d.mpls_over_gre,
            choice(&[
                ("auto", MplsOverGre::Auto),
                ("True", MplsOverGre::Yes),
                ("False", MplsOverGre::No),
            ]),
        )?,
        proxy_arp: o.or("proxy_arp", d.proxy_arp, boolean)?,
        arp_responder: o.or("arp_responder", d.arp_responder, boolean)?,
        vxlan_encap: o.or("vxlan_encap", d.vxlan_encap, boolean)?,
        ovs_bridge: o.string("ovs_bridge", &d.ovs_bridge),
        input_table: o.or("input_table", d.input_table, integer(OVS_TABLE))?,
        ovs_table_id_start: o.or(
            "ovs_table_id_start",
            d.ovs_table_id_start,
            integer(OVS_TABLE),
        )?,
        gre_tunnel: o.string("gre_tunnel", &d.gre_tunnel),
        gre_tunnel_options: o.or("gre_tunnel_options", Vec::new(), list)?,
        ovsbr_interfaces_mtu: o.optional("ovsbr_interfaces_mtu", integer(68..=65535u32))?,
        hash_method: o.or(
            "hash_method",
            d.hash_method,
            choice(&[("hash", HashMethod::Hash), ("dp_hash", HashMethod::DpHash)]),
        )?,
        hash_method_param: o.or("hash_method_param", 0, integer(0..=u64::MAX))?,
        hash_fields: o.or("hash_fields", Vec::new(), list)?,
    };
    if config.driver == IpvpnDriver::Ovs && config.input_table == config.ovs_table_id_start {
        return Err(o.error("ovs_table_id_start", "must be different from input_table"));
    }
    warnings.extend(o.finish());
    Ok(config)
}

pub(crate) fn read_evpn(
    section: Option<&Section>,
    resolver: &dyn AddressResolver,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<EvpnDataplaneConfig, ConfigError> {
    let mut o = Options::new("DATAPLANE_DRIVER_EVPN", section);
    let d = EvpnDataplaneConfig::default();
    let config = EvpnDataplaneConfig {
        driver: o.or("dataplane_driver", d.driver, choice(&EVPN_DRIVERS))?,
        dataplane_local_address: o
            .optional("dataplane_local_address", interface_address(resolver))?,
        ovs_bridge: o.string("ovs_bridge", &d.ovs_bridge),
        vxlan_dst_port: o.or("vxlan_dst_port", d.vxlan_dst_port, integer(1..=u16::MAX))?,
        learn_local_macs: o.or("learn_local_macs", d.learn_local_macs, boolean)?,
    };
    if config.learn_local_macs && config.driver != EvpnDriver::Linux {
        return Err(o.error(
            "learn_local_macs",
            "only the linux driver learns MACs (dataplane_driver = linux)",
        ));
    }
    warnings.extend(o.finish());
    Ok(config)
}
