//! Hex text for bytes (test vectors, the decoder command, JSON of opaque fields).

use std::fmt;

/// Displays bytes as lowercase hex without separators.
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Parses hex text, ignoring whitespace, `:` and a leading `0x`. `Err` names the offending
/// character position.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, usize> {
    let text = text.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    let digits: Vec<(usize, u8)> = text
        .char_indices()
        .filter(|(_, c)| !c.is_whitespace() && *c != ':')
        .map(|(i, c)| c.to_digit(16).map(|d| (i, d as u8)).ok_or(i))
        .collect::<Result<_, _>>()?;
    if digits.len() % 2 != 0 {
        return Err(text.len());
    }
    Ok(digits
        .chunks_exact(2)
        .map(|p| p[0].1 << 4 | p[1].1)
        .collect())
}
