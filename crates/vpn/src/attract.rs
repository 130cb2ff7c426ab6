//! `attract_traffic`: instead of readvertising the prefixes a VRF receives with `from_rt`
//! (and its `static_destination_prefixes`), it advertises:
//! - a default route toward the "to" target through each of its ports, so that a VRF
//!   importing that target sends everything to them;
//! - per prefix, a VPN FlowSpec route (under the VRF's RD, with `redirect_rts` as route
//!   targets) matching the `classifier`'s traffic toward the prefix, with a redirect-to-VRF
//!   action toward the "to" target: the VRFs where that traffic starts send it to the VRF that
//!   imports the "to" target (see [`crate::redirect`] for their side), hence to our ports;
//! - the FlowSpec routes it receives with `from_rt`, under its RD, toward the "to" target,
//!   redirecting to the first of `redirect_rts` (chains of such VRFs).
//!
//! The original advertised the default route from the first prefix to redirect on, but
//! withdrew it with the last readvertised route even while static prefixes remained; here it
//! stays as long as any prefix is redirected. It advertised a default route for IPv4 only;
//! here there is one per IP version of the redirected prefixes.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::family::{AFI_IPV4, AFI_IPV6};
use bagpipe_wire::nlri::{FlowSpecRule, Nlri};
use bagpipe_wire::{ExtendedCommunity, IpPrefix, RouteTarget};

use crate::flowspec;
use crate::instance::{Instance, ReceivedPath};
use crate::manager::VpnConfig;
use crate::readvertise::{ports, rt_records, to_targets};
use crate::request::AttractTraffic;
use crate::vrf;

pub fn routes(
    inst: &Instance,
    config: &VpnConfig,
    attract: &AttractTraffic,
    sources: &[&ReceivedPath],
) -> HashMap<Nlri, AttributeSet> {
    let mut out = HashMap::new();
    let ports = ports(inst);
    if ports.is_empty() {
        return out; // no port to bring the traffic to
    }
    let targets = to_targets(inst);
    let mut prefixes: BTreeSet<IpPrefix> = attract
        .static_destination_prefixes
        .iter()
        .copied()
        .collect();
    let mut flows: Vec<(&FlowSpecRule, &ReceivedPath)> = Vec::new();
    for source in sources {
        match &source.nlri {
            Nlri::Vpn(v) => {
                prefixes.insert(v.prefix);
            }
            Nlri::FlowSpec(rule) => flows.push((rule, source)),
            _ => {}
        }
    }
    let afis: BTreeSet<u16> = prefixes
        .iter()
        .map(afi_of)
        .chain(flows.iter().map(|(rule, _)| rule.afi))
        .collect();
    // The default route stands for every prefix redirected: it carries the route target
    // records of all the routes they come from, as a readvertised route carries its
    // source's. Without them, two VRFs attracting traffic from each other's "to" target
    // each derived its default route from the other's, and a withdrawal went round between
    // them for ever.
    let records: Vec<ExtendedCommunity> = sources
        .iter()
        .flat_map(|s| rt_records(&s.attrs))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for (_, via) in &ports {
        for afi in &afis {
            let default = default_prefix(*afi);
            let (nlri, attrs) =
                vrf::vpn_route(inst, config, *via, default, &targets, records.clone(), None);
            out.insert(nlri, attrs);
        }
    }
    // The FlowSpec routes of the prefixes: redirect toward the one "to" target.
    let to_redirect: Vec<ExtendedCommunity> = targets
        .first()
        .map(|rt| redirect(*rt))
        .into_iter()
        .collect();
    for prefix in prefixes {
        let Some(components) = flowspec::components(&attract.classifier, prefix) else {
            continue;
        };
        let rule = FlowSpecRule {
            afi: afi_of(&prefix),
            rd: Some(inst.rd),
            components,
        };
        let attrs = flow_attributes(&attract.redirect_rts, to_redirect.clone());
        out.insert(Nlri::FlowSpec(rule), attrs);
    }
    // The received FlowSpec routes, toward the "to" target.
    if let Some(first) = attract.redirect_rts.first() {
        for (rule, source) in flows {
            let rule = FlowSpecRule {
                rd: Some(inst.rd),
                ..rule.clone()
            };
            let mut extra = rt_records(&source.attrs);
            extra.push(redirect(*first));
            out.insert(Nlri::FlowSpec(rule), flow_attributes(&targets, extra));
        }
    }
    out
}

fn afi_of(p: &IpPrefix) -> u16 {
    if p.is_ipv4() {
        AFI_IPV4
    } else {
        AFI_IPV6
    }
}

/// `0.0.0.0/0` or `::/0`.
fn default_prefix(afi: u16) -> IpPrefix {
    let any = if afi == AFI_IPV4 {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    };
    IpPrefix::new(any, 0).expect("a length of 0 fits")
}

/// The redirect-to-VRF action toward `rt`, in the same administrator form.
fn redirect(rt: RouteTarget) -> ExtendedCommunity {
    ExtendedCommunity::redirect(rt.value())
}

/// FlowSpec routes have no next hop (RFC 8955 §4: the action is in the communities).
fn flow_attributes(targets: &[RouteTarget], extra: Vec<ExtendedCommunity>) -> AttributeSet {
    let mut comms: Vec<ExtendedCommunity> = targets
        .iter()
        .map(|rt| ExtendedCommunity::from(*rt))
        .collect();
    comms.extend(extra);
    AttributeSet::new(
        None,
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
            PathAttribute::new(AttrValue::ExtendedCommunities(comms)),
        ],
    )
}
