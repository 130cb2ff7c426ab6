//! The `config` node: the configuration in the shape of the original's (one object per
//! section, options by their file names; a dataplane section shows the options of its
//! driver only, as the original registered no others). The new options are added to their
//! sections, and each peer gets a `BGP_PEER <address>` object, as in the file.

use serde_json::{json, Map, Value};

use crate::config::{Config, EvpnDriver, IpvpnDriver, PeerConfig, PEER_SECTION_PREFIX};

pub(crate) fn config_tree(c: &Config) -> Value {
    let mut tree = Map::new();
    tree.insert(
        "COMMON".into(),
        json!({
            "root_helper": c.common.root_helper,
            "root_helper_daemon": c.common.root_helper_daemon,
        }),
    );
    tree.insert(
        "API".into(),
        json!({
            "host": c.api.host.to_string(),
            "port": c.api.port,
            "listen_backlog": c.api.listen_backlog,
        }),
    );
    let b = &c.bgp;
    tree.insert(
        "BGP".into(),
        json!({
            "local_address": b.local_address.to_string(),
            "peers": b.peers.iter().map(|p| p.address.to_string()).collect::<Vec<_>>(),
            "my_as": b.my_as,
            "enable_rtc": b.enable_rtc,
            "bgp_port": b.bgp_port,
            "listen_address": b.listen_address.map(|a| a.to_string()),
            "listen_port": b.listen_port,
            "hold_time": b.hold_time,
            "route_reflector": b.route_reflector,
            "cluster_id": b.cluster_id.map(|a| a.to_string()),
            "graceful_restart_time": b.graceful_restart_time.unwrap_or(0),
            "connect_retry_initial": b.connect_retry.initial.as_secs(),
            "connect_retry_max": b.connect_retry.max.as_secs(),
        }),
    );
    tree.insert("DATAPLANE_DRIVER_IPVPN".into(), ipvpn(c));
    tree.insert("DATAPLANE_DRIVER_EVPN".into(), evpn(c));
    for peer in &b.peers {
        tree.insert(
            format!("{PEER_SECTION_PREFIX}{}", peer.address),
            peer_tree(peer),
        );
    }
    Value::Object(tree)
}

fn address(a: Option<std::net::IpAddr>) -> Value {
    a.map_or(Value::Null, |a| Value::String(a.to_string()))
}

fn ipvpn(c: &Config) -> Value {
    let d = &c.ipvpn;
    let mut section = json!({
        "dataplane_local_address": address(d.dataplane_local_address),
        "dataplane_driver": d.driver.name(),
    });
    let extra = match d.driver {
        IpvpnDriver::Dummy => json!({}),
        IpvpnDriver::Linux => json!({"mpls_interface": d.mpls_interface}),
        IpvpnDriver::Ovs => json!({
            "mpls_interface": d.mpls_interface,
            "mpls_over_gre": d.mpls_over_gre.name(),
            "proxy_arp": d.proxy_arp,
            "arp_responder": d.arp_responder,
            "vxlan_encap": d.vxlan_encap,
            "ovs_bridge": d.ovs_bridge,
            "input_table": d.input_table,
            "ovs_table_id_start": d.ovs_table_id_start,
            "gre_tunnel": d.gre_tunnel,
            "gre_tunnel_options": d.gre_tunnel_options,
            "ovsbr_interfaces_mtu": d.ovsbr_interfaces_mtu,
            "hash_method": d.hash_method.name(),
            "hash_method_param": d.hash_method_param,
            "hash_fields": d.hash_fields,
        }),
    };
    merge(&mut section, extra);
    section
}

fn evpn(c: &Config) -> Value {
    let d = &c.evpn;
    let mut section = json!({
        "dataplane_local_address": address(d.dataplane_local_address),
        "dataplane_driver": d.driver.name(),
    });
    let extra = match d.driver {
        EvpnDriver::Dummy => json!({}),
        EvpnDriver::Linux => json!({"vxlan_dst_port": d.vxlan_dst_port}),
        EvpnDriver::Ovs => json!({"ovs_bridge": d.ovs_bridge}),
    };
    merge(&mut section, extra);
    section
}

fn peer_tree(p: &PeerConfig) -> Value {
    json!({
        "remote_as": p.remote_as,
        "port": p.port,
        "passive": p.passive,
        "local_address": p.local_address.to_string(),
        // never shown: the looking glass is readable by anyone who reaches the API
        "md5_password": p.md5_password.as_ref().map(|_| "********"),
        "families": p.families.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        "route_reflector_client": p.route_reflector_client,
        "max_prefixes": p.max_prefixes.unwrap_or(0),
        "max_prefixes_restart": p.max_prefixes_restart.map_or(0, |d| d.as_secs()),
        "hold_time": p.hold_time,
    })
}

fn merge(into: &mut Value, extra: Value) {
    if let (Value::Object(into), Value::Object(extra)) = (into, extra) {
        into.extend(extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_of_the_recorded_answer() {
        // lg_B_config.json, for the built-in configuration's values.
        let tree = config_tree(&Config::builtin());
        assert_eq!(
            tree["COMMON"],
            json!({"root_helper": "sudo", "root_helper_daemon": null})
        );
        assert_eq!(tree["API"]["host"], "127.0.0.1");
        assert_eq!(tree["API"]["port"], 8082);
        for (key, value) in [
            ("local_address", json!("127.0.0.1")),
            ("peers", json!([])),
            ("my_as", json!(64512)),
            ("enable_rtc", json!(true)),
            ("bgp_port", json!(179)),
        ] {
            assert_eq!(tree["BGP"][key], value, "{key}");
        }
        let dummy = json!({"dataplane_local_address": null, "dataplane_driver": "dummy"});
        assert_eq!(tree["DATAPLANE_DRIVER_IPVPN"], dummy);
        assert_eq!(tree["DATAPLANE_DRIVER_EVPN"], dummy);
    }

    #[test]
    fn driver_options_and_peers() {
        let mut c = Config::builtin();
        c.evpn.driver = EvpnDriver::Linux;
        c.ipvpn.driver = IpvpnDriver::Ovs;
        c.bgp.peers.push(PeerConfig {
            address: "192.0.2.1".parse().unwrap(),
            remote_as: 64512,
            port: 179,
            passive: false,
            local_address: "127.0.0.1".parse().unwrap(),
            md5_password: Some("secret".into()),
            families: vec![bagpipe_wire::Family::EVPN],
            route_reflector_client: false,
            max_prefixes: None,
            max_prefixes_restart: None,
            hold_time: 180,
        });
        let tree = config_tree(&c);
        assert_eq!(tree["DATAPLANE_DRIVER_EVPN"]["vxlan_dst_port"], 4789);
        assert_eq!(tree["DATAPLANE_DRIVER_IPVPN"]["ovs_bridge"], "br-mpls");
        assert_eq!(tree["BGP"]["peers"], json!(["192.0.2.1"]));
        let peer = &tree["BGP_PEER 192.0.2.1"];
        assert_eq!(peer["md5_password"], "********");
        assert_eq!(peer["families"], json!(["l2vpn/evpn"]));
    }
}
