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
