//! FlowSpec expectations: rules and actions written in GoBGP's or ExaBGP's syntax, compared
//! with what we decoded, component by component and operator by operator.

use std::net::IpAddr;

use bagpipe_wire::message::Update;
use bagpipe_wire::nlri::{FlowComponent, FlowSpecRule};
use bagpipe_wire::{ExtCommunityKind, Ipv6ExtCommunityKind};

/// One component: a prefix (text, offset) or operator/value triples (and, operator, value).
#[derive(Debug, PartialEq)]
enum Component {
    Prefix(String, u8),
    Ops(Vec<(bool, String, u64)>),
}

fn component_code(word: &str) -> Option<u8> {
    Some(match word {
        "destination" => 1,
        "source" => 2,
        "protocol" | "next-header" => 3,
        "port" => 4,
        "destination-port" => 5,
        "source-port" => 6,
        "icmp-type" => 7,
        "icmp-code" => 8,
        "tcp-flags" => 9,
        "packet-length" => 10,
        "dscp" | "traffic-class" => 11,
        "fragment" => 12,
        "label" | "flow-label" => 13,
        _ => return None,
    })
}

fn is_bitmask(code: u8) -> bool {
    code == 9 || code == 12
}

/// A value as the tools write it: a number, a protocol name, TCP flag letters (GoBGP) or
/// names (ExaBGP), or a fragment name.
fn value(code: u8, v: &str) -> Result<u64, String> {
    if let Ok(n) = v.parse() {
        return Ok(n);
    }
    let named = match (code, v) {
        (3, "icmp") => 1,
        (3, "tcp") => 6,
        (3, "udp") => 17,
        (12, "dont-fragment") => 1,
        (12, "is-fragment") => 2,
        (12, "first-fragment") => 4,
        (12, "last-fragment") => 8,
        (9, "fin") => 1,
        (9, "syn") => 2,
        (9, "rst") => 4,
        (9, "push") => 8,
        (9, "ack") => 16,
        (9, "urgent") => 32,
        (9, _) => {
            return v.chars().try_fold(0u64, |acc, c| {
                let bit = "FSRPAUEC"
                    .find(c)
                    .ok_or_else(|| format!("unknown TCP flag {c} in {v}"))?;
                Ok(acc | 1 << bit)
            })
        }
        _ => return Err(format!("unknown value {v} for component {code}")),
    };
    Ok(named)
}

/// `>=1024`, `==80`, `!=22`, `=!SA`, `&!A`: the operator part and the value part.
fn operator(code: u8, token: &str) -> Result<(String, u64), String> {
    let split = token
        .find(|c: char| !"=!<>".contains(c))
        .unwrap_or(token.len());
    let (op, v) = token.split_at(split);
    let op = if is_bitmask(code) {
        match (op.contains('!'), op.contains('=')) {
            (true, true) => "!=",
            (true, false) => "!",
            (false, true) => "=",
            (false, false) => "",
        }
    } else {
        match op {
            "" | "=" | "==" => "=",
            other => other,
        }
    };
    Ok((op.to_string(), value(code, v)?))
}

/// Parses a rule in GoBGP's (`protocol ==tcp destination-port >=80&<=90`) or ExaBGP's
/// (`protocol =tcp; destination-port [ =80 >=8080&<=8088 ]`) syntax.
fn parse(text: &str) -> Result<Vec<(u8, Component)>, String> {
    let cleaned = text.replace([';', '[', ']'], " ");
    let mut out: Vec<(u8, Component)> = Vec::new();
    for word in cleaned.split_whitespace() {
        if let Some(code) = component_code(word) {
            out.push((code, Component::Ops(Vec::new())));
            continue;
        }
        let (code, comp) = out
            .last_mut()
            .ok_or_else(|| format!("{word} before any component"))?;
        // GoBGP writes an IPv6 prefix's offset as the word after the prefix.
        if let (Component::Prefix(_, offset), Ok(n)) = (&mut *comp, word.parse::<u8>()) {
            *offset = n;
            continue;
        }
        if *code <= 2 {
            let mut parts = word.split('/');
            let (addr, len) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let offset = parts
                .next()
                .map_or(Ok(0), str::parse)
                .map_err(|e| format!("{e}"))?;
            *comp = Component::Prefix(format!("{addr}/{len}"), offset);
            continue;
        }
        let Component::Ops(ops) = comp else {
            return Err(format!("{word} after a prefix"));
        };
        for (i, part) in word.split('&').enumerate() {
            if part.is_empty() {
                continue;
            }
            let (op, v) = operator(*code, part)?;
            ops.push((i > 0 || word.starts_with('&'), op, v));
        }
    }
    Ok(out)
}

fn ours(rule: &FlowSpecRule) -> Vec<(u8, Component)> {
    rule.components
        .iter()
        .map(|c| {
            let comp = match c {
                FlowComponent::DestinationPrefix(p) | FlowComponent::SourcePrefix(p) => {
                    Component::Prefix(p.prefix.to_string(), p.offset)
                }
                FlowComponent::Numeric { ops, .. } => Component::Ops(
                    ops.iter()
                        .map(|o| (o.and, o.comparison().to_string(), o.value))
                        .collect(),
                ),
                FlowComponent::Bitmask { ops, .. } => Component::Ops(
                    ops.iter()
                        .map(|o| {
                            let op = match (o.not, o.matches) {
                                (true, true) => "!=",
                                (true, false) => "!",
                                (false, true) => "=",
                                (false, false) => "",
                            };
                            (o.and, op.to_string(), o.value)
                        })
                        .collect(),
                ),
            };
            (c.code(), comp)
        })
        .collect()
}

pub fn check_rule(rule: &FlowSpecRule, text: &str) -> Result<(), String> {
    // Components go on the wire in ascending type order (RFC 8955 §4.2), whatever order
    // the command named them in.
    let mut want = parse(text)?;
    want.sort_by_key(|(code, _)| *code);
    let got = ours(rule);
    if got == want {
        Ok(())
    } else {
        Err(format!("decoded {rule}\n  as {got:?}\n  expected {want:?}"))
    }
}

/// `discard`, `rate-limit N`, `redirect RT|IP|[IPv6]:N`, `mark N`, `action sample-terminal`.
pub fn check_action(u: &Update, action: &str) -> Result<(), String> {
    let kinds: Vec<ExtCommunityKind> = u.ext_communities().iter().map(|c| c.kind()).collect();
    let has = |pred: &dyn Fn(&ExtCommunityKind) -> bool| {
        if kinds.iter().any(pred) {
            Ok(())
        } else {
            Err(format!("not among the extended communities {kinds:?}"))
        }
    };
    let (verb, arg) = action.split_once(' ').unwrap_or((action, ""));
    match verb {
        "discard" => {
            has(&|k| matches!(k, ExtCommunityKind::TrafficRateBytes { rate, .. } if *rate == 0.0))
        }
        "rate-limit" => {
            let want: f32 = arg.parse().map_err(|e| format!("{e}"))?;
            has(&|k| matches!(k, ExtCommunityKind::TrafficRateBytes { rate, .. } if *rate == want))
        }
        "mark" => {
            let want: u8 = arg.parse().map_err(|e| format!("{e}"))?;
            has(&|k| matches!(k, ExtCommunityKind::TrafficMarking { dscp } if *dscp == want))
        }
        "action" => {
            let sample = arg.contains("sample");
            let terminal = arg.contains("terminal");
            has(&|k| {
                matches!(k, ExtCommunityKind::TrafficAction { sample: s, terminal: t }
                    if *s == sample && *t == terminal)
            })
        }
        "redirect" => redirect(u, arg, &kinds),
        _ => Err(format!("unknown action {verb}")),
    }
}

fn redirect(u: &Update, target: &str, kinds: &[ExtCommunityKind]) -> Result<(), String> {
    // `ADDR:N` with an IPv6 ADDR is itself an IPv6 address: GoBGP means a redirect to the
    // VRF of that IPv6-administered route target (RFC 5701 community, attribute 25).
    if let Some((IpAddr::V6(addr), number)) = target.rsplit_once(':').and_then(|(a, n)| {
        Some((
            a.trim_matches(['[', ']']).parse().ok()?,
            n.parse::<u16>().ok()?,
        ))
    }) {
        let found = u
            .ipv6_ext_communities()
            .iter()
            .any(|c| c.kind() == Ipv6ExtCommunityKind::Redirect { addr, number });
        if found {
            return Ok(());
        }
    }
    // Redirect to an IP next hop: the address is the MP_REACH_NLRI next hop.
    if let Ok(addr) = target.parse::<IpAddr>() {
        let nh = u.mp_reach().and_then(|m| m.next_hop.addr());
        return if nh == Some(addr) {
            Ok(())
        } else {
            Err(format!(
                "no IPv6 redirect community {:?} and next hop {nh:?}",
                u.ipv6_ext_communities()
            ))
        };
    }
    let (admin, number) = target
        .rsplit_once(':')
        .ok_or_else(|| format!("{target} is not ADMIN:NUMBER"))?;
    let want = format!("{admin}:{number}");
    if kinds
        .iter()
        .any(|k| matches!(k, ExtCommunityKind::Redirect(v) if v.to_string() == want))
    {
        Ok(())
    } else {
        Err(format!("no redirect to {want} among {kinds:?}"))
    }
}
