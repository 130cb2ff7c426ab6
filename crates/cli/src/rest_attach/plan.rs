//! What one run of `bagpipe-rest-attach` will do, worked out from the command line before
//! anything is done (the original found some mistakes only after creating the namespace).

use bagpipe_vpn::request::VpnType;

use super::address::{default_gateway, with_default_length};
use super::args::{Args, DEFAULT_VPN_INSTANCE_ID};
use super::body::{
    AttractTraffic, Classifier, EvpnRef, LocalPort, OvsPort, PortRequest, Readvertise,
};
use super::netns::NetnsPort;

/// The MAC sent for an IP VPN port when none is given (the original's).
const DEFAULT_IPVPN_MAC: &str = "52:54:00:99:99:22";

#[derive(Debug)]
pub struct Plan {
    pub attach: bool,
    /// `mac_address` is empty when it is to be read from the namespace's interface.
    pub request: PortRequest,
    /// Set when the gateway was not given (the original said which one it chose).
    pub chosen_gateway: bool,
    pub netns: Option<NetnsPort>,
    /// The OVS bridge to pre-plug the port into.
    pub ovs_bridge: Option<String>,
}

impl Plan {
    /// The plan, or a usage error.
    pub fn new(args: &Args) -> Result<Plan, String> {
        let vpn_type = args.network_type;
        let (import_rt, export_rt) = route_targets(args);
        let ip = with_default_length(&args.ip);
        let (gateway_ip, chosen_gateway) = match &args.gateway_ip {
            Some(g) => (g.clone(), false),
            None => (default_gateway(&ip)?.to_string(), true),
        };
        let vpn_instance_id = if args.vpn_instance_id == DEFAULT_VPN_INSTANCE_ID {
            format!("{}-{DEFAULT_VPN_INSTANCE_ID}", vpn_type.as_str())
        } else {
            args.vpn_instance_id.clone()
        };

        let netns = args.port.starts_with("netns").then(|| {
            let name = args
                .netns
                .clone()
                .unwrap_or_else(|| vpn_instance_id.clone());
            NetnsPort::new(
                &args.port,
                name,
                args.if2vpn.clone(),
                args.ovs_vlan.filter(|v| *v != 0),
            )
        });
        let port_name = netns.as_ref().map_or(args.port.as_str(), |n| &n.host_if);
        let (local_port, ovs_bridge) = local_port(args, port_name)?;

        let mac_address = match (&args.mac, &netns, vpn_type) {
            (Some(mac), _, _) => mac.clone(),
            (None, Some(_), _) => String::new(),
            (None, None, VpnType::Ipvpn) => DEFAULT_IPVPN_MAC.to_owned(),
            (None, None, VpnType::Evpn) => {
                return Err(
                    "Need to specify --mac for an EVPN network attachment if port \
                            is not 'netns'"
                        .to_owned(),
                )
            }
        };

        let request = PortRequest {
            import_rt,
            export_rt,
            local_port,
            vpn_instance_id,
            vpn_type: vpn_type.as_str(),
            gateway_ip,
            mac_address,
            ip_address: ip,
            advertise_subnet: args.advertise_subnet,
            readvertise: (!args.readv_to_rts.is_empty()).then(|| Readvertise {
                from_rt: args.readv_from_rts.clone(),
                to_rt: args.readv_to_rts.clone(),
            }),
            attract_traffic: attract_traffic(args)?,
            lb_consistent_hash_order: args.lb_consistent_hash_order,
            vni: args.vni,
            local_pref: args.local_pref.filter(|lp| *lp != 0),
            direction: args.direction.as_str(),
        };
        Ok(Plan {
            attach: args.attach,
            request,
            chosen_gateway,
            netns,
            ovs_bridge,
        })
    }
}

/// The import and export route targets: `--rt` with `--import-rt` / `--export-rt`, or the
/// original's default for the network type when none of them is given.
fn route_targets(args: &Args) -> (Vec<String>, Vec<String>) {
    let both = if args.route_targets.is_empty()
        && args.import_only_rts.is_empty()
        && args.export_only_rts.is_empty()
    {
        vec![match args.network_type {
            VpnType::Ipvpn => "64512:512".to_owned(),
            VpnType::Evpn => "64512:513".to_owned(),
        }]
    } else {
        args.route_targets.clone()
    };
    (
        [&both[..], &args.import_only_rts].concat(),
        [&both[..], &args.export_only_rts].concat(),
    )
}

/// The `local_port` of the request, and the OVS bridge to pre-plug it into if any.
fn local_port(args: &Args, port: &str) -> Result<(LocalPort, Option<String>), String> {
    if let Some(evpn) = port.strip_prefix("evpn:") {
        if args.network_type != VpnType::Ipvpn {
            return Err("Can only plug an evpn into an ipvpn".to_owned());
        }
        let local_port = LocalPort {
            evpn: Some(EvpnRef {
                id: evpn.to_owned(),
            }),
            ..LocalPort::default()
        };
        return Ok((local_port, None));
    }
    // Only the MPLS OVS driver of IP VPN needs the port pre-plugged.
    let preplug = args.ovs_preplug && args.network_type == VpnType::Ipvpn;
    let local_port = LocalPort {
        linuxif: Some(port.to_owned()),
        ovs: preplug.then(|| OvsPort {
            port_name: port.to_owned(),
            plugged: true,
            vlan: args.ovs_vlan.filter(|v| *v != 0),
        }),
        ..LocalPort::default()
    };
    Ok((local_port, preplug.then(|| args.bridge.clone())))
}

fn attract_traffic(args: &Args) -> Result<AttractTraffic, String> {
    if args.redirect_rts.is_empty() {
        return Ok(AttractTraffic::default());
    }
    let classifier = Classifier {
        source_prefix: args.source_prefix.clone(),
        destination_prefix: args.destination_prefix.clone(),
        source_port: args.source_port.clone(),
        destination_port: args.destination_port.clone(),
        protocol: args.protocol.clone(),
    };
    if classifier == Classifier::default() {
        return Err(
            "Need to specify --redirect-rt and at least one traffic classifier option".to_owned(),
        );
    }
    let mut attract = AttractTraffic {
        redirect_rts: Some(args.redirect_rts.clone()),
        classifier: Some(classifier),
        ..AttractTraffic::default()
    };
    if !args.attract_to_rts.is_empty() {
        if args.static_dest_prefixes.is_empty() {
            return Err(
                "Need to specify --attract-to-rt and at least one static destination \
                        prefix option"
                    .to_owned(),
            );
        }
        attract.to_rt = Some(args.attract_to_rts.clone());
        attract.static_destination_prefixes = Some(args.static_dest_prefixes.clone());
    }
    Ok(attract)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn plan(args: &str) -> Result<Plan, String> {
        let argv = ["bagpipe-rest-attach"]
            .into_iter()
            .chain(args.split_whitespace());
        Plan::new(&Args::try_parse_from(argv).expect("valid command line"))
    }

    /// The request the original printed for this command line (taken from its code: same
    /// keys, order and separators; `to_rt` in place of its `to`).
    #[test]
    fn ipvpn_with_every_default() {
        let p = plan("--attach --network-type ipvpn --port tap1 --ip 11.0.0.1").unwrap();
        assert!(p.attach && p.chosen_gateway && p.netns.is_none() && p.ovs_bridge.is_none());
        assert_eq!(
            p.request.to_json(),
            r#"{"import_rt": ["64512:512"], "export_rt": ["64512:512"], "local_port": {"linuxif": "tap1"}, "vpn_instance_id": "ipvpn-bagpipe-test", "vpn_type": "ipvpn", "gateway_ip": "11.0.0.254", "mac_address": "52:54:00:99:99:22", "ip_address": "11.0.0.1/24", "advertise_subnet": false, "readvertise": null, "attract_traffic": {}, "lb_consistent_hash_order": 0, "vni": 0, "direction": "both"}"#
        );
    }

    #[test]
    fn every_option() {
        let p = plan(
            "--detach --network-type ipvpn --port tap2 --ip 10.1.0.5/16 --gateway-ip 10.1.0.1 \
             --mac 52:54:00:00:00:05 --vpn-instance-id blue --rt 64512:1 --import-rt 64512:2 \
             --export-rt 64512:3 --advertise-subnet --direction to-port --ovs-preplug \
             --ovs-bridge br-x --ovs-vlan 42 --readv-from-rt 64512:4 --readv-to-rt 64512:5 \
             --redirect-rts 64512:6 --protocol tcp --destination-port 80 --source-prefix \
             10.2.0.0/16 --attract-to-rt 64512:5 --static-destination-prefix 10.3.0.0/24 \
             --lb-consistent-hash-order 3 --vni 100 --local-pref 200",
        )
        .unwrap();
        assert!(!p.attach && !p.chosen_gateway);
        assert_eq!(p.ovs_bridge.as_deref(), Some("br-x"));
        assert_eq!(
            p.request.to_json(),
            r#"{"import_rt": ["64512:1", "64512:2"], "export_rt": ["64512:1", "64512:3"], "local_port": {"linuxif": "tap2", "ovs": {"port_name": "tap2", "plugged": true, "vlan": 42}}, "vpn_instance_id": "blue", "vpn_type": "ipvpn", "gateway_ip": "10.1.0.1", "mac_address": "52:54:00:00:00:05", "ip_address": "10.1.0.5/16", "advertise_subnet": true, "readvertise": {"from_rt": ["64512:4"], "to_rt": ["64512:5"]}, "attract_traffic": {"redirect_rts": ["64512:6"], "classifier": {"sourcePrefix": "10.2.0.0/16", "destinationPort": "80", "protocol": "tcp"}, "to_rt": ["64512:5"], "static_destination_prefixes": ["10.3.0.0/24"]}, "lb_consistent_hash_order": 3, "vni": 100, "local_pref": 200, "direction": "to-port"}"#
        );
    }

    #[test]
    fn evpn_defaults_and_mac_requirement() {
        let p = plan("--attach --network-type evpn --port tap3 --ip 10.0.0.3 --mac 52:54:00:00:00:03 --local-pref 0 --ovs-preplug").unwrap();
        assert_eq!(p.request.import_rt, ["64512:513"]);
        assert_eq!(p.request.vpn_instance_id, "evpn-bagpipe-test");
        assert_eq!(p.request.local_pref, None, "0 is not sent");
        assert_eq!(p.ovs_bridge, None, "pre-plugging is for ipvpn only");
        assert!(
            plan("--attach --network-type evpn --port tap3 --ip 10.0.0.3")
                .unwrap_err()
                .contains("--mac")
        );
    }

    #[test]
    fn only_import_rt_means_no_default() {
        let p = plan("--attach --network-type ipvpn --port tap1 --ip 10.0.0.1 --import-rt 1:1")
            .unwrap();
        assert_eq!(p.request.import_rt, ["1:1"]);
        assert!(p.request.export_rt.is_empty());
    }

    #[test]
    fn netns_port() {
        let p = plan("--attach --network-type ipvpn --port netns --ip 10.0.0.7/24").unwrap();
        let ns = p.netns.unwrap();
        assert_eq!(
            (ns.netns.as_str(), ns.host_if.as_str(), ns.ns_if.as_str()),
            ("ipvpn-bagpipe-test", "ns-ipvpn-bagpip", "tovpn")
        );
        assert_eq!(
            p.request.local_port.linuxif.as_deref(),
            Some("ns-ipvpn-bagpip")
        );
        assert_eq!(p.request.mac_address, "", "read from the interface later");
        let p = plan(
            "--attach --network-type evpn --port netns:v1 --netns blue --if2vpn eth0 --ip 10.0.0.7",
        )
        .unwrap();
        let ns = p.netns.unwrap();
        assert_eq!(
            (ns.netns.as_str(), ns.host_if.as_str(), ns.ns_if.as_str()),
            ("blue", "v1", "eth0")
        );
    }

    #[test]
    fn evpn_into_ipvpn() {
        let p = plan("--attach --network-type ipvpn --port evpn:green --ip 10.0.0.1").unwrap();
        assert_eq!(
            p.request.local_port.evpn,
            Some(EvpnRef { id: "green".into() })
        );
        assert_eq!(p.request.local_port.linuxif, None);
        assert!(plan(
            "--attach --network-type evpn --port evpn:green --ip 10.0.0.1 --mac 52:54:00:00:00:01"
        )
        .is_err());
    }

    #[test]
    fn attract_traffic_needs_its_companions() {
        let base = "--attach --network-type ipvpn --port tap1 --ip 10.0.0.1 --redirect-rts 1:9";
        assert!(plan(base).unwrap_err().contains("classifier"));
        assert!(plan(&format!("{base} --protocol udp --attract-to-rt 1:8"))
            .unwrap_err()
            .contains("static destination prefix"));
        let p = plan(&format!("{base} --protocol udp")).unwrap();
        assert_eq!(p.request.attract_traffic.to_rt, None);
        // Without --redirect-rts, the other attract options are ignored, as in the original.
        let p = plan("--attach --network-type ipvpn --port tap1 --ip 10.0.0.1 --attract-to-rt 1:8")
            .unwrap();
        assert_eq!(p.request.attract_traffic, AttractTraffic::default());
    }

    #[test]
    fn no_gateway_in_a_single_address() {
        assert!(
            plan("--attach --network-type ipvpn --port tap1 --ip 10.0.0.1/32")
                .unwrap_err()
                .contains("--gateway-ip")
        );
    }
}
