//! The original `bagpipe-looking-glass`'s text rendering of a looking-glass node, to the
//! byte: `key: value` lines indented by two spaces a level, `* item` for list items, `-` for
//! an empty object or list, and links (`{"id", "href"}` objects) shown as `id (...)` — or,
//! when recursing, replaced by the node they point to if it lies below the current one.

use std::io::Write;

use super::scalar::python_str;
use super::Fetch;
use crate::http::HttpError;
use crate::json::{lookup, Json};

const INDENT_INCREMENT: usize = 2;

/// Why printing stopped.
#[derive(Debug)]
pub enum PrintError {
    /// A linked node could not be fetched while recursing.
    Fetch(HttpError),
    /// Writing the output failed (a closed pipe...).
    Output(std::io::Error),
}

impl From<std::io::Error> for PrintError {
    fn from(e: std::io::Error) -> Self {
        PrintError::Output(e)
    }
}

pub struct Printer<'a, W: Write> {
    out: W,
    /// `Some` to follow links.
    fetch: Option<Fetch<'a>>,
}

impl<'a, W: Write> Printer<'a, W> {
    pub fn new(out: W, fetch: Option<Fetch<'a>>) -> Self {
        Printer { out, fetch }
    }

    /// Prints `node`, fetched from `url`, as the top of the output.
    pub fn print(&mut self, node: &Json, url: &str) -> Result<(), PrintError> {
        self.node(node, 0, url, true)
    }

    /// Prints `data` whose key (if any) is already written, ending at the start of a line.
    /// `anew` tells that the cursor is already at the start of a line.
    fn node(
        &mut self,
        data: &Json,
        indent: usize,
        url: &str,
        anew: bool,
    ) -> Result<(), PrintError> {
        match data {
            Json::Object(entries) => self.object(entries, indent, url, anew),
            Json::Array(items) => self.list(items, indent, url, anew),
            Json::String(s) if s.contains('\n') => {
                // A multi-line text starts on its own line, each line indented.
                let pad = " ".repeat(indent);
                let text = s.trim_matches('\n').replace('\n', &format!("\n{pad}"));
                write!(self.out, "\n{pad}{text}\n")?;
                Ok(())
            }
            scalar => Ok(writeln!(self.out, "{}", python_str(scalar))?),
        }
    }

    fn object(
        &mut self,
        entries: &[(String, Json)],
        indent: usize,
        url: &str,
        mut anew: bool,
    ) -> Result<(), PrintError> {
        let href = lookup(entries, "href");
        // A link shows its id in place of the key's value; its other fields follow.
        let id = href.and(lookup(entries, "id"));
        if let Some(id) = id {
            write!(self.out, "{}", python_str(id))?;
        }
        if let Some(href) = href {
            let target = href.as_str().unwrap_or_default();
            if let Some(fetch) = self.fetch.filter(|_| target.starts_with(url)) {
                let linked = fetch(target).map_err(PrintError::Fetch)?;
                return self.node(&linked, indent + INDENT_INCREMENT, target, false);
            }
            write!(self.out, " (...)")?;
            anew = false;
        }
        let rest: Vec<&(String, Json)> = entries
            .iter()
            .filter(|(k, _)| k != "href" && !(k == "id" && id.is_some()))
            .collect();
        if rest.is_empty() {
            writeln!(self.out, "{}", if href.is_some() { "" } else { "-" })?;
            return Ok(());
        }
        if !anew {
            writeln!(self.out)?;
        }
        for (i, (key, value)) in rest.into_iter().enumerate() {
            // The first key goes where the cursor is when it is already at a line start.
            if i > 0 || !anew {
                write!(self.out, "{}", " ".repeat(indent))?;
            }
            write!(self.out, "{key}: ")?;
            self.node(value, indent + INDENT_INCREMENT, url, false)?;
        }
        Ok(())
    }

    fn list(
        &mut self,
        items: &[Json],
        indent: usize,
        url: &str,
        anew: bool,
    ) -> Result<(), PrintError> {
        if items.is_empty() {
            writeln!(self.out, "-")?;
            return Ok(());
        }
        if !anew {
            writeln!(self.out)?;
        }
        for item in items {
            write!(self.out, "{}* ", " ".repeat(indent))?;
            match item {
                Json::Object(_) | Json::Array(_) => {
                    self.node(item, indent + INDENT_INCREMENT, url, true)?
                }
                scalar => writeln!(self.out, "{}", python_str(scalar))?,
            }
        }
        Ok(())
    }
}
