//! Time as the database stores it: milliseconds since the Unix epoch, in UTC.
//!
//! Both backends store a plain `BIGINT`, so one representation serves SQLite and PostgreSQL
//! alike; it becomes RFC 3339 only at the edge, in the wire types.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The longest `expires_in` any request takes: a hundred years, in seconds. Held well inside
/// what RFC 3339 can write back (years up to 9999) and what milliseconds in an `i64` can count.
pub const MAX_EXPIRES_IN_SECONDS: i64 = 100 * 365 * 24 * 3600;

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Formats a stored timestamp as RFC 3339 (`2026-11-26T10:00:00.000Z`).
pub fn to_rfc3339(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Parses an RFC 3339 timestamp into stored milliseconds.
pub fn from_rfc3339(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}
