//! Shared pieces of the operator-facing text forms (`65000:100`, `52:54:00:aa:bb:01`, ...).

use std::fmt;

/// A value that could not be read from its text form: names what was expected and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError {
    pub what: &'static str,
    pub input: String,
    pub reason: &'static str,
}

impl TextError {
    pub fn new(what: &'static str, input: &str, reason: &'static str) -> Self {
        TextError {
            what,
            input: input.to_owned(),
            reason,
        }
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} {:?}: {}", self.what, self.input, self.reason)
    }
}

impl std::error::Error for TextError {}

/// Serializes a type through its `Display` form, so that JSON shows what operators type.
macro_rules! serialize_display {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}
pub(crate) use serialize_display;

/// Parses `ADMIN:NUMBER`, the shape shared by route distinguishers and route targets:
/// `65000:100` (2-octet AS), `192.0.2.1:7` (IPv4 address), `4200000001:7` (4-octet AS).
/// An AS that fits in 16 bits takes the 2-octet form, as GoBGP and FRR do.
pub(crate) fn parse_admin_number(what: &'static str, s: &str) -> Result<AdminNumber, TextError> {
    let (admin, number) = s.rsplit_once(':').ok_or_else(|| {
        TextError::new(
            what,
            s,
            "expected ADMIN:NUMBER, e.g. 65000:100 or 192.0.2.1:7",
        )
    })?;
    let number: u64 = number
        .parse()
        .map_err(|_| TextError::new(what, s, "the part after ':' is not a number"))?;
    if let Ok(ip) = admin.parse::<std::net::Ipv4Addr>() {
        let n = u16::try_from(number).map_err(|_| {
            TextError::new(
                what,
                s,
                "with an IPv4 administrator the number must fit in 16 bits",
            )
        })?;
        return Ok(AdminNumber::Ipv4(ip, n));
    }
    let asn: u64 = admin.parse().map_err(|_| {
        TextError::new(
            what,
            s,
            "the part before ':' is neither an AS number nor an IPv4 address",
        )
    })?;
    if asn <= u16::MAX as u64 {
        let n = u32::try_from(number).map_err(|_| {
            TextError::new(what, s, "with a 2-octet AS the number must fit in 32 bits")
        })?;
        Ok(AdminNumber::As2(asn as u16, n))
    } else if asn <= u32::MAX as u64 {
        let n = u16::try_from(number).map_err(|_| {
            TextError::new(what, s, "with a 4-octet AS the number must fit in 16 bits")
        })?;
        Ok(AdminNumber::As4(asn as u32, n))
    } else {
        Err(TextError::new(what, s, "AS number larger than 32 bits"))
    }
}

/// The three administrator forms of RDs and route targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminNumber {
    As2(u16, u32),
    Ipv4(std::net::Ipv4Addr, u16),
    As4(u32, u16),
}
