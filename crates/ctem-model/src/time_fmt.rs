//! Unix-second timestamps and their rendering.

use time::{Date, OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Now, in Unix seconds. `CTEM_NOW` (RFC 3339 or `YYYY-MM-DD`) overrides the
/// clock, so that a cycle can be replayed and tests are reproducible.
pub fn now() -> i64 {
    if let Some(t) = std::env::var("CTEM_NOW").ok().and_then(|v| parse_time(&v)) {
        return t;
    }
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `2026-11-27`.
pub fn fmt_date(t: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => {
            let d = d.date();
            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        }
        Err(_) => t.to_string(),
    }
}

/// `2026-11-27T21:35:40Z`.
pub fn fmt_time(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

/// Parses `YYYY-MM-DD` as midnight UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt)
        .ok()
        .map(|d| d.midnight().assume_offset(UtcOffset::UTC).unix_timestamp())
}

/// Parses RFC 3339, `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS` (taken as UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    if s.len() >= 19 {
        let fmt =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        if let Ok(t) = time::PrimitiveDateTime::parse(&s[..19], &fmt) {
            return Some(t.assume_utc().unix_timestamp());
        }
        let fmt =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        if let Ok(t) = time::PrimitiveDateTime::parse(&s[..19], &fmt) {
            return Some(t.assume_utc().unix_timestamp());
        }
    }
    if s.len() >= 10 {
        return s.get(..10).and_then(parse_date);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = parse_date("2024-04-12").expect("valid date");
        assert_eq!(fmt_date(t), "2024-04-12");
        assert_eq!(parse_time("2024-04-12T00:00:00Z"), Some(t));
        assert_eq!(parse_time("2024-04-12T00:00:00.000000"), Some(t));
        assert_eq!(parse_time("nonsense"), None);
    }
}
