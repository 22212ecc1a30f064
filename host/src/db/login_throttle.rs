//! Failed sign-in counters, per account and per client address, shared by all replicas.
//!
//! A key (`account:<email>` or `address:<ip>`) collects failures within a window; reaching the
//! limit locks the key until the lock-out passes. A successful sign-in clears the account key.

use diesel::prelude::*;

use super::prepared::on_backend;
use super::schema::login_throttle;
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_throttle, treat_none_as_null = true)]
pub struct LoginThrottle {
    pub throttle_key: String,
    pub failures: i32,
    pub window_started_at: i64,
    pub locked_until: Option<i64>,
}

impl LoginThrottle {
    /// Seconds the key stays locked, if it is locked now.
    pub fn locked_for(conn: &mut AnyConnection, key: &str, now: i64) -> DbResult<Option<u64>> {
        // Every share-link request asks: run on the backend's own connection. (`as_select`
        // names its backend, so the query is built in each arm.)
        let row = on_backend!(conn, c => login_throttle::table
            .find(key)
            .select(LoginThrottle::as_select())
            .get_result(c))
        .optional()?;
        Ok(row
            .and_then(|r| r.locked_until)
            .filter(|&until| until > now)
            .map(|until| ((until - now) as u64).div_ceil(1000)))
    }

    /// Counts one failure; locks the key when it reaches `max_failures` within `window_ms`.
    pub fn record_failure(
        conn: &mut AnyConnection,
        key: &str,
        now: i64,
        max_failures: u32,
        window_ms: i64,
    ) -> DbResult<()> {
        conn.transaction::<_, super::DbError, _>(|conn| {
            let existing = login_throttle::table
                .find(key)
                .select(LoginThrottle::as_select())
                .get_result(conn)
                .optional()?;
            let mut row = match existing {
                Some(row) if now - row.window_started_at < window_ms => row,
                _ => LoginThrottle {
                    throttle_key: key.to_owned(),
                    failures: 0,
                    window_started_at: now,
                    locked_until: None,
                },
            };
            row.failures += 1;
            if row.failures as u32 >= max_failures {
                row.locked_until = Some(now + window_ms);
                row.failures = 0;
                row.window_started_at = now;
            }
            let updated = diesel::update(login_throttle::table.find(key))
                .set(&row)
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(login_throttle::table)
                    .values(&row)
                    .execute(conn)?;
            }
            Ok(())
        })
    }

    pub fn clear(conn: &mut AnyConnection, key: &str) -> DbResult<()> {
        diesel::delete(login_throttle::table.find(key)).execute(conn)?;
        Ok(())
    }
}
