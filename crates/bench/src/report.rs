//! Plain-text tables, and the small statistics the benchmarks print.

use std::time::Duration;

pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// A Markdown table, columns padded so that it also reads well in a terminal.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(c.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let mut out = line(&self.header);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out += &line(&rule);
        for r in &self.rows {
            out += &line(r);
        }
        out
    }
}

/// The `p`-th percentile (0–100) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The median, 99th percentile and largest of some durations (zero when there are none).
#[derive(Debug, Clone, Copy, Default)]
pub struct Spread {
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Spread {
    pub fn of(mut durations: Vec<Duration>) -> Spread {
        durations.sort();
        Spread {
            p50: percentile(&durations, 50.0),
            p99: percentile(&durations, 99.0),
            max: percentile(&durations, 100.0),
        }
    }
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// A count with thousands separators.
pub fn count(n: f64) -> String {
    let s = format!("{:.0}", n);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

pub fn bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    } else if b >= 10.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

pub fn ratio(ours: f64, reference: f64) -> String {
    if reference > 0.0 && ours.is_finite() {
        format!("{:.1}×", ours / reference)
    } else {
        "—".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(count(1234567.0), "1,234,567");
        assert_eq!(count(999.0), "999");
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&d, 50.0), Duration::from_millis(51));
        assert_eq!(percentile(&d, 99.0), Duration::from_millis(99));
        let t = Table::new(&["a", "bb"]);
        assert!(t.render().starts_with("| a | bb |"));
    }

    #[test]
    fn spread_of_unsorted_durations() {
        let d: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let s = Spread::of(d);
        assert_eq!(
            (s.p50, s.p99, s.max),
            (
                Duration::from_millis(51),
                Duration::from_millis(99),
                Duration::from_millis(100)
            )
        );
        assert_eq!(Spread::of(Vec::new()).max, Duration::ZERO);
    }
}
