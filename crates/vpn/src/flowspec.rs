//! The attach request's traffic classifier as FlowSpec components (RFC 8955 §4.2.2, RFC 8956),
//! and back: the 5-tuple that a received FlowSpec rule matches, for the dataplane.
//!
//! Port ranges are written and read exactly (`>=min&<=max`, `<=max`, `>=min`). The original
//! wrote `0:80` as `<80` and `1000:65535` as `>1000`, one port short at the open end; it read
//! `<=` and `>=` back as intended, so it understands ours.

use bagpipe_dataplane::{FlowClassifier, PortRange};
use bagpipe_wire::nlri::{
    flow_component as component, natural_width, FlowComponent, FlowPrefix, FlowSpecRule, NumericOp,
};
use bagpipe_wire::IpPrefix;

use crate::request::{PortMatch, TrafficClassifier};

const PORT_MAX: u16 = u16::MAX;

/// The components of a rule matching the classifier's traffic toward `destination`, in the
/// order RFC 8955 §4.2 requires; `None` when the classifier's source prefix is of the other
/// IP version (no rule can match both).
pub fn components(c: &TrafficClassifier, destination: IpPrefix) -> Option<Vec<FlowComponent>> {
    let mut out = vec![FlowComponent::DestinationPrefix(FlowPrefix {
        prefix: destination,
        offset: 0,
    })];
    if let Some(source) = c.source_prefix {
        if source.is_ipv4() != destination.is_ipv4() {
            return None;
        }
        out.push(FlowComponent::SourcePrefix(FlowPrefix {
            prefix: source,
            offset: 0,
        }));
    }
    if let Some(p) = c.protocol {
        out.push(numeric(component::IP_PROTOCOL, vec![eq(p.0.into())]));
    }
    if let Some(p) = c.destination_port {
        out.push(numeric(component::DESTINATION_PORT, port_ops(p)));
    }
    if let Some(p) = c.source_port {
        out.push(numeric(component::SOURCE_PORT, port_ops(p)));
    }
    Some(out)
}

fn numeric(code: u8, ops: Vec<NumericOp>) -> FlowComponent {
    FlowComponent::Numeric { code, ops }
}

fn op(and: bool, lt: bool, gt: bool, eq: bool, value: u64) -> NumericOp {
    NumericOp {
        and,
        lt,
        gt,
        eq,
        value,
        width: natural_width(value),
    }
}

fn eq(value: u64) -> NumericOp {
    op(false, false, false, true, value)
}

fn port_ops(p: PortMatch) -> Vec<NumericOp> {
    let (min, max) = match p {
        PortMatch::Port(port) => (port, port),
        PortMatch::Range { min, max } => (min, max),
    };
    match (min, max) {
        _ if min == max => vec![eq(min.into())],
        (0, _) => vec![op(false, true, false, true, max.into())],
        (_, PORT_MAX) => vec![op(false, false, true, true, min.into())],
        _ => vec![
            op(false, false, true, true, min.into()),
            op(true, true, false, true, max.into()),
        ],
    }
}

/// The 5-tuple a received rule matches; `None` when it uses components or operator lists a
/// 5-tuple cannot express (the original supported the same subset, and failed on the rest).
pub fn classifier_of(rule: &FlowSpecRule) -> Option<FlowClassifier> {
    let mut c = FlowClassifier {
        source_prefix: None,
        destination_prefix: None,
        protocol: None,
        source_ports: None,
        destination_ports: None,
    };
    for comp in &rule.components {
        match comp {
            FlowComponent::DestinationPrefix(p) if p.offset == 0 => {
                c.destination_prefix = Some(p.prefix)
            }
            FlowComponent::SourcePrefix(p) if p.offset == 0 => c.source_prefix = Some(p.prefix),
            FlowComponent::Numeric { code, ops } => match (*code, ops.as_slice()) {
                (component::IP_PROTOCOL, [o]) if is_eq(o) => {
                    c.protocol = Some(u8::try_from(o.value).ok()?)
                }
                (component::DESTINATION_PORT, ops) => c.destination_ports = Some(port_range(ops)?),
                (component::SOURCE_PORT, ops) => c.source_ports = Some(port_range(ops)?),
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(c)
}

fn is_eq(o: &NumericOp) -> bool {
    o.eq && !o.lt && !o.gt
}

/// The lower or upper bound an operation sets; `None` for `=`, `!=` or "always".
fn bound(o: &NumericOp) -> Option<(bool, u16)> {
    let v = u16::try_from(o.value).ok()?;
    match (o.lt, o.gt, o.eq) {
        (false, true, true) => Some((true, v)),
        (false, true, false) => Some((true, v.checked_add(1)?)),
        (true, false, true) => Some((false, v)),
        (true, false, false) => Some((false, v.checked_sub(1)?)),
        _ => None,
    }
}

fn port_range(ops: &[NumericOp]) -> Option<PortRange> {
    let range = |min, max| (min <= max).then_some(PortRange { min, max });
    match ops {
        [o] if is_eq(o) => {
            let v = u16::try_from(o.value).ok()?;
            range(v, v)
        }
        [o] => match bound(o)? {
            (true, min) => range(min, PORT_MAX),
            (false, max) => range(0, max),
        },
        [a, b] if b.and => match (bound(a)?, bound(b)?) {
            ((true, min), (false, max)) | ((false, max), (true, min)) => range(min, max),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use bagpipe_wire::family::AFI_IPV4;

    use super::*;
    use crate::request::IpProtocol;

    fn classifier(sport: Option<PortMatch>, dport: Option<PortMatch>) -> TrafficClassifier {
        TrafficClassifier {
            source_prefix: Some("10.0.0.0/24".parse().unwrap()),
            destination_prefix: None,
            source_port: sport,
            destination_port: dport,
            protocol: Some(IpProtocol::TCP),
        }
    }

    fn rule(c: &TrafficClassifier, dst: &str) -> FlowSpecRule {
        FlowSpecRule {
            afi: AFI_IPV4,
            rd: None,
            components: components(c, dst.parse().unwrap()).unwrap(),
        }
    }

    #[test]
    fn classifier_round_trips_through_a_rule() {
        for (sport, dport, want_s, want_d) in [
            (None, Some(PortMatch::Port(80)), None, Some((80, 80))),
            (
                Some(PortMatch::Range { min: 0, max: 80 }),
                Some(PortMatch::Range {
                    min: 1000,
                    max: 65535,
                }),
                Some((0, 80)),
                Some((1000, 65535)),
            ),
            (
                Some(PortMatch::Range {
                    min: 1000,
                    max: 2000,
                }),
                None,
                Some((1000, 2000)),
                None,
            ),
        ] {
            let c = classifier(sport, dport);
            let r = rule(&c, "192.0.2.0/24");
            let back = classifier_of(&r).unwrap();
            let range = |r: Option<(u16, u16)>| r.map(|(min, max)| PortRange { min, max });
            assert_eq!(back.source_ports, range(want_s), "{r}");
            assert_eq!(back.destination_ports, range(want_d), "{r}");
            assert_eq!(back.protocol, Some(6));
            assert_eq!(back.source_prefix, c.source_prefix);
            assert_eq!(
                back.destination_prefix,
                Some("192.0.2.0/24".parse().unwrap())
            );
        }
    }

    #[test]
    fn rules_are_written_as_exabgp_and_gobgp_print_them() {
        let c = classifier(
            Some(PortMatch::Range {
                min: 1000,
                max: 2000,
            }),
            Some(PortMatch::Port(80)),
        );
        assert_eq!(
            rule(&c, "192.0.2.0/24").to_string(),
            "destination 192.0.2.0/24 source 10.0.0.0/24 protocol =6 destination-port =80 \
             source-port >=1000&<=2000"
        );
    }

    #[test]
    fn strict_bounds_of_other_speakers_are_read_exactly() {
        let r = FlowSpecRule {
            afi: AFI_IPV4,
            rd: None,
            components: vec![
                numeric(
                    component::DESTINATION_PORT,
                    vec![op(false, false, true, false, 79)],
                ),
                numeric(
                    component::SOURCE_PORT,
                    vec![
                        op(false, true, false, false, 100),
                        op(true, false, true, false, 9),
                    ],
                ),
            ],
        };
        let c = classifier_of(&r).unwrap();
        assert_eq!(
            c.destination_ports,
            Some(PortRange {
                min: 80,
                max: 65535
            })
        );
        assert_eq!(c.source_ports, Some(PortRange { min: 10, max: 99 }));
    }

    #[test]
    fn what_a_5_tuple_cannot_say_is_not_a_classifier() {
        let or_list = numeric(component::DESTINATION_PORT, vec![eq(80), eq(443)]);
        let dscp = numeric(component::DSCP, vec![eq(46)]);
        for comp in [or_list, dscp] {
            let r = FlowSpecRule {
                afi: AFI_IPV4,
                rd: None,
                components: vec![comp],
            };
            assert_eq!(classifier_of(&r), None, "{r}");
        }
        let v6_source = TrafficClassifier {
            source_prefix: Some("fd00::/64".parse().unwrap()),
            ..classifier(None, None)
        };
        assert!(components(&v6_source, "192.0.2.0/24".parse().unwrap()).is_none());
    }
}
