//! Calendar arithmetic on Unix seconds, without the system clock.
//!
//! Every date in the demo derives from `DemoOptions::now`; the conversions
//! are the proleptic-Gregorian algorithms of Howard Hinnant, so the output
//! does not depend on any date library's formatting choices.

pub(crate) const DAY: i64 = 86_400;

/// Days since 1970-01-01 → (year, month 1–12, day 1–31).
pub(crate) fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` → Unix seconds at midnight UTC. Panics on a malformed
/// literal, which only ever comes from the built-in catalogue.
pub(crate) fn parse_date(s: &str) -> i64 {
    let mut it = s.split('-').map(|p| p.parse::<i64>().unwrap_or(1));
    let y = it.next().unwrap_or(1970);
    let m = it.next().unwrap_or(1) as u32;
    let d = it.next().unwrap_or(1) as u32;
    days_from_civil(y, m, d) * DAY
}

/// `YYYY-MM-DD`.
pub(crate) fn date(t: i64) -> String {
    let (y, m, d) = civil(t.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY/MM/DD` (Nessus plugin dates).
pub(crate) fn date_slash(t: i64) -> String {
    date(t).replace('-', "/")
}

/// RFC 3339 in UTC, whole seconds: `2025-03-14T09:12:44Z`.
pub(crate) fn rfc3339(t: i64) -> String {
    let secs = t.rem_euclid(DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(t),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// RFC 3339 with a fractional part, as Trivy and SARIF tools write it.
pub(crate) fn rfc3339_frac(t: i64, micros: u32) -> String {
    let s = rfc3339(t);
    format!("{}.{:06}Z", &s[..s.len() - 1], micros % 1_000_000)
}

/// The `ctime` form Nessus uses in `HOST_START`: `Fri Mar 14 09:12:44 2025`.
pub(crate) fn ctime(t: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = t.div_euclid(DAY);
    let (y, m, d) = civil(days);
    let secs = t.rem_euclid(DAY);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} {}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        y
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_formats() {
        let t = parse_date("2025-03-14");
        assert_eq!(date(t), "2025-03-14");
        assert_eq!(rfc3339(t + 3600 + 61), "2025-03-14T01:01:01Z");
        assert_eq!(ctime(t), "Fri Mar 14 00:00:00 2025");
        assert_eq!(date(parse_date("2024-02-29") + DAY), "2024-03-01");
        assert_eq!(date(0), "1970-01-01");
    }
}
