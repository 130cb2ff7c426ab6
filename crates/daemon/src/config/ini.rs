//! The INI dialect of oslo.config, which read the original's `bgp.conf`:
//!
//! - `key = value` or `key: value` (whichever separator comes first);
//! - a value wrapped in matching quotes loses them (`gre_tunnel_options="a=b"`);
//! - lines starting with `#` or `;` are comments (no comment after a value: `#` is data);
//! - a line starting with a space or tab continues the previous value (joined by `\n`);
//! - section names are case-insensitive (`[common]` and `[COMMON]` are the same section: the
//!   devstack plugin writes both), and a section may appear more than once;
//! - when an option is given twice, the last value wins.
//!
//! rust-ini differs on several of these (inline comments, escapes, duplicate sections), so
//! the file is read here with these rules alone.

use super::error::ConfigError;

/// One `key = value` of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A section with all its occurrences merged, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The name as first written in the file.
    pub name: String,
    pub entries: Vec<Entry>,
}

/// The sections of a file, in order of first appearance. Entries before any section header
/// go to `DEFAULT`, as oslo.config does.
pub fn parse(text: &str) -> Result<Vec<Section>, ConfigError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut current = section_index(&mut sections, "DEFAULT");
    // The entry being read, which continuation lines extend.
    let mut open: Option<(usize, usize)> = None;

    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        if line.is_empty() {
            open = None;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some((s, e)) = open else {
                return Err(syntax(line_no, "unexpected continuation line"));
            };
            let value = &mut sections[s].entries[e].value;
            value.push('\n');
            value.push_str(line.trim_start());
            continue;
        }
        open = None;
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .strip_suffix(']')
                .ok_or_else(|| syntax(line_no, "invalid section header (must end with ])"))?;
            if name.is_empty() {
                return Err(syntax(line_no, "empty section name"));
            }
            current = section_index(&mut sections, name);
        } else if line.starts_with(['#', ';']) {
            continue;
        } else {
            let (key, value) = split_key_value(line)
                .ok_or_else(|| syntax(line_no, "no '=' or ':' in this line"))?;
            if key.is_empty() {
                return Err(syntax(line_no, "empty option name"));
            }
            let entries = &mut sections[current].entries;
            entries.push(Entry {
                key: key.to_owned(),
                value,
                line: line_no,
            });
            open = Some((current, entries.len() - 1));
        }
    }
    Ok(sections)
}

fn section_index(sections: &mut Vec<Section>, name: &str) -> usize {
    if let Some(i) = sections
        .iter()
        .position(|s| s.name.eq_ignore_ascii_case(name))
    {
        return i;
    }
    sections.push(Section {
        name: name.to_owned(),
        entries: Vec::new(),
    });
    sections.len() - 1
}

fn split_key_value(line: &str) -> Option<(&str, String)> {
    let at = line.find(['=', ':'])?;
    let (key, value) = (line[..at].trim(), line[at + 1..].trim());
    let unquoted = match value.as_bytes() {
        [q @ (b'"' | b'\''), .., last] if q == last => &value[1..value.len() - 1],
        _ => value,
    };
    Some((key, unquoted.to_owned()))
}

fn syntax(line: usize, reason: &str) -> ConfigError {
    ConfigError::Syntax {
        line,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str, section: &str) -> Vec<(String, String)> {
        parse(text)
            .unwrap()
            .into_iter()
            .find(|s| s.name.eq_ignore_ascii_case(section))
            .map(|s| s.entries.into_iter().map(|e| (e.key, e.value)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn separators_quotes_and_comments() {
        let text = "[A]\nk1=v1\nk2 : v2\nk3 = \"a=b\"\nk4='x'\n# c=d\n; e=f\nk5 = v # not a comment\nk6=a:b\n";
        assert_eq!(
            entries(text, "A"),
            [
                ("k1", "v1"),
                ("k2", "v2"),
                ("k3", "a=b"),
                ("k4", "x"),
                ("k5", "v # not a comment"),
                ("k6", "a:b"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn continuation_lines() {
        let text = "[A]\nk = one\n  two\n\tthree\n\n  ";
        assert_eq!(entries(text, "A")[0].1, "one\ntwo\nthree");
        assert!(matches!(
            parse("[A]\n\n  orphan"),
            Err(ConfigError::Syntax { line: 3, .. })
        ));
    }

    #[test]
    fn sections_merge_case_insensitively_and_last_value_wins() {
        let sections = parse("top=1\n[COMMON]\na=1\n[BGP]\nb=2\n[common]\na=3\n").unwrap();
        assert_eq!(sections[0].name, "DEFAULT");
        assert_eq!(sections[0].entries[0].value, "1");
        let common = sections.iter().find(|s| s.name == "COMMON").unwrap();
        let values: Vec<(&str, &str, usize)> = common
            .entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
            .collect();
        assert_eq!(values, [("a", "1", 3), ("a", "3", 7)]);
    }

    #[test]
    fn syntax_errors_give_the_line() {
        for (text, line) in [
            ("[A\n", 1),
            ("[A]\nnovalue\n", 2),
            ("[]\n", 1),
            ("[A]\n=v\n", 2),
        ] {
            match parse(text) {
                Err(ConfigError::Syntax { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
