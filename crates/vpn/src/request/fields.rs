//! Reading one JSON object field by field, with errors that name the field by its dotted
//! path (`attract_traffic.classifier.sourcePort`).
//!
//! The original daemon was written against Python's loose typing: many of its clients send
//! numbers as strings (`"vlan": "42"`), `null` for "not given", and booleans as strings. The
//! readers here accept exactly those forms and refuse the rest with a message saying what
//! was expected.

use std::fmt::Display;
use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use super::RequestError;

/// A JSON object of the request, and where it sits in the request body.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Fields<'a> {
    /// The request body itself; it must be a JSON object.
    pub(crate) fn body(body: &'a Value) -> Result<Self, RequestError> {
        match body {
            Value::Object(map) => Ok(Fields {
                map,
                prefix: String::new(),
            }),
            _ => Err(RequestError::new(
                "",
                "the request body must be a JSON object",
            )),
        }
    }

    /// The dotted name of `key` in this object, for error messages.
    pub(crate) fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    pub(crate) fn error(&self, key: &str, reason: impl Into<String>) -> RequestError {
        RequestError::new(self.name(key), reason)
    }

    /// Whether `key` is there at all, even as `null`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The keys of this object, for the few places that look at every one.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a String> {
        self.map.keys()
    }

    /// The value of `key`, with `null` read as absent (the original's clients send `null`
    /// for "not given").
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The nested object at `key`, `None` when absent or `null`.
    pub(crate) fn object(&self, key: &str) -> Result<Option<Fields<'a>>, RequestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields {
                map,
                prefix: format!("{}.", self.name(key)),
            })),
            Some(_) => Err(self.error(key, "must be a JSON object")),
        }
    }

    pub(crate) fn required<T>(
        &self,
        key: &str,
        read: impl FnOnce(&Self, &str) -> Result<Option<T>, RequestError>,
    ) -> Result<T, RequestError> {
        if !self.has(key) {
            return Err(self.error(key, "missing parameter"));
        }
        read(self, key)?.ok_or_else(|| self.error(key, "must not be null or empty"))
    }

    /// A string; `null` and `""` read as absent.
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, RequestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.error(key, "must be a string")),
        }
    }

    /// A string parsed with `parse`, whose error text goes into the message.
    pub(crate) fn parsed<T, E: std::fmt::Display>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, RequestError> {
        match self.string(key)? {
            None => Ok(None),
            Some(s) => parse(&s)
                .map(Some)
                .map_err(|e| self.error(key, e.to_string())),
        }
    }

    /// A strict JSON boolean, as the original demands for `advertise_subnet`.
    pub(crate) fn strict_bool(&self, key: &str) -> Result<Option<bool>, RequestError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.error(key, "must be a boolean (true or false)")),
        }
    }

    /// A boolean that clients also send as a string or a number (`"True"`, `"false"`, 1).
    pub(crate) fn loose_bool(&self, key: &str) -> Result<Option<bool>, RequestError> {
        let bad = || self.error(key, "must be a boolean (true/false, \"true\"/\"false\")");
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(bad()),
            },
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Ok(Some(true)),
                "false" | "no" | "off" | "0" | "" => Ok(Some(false)),
                _ => Err(bad()),
            },
            Some(_) => Err(bad()),
        }
    }

    /// An unsigned integer within `range`, given as a JSON number or a decimal string
    /// (`"port_number": "7"`); `null` and `""` read as absent.
    pub(crate) fn uint<T>(
        &self,
        key: &str,
        range: RangeInclusive<T>,
    ) -> Result<Option<T>, RequestError>
    where
        T: TryFrom<u64> + PartialOrd + Display,
    {
        let n = match self.get(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        match n.and_then(|n| T::try_from(n).ok()) {
            Some(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(self.error(
                key,
                format!(
                    "must be an integer from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// Any JSON value but `null`, kept as given (descriptions are free-form: the Neutron
    /// agent sends an object there).
    pub(crate) fn any(&self, key: &str) -> Option<Value> {
        self.get(key).cloned()
    }
}
