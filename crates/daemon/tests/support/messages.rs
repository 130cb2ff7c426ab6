//! The BGP messages the scripted peer sends: VPN routes with the attributes of an iBGP
//! route reflector client.

use bagpipe_wire::attr::{AsPath, AttrValue, Origin, PathAttribute};
use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{Nlri, PathNlri, VpnPrefix};
use bagpipe_wire::{ExtendedCommunity, Family, IpPrefix, Label, RouteDistinguisher, RouteTarget};

/// What a VPN route carries besides its prefix and next hop.
pub struct VpnRoute {
    pub rd: RouteDistinguisher,
    pub label: u32,
    pub rt: RouteTarget,
    /// The add-path identifier (RFC 7911), when the session sends them.
    pub path_id: Option<u32>,
}

impl Default for VpnRoute {
    /// RD 64512:7, label 100, route target 64512:20, no path identifier.
    fn default() -> Self {
        VpnRoute {
            rd: RouteDistinguisher::as2(64512, 7),
            label: 100,
            rt: "64512:20".parse().unwrap(),
            path_id: None,
        }
    }
}

impl VpnRoute {
    /// The UPDATE announcing the route to `prefix` (VPNv4 or VPNv6, by its version) with
    /// ORIGIN IGP, an empty AS_PATH, LOCAL_PREF 100 and the route target.
    pub fn update(&self, prefix: &str, next_hop: &str) -> Update {
        let prefix: IpPrefix = prefix.parse().unwrap();
        let family = if prefix.is_ipv4() {
            Family::VPNV4
        } else {
            Family::VPNV6
        };
        let nlri = Nlri::Vpn(VpnPrefix::new(
            self.rd,
            Label::mpls(self.label, true),
            prefix,
        ));
        Update::announce(
            family,
            Some(next_hop.parse().unwrap()),
            vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::default())),
                PathAttribute::new(AttrValue::LocalPref(100)),
                PathAttribute::new(AttrValue::ExtendedCommunities(vec![
                    ExtendedCommunity::from(self.rt),
                ])),
            ],
            vec![PathNlri {
                path_id: self.path_id,
                nlri,
            }],
        )
    }
}

/// The UPDATE announcing `prefix` with the attributes of [`VpnRoute::default`].
pub fn vpn_update(prefix: &str, next_hop: &str) -> Update {
    VpnRoute::default().update(prefix, next_hop)
}
