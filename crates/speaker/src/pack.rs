//! Packs queued route changes into as few UPDATE messages as the session's maximum message
//! size allows: consecutive announcements sharing one attribute set and family share one
//! UPDATE, withdrawals of a family share one.

use std::net::IpAddr;
use std::sync::Arc;

use bagpipe_wire::attr::AttributeSet;
use bagpipe_wire::family::AFI_IPV6;
use bagpipe_wire::message::{Message, Update};
use bagpipe_wire::nlri::PathNlri;
use bagpipe_wire::{CodecContext, EncodeError, Family};

use crate::outbox::OutItem;

/// Appends the messages for `items`, in order, to `out`.
pub fn pack(items: Vec<OutItem>, ctx: &CodecContext, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let mut group: Option<Group> = None;
    for item in items {
        let key = match &item {
            OutItem::Announce { family, attrs, .. } => {
                Some(GroupKey::Announce(*family, Arc::clone(attrs)))
            }
            OutItem::Withdraw { family, .. } => Some(GroupKey::Withdraw(*family)),
            _ => None,
        };
        if group.as_ref().is_some_and(|g| Some(&g.key) != key.as_ref()) {
            group.take().expect("checked").flush(ctx, out)?;
        }
        match item {
            OutItem::Announce { nlri, .. } | OutItem::Withdraw { nlri, .. } => {
                let key = key.expect("route items have a key");
                group
                    .get_or_insert_with(|| Group {
                        key,
                        nlri: Vec::new(),
                    })
                    .nlri
                    .push(nlri);
            }
            OutItem::EndOfRib(family) => {
                Message::Update(Update::end_of_rib(family)).encode(ctx, out)?
            }
            OutItem::RouteRefresh(rr) => Message::RouteRefresh(rr).encode(ctx, out)?,
        }
    }
    if let Some(g) = group {
        g.flush(ctx, out)?;
    }
    Ok(())
}

#[derive(Debug)]
enum GroupKey {
    Announce(Family, Arc<AttributeSet>),
    Withdraw(Family),
}

impl PartialEq for GroupKey {
    /// Attribute sets compare by identity: the route table shares one `Arc` per set.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (GroupKey::Announce(f, a), GroupKey::Announce(g, b)) => f == g && Arc::ptr_eq(a, b),
            (GroupKey::Withdraw(f), GroupKey::Withdraw(g)) => f == g,
            _ => false,
        }
    }
}

/// An IPv6 family announced with an IPv4 next hop (our dataplane address, on an IPv4
/// network) carries it IPv4-mapped (RFC 4659 §3.2.1.2, RFC 4798): a 4-octet next hop does
/// not fit these families, and receivers (ours among them) cannot parse the NLRI after it.
fn next_hop_for(family: Family, nh: IpAddr) -> IpAddr {
    match nh {
        IpAddr::V4(v4) if family.afi == AFI_IPV6 => IpAddr::V6(v4.to_ipv6_mapped()),
        other => other,
    }
}

struct Group {
    key: GroupKey,
    nlri: Vec<PathNlri>,
}

impl Group {
    fn build(&self, nlri: Vec<PathNlri>) -> Update {
        match &self.key {
            GroupKey::Announce(family, attrs) => {
                let next_hop = attrs.next_hop.map(|nh| next_hop_for(*family, nh));
                Update::announce(*family, next_hop, attrs.attributes.clone(), nlri)
            }
            GroupKey::Withdraw(family) => Update::withdraw(*family, nlri),
        }
    }

    /// Splits the NLRI over messages: each NLRI's encoded size is measured once, against the
    /// size of the same UPDATE without NLRI.
    fn flush(self, ctx: &CodecContext, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let base = Message::Update(self.build(Vec::new())).to_bytes(ctx)?.len();
        let max = ctx.max_message_len();
        let family = match &self.key {
            GroupKey::Announce(f, _) | GroupKey::Withdraw(f) => *f,
        };
        let add_path = ctx.add_path(family);
        let mut scratch = Vec::new();
        let mut chunk = Vec::new();
        let mut size = base;
        for n in &self.nlri {
            scratch.clear();
            bagpipe_wire::nlri::encode(n, add_path, &mut scratch);
            if size + scratch.len() > max && !chunk.is_empty() {
                Message::Update(self.build(std::mem::take(&mut chunk))).encode(ctx, out)?;
                size = base;
            }
            size += scratch.len();
            chunk.push(n.clone());
        }
        if !chunk.is_empty() {
            Message::Update(self.build(chunk)).encode(ctx, out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bagpipe_wire::attr::{AsPath, AttrValue, Origin, PathAttribute};
    use bagpipe_wire::nlri::{Nlri, VpnPrefix};
    use bagpipe_wire::{Label, RouteDistinguisher};

    #[test]
    fn vpnv6_with_an_ipv4_next_hop_goes_ipv4_mapped_and_decodes_back() {
        let nh: IpAddr = "192.0.2.1".parse().unwrap();
        let attrs = Arc::new(AttributeSet::new(
            Some(nh),
            vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::default())),
            ],
        ));
        let nlri = Nlri::Vpn(VpnPrefix::new(
            RouteDistinguisher::as2(65000, 1),
            Label::mpls(16, true),
            "2001:db8::/64".parse().unwrap(),
        ));
        let ctx = CodecContext::default();
        let mut out = Vec::new();
        let item = |family| OutItem::Announce {
            family,
            nlri: nlri.clone().into(),
            attrs: Arc::clone(&attrs),
        };
        pack(vec![item(Family::VPNV6)], &ctx, &mut out).unwrap();
        let d = Message::decode(&out, &ctx).unwrap();
        let Message::Update(u) = d.message else {
            panic!("not an update")
        };
        assert!(d.issues.is_empty(), "{:?}", d.issues);
        let (_, got, _) = u.announced().next().unwrap();
        assert_eq!(got, Some("::ffff:192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn many_routes_split_within_the_limit_and_decode_back() {
        let attrs = Arc::new(AttributeSet::new(
            Some("192.0.2.1".parse().unwrap()),
            vec![
                PathAttribute::new(AttrValue::Origin(Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::default())),
            ],
        ));
        let items: Vec<OutItem> = (0..2000u32)
            .map(|i| OutItem::Announce {
                family: Family::VPNV4,
                nlri: Nlri::Vpn(VpnPrefix::new(
                    RouteDistinguisher::as2(65000, i),
                    Label::mpls(16 + i, true),
                    format!("10.{}.{}.0/24", i / 256, i % 256).parse().unwrap(),
                ))
                .into(),
                attrs: Arc::clone(&attrs),
            })
            .chain([OutItem::EndOfRib(Family::VPNV4)])
            .collect();
        let ctx = CodecContext {
            four_octet_as: true,
            ..CodecContext::default()
        };
        let mut out = Vec::new();
        pack(items, &ctx, &mut out).unwrap();
        let mut seen = 0;
        let mut messages = 0;
        let mut rest = out.as_slice();
        while let Some(len) = bagpipe_wire::message::frame_length(rest, &ctx).unwrap() {
            let d = Message::decode(&rest[..len], &ctx).unwrap();
            let Message::Update(u) = d.message else {
                panic!("not an update")
            };
            seen += u.announced().count();
            messages += 1;
            assert!(len <= 4096);
            rest = &rest[len..];
        }
        assert_eq!(seen, 2000);
        // 2000 routes of 16 octets each need at least 8 messages of 4096 octets; the packer
        // must not use many more.
        assert!((9..=11).contains(&messages), "{messages} messages");
    }
}
