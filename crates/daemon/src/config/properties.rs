//! The configuration reader on files an operator may get wrong: the original's template with
//! one line's value replaced by anything, the line removed or doubled, or a line of garbage
//! added. Reading never panics; a refusal names a line of the file (syntax), or a section and
//! an option of it (or a required option that is missing), so the daemon's start-up error
//! says what to fix.

use proptest::prelude::*;

use super::tests::{FakeHost, TEMPLATE};
use super::{Config, ConfigError};

#[derive(Debug, Clone)]
enum Edit {
    Value(prop::sample::Index, String),
    Remove(prop::sample::Index),
    Double(prop::sample::Index),
    Insert(prop::sample::Index, String),
}

fn values() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "True",
            "false",
            "yes",
            "0",
            "-1",
            "65536",
            "4294967296",
            "1.5",
            "eth0",
            "eth9",
            "lo",
            "localhost",
            "nowhere.example",
            "192.0.2.1",
            "::1",
            "256.0.0.1",
            "192.0.2.1, 192.0.2.2",
            "192.0.2.1,,",
            "dummy",
            "linux",
            "ovs",
            "*gre*",
            "ipvpn",
            "a=b",
            "[x]",
            "\u{e9}",
        ])
        .prop_map(String::from),
        "[ -~]{0,20}",
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), values()).prop_map(|(i, v)| Edit::Value(i, v)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
        1 => any::<prop::sample::Index>().prop_map(Edit::Double),
        1 => (any::<prop::sample::Index>(), "[ -~]{0,30}").prop_map(|(i, l)| Edit::Insert(i, l)),
    ]
}

/// The template with `edits` made, line by line.
fn edited(edits: &[Edit]) -> String {
    let mut lines: Vec<String> = TEMPLATE.lines().map(String::from).collect();
    for e in edits {
        let options: Vec<usize> = (0..lines.len())
            .filter(|i| {
                let l = lines[*i].trim_start();
                l.contains('=') && !l.starts_with('#')
            })
            .collect();
        match e {
            Edit::Value(i, v) if !options.is_empty() => {
                let n = *i.get(&options);
                let name = lines[n].split('=').next().unwrap_or_default().to_owned();
                lines[n] = format!("{name}={v}");
            }
            Edit::Remove(i) if !options.is_empty() => {
                lines.remove(*i.get(&options));
            }
            Edit::Double(i) if !options.is_empty() => {
                let n = *i.get(&options);
                lines.insert(n, lines[n].clone());
            }
            Edit::Insert(i, l) => lines.insert(i.index(lines.len() + 1), l.clone()),
            _ => {}
        }
    }
    lines.join("\n")
}

/// What the file says: its sections (lower case) and, per section, its option names.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.trim().to_lowercase(), Vec::new()));
        } else if let (Some((name, _)), Some(last)) = (line.split_once('='), out.last_mut()) {
            last.1.push(name.trim().to_lowercase());
        }
    }
    out
}

/// Options a refusal may name though the file lacks them: the required ones, and the BGP
/// identifier an IPv6 local address calls for.
const REQUIRED: [&str; 3] = ["local_address", "my_as", "cluster_id"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn a_refusal_says_where(edits in prop::collection::vec(edit(), 1..4)) {
        let text = edited(&edits);
        match Config::parse(&text, &FakeHost) {
            Ok(_) => {}
            Err(ConfigError::Syntax { line, reason }) => {
                prop_assert!(!reason.is_empty());
                prop_assert!((1..=text.lines().count()).contains(&line), "line {line} of\n{text}");
            }
            Err(ConfigError::Invalid { section, option, reason }) => {
                prop_assert!(!reason.is_empty());
                let (section, option) = (section.to_lowercase(), option.to_lowercase());
                let in_file = sections(&text).into_iter().any(|(s, options)| {
                    s == section && (options.contains(&option) || REQUIRED.contains(&option.as_str()))
                });
                prop_assert!(in_file, "[{section}] {option}: {reason}, not in\n{text}");
            }
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        }
    }
}
