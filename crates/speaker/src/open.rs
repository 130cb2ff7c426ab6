//! The OPEN we send to a peer, from its configuration.

use bagpipe_wire::family::{AFI_IPV4, AFI_IPV6, SAFI_MPLS_VPN, SAFI_UNICAST};
use bagpipe_wire::message::{
    AddPathMode, Capability, ExtendedNextHop, GracefulRestart, GracefulRestartFamily, Open,
};
use bagpipe_wire::Family;

use crate::config::PeerConfig;

/// The OPEN of a session; the Restart State bit as the configuration says.
pub fn build_open(config: &PeerConfig) -> Open {
    let restarting = config
        .graceful_restart
        .as_ref()
        .is_some_and(|gr| gr.restarting);
    build_open_restarting(config, restarting)
}

/// The OPEN of a session, with the Restart State bit (R) set or not: a restarted speaker sets
/// it until its first session with the peer is up (RFC 4724 §3), not on later sessions.
pub fn build_open_restarting(config: &PeerConfig, restarting: bool) -> Open {
    let mut caps: Vec<Capability> = config
        .families
        .iter()
        .map(|&family| Capability::Multiprotocol { family })
        .collect();
    caps.push(Capability::RouteRefresh);
    caps.push(Capability::EnhancedRouteRefresh);
    caps.push(Capability::FourOctetAs {
        asn: config.local_asn,
    });
    if config.extended_message {
        caps.push(Capability::ExtendedMessage);
    }
    let entries = ipv6_next_hop_entries(&config.families);
    if !entries.is_empty() {
        caps.push(Capability::ExtendedNextHop { entries });
    }
    if !config.add_path_receive.is_empty() {
        caps.push(Capability::AddPath {
            families: config
                .add_path_receive
                .iter()
                .map(|&f| (f, AddPathMode::Receive))
                .collect(),
        });
    }
    if let Some(gr) = &config.graceful_restart {
        caps.push(Capability::GracefulRestart(GracefulRestart {
            restarting,
            notification: false,
            restart_time: gr.restart_time.min(0x0fff),
            families: config
                .families
                .iter()
                .map(|&family| GracefulRestartFamily {
                    family,
                    forwarding_preserved: gr.forwarding_preserved.contains(&family),
                })
                .collect(),
        }));
    }
    Open::new(config.local_asn, config.hold_time, config.router_id, caps)
}

/// RFC 8950: the IPv4 families of `families` whose routes may carry an IPv6 next hop (a
/// node on an IPv6 underlay advertises its VPNv4 routes with its IPv6 address). We take such
/// routes and offer to send them; they go only to peers that offer the same.
fn ipv6_next_hop_entries(families: &[Family]) -> Vec<ExtendedNextHop> {
    families
        .iter()
        .filter(|f| f.afi == AFI_IPV4 && (f.safi == SAFI_UNICAST || f.safi == SAFI_MPLS_VPN))
        .map(|&family| ExtendedNextHop {
            family,
            next_hop_afi: AFI_IPV6,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GracefulRestartConfig;

    fn restart_bit(open: &Open) -> Option<bool> {
        open.capabilities().find_map(|c| match c {
            Capability::GracefulRestart(gr) => Some(gr.restarting),
            _ => None,
        })
    }

    #[test]
    fn ipv6_next_hops_are_offered_for_ipv4_vpn_routes_only() {
        let config = |families| {
            PeerConfig::ibgp(
                "192.0.2.2".parse().unwrap(),
                64512,
                "192.0.2.1".parse().unwrap(),
                families,
            )
        };
        let offered = |open: &Open| {
            open.capabilities()
                .find_map(|c| match c {
                    Capability::ExtendedNextHop { entries } => Some(entries.clone()),
                    _ => None,
                })
                .unwrap_or_default()
        };
        let open = build_open(&config(vec![Family::VPNV4, Family::VPNV6, Family::EVPN]));
        assert_eq!(
            offered(&open),
            [ExtendedNextHop {
                family: Family::VPNV4,
                next_hop_afi: AFI_IPV6
            }]
        );
        let open = build_open(&config(vec![Family::EVPN, Family::RTC]));
        assert!(open
            .capabilities()
            .all(|c| !matches!(c, Capability::ExtendedNextHop { .. })));
    }

    #[test]
    fn the_restart_bit_follows_the_configuration_unless_the_session_says_otherwise() {
        let mut config = PeerConfig::ibgp(
            "192.0.2.2".parse().unwrap(),
            64512,
            "192.0.2.1".parse().unwrap(),
            vec![Family::EVPN],
        );
        assert_eq!(restart_bit(&build_open(&config)), None);
        config.graceful_restart = Some(GracefulRestartConfig {
            restart_time: 90,
            forwarding_preserved: vec![Family::EVPN],
            restarting: true,
        });
        assert_eq!(restart_bit(&build_open(&config)), Some(true));
        // After the first session with the peer: no longer restarting.
        assert_eq!(
            restart_bit(&build_open_restarting(&config, false)),
            Some(false)
        );
    }
}
