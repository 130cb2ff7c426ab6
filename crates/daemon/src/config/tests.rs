//! The original's sample configurations, the new options, and every refusal.

use std::net::IpAddr;
use std::time::Duration;

use bagpipe_wire::Family;

use super::*;

/// Interfaces and hosts of an imaginary compute node.
pub(super) struct FakeHost;

impl AddressResolver for FakeHost {
    fn interface_address(&self, name: &str) -> Result<IpAddr, String> {
        match name {
            "eth0" => Ok("192.0.2.10".parse().unwrap()),
            "eth1" => Ok("198.51.100.10".parse().unwrap()),
            "lo" => Ok("127.0.0.1".parse().unwrap()),
            _ => Err(format!("interface {name} does not exist")),
        }
    }

    fn host_addresses(&self, name: &str) -> Result<Vec<IpAddr>, String> {
        match name {
            "localhost" => Ok(vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()]),
            "rr1.example" => Ok(vec!["192.0.2.1".parse().unwrap()]),
            _ => Err(format!("cannot resolve host {name}")),
        }
    }
}

fn load(text: &str) -> Loaded {
    Config::parse(text, &FakeHost).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn refuse(text: &str) -> String {
    match Config::parse(text, &FakeHost) {
        Ok(loaded) => panic!("accepted:\n{text}\n{:?}", loaded.config),
        Err(e) => e.to_string(),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// etc/bagpipe-bgp/bgp.conf.template of the original, verbatim.
pub(super) const TEMPLATE: &str = r#"[BGP]
local_address=eth0
#local_address=192.168.100.177
peers=192.168.0.101
my_as=64512
enable_rtc=True

[COMMON]
# Root helper and root helper application
#   root_helper_daemon is designed to use oslo-rootwrap-daemon for commands
#   that need to be run as root.
#   If root_helper_daemon is unset, bagpipe-bgp will use 'root_helper' to call
#   these commands, which defaults to 'sudo', and can be configured to use
#   oslo.rootwrap.
#root_helper = sudo
#root_helper_daemon = sudo /usr/local/bin/neutron-rootwrap-daemon /etc/bagpipe-bgp/rootwrap.conf

[API]
# BGP component API IP address and port
host=localhost
port=8082


[DATAPLANE_DRIVER_IPVPN]

# IP VPN dataplane driver class
#  Example values:
#dataplane_driver = ovs
#dataplane_driver = linux
dataplane_driver = dummy

# OVS bridge to use (defaults to br-int)
#ovs_bridge=ovsbr0

# MPLS outgoing interface (for linux and ovs drivers)
#
# (not specifying an mpls_interface or using the '*gre*' special value
# means that the driver will instantiate a tunnel interface and use an
# MPLS/GRE encapsulation)
# mpls_interface=*gre*
mpls_interface=*gre*

# GRE tunnel to use (default to mpls_gre)
#gre_tunnel=mpls_gre

# Uncomment the following to allow the use of standard MPLS-o-GRE in OVS
# (rather than MPLS-o-Eth-o-GRE).
#
# gre_tunnel_options="packet_type=legacy_l3"

# Support VXLAN encapsulation of IP VPN traffic with the
# ovs driver.
#
# Note well: this is non-standard and aimed at making it easier
# to test IP VPN until OVS 2.4 is shipping
#
# WARNING: this option does *not* co-exist with the EVPN
#          linux (can't have both OVS and the linux
#          kernel native VXLAN stack process VXLAN)
#
#vxlan_encap=True

# local IP address (that others will use to send us encapsulated packets, and that
# we will use to send)
# Note: does not need to be specified if different than the BGP local_address
# dataplane_local_address=eth1
# dataplane_local_address=1.2.3.4

# (obsolete:)
ovsbr_interfaces_mtu=4000

# for ovs driver, control whether or not the VRF will
# reply to ARP requests on the subnet and impersonate the gateway
# (defaults to False)
#arp_responder=False

# for ovs driver, control if VRF will reply to ARP requests for all IP
# addresses if enabled, otherwise only for gateway
# (defaults to False)
#proxy_arp=False

[DATAPLANE_DRIVER_EVPN]

# EVPN dataplane driver class
# Example values:
#dataplane_driver = ovs
#dataplane_driver = linux
dataplane_driver = dummy

# The linux driver allows to force the VXLAN destination port IF iproute2 is
# at version 3.14 or above (i.e. >= "ss140411" with "ip -V").
#
# to use standard IANA port for VXLAN:
#vxlan_dst_port=4789
#
# to interoperate with switches or boxes not having the ability to
# use another port than the linux kernel default 8472:
#vxlan_dst_port=8472

# local IP address (that others will use to send us encapsulated packets, and that
# we will use to send)
# Note: does not need to be specified if different than the BGP local_address
# dataplane_local_address=eth1
# dataplane_local_address=1.2.3.4
"#;

#[test]
fn the_original_template() {
    let Loaded { config, warnings } = load(TEMPLATE);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.bgp.local_address, ip("192.0.2.10"));
    assert_eq!(config.bgp.peers.len(), 1);
    let peer = &config.bgp.peers[0];
    assert_eq!(peer.address, ip("192.168.0.101"));
    assert_eq!(
        (peer.remote_as, peer.port, peer.passive),
        (64512, 179, false)
    );
    assert_eq!(peer.families, default_families(true));
    assert_eq!(config.bgp.my_as, 64512);
    assert!(config.bgp.enable_rtc);
    assert_eq!(config.bgp.bgp_port, 179);
    // We listen on the local address even where the original did not.
    assert_eq!(config.bgp.listen_socket().port(), 179);
    assert_eq!(config.api.socket(), "127.0.0.1:8082".parse().unwrap());
    assert_eq!(config.common, CommonConfig::default());
    assert_eq!(config.ipvpn.driver, IpvpnDriver::Dummy);
    assert_eq!(config.ipvpn.mpls_interface.as_deref(), Some("*gre*"));
    assert_eq!(config.ipvpn.ovsbr_interfaces_mtu, Some(4000));
    assert_eq!(config.ipvpn.ovs_bridge, "br-mpls");
    assert_eq!(config.evpn, EvpnDataplaneConfig::default());
    assert_eq!(config.logging, LoggingConfig::default());
}

/// What devstack/plugin.sh.bagpipe_bgp makes of the template with `iniset` (appending a
/// lower-case `[common]` section and a `[DEFAULT]` one, and `peers = ` when there is none).
#[test]
fn devstack_generated_file() {
    let text = format!(
        "{TEMPLATE}\n[DEFAULT]\ndebug = True\n\n[common]\n\
         root_helper = sudo /usr/local/bin/neutron-rootwrap /etc/bagpipe-bgp/rootwrap.conf\n\
         root_helper_daemon = sudo /usr/local/bin/neutron-rootwrap-daemon /etc/bagpipe-bgp/rootwrap.conf\n"
    )
    .replace("local_address=eth0", "local_address = 198.51.100.7")
    .replace("peers=192.168.0.101", "peers = ")
    .replace("host=localhost", "host = 0.0.0.0")
    .replace("mpls_interface=*gre*", "mpls_interface = ")
    .replace(
        "dataplane_driver = dummy\n\n# OVS",
        "dataplane_driver = ovs\novs_bridge = br-mpls\narp_responder = False\nproxy_arp = False\n\n# OVS",
    );
    let Loaded { config, warnings } = load(&text);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(config.logging.debug);
    assert!(config.bgp.peers.is_empty());
    assert_eq!(config.bgp.local_address, ip("198.51.100.7"));
    assert_eq!(config.api.host, ip("0.0.0.0"));
    assert_eq!(
        config.common.root_helper,
        "sudo /usr/local/bin/neutron-rootwrap /etc/bagpipe-bgp/rootwrap.conf"
    );
    assert!(config.common.root_helper_daemon.is_some());
    assert_eq!(config.ipvpn.driver, IpvpnDriver::Ovs);
    // an empty value is no value
    assert_eq!(config.ipvpn.mpls_interface, None);
}

/// What the original's fullstack tests write (tests/fullstack/resources/common/config.py).
#[test]
fn fullstack_generated_file() {
    let Loaded { config, warnings } = load(
        "[DEFAULT]\ndebug = True\n\n[COMMON]\nroot_helper_daemon = sudo rootwrap-daemon\n\n\
         [BGP]\nlocal_address = 127.0.0.2\npeers = 127.0.0.1\nmy_as = 64512\nbgp_port = 2179\n\n\
         [API]\nhost = 127.0.0.2\nport = 8082\n\n\
         [DATAPLANE_DRIVER_IPVPN]\ndataplane_driver = ovs\novs_bridge = br-mpls-1\nproxy_arp = False\n\
         mpls_interface = *gre*\ngre_tunnel = mpls-gre-abc\ngre_tunnel_options = packet_type=legacy_l3\n\n\
         [DATAPLANE_DRIVER_EVPN]\ndataplane_driver = ovs\n",
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.bgp.peers[0].port, 2179);
    assert_eq!(config.ipvpn.gre_tunnel_options, ["packet_type=legacy_l3"]);
    assert_eq!(config.ipvpn.gre_tunnel, "mpls-gre-abc");
    assert_eq!(config.evpn.driver, EvpnDriver::Ovs);
    assert_eq!(config.evpn.ovs_bridge, "br-tun");
}

#[test]
fn install_guide_linux_evpn_and_legacy_driver_names() {
    let base = "[BGP]\nlocal_address=lo\nmy_as=64512\n";
    let c = load(&format!(
        "{base}[DATAPLANE_DRIVER_EVPN]\ndataplane_driver = linux\nvxlan_dst_port=8472\n"
    ))
    .config;
    assert_eq!(
        (c.evpn.driver, c.evpn.vxlan_dst_port),
        (EvpnDriver::Linux, 8472)
    );
    let c = load(&format!(
        "{base}[DATAPLANE_DRIVER_IPVPN]\ndataplane_driver=mpls_ovs_dataplane.MPLSOVSDataplaneDriver\n\
         [DATAPLANE_DRIVER_EVPN]\ndataplane_driver=bagpipe.bgp.vpn.evpn.linux_vxlan.LinuxVXLANDataplaneDriver\n"
    ))
    .config;
    assert_eq!(
        (c.ipvpn.driver, c.evpn.driver),
        (IpvpnDriver::Ovs, EvpnDriver::Linux)
    );
}

#[test]
fn learning_local_macs_needs_the_linux_driver() {
    let base = "[BGP]\nlocal_address=lo\nmy_as=64512\n[DATAPLANE_DRIVER_EVPN]\n";
    let c = load(&format!(
        "{base}dataplane_driver = linux\nlearn_local_macs = True\n"
    ))
    .config;
    assert!(c.evpn.learn_local_macs);
    assert!(
        !load(&format!("{base}dataplane_driver = linux\n"))
            .config
            .evpn
            .learn_local_macs
    );
    let err = refuse(&format!("{base}learn_local_macs = True\n"));
    assert!(
        err.contains("learn_local_macs") && err.contains("linux"),
        "{err}"
    );
}

#[test]
fn ovs_driver_options() {
    let c = load(
        "[BGP]\nlocal_address=eth0\nmy_as=1\n[DATAPLANE_DRIVER_IPVPN]\ndataplane_driver=ovs\n\
         mpls_over_gre=True\nvxlan_encap=yes\ninput_table=3\novs_table_id_start=10\n\
         hash_method=hash\nhash_method_param=18446744073709551615\nhash_fields=ip_src, ip_dst\n\
         dataplane_local_address=eth1\n",
    )
    .config
    .ipvpn;
    assert_eq!(c.mpls_over_gre, MplsOverGre::Yes);
    assert!(c.vxlan_encap);
    assert_eq!((c.input_table, c.ovs_table_id_start), (3, 10));
    assert_eq!(c.hash_method, HashMethod::Hash);
    assert_eq!(c.hash_method_param, u64::MAX);
    assert_eq!(c.hash_fields, ["ip_src", "ip_dst"]);
    assert_eq!(c.dataplane_local_address, Some(ip("198.51.100.10")));
}

#[test]
fn new_bgp_options_and_peer_sections() {
    let Loaded { config, warnings } = load(
        "[BGP]\nlocal_address=192.0.2.10\nmy_as=4200000001\npeers=192.0.2.1, rr1.example, 192.0.2.2\n\
         listen_port=1179\nhold_time=90\nroute_reflector=True\ncluster_id=192.0.2.100\n\
         graceful_restart_time=120\nconnect_retry_initial=1\nconnect_retry_max=60\n\n\
         [BGP_PEER 192.0.2.2]\nremote_as=65001\nport=1179\npassive=True\nlocal_address=eth1\n\
         md5_password=s3cret\nfamilies=l2vpn/evpn, ipv4/rtc\nroute_reflector_client=True\n\
         max_prefixes=1000\nmax_prefixes_restart=300\nhold_time=30\n\n\
         [bgp_peer 2001:db8::9]\nfamilies=ipv6/mpls-vpn\n",
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let bgp = &config.bgp;
    assert_eq!(bgp.my_as, 4200000001);
    assert_eq!(bgp.hold_time, 90);
    assert!(bgp.route_reflector);
    assert_eq!(bgp.cluster_id, Some("192.0.2.100".parse().unwrap()));
    assert_eq!(bgp.graceful_restart_time, Some(120));
    assert_eq!(
        bgp.connect_retry,
        ConnectRetry {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60)
        }
    );
    let addrs: Vec<String> = bgp.peers.iter().map(|p| p.address.to_string()).collect();
    // rr1.example resolves to 192.0.2.1: one peer
    assert_eq!(addrs, ["192.0.2.1", "192.0.2.2", "2001:db8::9"]);
    let plain = &bgp.peers[0];
    assert_eq!(
        (plain.remote_as, plain.hold_time, plain.passive),
        (4200000001, 90, false)
    );
    let tuned = &bgp.peers[1];
    assert_eq!(
        tuned,
        &PeerConfig {
            address: ip("192.0.2.2"),
            remote_as: 65001,
            port: 1179,
            passive: true,
            local_address: ip("198.51.100.10"),
            md5_password: Some("s3cret".into()),
            families: vec![Family::EVPN, Family::RTC],
            route_reflector_client: true,
            max_prefixes: Some(1000),
            max_prefixes_restart: Some(Duration::from_secs(300)),
            hold_time: 30,
        }
    );
    assert_eq!(bgp.peers[2].families, [Family::VPNV6]);
    // a passive peer: listen on local_address, at listen_port
    assert_eq!(bgp.listen_socket(), "192.0.2.10:1179".parse().unwrap());
}

#[test]
fn listen_address_alone_opens_the_listener() {
    let c =
        load("[BGP]\nlocal_address=eth0\nmy_as=1\nlisten_address=0.0.0.0\nbgp_port=2179\n").config;
    assert_eq!(c.bgp.listen_socket(), "0.0.0.0:2179".parse().unwrap());
}

#[test]
fn deprecated_api_names_still_work() {
    let Loaded { config, warnings } =
        load("[BGP]\nlocal_address=lo\nmy_as=1\n[API]\napi_host=127.0.0.5\napi_port=9000\nlisten_backlog=128\n");
    assert_eq!(config.api.socket(), "127.0.0.5:9000".parse().unwrap());
    assert_eq!(config.api.listen_backlog, 128);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].message.contains("deprecated"));
}

#[test]
fn unknown_sections_and_options_are_warnings() {
    let Loaded { warnings, .. } = load(
        "[DEFAULT]\nlog_config_append=/etc/x.conf\n[BGP]\nlocal_address=lo\nmy_as=1\nfoo=bar\n\
         [AGENT]\nroot_helper=sudo\n[BGP_PEER 192.0.2.1]\ncolour=blue\n",
    );
    let texts: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        texts,
        [
            "line 8: [AGENT]: unknown section, ignored",
            "line 2: [DEFAULT] log_config_append: unknown option, ignored",
            "line 6: [BGP] foo: unknown option, ignored",
            "line 10: [BGP_PEER 192.0.2.1] colour: unknown option, ignored",
        ]
    );
}

#[test]
fn builtin_configuration() {
    let c = Config::builtin();
    assert_eq!(c.bgp.local_address, ip("127.0.0.1"));
    assert!(c.bgp.peers.is_empty());
    assert_eq!(
        (c.ipvpn.driver, c.evpn.driver),
        (IpvpnDriver::Dummy, EvpnDriver::Dummy)
    );
    assert_eq!(c.api.socket(), "127.0.0.1:8082".parse().unwrap());
    // The same as a minimal file.
    assert_eq!(
        load("[BGP]\nlocal_address=127.0.0.1\nmy_as=64512\n").config,
        c
    );
}

#[test]
fn refusals_name_section_and_option() {
    let base = "[BGP]\nlocal_address=lo\nmy_as=64512\n";
    for (text, starts) in [
        (
            "[BGP]\nmy_as=1\n",
            "[BGP] local_address: required option missing",
        ),
        (
            "[BGP]\nlocal_address=lo\n",
            "[BGP] my_as: required option missing",
        ),
        (
            "[BGP]\nlocal_address=eth9\nmy_as=1\n",
            "[BGP] local_address: \"eth9\": interface eth9 does not exist",
        ),
        ("[BGP]\nlocal_address=lo\nmy_as=0\n", "[BGP] my_as:"),
        (
            "[BGP]\nlocal_address=lo\nmy_as=4294967296\n",
            "[BGP] my_as:",
        ),
        (&format!("{base}enable_rtc=maybe\n"), "[BGP] enable_rtc:"),
        (&format!("{base}bgp_port=70000\n"), "[BGP] bgp_port:"),
        (
            &format!("{base}peers=192.0.2.1, nowhere.example\n"),
            "[BGP] peers:",
        ),
        (&format!("{base}hold_time=2\n"), "[BGP] hold_time:"),
        (
            &format!("{base}listen_address=eth0\n"),
            "[BGP] listen_address:",
        ),
        (
            &format!("{base}cluster_id=2001:db8::1\n"),
            "[BGP] cluster_id:",
        ),
        (
            &format!("{base}graceful_restart_time=5000\n"),
            "[BGP] graceful_restart_time:",
        ),
        (
            &format!("{base}connect_retry_initial=0\n"),
            "[BGP] connect_retry_initial:",
        ),
        (
            &format!("{base}connect_retry_initial=30\nconnect_retry_max=10\n"),
            "[BGP] connect_retry_max:",
        ),
        (&format!("{base}passive=perhaps\n"), "[BGP] passive:"),
        (
            "[BGP]\nlocal_address=2001:db8::1\nmy_as=1\n",
            "[BGP] cluster_id:",
        ),
        (
            &format!("{base}[BGP_PEER nowhere.example]\n"),
            "[BGP_PEER nowhere.example] (section name):",
        ),
        (
            &format!("{base}[BGP_PEER 192.0.2.1]\n[BGP_PEER 192.0.2.1 ]\n"),
            "[BGP_PEER 192.0.2.1 ] (section name):",
        ),
        (
            &format!("{base}[BGP_PEER 192.0.2.1]\nremote_as=x\n"),
            "[BGP_PEER 192.0.2.1] remote_as:",
        ),
        (
            &format!("{base}[BGP_PEER 192.0.2.1]\nport=-1\n"),
            "[BGP_PEER 192.0.2.1] port:",
        ),
        (
            &format!("{base}[BGP_PEER 192.0.2.1]\nfamilies=ipv4/unicast\n"),
            "[BGP_PEER 192.0.2.1] families:",
        ),
        (
            &format!("{base}[BGP_PEER 192.0.2.1]\nfamilies=bogus\n"),
            "[BGP_PEER 192.0.2.1] families:",
        ),
        (
            &format!("{base}enable_rtc=False\n[BGP_PEER 192.0.2.1]\nfamilies=ipv4/rtc\n"),
            "[BGP_PEER 192.0.2.1] families:",
        ),
        (
            &format!("{base}[BGP_PEER 192.0.2.1]\nroute_reflector_client=True\n"),
            "[BGP_PEER 192.0.2.1] route_reflector_client:",
        ),
        (
            &format!("{base}[BGP_PEER 192.0.2.1]\nmax_prefixes=-5\n"),
            "[BGP_PEER 192.0.2.1] max_prefixes:",
        ),
        (
            &format!("{base}[BGP_PEER 192.0.2.1]\nhold_time=1\n"),
            "[BGP_PEER 192.0.2.1] hold_time:",
        ),
        (
            &format!("{base}[BGP_PEER 192.0.2.1]\nlocal_address=eth7\n"),
            "[BGP_PEER 192.0.2.1] local_address:",
        ),
        (&format!("{base}[API]\nport=http\n"), "[API] port:"),
        (
            &format!("{base}[API]\nhost=nowhere.example\n"),
            "[API] host:",
        ),
        (&format!("{base}[API]\napi_port=99999\n"), "[API] api_port:"),
        (
            &format!("{base}[API]\nlisten_backlog=0\n"),
            "[API] listen_backlog:",
        ),
        (
            &format!("{base}[DEFAULT]\ndebug=loud\n"),
            "[DEFAULT] debug:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\ndataplane_driver=fancy\n"),
            "[DATAPLANE_DRIVER_IPVPN] dataplane_driver:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\ndataplane_local_address=eth9\n"),
            "[DATAPLANE_DRIVER_IPVPN] dataplane_local_address:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\nmpls_over_gre=true\n"),
            "[DATAPLANE_DRIVER_IPVPN] mpls_over_gre:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\nproxy_arp=2\n"),
            "[DATAPLANE_DRIVER_IPVPN] proxy_arp:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\narp_responder=x\n"),
            "[DATAPLANE_DRIVER_IPVPN] arp_responder:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\nvxlan_encap=x\n"),
            "[DATAPLANE_DRIVER_IPVPN] vxlan_encap:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\ninput_table=255\n"),
            "[DATAPLANE_DRIVER_IPVPN] input_table:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\novs_table_id_start=x\n"),
            "[DATAPLANE_DRIVER_IPVPN] ovs_table_id_start:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\ndataplane_driver=ovs\ninput_table=1\n"),
            "[DATAPLANE_DRIVER_IPVPN] ovs_table_id_start:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\novsbr_interfaces_mtu=10\n"),
            "[DATAPLANE_DRIVER_IPVPN] ovsbr_interfaces_mtu:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\nhash_method=md5\n"),
            "[DATAPLANE_DRIVER_IPVPN] hash_method:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_IPVPN]\nhash_method_param=-1\n"),
            "[DATAPLANE_DRIVER_IPVPN] hash_method_param:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_EVPN]\ndataplane_driver=mpls\n"),
            "[DATAPLANE_DRIVER_EVPN] dataplane_driver:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_EVPN]\nvxlan_dst_port=0\n"),
            "[DATAPLANE_DRIVER_EVPN] vxlan_dst_port:",
        ),
        (
            &format!("{base}[DATAPLANE_DRIVER_EVPN]\ndataplane_local_address=eth9\n"),
            "[DATAPLANE_DRIVER_EVPN] dataplane_local_address:",
        ),
        ("[BGP\n", "line 1:"),
    ] {
        let err = refuse(text);
        assert!(
            err.starts_with(starts),
            "{text:?}:\n  got  {err}\n  want {starts}"
        );
    }
}

#[test]
fn load_reports_a_missing_file() {
    let err = Config::load(Path::new("/nonexistent/bgp.conf")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot read /nonexistent/bgp.conf"),
        "{err}"
    );
}
