//! Reading the options of one section with oslo.config's value syntax, remembering which
//! options were read so that the others can be reported as unknown.

use std::collections::HashSet;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

use super::error::{ConfigError, ConfigWarning};
use super::ini::{Entry, Section};

pub(crate) struct Options<'a> {
    /// The section name used in messages (`BGP`, `BGP_PEER 192.0.2.1`).
    name: String,
    entries: &'a [Entry],
    read: HashSet<&'static str>,
    warnings: Vec<ConfigWarning>,
}

impl<'a> Options<'a> {
    pub(crate) fn new(name: impl Into<String>, section: Option<&'a Section>) -> Self {
        Options {
            name: name.into(),
            entries: section.map(|s| s.entries.as_slice()).unwrap_or(&[]),
            read: HashSet::new(),
            warnings: Vec::new(),
        }
    }

    fn entry(&mut self, key: &'static str) -> Option<&'a Entry> {
        self.read.insert(key);
        self.entries.iter().rev().find(|e| e.key == key)
    }

    pub(crate) fn error(&self, key: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::invalid(&self.name, key, reason)
    }

    /// The value of `key` read by `parse`; `None` when absent or empty.
    pub(crate) fn optional<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        match self.entry(key) {
            Some(e) if !e.value.is_empty() => parse(&e.value)
                .map(Some)
                .map_err(|reason| self.error(key, format!("{:?}: {reason}", e.value))),
            _ => Ok(None),
        }
    }

    pub(crate) fn or<T>(
        &mut self,
        key: &'static str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        Ok(self.optional(key, parse)?.unwrap_or(default))
    }

    pub(crate) fn required<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        self.optional(key, parse)?
            .ok_or_else(|| self.error(key, "required option missing"))
    }

    /// A string option kept as written (`""` included, which oslo.config kept too).
    pub(crate) fn string(&mut self, key: &'static str, default: &str) -> String {
        self.entry(key)
            .map_or_else(|| default.to_owned(), |e| e.value.clone())
    }

    /// An option renamed in the original, still read under its old name (oslo.config's
    /// `deprecated_name`), with a warning.
    pub(crate) fn deprecated_name(
        &mut self,
        old: &'static str,
        new: &'static str,
    ) -> Option<&'a Entry> {
        let old_entry = self.entry(old)?;
        self.warnings.push(ConfigWarning {
            section: self.name.clone(),
            option: Some(old.to_owned()),
            line: old_entry.line,
            message: format!("deprecated name, use '{new}'"),
        });
        Some(old_entry)
    }

    /// Warnings for the options that nothing read, and the deprecated names met.
    pub(crate) fn finish(mut self) -> Vec<ConfigWarning> {
        for e in self.entries {
            if !self.read.contains(e.key.as_str()) {
                self.warnings.push(ConfigWarning {
                    section: self.name.clone(),
                    option: Some(e.key.clone()),
                    line: e.line,
                    message: "unknown option, ignored".to_owned(),
                });
            }
        }
        self.warnings
    }
}

/// oslo.config's booleans: `true/false`, `yes/no`, `on/off`, `1/0`, any case.
pub(crate) fn boolean(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err("expected True or False".to_owned()),
    }
}

/// An integer within `range`.
pub(crate) fn integer<T>(range: RangeInclusive<T>) -> impl FnOnce(&str) -> Result<T, String>
where
    T: FromStr + PartialOrd + Display,
{
    move |s| {
        let bad = || {
            format!(
                "expected an integer from {} to {}",
                range.start(),
                range.end()
            )
        };
        let n: T = s.trim().parse().map_err(|_| bad())?;
        if range.contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        }
    }
}

/// A comma-separated list (`a, b,c`); empty items are dropped.
pub(crate) fn list(s: &str) -> Result<Vec<String>, String> {
    Ok(s.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect())
}

/// One of a fixed set of words (oslo.config `choices`).
pub(crate) fn choice<'c, T: Copy>(
    choices: &'c [(&'static str, T)],
) -> impl FnOnce(&str) -> Result<T, String> + 'c {
    move |s| {
        choices
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                format!("expected one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::super::ini::parse;
    use super::*;

    #[test]
    fn booleans_like_oslo_config() {
        for (s, b) in [
            ("True", true),
            ("yes", true),
            ("1", true),
            ("on", true),
            ("FALSE", false),
            ("no", false),
            ("0", false),
            ("Off", false),
        ] {
            assert_eq!(boolean(s), Ok(b), "{s}");
        }
        assert!(boolean("maybe").is_err());
    }

    #[test]
    fn integers_and_lists() {
        assert_eq!(integer(1..=65535u32)("64512"), Ok(64512));
        assert!(integer(1..=65535u32)("0").is_err());
        assert!(integer(1..=65535u32)("x").is_err());
        assert_eq!(list(" a, b,,c ").unwrap(), ["a", "b", "c"]);
        assert!(list("").unwrap().is_empty());
    }

    #[test]
    fn unknown_options_are_warned_about() {
        let sections = parse("[X]\nknown=1\nextra=2\nold=3\n").unwrap();
        let mut o = Options::new("X", sections.iter().find(|s| s.name == "X"));
        assert_eq!(o.string("known", ""), "1");
        assert!(o.deprecated_name("old", "new").is_some());
        let warnings = o.finish();
        assert_eq!(warnings.len(), 2);
        assert_eq!(warnings[0].option.as_deref(), Some("old"));
        assert_eq!(warnings[1].option.as_deref(), Some("extra"));
        assert_eq!(
            warnings[1].to_string(),
            "line 3: [X] extra: unknown option, ignored"
        );
    }

    #[test]
    fn errors_name_section_option_and_value() {
        let sections = parse("[BGP]\nmy_as=big\n").unwrap();
        let mut o = Options::new("BGP", sections.iter().find(|s| s.name == "BGP"));
        let err = o.required("my_as", integer(1..=65535u32)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "[BGP] my_as: \"big\": expected an integer from 1 to 65535"
        );
        let err = o
            .required("local_address", |s| Ok(s.to_owned()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "[BGP] local_address: required option missing"
        );
    }
}
