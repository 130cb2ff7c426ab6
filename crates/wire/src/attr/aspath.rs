//! AS_PATH and AS4_PATH (RFC 4271 §4.3, RFC 5065, RFC 6793).

use std::fmt;

use serde::Serialize;

use crate::reader::Reader;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SegmentType {
    Set,
    Sequence,
    ConfedSequence,
    ConfedSet,
}

impl SegmentType {
    fn from_wire(v: u8) -> Option<Self> {
        Some(match v {
            1 => SegmentType::Set,
            2 => SegmentType::Sequence,
            3 => SegmentType::ConfedSequence,
            4 => SegmentType::ConfedSet,
            _ => return None,
        })
    }

    fn to_wire(self) -> u8 {
        match self {
            SegmentType::Set => 1,
            SegmentType::Sequence => 2,
            SegmentType::ConfedSequence => 3,
            SegmentType::ConfedSet => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Segment {
    pub kind: SegmentType,
    pub asns: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct AsPath {
    pub segments: Vec<Segment>,
}

impl AsPath {
    pub fn sequence(asns: Vec<u32>) -> Self {
        if asns.is_empty() {
            return AsPath::default();
        }
        AsPath {
            segments: vec![Segment {
                kind: SegmentType::Sequence,
                asns,
            }],
        }
    }

    /// Path length for best-path selection (RFC 4271 §9.1.2.2): a set counts as one,
    /// confederation segments do not count (RFC 5065 §5.3).
    pub fn path_length(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s.kind {
                SegmentType::Sequence => s.asns.len(),
                SegmentType::Set => 1,
                SegmentType::ConfedSequence | SegmentType::ConfedSet => 0,
            })
            .sum()
    }

    /// The AS a route was learned from: the first AS of a leading sequence.
    pub fn first_asn(&self) -> Option<u32> {
        self.segments
            .first()
            .filter(|s| s.kind == SegmentType::Sequence)
            .and_then(|s| s.asns.first().copied())
    }

    pub fn contains(&self, asn: u32) -> bool {
        self.segments.iter().any(|s| s.asns.contains(&asn))
    }

    /// Prepends `asn` as an eBGP speaker does (RFC 4271 §5.1.2).
    pub fn prepend(&mut self, asn: u32) {
        match self.segments.first_mut() {
            Some(seg) if seg.kind == SegmentType::Sequence && seg.asns.len() < 255 => {
                seg.asns.insert(0, asn)
            }
            _ => self.segments.insert(
                0,
                Segment {
                    kind: SegmentType::Sequence,
                    asns: vec![asn],
                },
            ),
        }
    }

    /// Decodes segments with 2- or 4-octet AS numbers. `Err` carries a reason; the caller
    /// decides the RFC 7606 action (treat-as-withdraw for AS_PATH, discard for AS4_PATH).
    pub(crate) fn decode(r: &mut Reader, four_octet: bool) -> Result<AsPath, (usize, String)> {
        let width = if four_octet { 4 } else { 2 };
        let mut segments = Vec::new();
        while !r.is_empty() {
            let at = r.offset();
            let (t, n) = match (r.u8(), r.u8()) {
                (Ok(t), Ok(n)) => (t, n as usize),
                _ => return Err((at, "truncated segment header".into())),
            };
            let kind =
                SegmentType::from_wire(t).ok_or((at, format!("segment type {t} is not 1 to 4")))?;
            if n == 0 {
                return Err((at, "segment of length zero".into()));
            }
            let raw = r.take(n * width).map_err(|s| {
                (
                    at,
                    format!(
                        "segment of {n} AS numbers overruns the attribute by {} octets",
                        s.wanted - s.left
                    ),
                )
            })?;
            let asns = raw
                .chunks_exact(width)
                .map(|c| {
                    if four_octet {
                        u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]]) as u32
                    }
                })
                .collect();
            segments.push(Segment { kind, asns });
        }
        Ok(AsPath { segments })
    }

    /// Encodes with 2- or 4-octet AS numbers; on a 2-octet session an AS above 65535 becomes
    /// AS_TRANS (RFC 6793 §4.2.2). Segments longer than 255 are split.
    pub(crate) fn encode(&self, out: &mut Vec<u8>, four_octet: bool) {
        for seg in &self.segments {
            for chunk in seg.asns.chunks(255) {
                out.push(seg.kind.to_wire());
                out.push(chunk.len() as u8);
                for &asn in chunk {
                    if four_octet {
                        out.extend_from_slice(&asn.to_be_bytes());
                    } else {
                        let two = u16::try_from(asn).unwrap_or(crate::message::AS_TRANS);
                        out.extend_from_slice(&two.to_be_bytes());
                    }
                }
            }
        }
    }

    /// Whether any AS needs four octets (then a 2-octet session also needs AS4_PATH).
    pub fn needs_four_octets(&self) -> bool {
        self.segments
            .iter()
            .any(|s| s.asns.iter().any(|&a| a > u16::MAX as u32))
    }

    /// Rebuilds the real path from AS_PATH and AS4_PATH on a 2-octet session
    /// (RFC 6793 §4.2.3): the leading AS_PATH entries that AS4_PATH does not cover are kept.
    pub fn merge_as4(&self, as4: &AsPath) -> AsPath {
        let (n2, n4) = (self.path_length(), as4.path_length());
        if n2 < n4 {
            return self.clone();
        }
        let mut keep = n2 - n4;
        let mut segments = Vec::new();
        for seg in &self.segments {
            if keep == 0 {
                break;
            }
            match seg.kind {
                SegmentType::Sequence if seg.asns.len() > keep => {
                    segments.push(Segment {
                        kind: seg.kind,
                        asns: seg.asns[..keep].to_vec(),
                    });
                    keep = 0;
                }
                SegmentType::Sequence => {
                    keep -= seg.asns.len();
                    segments.push(seg.clone());
                }
                SegmentType::Set => {
                    keep -= 1;
                    segments.push(seg.clone());
                }
                _ => segments.push(seg.clone()),
            }
        }
        segments.extend(as4.segments.iter().cloned());
        AsPath { segments }
    }
}

impl fmt::Display for AsPath {
    /// `65001 65002 {65003,65004}`, as routers print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.segments {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            let list = |sep: &str| {
                seg.asns
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(sep)
            };
            match seg.kind {
                SegmentType::Sequence => f.write_str(&list(" "))?,
                SegmentType::Set => write!(f, "{{{}}}", list(","))?,
                SegmentType::ConfedSequence => write!(f, "({})", list(" "))?,
                SegmentType::ConfedSet => write!(f, "[{}]", list(","))?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_as4_keeps_uncovered_leading_entries() {
        let as2 = AsPath::sequence(vec![65001, 23456, 23456]);
        let as4 = AsPath::sequence(vec![4200000001, 4200000002]);
        assert_eq!(
            as2.merge_as4(&as4).to_string(),
            "65001 4200000001 4200000002"
        );
    }

    #[test]
    fn length_counts_sets_once() {
        let p = AsPath {
            segments: vec![
                Segment {
                    kind: SegmentType::Sequence,
                    asns: vec![1, 2],
                },
                Segment {
                    kind: SegmentType::Set,
                    asns: vec![3, 4, 5],
                },
                Segment {
                    kind: SegmentType::ConfedSequence,
                    asns: vec![6],
                },
            ],
        };
        assert_eq!(p.path_length(), 3);
        assert_eq!(p.to_string(), "1 2 {3,4,5} (6)");
    }
}
