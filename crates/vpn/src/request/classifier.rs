//! `attract_traffic.classifier`: the 5-tuple match of the FlowSpec routes that redirect
//! traffic to this VRF.
//!
//! ```json
//! {"sourcePrefix": "10.0.0.0/24", "destinationPrefix": "0.0.0.0/0",
//!  "sourcePort": "1000:2000", "destinationPort": "80", "protocol": "tcp"}
//! ```
//!
//! The original turned the keys to snake case and passed them as Python keyword arguments,
//! so `source_port` works as well as `sourcePort`, and any other key failed. A port is a
//! number or a `min:max` range, sent as a string by every known client. `protocol` defaults
//! to `tcp` when absent; `null` means any protocol (networking-sfc sends that).

use std::fmt;

use bagpipe_wire::IpPrefix;
use serde_json::Value;

use super::address::parse_prefix;
use super::fields::Fields;
use super::RequestError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficClassifier {
    pub source_prefix: Option<IpPrefix>,
    /// Replaced by each redirected prefix when the FlowSpec routes are built.
    pub destination_prefix: Option<IpPrefix>,
    pub source_port: Option<PortMatch>,
    pub destination_port: Option<PortMatch>,
    /// `None`: any protocol.
    pub protocol: Option<IpProtocol>,
}

/// A transport port or an inclusive range of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortMatch {
    Port(u16),
    Range { min: u16, max: u16 },
}

/// An IP protocol number, read from the names exabgp knows or from a number.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpProtocol(pub u8);

/// The protocol names the original accepted (exabgp's `Protocol` table).
const PROTOCOL_NAMES: [(&str, u8); 13] = [
    ("icmp", 1),
    ("igmp", 2),
    ("tcp", 6),
    ("egp", 8),
    ("udp", 17),
    ("rsvp", 46),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("ospf", 89),
    ("ipip", 94),
    ("pim", 103),
    ("sctp", 132),
];

impl IpProtocol {
    pub const TCP: IpProtocol = IpProtocol(6);

    pub fn name(self) -> Option<&'static str> {
        PROTOCOL_NAMES
            .iter()
            .find(|(_, n)| *n == self.0)
            .map(|(name, _)| *name)
    }

    fn parse(s: &str) -> Result<Self, String> {
        let lower = s.trim().to_ascii_lowercase();
        if let Some((_, n)) = PROTOCOL_NAMES.iter().find(|(name, _)| *name == lower) {
            return Ok(IpProtocol(*n));
        }
        lower.parse().map(IpProtocol).map_err(|_| {
            format!("unknown IP protocol {s:?}: use a name (tcp, udp, icmp, sctp...) or 0-255")
        })
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `sourcePrefix` → `source_prefix`: the original's camel-case conversion, which also lets
/// snake-case keys through unchanged.
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 2);
    let mut previous_upper = false;
    for (i, c) in key.chars().enumerate() {
        let upper = c.is_ascii_uppercase();
        if upper && !previous_upper && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
        previous_upper = upper;
    }
    out
}

const CLASSIFIER_KEYS: [&str; 5] = [
    "source_prefix",
    "destination_prefix",
    "source_port",
    "destination_port",
    "protocol",
];

pub(crate) fn classifier(c: &Fields) -> Result<TrafficClassifier, RequestError> {
    // Each snake-case name, with the key the client actually used.
    let mut given: Vec<(String, &str)> = Vec::new();
    for key in c.keys() {
        let name = snake_case(key);
        if !CLASSIFIER_KEYS.contains(&name.as_str()) {
            return Err(c.error(
                key,
                "unknown classifier field (use sourcePrefix, destinationPrefix, sourcePort, \
                 destinationPort, protocol)",
            ));
        }
        if given.iter().any(|(n, _)| *n == name) {
            return Err(c.error(key, "given twice (in camel case and snake case)"));
        }
        given.push((name, key));
    }
    let key_of = |name: &str| given.iter().find(|(n, _)| n == name).map(|(_, key)| *key);
    let prefix = |name| match key_of(name) {
        None => Ok(None),
        Some(key) => c.parsed(key, parse_prefix),
    };
    let port = |name| match key_of(name) {
        None => Ok(None),
        Some(key) => port_match(c, key),
    };
    let protocol = match key_of("protocol") {
        None => Some(IpProtocol::TCP),
        Some(key) => match c.get(key) {
            None => None,
            Some(Value::Number(n)) => Some(
                n.as_u64()
                    .and_then(|n| u8::try_from(n).ok())
                    .map(IpProtocol)
                    .ok_or_else(|| c.error(key, "must be a protocol name or 0-255"))?,
            ),
            Some(_) => c.parsed(key, IpProtocol::parse)?,
        },
    };
    Ok(TrafficClassifier {
        source_prefix: prefix("source_prefix")?,
        destination_prefix: prefix("destination_prefix")?,
        source_port: port("source_port")?,
        destination_port: port("destination_port")?,
        protocol,
    })
}

/// `"80"`, `80` or `"1000:2000"`. Port 0 and `""` mean no match on the port, as in the
/// original (which tested the port for truth).
fn port_match(c: &Fields, key: &str) -> Result<Option<PortMatch>, RequestError> {
    let text = match c.get(key) {
        None => return Ok(None),
        Some(Value::Number(_)) => {
            return Ok(c
                .uint(key, 0..=u16::MAX)?
                .filter(|p| *p != 0)
                .map(PortMatch::Port))
        }
        Some(Value::String(s)) => s.trim(),
        Some(_) => return Err(c.error(key, "must be a port number or a range like \"1000:2000\"")),
    };
    let bad = || {
        c.error(
            key,
            format!("invalid port or port range {text:?}: expected 80 or 1000:2000 (0-65535)"),
        )
    };
    let port = |s: &str| s.trim().parse::<u16>().map_err(|_| bad());
    match text.split_once(':') {
        _ if text.is_empty() => Ok(None),
        None => Ok(Some(port(text)?).filter(|p| *p != 0).map(PortMatch::Port)),
        Some((min, max)) => {
            let (min, max) = (port(min)?, port(max)?);
            if min > max {
                return Err(c.error(
                    key,
                    format!("invalid port range {text:?}: the minimum is above the maximum"),
                ));
            }
            Ok(Some(PortMatch::Range { min, max }))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(v: Value) -> Result<TrafficClassifier, RequestError> {
        let body = json!({ "classifier": v });
        let fields = Fields::body(&body).unwrap();
        classifier(&fields.object("classifier").unwrap().unwrap())
    }

    #[test]
    fn all_fields() {
        let c = read(json!({
            "sourcePrefix": "10.0.0.1/24", "destinationPrefix": "0.0.0.0/0",
            "sourcePort": "1000:2000", "destinationPort": "80", "protocol": "udp"
        }))
        .unwrap();
        assert_eq!(c.source_prefix.unwrap().to_string(), "10.0.0.0/24");
        assert_eq!(c.destination_prefix.unwrap().to_string(), "0.0.0.0/0");
        assert_eq!(
            c.source_port,
            Some(PortMatch::Range {
                min: 1000,
                max: 2000
            })
        );
        assert_eq!(c.destination_port, Some(PortMatch::Port(80)));
        assert_eq!(c.protocol, Some(IpProtocol(17)));
    }

    #[test]
    fn protocol_defaults_to_tcp_and_null_means_any() {
        assert_eq!(
            read(json!({"destinationPort": "80"})).unwrap().protocol,
            Some(IpProtocol::TCP)
        );
        assert_eq!(read(json!({"protocol": null})).unwrap().protocol, None);
        assert_eq!(
            read(json!({"protocol": 132})).unwrap().protocol,
            Some(IpProtocol(132))
        );
        assert_eq!(
            read(json!({"protocol": "ICMP"})).unwrap().protocol,
            Some(IpProtocol(1))
        );
        assert_eq!(IpProtocol(1).to_string(), "icmp");
        assert_eq!(IpProtocol(200).to_string(), "200");
    }

    #[test]
    fn ports_as_numbers_and_snake_case_keys() {
        let c = read(json!({"source_port": 22, "destination_port": "0"})).unwrap();
        assert_eq!(c.source_port, Some(PortMatch::Port(22)));
        assert_eq!(c.destination_port, None);
    }

    #[test]
    fn errors_name_the_field_as_sent() {
        for (body, field) in [
            (json!({"sourcePort": "80:70"}), "classifier.sourcePort"),
            (json!({"sourcePort": "x"}), "classifier.sourcePort"),
            (
                json!({"destinationPort": "1:70000"}),
                "classifier.destinationPort",
            ),
            (
                json!({"destinationPort": 65536}),
                "classifier.destinationPort",
            ),
            (
                json!({"destinationPort": true}),
                "classifier.destinationPort",
            ),
            (
                json!({"sourcePrefix": "10.0.0.0/40"}),
                "classifier.sourcePrefix",
            ),
            (json!({"protocol": "foo"}), "classifier.protocol"),
            (json!({"protocol": 300}), "classifier.protocol"),
            (json!({"dscp": 4}), "classifier.dscp"),
        ] {
            assert_eq!(read(body.clone()).unwrap_err().field, field, "{body}");
        }
        let err = read(json!({"sourcePort": "1", "source_port": "2"})).unwrap_err();
        assert!(err.reason.contains("twice"), "{err}");
    }

    #[test]
    fn camel_to_snake_like_the_original() {
        assert_eq!(snake_case("sourcePrefix"), "source_prefix");
        assert_eq!(snake_case("SourcePrefix"), "source_prefix");
        assert_eq!(snake_case("source_prefix"), "source_prefix");
        assert_eq!(snake_case("protocol"), "protocol");
    }
}
