//! The attributes of one route, as the route table stores them and peers re-advertise them:
//! every path attribute except those that carry NLRI (MP_REACH/MP_UNREACH) and the next hop,
//! which is kept apart because it is per family and rewritten when re-advertised.

use std::net::IpAddr;

use serde::Serialize;

use super::{code, AttrValue, PathAttribute};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct AttributeSet {
    pub next_hop: Option<IpAddr>,
    /// Sorted by type code, at most one of each.
    pub attributes: Vec<PathAttribute>,
}

impl AttributeSet {
    /// Builds a set from attributes in any order (the first of each code is kept).
    pub fn new(next_hop: Option<IpAddr>, mut attributes: Vec<PathAttribute>) -> Self {
        attributes.retain(|a| {
            !matches!(
                a.code(),
                code::MP_REACH_NLRI | code::MP_UNREACH_NLRI | code::NEXT_HOP
            )
        });
        attributes.sort_by_key(|a| a.code());
        attributes.dedup_by_key(|a| a.code());
        AttributeSet {
            next_hop,
            attributes,
        }
    }

    pub fn get(&self, attr_code: u8) -> Option<&AttrValue> {
        self.attributes
            .binary_search_by_key(&attr_code, |a| a.code())
            .ok()
            .map(|i| &self.attributes[i].value)
    }

    /// Replaces (or adds) the attribute of that code.
    pub fn set(&mut self, attr: PathAttribute) {
        match self
            .attributes
            .binary_search_by_key(&attr.code(), |a| a.code())
        {
            Ok(i) => self.attributes[i] = attr,
            Err(i) => self.attributes.insert(i, attr),
        }
    }

    pub fn remove(&mut self, attr_code: u8) {
        self.attributes.retain(|a| a.code() != attr_code);
    }
}

super::attribute_accessors!(AttributeSet);
