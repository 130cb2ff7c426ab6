//! OPEN messages (RFC 4271 §4.2) with optional parameters (RFC 5492, RFC 9072).

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::error::{DecodeError, EncodeError};
use crate::message::capability::Capability;
use crate::message::notification::{code, open};
use crate::reader::Reader;
use crate::Family;

/// AS_TRANS (RFC 6793): the 2-octet AS placeholder for a 4-octet AS.
pub const AS_TRANS: u16 = 23456;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Open {
    pub version: u8,
    /// The 2-octet "My Autonomous System" field (AS_TRANS when the real AS needs 4 octets).
    pub my_as: u16,
    pub hold_time: u16,
    pub bgp_id: Ipv4Addr,
    pub params: Vec<OptionalParameter>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptionalParameter {
    /// Type 2: one or more capabilities.
    Capabilities(Vec<Capability>),
    /// Any other type (type 1, authentication, is deprecated), kept as bytes.
    Unknown {
        param_type: u8,
        #[serde(serialize_with = "crate::message::serialize_hex")]
        data: Vec<u8>,
    },
}

const PARAM_CAPABILITIES: u8 = 2;
/// RFC 9072: an optional parameters length of 255 followed by a type of 255 announces the
/// extended (2-octet) parameter lengths.
const EXTENDED_PARAMS: u8 = 255;

fn malformed(offset: usize, detail: String) -> DecodeError {
    DecodeError::reset(
        offset,
        "RFC 4271 §6.2: malformed OPEN optional parameters",
        detail,
        code::OPEN_MESSAGE,
        0,
        vec![],
    )
}

impl Open {
    /// An OPEN with one capabilities parameter; `asn` above 65535 goes in the 4-octet AS
    /// capability with AS_TRANS in the fixed field.
    pub fn new(
        asn: u32,
        hold_time: u16,
        bgp_id: Ipv4Addr,
        mut capabilities: Vec<Capability>,
    ) -> Open {
        let my_as = u16::try_from(asn).unwrap_or(AS_TRANS);
        if !capabilities
            .iter()
            .any(|c| matches!(c, Capability::FourOctetAs { .. }))
        {
            capabilities.push(Capability::FourOctetAs { asn });
        }
        Open {
            version: 4,
            my_as,
            hold_time,
            bgp_id,
            params: vec![OptionalParameter::Capabilities(capabilities)],
        }
    }

    pub fn capabilities(&self) -> impl Iterator<Item = &Capability> {
        self.params.iter().flat_map(|p| match p {
            OptionalParameter::Capabilities(caps) => caps.as_slice(),
            OptionalParameter::Unknown { .. } => &[],
        })
    }

    /// The sender's AS: from the 4-octet AS capability when present (RFC 6793 §4.1).
    pub fn asn(&self) -> u32 {
        self.capabilities()
            .find_map(|c| match c {
                Capability::FourOctetAs { asn } => Some(*asn),
                _ => None,
            })
            .unwrap_or(self.my_as as u32)
    }

    /// Families of the multiprotocol capabilities; IPv4 unicast alone when there are none
    /// (RFC 4760 §8).
    pub fn families(&self) -> Vec<Family> {
        let fams: Vec<Family> = self
            .capabilities()
            .filter_map(|c| match c {
                Capability::Multiprotocol { family } => Some(*family),
                _ => None,
            })
            .collect();
        if fams.is_empty() {
            vec![Family::IPV4_UNICAST]
        } else {
            fams
        }
    }

    pub(crate) fn decode(r: &mut Reader) -> Result<Open, DecodeError> {
        let start = r.offset();
        let fixed = r.take(10).map_err(|s| {
            DecodeError::reset(
                s.offset,
                "RFC 4271 §4.2: OPEN is at least 29 octets",
                "OPEN too short",
                code::MESSAGE_HEADER,
                2,
                vec![],
            )
        })?;
        let version = fixed[0];
        if version != 4 {
            return Err(DecodeError::reset(
                start,
                "RFC 4271 §6.2: only BGP version 4 is supported",
                format!("version {version}"),
                code::OPEN_MESSAGE,
                open::UNSUPPORTED_VERSION,
                4u16.to_be_bytes().to_vec(),
            ));
        }
        let my_as = u16::from_be_bytes([fixed[1], fixed[2]]);
        let hold_time = u16::from_be_bytes([fixed[3], fixed[4]]);
        let bgp_id = Ipv4Addr::new(fixed[5], fixed[6], fixed[7], fixed[8]);
        let opt_len_offset = start + 9;
        let mut params_len = fixed[9] as usize;
        let mut extended = false;
        if params_len == EXTENDED_PARAMS as usize && r.rest().first() == Some(&EXTENDED_PARAMS) {
            r.u8().expect("checked");
            params_len = r
                .u16()
                .map_err(|s| malformed(s.offset, "truncated extended parameters length".into()))?
                as usize;
            extended = true;
        }
        if params_len != r.remaining() {
            return Err(malformed(
                opt_len_offset,
                format!(
                    "optional parameters length {params_len} but {} octets follow",
                    r.remaining()
                ),
            ));
        }
        let mut params = Vec::new();
        while !r.is_empty() {
            let at = r.offset();
            let param_type = r.u8().expect("not empty");
            let len = if extended {
                r.u16().map(|v| v as usize)
            } else {
                r.u8().map(|v| v as usize)
            }
            .map_err(|s| malformed(s.offset, "truncated optional parameter header".into()))?;
            let mut value = r.sub(len).map_err(|s| {
                malformed(
                    at,
                    format!(
                        "parameter of length {} overruns the message by {}",
                        len,
                        s.wanted - s.left
                    ),
                )
            })?;
            if param_type == PARAM_CAPABILITIES {
                params.push(OptionalParameter::Capabilities(decode_capabilities(
                    &mut value,
                )?));
            } else {
                params.push(OptionalParameter::Unknown {
                    param_type,
                    data: value.rest().to_vec(),
                });
            }
        }
        Ok(Open {
            version,
            my_as,
            hold_time,
            bgp_id,
            params,
        })
    }

    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.version);
        out.extend_from_slice(&self.my_as.to_be_bytes());
        out.extend_from_slice(&self.hold_time.to_be_bytes());
        out.extend_from_slice(&self.bgp_id.octets());
        let mut params = Vec::new();
        for p in &self.params {
            let (ptype, value) = match p {
                OptionalParameter::Capabilities(caps) => {
                    (PARAM_CAPABILITIES, encode_capabilities(caps)?)
                }
                OptionalParameter::Unknown { param_type, data } => (*param_type, data.clone()),
            };
            params.push((ptype, value));
        }
        let short_len: usize = params.iter().map(|(_, v)| 2 + v.len()).sum();
        let fits_short =
            short_len < EXTENDED_PARAMS as usize && params.iter().all(|(_, v)| v.len() <= 255);
        if fits_short {
            out.push(short_len as u8);
            for (t, v) in params {
                out.push(t);
                out.push(v.len() as u8);
                out.extend_from_slice(&v);
            }
        } else {
            // RFC 9072 §2.
            let long_len: usize = params.iter().map(|(_, v)| 3 + v.len()).sum();
            let long_len = u16::try_from(long_len)
                .map_err(|_| EncodeError::FieldTooLong("OPEN optional parameters"))?;
            out.extend_from_slice(&[EXTENDED_PARAMS, EXTENDED_PARAMS]);
            out.extend_from_slice(&long_len.to_be_bytes());
            for (t, v) in params {
                out.push(t);
                out.extend_from_slice(&(v.len() as u16).to_be_bytes());
                out.extend_from_slice(&v);
            }
        }
        Ok(())
    }
}

fn decode_capabilities(r: &mut Reader) -> Result<Vec<Capability>, DecodeError> {
    let mut caps = Vec::new();
    while !r.is_empty() {
        let at = r.offset();
        let (cap_code, len) = match (r.u8(), r.u8()) {
            (Ok(c), Ok(l)) => (c, l as usize),
            _ => return Err(malformed(at, "truncated capability header".into())),
        };
        let mut value = r.sub(len).map_err(|_| {
            malformed(
                at,
                format!("capability {cap_code} of length {len} overruns its parameter"),
            )
        })?;
        caps.push(Capability::decode(cap_code, &mut value)?);
    }
    Ok(caps)
}

fn encode_capabilities(caps: &[Capability]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    for cap in caps {
        out.push(cap.code());
        let len_at = out.len();
        out.push(0);
        cap.encode_value(&mut out);
        let len = out.len() - len_at - 1;
        out[len_at] = u8::try_from(len).map_err(|_| EncodeError::FieldTooLong("capability"))?;
    }
    Ok(out)
}
