//! Typed accessors for the well-known attributes, shared by every type that holds path
//! attributes and can look one up by type code (`get`): an UPDATE, a route's attribute set.

/// Implements the accessors on `$t`, which must have `fn get(&self, u8) -> Option<&AttrValue>`.
macro_rules! attribute_accessors {
    ($t:ty) => {
        impl $t {
            pub fn origin(&self) -> Option<$crate::attr::Origin> {
                match self.get($crate::attr::code::ORIGIN) {
                    Some($crate::attr::AttrValue::Origin(o)) => Some(*o),
                    _ => None,
                }
            }

            pub fn as_path(&self) -> Option<&$crate::attr::AsPath> {
                match self.get($crate::attr::code::AS_PATH) {
                    Some($crate::attr::AttrValue::AsPath(p)) => Some(p),
                    _ => None,
                }
            }

            pub fn local_pref(&self) -> Option<u32> {
                match self.get($crate::attr::code::LOCAL_PREF) {
                    Some($crate::attr::AttrValue::LocalPref(v)) => Some(*v),
                    _ => None,
                }
            }

            pub fn med(&self) -> Option<u32> {
                match self.get($crate::attr::code::MED) {
                    Some($crate::attr::AttrValue::Med(v)) => Some(*v),
                    _ => None,
                }
            }

            pub fn originator_id(&self) -> Option<std::net::Ipv4Addr> {
                match self.get($crate::attr::code::ORIGINATOR_ID) {
                    Some($crate::attr::AttrValue::OriginatorId(v)) => Some(*v),
                    _ => None,
                }
            }

            pub fn cluster_list(&self) -> &[std::net::Ipv4Addr] {
                match self.get($crate::attr::code::CLUSTER_LIST) {
                    Some($crate::attr::AttrValue::ClusterList(v)) => v,
                    _ => &[],
                }
            }

            pub fn ext_communities(&self) -> &[$crate::types::ExtendedCommunity] {
                match self.get($crate::attr::code::EXTENDED_COMMUNITIES) {
                    Some($crate::attr::AttrValue::ExtendedCommunities(c)) => c,
                    _ => &[],
                }
            }

            pub fn route_targets(&self) -> impl Iterator<Item = $crate::types::RouteTarget> + '_ {
                self.ext_communities()
                    .iter()
                    .filter_map(|c| c.route_target())
            }

            pub fn ipv6_ext_communities(&self) -> &[$crate::types::Ipv6ExtendedCommunity] {
                match self.get($crate::attr::code::IPV6_EXTENDED_COMMUNITIES) {
                    Some($crate::attr::AttrValue::Ipv6ExtendedCommunities(c)) => c,
                    _ => &[],
                }
            }

            pub fn pmsi_tunnel(&self) -> Option<&$crate::attr::PmsiTunnel> {
                match self.get($crate::attr::code::PMSI_TUNNEL) {
                    Some($crate::attr::AttrValue::PmsiTunnel(p)) => Some(p),
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use attribute_accessors;
