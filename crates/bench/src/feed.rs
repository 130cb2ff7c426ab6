//! The routes a load generator sends: N distinct VPNv4 host routes or E-VPN type 2 MAC/IP
//! routes sharing one attribute set, packed by the speaker's own packer into full 4096-octet
//! UPDATEs, generated before the clock starts.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bagpipe_speaker::pack::pack;
use bagpipe_speaker::OutItem;
use bagpipe_wire::attr::{AsPath, AttrValue, AttributeSet, Origin, PathAttribute};
use bagpipe_wire::nlri::{EvpnRoute, Nlri, VpnPrefix};
use bagpipe_wire::{
    CodecContext, Esi, ExtendedCommunity, Family, IpPrefix, Label, MacAddress, RouteDistinguisher,
    RouteTarget, TunnelType,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteKind {
    Vpnv4,
    EvpnMacIp,
}

impl RouteKind {
    pub fn family(self) -> Family {
        match self {
            RouteKind::Vpnv4 => Family::VPNV4,
            RouteKind::EvpnMacIp => Family::EVPN,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RouteKind::Vpnv4 => "VPNv4",
            RouteKind::EvpnMacIp => "E-VPN type 2",
        }
    }

    fn route(self, i: u32) -> Nlri {
        let b = i.to_be_bytes();
        let host = Ipv4Addr::new(10, b[1], b[2], b[3]);
        match self {
            // 64 route distinguishers, as many PEs' VRFs would give a reflector.
            RouteKind::Vpnv4 => Nlri::Vpn(VpnPrefix::new(
                RouteDistinguisher::as2(64512, i % 64),
                Label::mpls(16 + i % 100_000, true),
                IpPrefix::new(host.into(), 32).expect("/32"),
            )),
            RouteKind::EvpnMacIp => Nlri::Evpn(EvpnRoute::MacIpAdvertisement {
                rd: RouteDistinguisher::ipv4(Ipv4Addr::new(192, 0, 2, 1), (i % 64) as u16),
                esi: Esi::ZERO,
                etag: 0,
                mac: MacAddress([0x52, 0x54, b[0], b[1], b[2], b[3]]),
                ip: Some(host.into()),
                label: Label::vni(1000 + i % 64),
                label2: None,
            }),
        }
    }
}

/// The route target of every route.
pub const ROUTE_TARGET: &str = "64512:100";

/// The common attributes: ORIGIN, empty AS_PATH, LOCAL_PREF, [`ROUTE_TARGET`] and the VXLAN
/// encapsulation, with `next_hop` in MP_REACH_NLRI.
pub fn attributes(next_hop: IpAddr) -> Arc<AttributeSet> {
    let rt: RouteTarget = ROUTE_TARGET.parse().expect("route target");
    Arc::new(AttributeSet::new(
        Some(next_hop),
        vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::default())),
            PathAttribute::new(AttrValue::LocalPref(100)),
            PathAttribute::new(AttrValue::ExtendedCommunities(vec![
                rt.into(),
                ExtendedCommunity::encapsulation(TunnelType::VXLAN),
            ])),
        ],
    ))
}

/// The encoded UPDATEs announcing routes `0..n` of `kind`, back to back.
pub fn updates(kind: RouteKind, n: u32, next_hop: IpAddr, ctx: &CodecContext) -> Vec<u8> {
    let attrs = attributes(next_hop);
    let family = kind.family();
    let mut out = Vec::with_capacity(n as usize * 40 + 4096);
    // Packed in batches (each ends with a partly filled UPDATE) to bound memory.
    const BATCH: u32 = 1 << 16;
    let mut start = 0;
    while start < n {
        let end = (start + BATCH).min(n);
        let items = (start..end)
            .map(|i| OutItem::Announce {
                family,
                nlri: kind.route(i).into(),
                attrs: Arc::clone(&attrs),
            })
            .collect();
        pack(items, ctx, &mut out).expect("routes encode");
        start = end;
    }
    out
}

/// Splits a stream of messages into pieces of about `size` octets, at message boundaries.
pub fn split_messages(buf: &[u8], size: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at + 19 <= buf.len() {
        let len = u16::from_be_bytes([buf[at + 16], buf[at + 17]]) as usize;
        if at + len - start > size && at > start {
            pieces.push(&buf[start..at]);
            start = at;
        }
        at += len;
    }
    if start < buf.len() {
        pieces.push(&buf[start..]);
    }
    pieces
}

/// Number of messages in an encoded stream.
pub fn count_messages(buf: &[u8]) -> usize {
    split_messages(buf, 0).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bagpipe_wire::Message;

    #[test]
    fn packed_updates_decode_to_every_route() {
        let ctx = CodecContext {
            four_octet_as: true,
            ..CodecContext::default()
        };
        for kind in [RouteKind::Vpnv4, RouteKind::EvpnMacIp] {
            let buf = updates(kind, 3000, "127.0.50.2".parse().unwrap(), &ctx);
            let mut routes = 0;
            for m in split_messages(&buf, 0) {
                assert!(m.len() <= 4096);
                let Message::Update(u) = Message::decode(m, &ctx).unwrap().message else {
                    panic!("not an UPDATE")
                };
                routes += u.announced().count();
            }
            assert_eq!(routes, 3000);
            let pieces = split_messages(&buf, 65536);
            assert_eq!(pieces.concat(), buf);
            assert!(pieces.iter().all(|p| p.len() <= 65536));
        }
    }
}
