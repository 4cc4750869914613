//! Wall-clock times for the history: unix milliseconds in, UTC text out
//! (`2026-12-02 03:04:05Z`), and `--since` parsed from a duration ago or a date.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-12-02 03:04:05Z`.
pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `--since`: a duration ago (`90m`, `2h`, `3d`) or a UTC date/time (`2026-12-01`,
/// `2026-12-01T10:00`, `2026-12-01 10:00:00`). Returns unix milliseconds.
pub fn parse_since(text: &str, now_ms: i64) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(d) = crate::config::parse_duration(t) {
        return Ok(now_ms - i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    }
    let bad = || {
        format!("`{text}`: expected a duration ago (30m, 2h, 7d) or a UTC date (2026-12-01, 2026-12-01T10:00)")
    };
    let (date, clock) = match t.split_once(['T', ' ']) {
        Some((d, c)) => (d, c.trim_end_matches('Z')),
        None => (t, ""),
    };
    let mut ymd = date.split('-').map(str::parse::<i64>);
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d)), None) =
        (ymd.next(), ymd.next(), ymd.next(), ymd.next())
    else {
        return Err(bad());
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut secs = days(y, m as u32, d as u32) * 86_400;
    if !clock.is_empty() {
        let parts: Vec<i64> = clock
            .split(':')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        let (h, mi, s) = match parts.as_slice() {
            [h, mi] => (*h, *mi, 0),
            [h, mi, s] => (*h, *mi, *s),
            _ => return Err(bad()),
        };
        secs += h * 3600 + mi * 60 + s;
    }
    Ok(secs * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_since_accepts_durations_and_dates() {
        assert_eq!(format_ms(0), "1970-01-01 00:00:00Z");
        assert_eq!(format_ms(1_764_644_645_000), "2025-12-02 03:04:05Z");
        let ms = parse_since("2025-12-02T03:04:05Z", 0).unwrap();
        assert_eq!(ms, 1_764_644_645_000);
        assert_eq!(parse_since("2024-02-29", 0).unwrap(), 1_709_164_800_000);
        assert_eq!(
            parse_since("2h", 10_000_000).unwrap(),
            10_000_000 - 7_200_000
        );
        assert_eq!(parse_since("1d", 86_400_000).unwrap(), 0);
        assert!(parse_since("yesterday", 0)
            .unwrap_err()
            .contains("expected a duration"));
        assert!(parse_since("2024-13-01", 0).is_err());
    }
}
