//! The command line of `bagpipe-rest-attach`: the original's options, names and defaults,
//! plus `--server` and `--api-port` (the original always used 127.0.0.1 and the port of
//! `/etc/bagpipe-bgp/bgp.conf`).
//!
//! As with the original's optparse, a long option may be abbreviated to any unambiguous
//! prefix, and of `--attach`/`--detach` (or `--advertise-subnet`/`--advertise-singleton`)
//! the last one given wins.

use bagpipe_vpn::request::{Direction, VpnType};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgGroup, Parser};

/// The original tool's placeholder id, which it replaced with `<network-type>-bagpipe-test`.
pub const DEFAULT_VPN_INSTANCE_ID: &str = "bagpipe-test";

#[derive(Parser, Debug)]
#[command(
    name = "bagpipe-rest-attach",
    about = "Attach a local port to (or detach it from) a VPN instance of bagpipe-bgp",
    override_usage = "bagpipe-rest-attach [--attach|--detach] --network-type (ipvpn|evpn) \
                      --port (<port>|netns) --ip <ip>[/<mask>] [options]",
    infer_long_args = true,
    group(ArgGroup::new("operation").args(["attach", "detach"]).required(true))
)]
pub struct Args {
    /// Attach local port
    #[arg(long, overrides_with = "detach")]
    pub attach: bool,
    /// Detach local port
    #[arg(long, overrides_with = "attach")]
    pub detach: bool,

    /// Network type
    #[arg(long, value_parser = vpn_type())]
    pub network_type: VpnType,
    /// Id of the VPN instance ("bagpipe-test" means <network-type>-bagpipe-test)
    #[arg(long, default_value = DEFAULT_VPN_INSTANCE_ID)]
    pub vpn_instance_id: String,
    /// Local port to attach/detach; 'netns[:if]' creates (on attach) a network namespace
    /// linked by a veth pair, 'if' naming the end outside the namespace; 'evpn:<id>' plugs
    /// an E-VPN instance into an IP VPN
    #[arg(long)]
    pub port: String,
    /// Direction of the local port in the VPN
    #[arg(long, value_parser = direction(), default_value = "both")]
    pub direction: Direction,
    /// Route target, imported and exported (can be repeated) [default: 64512:512 for
    /// ipvpn, 64512:513 for evpn, when no route target option is given]
    #[arg(long = "rt", value_name = "RT")]
    pub route_targets: Vec<String>,
    /// Import-only route target (can be repeated)
    #[arg(long = "import-rt", value_name = "RT")]
    pub import_only_rts: Vec<String>,
    /// Export-only route target (can be repeated)
    #[arg(long = "export-rt", value_name = "RT")]
    pub export_only_rts: Vec<String>,

    /// IP address / prefix length (the length defaults to /24)
    #[arg(long)]
    pub ip: String,
    /// IP address of the network gateway [default: the last address of the subnet but one]
    #[arg(long = "gateway-ip")]
    pub gateway_ip: Option<String>,
    /// MAC address (required for evpn unless the port is 'netns')
    #[arg(long)]
    pub mac: Option<String>,
    /// Advertise the IP address as a /32 (the default)
    #[arg(long, overrides_with = "advertise_subnet")]
    pub advertise_singleton: bool,
    /// Advertise the whole IP subnet
    #[arg(long, overrides_with = "advertise_singleton")]
    pub advertise_subnet: bool,

    /// Plug the port into an OVS bridge first (ipvpn only)
    #[arg(long)]
    pub ovs_preplug: bool,
    /// The OVS bridge of --ovs-preplug
    #[arg(long = "ovs-bridge", default_value = "br-int")]
    pub bridge: String,
    /// Attach only this VLAN of the OVS interface
    #[arg(long)]
    pub ovs_vlan: Option<i64>,

    /// Name of the network namespace, with --port netns [default: the VPN instance id]
    #[arg(long)]
    pub netns: Option<String>,
    /// Name of the interface inside the namespace, with --port netns
    #[arg(long, default_value = "tovpn")]
    pub if2vpn: String,

    /// Re-advertise the routes imported with this route target (with --readv-to-rt)
    #[arg(
        long = "readv-from-rt",
        visible_alias = "readvertise-from-rt",
        value_name = "RT"
    )]
    pub readv_from_rts: Vec<String>,
    /// Re-advertise the routes of --readv-from-rt with this route target
    #[arg(
        long = "readv-to-rt",
        visible_alias = "readvertise-to-rt",
        value_name = "RT"
    )]
    pub readv_to_rts: Vec<String>,

    /// Route target of the FlowSpec routes that attract the traffic matching the
    /// classifier into this VRF, from any VRF importing it (can be repeated)
    #[arg(long = "redirect-rts", value_name = "RT")]
    pub redirect_rts: Vec<String>,
    /// Traffic classifier: source prefix
    #[arg(long)]
    pub source_prefix: Option<String>,
    /// Traffic classifier: destination prefix
    #[arg(long)]
    pub destination_prefix: Option<String>,
    /// Traffic classifier: source port or range
    #[arg(long)]
    pub source_port: Option<String>,
    /// Traffic classifier: destination port or range
    #[arg(long)]
    pub destination_port: Option<String>,
    /// Traffic classifier: IP protocol
    #[arg(long)]
    pub protocol: Option<String>,
    /// Advertise the static destination prefixes to this route target
    #[arg(long = "attract-to-rt", value_name = "RT")]
    pub attract_to_rts: Vec<String>,
    /// Static destination prefix to advertise (with --attract-to-rt)
    #[arg(
        long = "static-destination-prefix",
        visible_alias = "static-destination-prefixes",
        value_name = "PREFIX"
    )]
    pub static_dest_prefixes: Vec<String>,

    /// Load-balancing consistent hash sort order
    #[arg(long, default_value_t = 0)]
    pub lb_consistent_hash_order: i64,
    /// VXLAN VNI of the VPN instance (0: let the daemon choose)
    #[arg(long, default_value_t = 0)]
    pub vni: i64,
    /// BGP LOCAL_PREF of the routes
    #[arg(long)]
    pub local_pref: Option<i64>,

    /// Address of bagpipe-bgp's REST API
    #[arg(long, default_value = "127.0.0.1")]
    pub server: String,
    /// Port of bagpipe-bgp's REST API [default: the [API] port of
    /// /etc/bagpipe-bgp/bgp.conf, or 8082]
    #[arg(long)]
    pub api_port: Option<u16>,
}

/// A parser accepting the names (`as_str`) of `values`, so that the names are the ones
/// the daemon's request types use.
fn one_of<T: Copy + Send + Sync + 'static>(
    values: &'static [T],
    name: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(values.iter().map(|v| name(*v))).map(move |s| {
        *values
            .iter()
            .find(|v| name(**v) == s)
            .expect("a possible value")
    })
}

fn vpn_type() -> impl TypedValueParser<Value = VpnType> {
    one_of(&[VpnType::Ipvpn, VpnType::Evpn], VpnType::as_str)
}

fn direction() -> impl TypedValueParser<Value = Direction> {
    one_of(
        &[Direction::ToPort, Direction::FromPort, Direction::Both],
        Direction::as_str,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(["bagpipe-rest-attach"].iter().chain(args))
    }

    const MINIMAL: [&str; 6] = [
        "--network-type",
        "ipvpn",
        "--port",
        "tap1",
        "--ip",
        "10.0.0.1",
    ];

    #[test]
    fn last_of_attach_and_detach_wins() {
        let a = parse(&[&["--attach", "--detach"][..], &MINIMAL].concat()).unwrap();
        assert!(a.detach && !a.attach);
        let a = parse(&[&["--detach", "--attach"][..], &MINIMAL].concat()).unwrap();
        assert!(a.attach && !a.detach);
        assert!(parse(&MINIMAL).is_err(), "--attach or --detach is required");
    }

    #[test]
    fn defaults_are_the_originals() {
        let a = parse(&[&["--attach"][..], &MINIMAL].concat()).unwrap();
        assert_eq!(a.vpn_instance_id, "bagpipe-test");
        assert_eq!(a.direction, Direction::Both);
        assert_eq!(a.bridge, "br-int");
        assert_eq!(a.if2vpn, "tovpn");
        assert_eq!(
            (a.vni, a.lb_consistent_hash_order, a.local_pref),
            (0, 0, None)
        );
        assert!(!a.advertise_subnet && !a.ovs_preplug);
        assert_eq!(a.server, "127.0.0.1");
    }

    #[test]
    fn abbreviations_aliases_and_repeated_options() {
        let a = parse(
            &[
                &[
                    "--atta",
                    "--network",
                    "evpn",
                    "--rt",
                    "1:1",
                    "--rt=1:2",
                    "--import-rt",
                    "1:3",
                ][..],
                &["--port", "tap1", "--ip", "10.0.0.1", "--advertise-subnet"],
                &["--readvertise-to-rt", "1:4", "--readv-from-rt", "1:5"],
                &["--static-destination-prefixes", "10.1.0.0/16"],
            ]
            .concat(),
        )
        .unwrap();
        assert_eq!(a.network_type, VpnType::Evpn);
        assert_eq!(a.route_targets, ["1:1", "1:2"]);
        assert_eq!(a.import_only_rts, ["1:3"]);
        assert_eq!(
            (a.readv_to_rts, a.readv_from_rts),
            (vec!["1:4".to_owned()], vec!["1:5".to_owned()])
        );
        assert_eq!(a.static_dest_prefixes, ["10.1.0.0/16"]);
        assert!(a.advertise_subnet);
        // --att is both --attach and --attract-to-rt.
        assert!(parse(&[&["--att"][..], &MINIMAL].concat()).is_err());
    }

    #[test]
    fn last_of_subnet_and_singleton_wins() {
        let a = parse(
            &[
                &["--attach", "--advertise-subnet", "--advertise-singleton"][..],
                &MINIMAL,
            ]
            .concat(),
        )
        .unwrap();
        assert!(!a.advertise_subnet);
    }
}
