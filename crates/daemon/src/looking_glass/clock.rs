//! Local time in the looking glass's text form (`2026-11-29 04:19:47`), as the original
//! printed it with `time.strftime` and Python logging's `formatTime`.

use std::time::{SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DD HH:MM:SS` in local time, with `,mmm` milliseconds when `millis` is set.
pub(crate) fn local_time_text(t: SystemTime, millis: bool) -> String {
    let since_epoch = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs() as libc::time_t;
    // SAFETY: localtime_r only writes the `tm` we own; a zeroed tm is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call.
    let ok = !unsafe { libc::localtime_r(&secs, &mut tm) }.is_null();
    if !ok {
        return format!("@{secs}");
    }
    let mut text = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    );
    if millis {
        text.push_str(&format!(",{:03}", since_epoch.subsec_millis()));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn shape_of_the_text() {
        let t = UNIX_EPOCH + Duration::from_millis(1_800_000_000_123);
        let text = local_time_text(t, false);
        assert_eq!(text.len(), "2026-11-29 04:19:47".len(), "{text}");
        assert!(text.starts_with("2027-01-1"), "{text}");
        let with_millis = local_time_text(t, true);
        assert!(
            with_millis.starts_with(&text) && with_millis.ends_with(",123"),
            "{with_millis}"
        );
    }
}
