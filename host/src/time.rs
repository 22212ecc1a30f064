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

/// Why an expiry a request gives cannot be used; each says how to give it right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpiryError {
    /// Seconds from now and a time both given, or seconds with "no expiry".
    #[error("give expires_in or expires_at, not both")]
    Both,
    #[error("expires_in must be a positive number of seconds (at most a hundred years)")]
    OutOfRange,
    #[error("expires_at must be in the future")]
    Past,
    /// Not an RFC 3339 time; holds what was given.
    #[error("expires_at must be an RFC 3339 time such as 2030-01-31T12:00:00Z (got '{0}')")]
    Unreadable(String),
}

/// An expiry given as seconds from now (`expires_in`) or as an RFC 3339 time (`expires_at`),
/// not both, in the future; `None` when neither is given.
pub fn resolve_expiry(
    expires_in: Option<i64>,
    expires_at: Option<&str>,
    now: i64,
) -> Result<Option<i64>, ExpiryError> {
    match (expires_in, expires_at) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(ExpiryError::Both),
        (Some(seconds), None) if (1..=MAX_EXPIRES_IN_SECONDS).contains(&seconds) => {
            Ok(Some(now + seconds * 1000))
        }
        (Some(_), None) => Err(ExpiryError::OutOfRange),
        (None, Some(text)) => match from_rfc3339(text) {
            Some(at) if at > now => Ok(Some(at)),
            Some(_) => Err(ExpiryError::Past),
            None => Err(ExpiryError::Unreadable(text.to_owned())),
        },
    }
}

/// A change of expiry: `expires_at` is absent (`None`), `null` (`Some(None)`: no expiry) or a
/// time. Answers `None` for no change, `Some(None)` for no expiry, `Some(Some(at))` for a new
/// one. "No expiry" beside seconds from now is refused: one of them is a mistake, and guessing
/// which would change the expiry in a way the requester did not mean.
pub fn resolve_expiry_change(
    expires_in: Option<i64>,
    expires_at: Option<Option<&str>>,
    now: i64,
) -> Result<Option<Option<i64>>, ExpiryError> {
    match (expires_in, expires_at) {
        (None, None) => Ok(None),
        (Some(_), Some(None)) => Err(ExpiryError::Both),
        (None, Some(None)) => Ok(Some(None)),
        (seconds, Some(Some(at))) => resolve_expiry(seconds, Some(at), now).map(Some),
        (seconds, None) => resolve_expiry(seconds, None, now).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn an_expiry_is_seconds_from_now_or_a_time_to_come() {
        assert_eq!(resolve_expiry(None, None, NOW), Ok(None));
        assert_eq!(resolve_expiry(Some(60), None, NOW), Ok(Some(NOW + 60_000)));
        let later = to_rfc3339(NOW + 1000);
        assert_eq!(
            resolve_expiry(None, Some(&later), NOW),
            Ok(Some(NOW + 1000))
        );
        assert_eq!(
            resolve_expiry(Some(60), Some(&later), NOW),
            Err(ExpiryError::Both)
        );
        assert_eq!(
            resolve_expiry(Some(0), None, NOW),
            Err(ExpiryError::OutOfRange)
        );
        assert_eq!(
            resolve_expiry(Some(MAX_EXPIRES_IN_SECONDS + 1), None, NOW),
            Err(ExpiryError::OutOfRange)
        );
        assert_eq!(
            resolve_expiry(None, Some(&to_rfc3339(NOW)), NOW),
            Err(ExpiryError::Past)
        );
        assert_eq!(
            resolve_expiry(None, Some("tomorrow"), NOW),
            Err(ExpiryError::Unreadable("tomorrow".to_owned()))
        );
    }

    #[test]
    fn a_change_of_expiry_tells_no_change_from_none() {
        assert_eq!(resolve_expiry_change(None, None, NOW), Ok(None));
        assert_eq!(resolve_expiry_change(None, Some(None), NOW), Ok(Some(None)));
        assert_eq!(
            resolve_expiry_change(Some(60), None, NOW),
            Ok(Some(Some(NOW + 60_000)))
        );
        assert_eq!(
            resolve_expiry_change(Some(60), Some(None), NOW),
            Err(ExpiryError::Both)
        );
    }
}
