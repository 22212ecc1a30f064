//! How long raw events are kept: `activity_retention_days` (the rollups stay), and the visitor
//! hashes and keys two days, after which no hash can be tied to an address.

use super::visitor::day_of;
use crate::db::events::{EventRow, drop_visitor_keys_before, forget_visitors_before};
use crate::db::{AnyConnection, DbResult};

/// What one sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub events: usize,
    pub visitors: usize,
    pub keys: usize,
}

/// Removes raw events older than `retention_days` (0 keeps them for ever) that every reader
/// has had, and visitor hashes and keys from before yesterday.
pub fn sweep(conn: &mut AnyConnection, retention_days: u64, now: i64) -> DbResult<Swept> {
    let events = if retention_days == 0 {
        0
    } else {
        let days = i64::try_from(retention_days).unwrap_or(i64::MAX / 86_400_000);
        EventRow::delete_before(conn, now - days * 86_400_000)?
    };
    let yesterday = day_of(now) - 1;
    Ok(Swept {
        events,
        visitors: forget_visitors_before(conn, yesterday)?,
        keys: drop_visitor_keys_before(conn, yesterday)?,
    })
}
