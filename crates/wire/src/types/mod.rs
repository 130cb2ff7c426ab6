//! Value types shared by attributes and NLRI.

mod esi;
mod ext_community;
mod ipv6_ext_community;
mod label;
mod mac;
mod prefix;
mod rd;

pub use esi::Esi;
pub use ext_community::{AdminValue, ExtCommunityKind, ExtendedCommunity, RouteTarget, TunnelType};
pub use ipv6_ext_community::{Ipv6ExtCommunityKind, Ipv6ExtendedCommunity};
pub use label::{Label, LabelStack};
pub use mac::MacAddress;
pub use prefix::{IpPrefix, Ipv4Prefix, Ipv6Prefix};
pub use rd::{RdKind, RouteDistinguisher};
