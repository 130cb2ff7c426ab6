//! What the daemon's `[DATAPLANE_DRIVER_EVPN]` / `[DATAPLANE_DRIVER_IPVPN]` sections say to a
//! Linux driver, and the checks made at start-up, before any instance exists.

use std::net::IpAddr;
use std::path::Path;

use serde::Serialize;

/// `vxlan_dst_port` when the configuration says nothing (the IANA port).
pub const DEFAULT_VXLAN_DST_PORT: u16 = 4789;

/// Where the kernel shows MPLS routing, when it has it.
pub const MPLS_PLATFORM_LABELS: &str = "/proc/sys/net/mpls/platform_labels";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinuxDriverConfig {
    /// `dataplane_local_address`: the source of our VXLAN packets, the next hop we advertise.
    pub local_address: IpAddr,
    /// `vxlan_dst_port`.
    pub vxlan_dst_port: u16,
}

impl LinuxDriverConfig {
    pub fn new(local_address: IpAddr) -> Self {
        LinuxDriverConfig {
            local_address,
            vxlan_dst_port: DEFAULT_VXLAN_DST_PORT,
        }
    }
}

/// How the IP VPN driver carries traffic between nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IpVpnEncapsulation {
    /// A VXLAN device per VRF, routing symmetrically (RFC 9135 style): implemented.
    Vxlan,
    /// Kernel MPLS routes (the original's `mpls_linux` driver): refused where the kernel has
    /// no MPLS routing, and not implemented by this crate yet in any case.
    Mpls,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("dataplane_local_address {0} cannot be used: give this node's address on the underlay network")]
    BadLocalAddress(IpAddr),
    #[error("vxlan_dst_port must not be 0")]
    BadPort,
    #[error("the IP VPN Linux driver with MPLS needs kernel MPLS routing, and {MPLS_PLATFORM_LABELS} is absent: load the mpls_router and mpls_iptunnel modules (a kernel built with CONFIG_MPLS_ROUTING), or use VXLAN encapsulation")]
    NoKernelMpls,
    #[error("the IP VPN Linux driver does not program MPLS routes yet: use VXLAN encapsulation")]
    MplsNotImplemented,
}

/// Checks a Linux driver's configuration against this machine, so that a bad one stops the
/// daemon at start-up with a message saying what to change.
pub fn check_linux_config(
    config: &LinuxDriverConfig,
    ipvpn_encapsulation: Option<IpVpnEncapsulation>,
) -> Result<(), ConfigError> {
    let a = config.local_address;
    if a.is_unspecified() || a.is_multicast() || a.is_loopback() {
        return Err(ConfigError::BadLocalAddress(a));
    }
    if config.vxlan_dst_port == 0 {
        return Err(ConfigError::BadPort);
    }
    match ipvpn_encapsulation {
        Some(IpVpnEncapsulation::Mpls) if !Path::new(MPLS_PLATFORM_LABELS).exists() => {
            Err(ConfigError::NoKernelMpls)
        }
        Some(IpVpnEncapsulation::Mpls) => Err(ConfigError::MplsNotImplemented),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_unusable_local_addresses() {
        for bad in ["0.0.0.0", "127.0.0.1", "224.0.0.1", "::"] {
            let config = LinuxDriverConfig::new(bad.parse().unwrap());
            assert!(matches!(
                check_linux_config(&config, None),
                Err(ConfigError::BadLocalAddress(_))
            ));
        }
        let good = LinuxDriverConfig::new("192.0.2.1".parse().unwrap());
        assert_eq!(
            check_linux_config(&good, Some(IpVpnEncapsulation::Vxlan)),
            Ok(())
        );
    }

    #[test]
    fn mpls_is_refused_with_the_reason() {
        let config = LinuxDriverConfig::new("192.0.2.1".parse().unwrap());
        let err = check_linux_config(&config, Some(IpVpnEncapsulation::Mpls)).unwrap_err();
        let expected = if Path::new(MPLS_PLATFORM_LABELS).exists() {
            ConfigError::MplsNotImplemented
        } else {
            ConfigError::NoKernelMpls
        };
        assert_eq!(err, expected);
        assert!(err.to_string().contains("VXLAN"), "{err}");
    }
}
