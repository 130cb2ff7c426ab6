//! The OPEN we send to a peer, from its configuration.

use bagpipe_wire::message::{
    AddPathMode, Capability, GracefulRestart, GracefulRestartFamily, Open,
};

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

#[cfg(test)]
mod tests {
    use bagpipe_wire::Family;

    use super::*;
    use crate::config::GracefulRestartConfig;

    fn restart_bit(open: &Open) -> Option<bool> {
        open.capabilities().find_map(|c| match c {
            Capability::GracefulRestart(gr) => Some(gr.restarting),
            _ => None,
        })
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
