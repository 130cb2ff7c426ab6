//! ROUTE-REFRESH messages (RFC 2918) with the enhanced subtypes of RFC 7313.

use serde::Serialize;

use crate::error::DecodeError;
use crate::message::notification::code;
use crate::reader::Reader;
use crate::Family;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefreshSubtype {
    /// 0: a plain request to re-send the Adj-RIB-Out.
    Request,
    /// 1: beginning of a route refresh (RFC 7313).
    BeginOfRefresh,
    /// 2: end of a route refresh (RFC 7313).
    EndOfRefresh,
    /// Reserved values, to be ignored (RFC 7313 §5).
    Reserved(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RouteRefresh {
    pub family: Family,
    pub subtype: RefreshSubtype,
}

impl RouteRefresh {
    pub fn request(family: Family) -> Self {
        RouteRefresh {
            family,
            subtype: RefreshSubtype::Request,
        }
    }

    pub(crate) fn decode(r: &mut Reader, message: &[u8]) -> Result<RouteRefresh, DecodeError> {
        if r.remaining() != 4 {
            return Err(DecodeError::reset(
                r.offset(),
                "RFC 7313 §5: a ROUTE-REFRESH message body is 4 octets",
                format!("body of {} octets", r.remaining()),
                code::ROUTE_REFRESH,
                1,
                message.to_vec(),
            ));
        }
        let [a0, a1, sub, safi] = r.array().expect("length checked");
        let subtype = match sub {
            0 => RefreshSubtype::Request,
            1 => RefreshSubtype::BeginOfRefresh,
            2 => RefreshSubtype::EndOfRefresh,
            other => RefreshSubtype::Reserved(other),
        };
        Ok(RouteRefresh {
            family: Family::new(u16::from_be_bytes([a0, a1]), safi),
            subtype,
        })
    }

    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.family.afi.to_be_bytes());
        out.push(match self.subtype {
            RefreshSubtype::Request => 0,
            RefreshSubtype::BeginOfRefresh => 1,
            RefreshSubtype::EndOfRefresh => 2,
            RefreshSubtype::Reserved(v) => v,
        });
        out.push(self.family.safi);
    }
}
