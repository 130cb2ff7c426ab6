//! The OPEN we send to a peer, from its configuration.

use bagpipe_wire::message::{
    AddPathMode, Capability, GracefulRestart, GracefulRestartFamily, Open,
};

use crate::config::PeerConfig;

pub fn build_open(config: &PeerConfig) -> Open {
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
            restarting: gr.restarting,
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
