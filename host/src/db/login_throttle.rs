//! Attempt counters for guessing secrets (sign-in passwords, link passwords, link slugs and
//! tokens), shared by all replicas.
//!
//! A key (`account:<email>`, `address:<ip>`, `link:<id>`...) counts the attempts charged to it
//! within a sliding window. The first [`Schedule::free`] attempts are free; each one after that
//! makes the next attempt wait, twice as long each time, up to [`Schedule::cap_ms`]: guessing
//! slows down, nobody is locked out for good.
//!
//! An attempt is taken *before* the password is hashed, by [`LoginThrottle::take`]: one
//! statement that counts the attempt and refuses it when the key must still wait. A check, then
//! the hash, then a count (what this replaced) let a burst of parallel guesses all pass the
//! check before the first was counted. A successful attempt is given back afterwards
//! ([`LoginThrottle::give_back`]), so only failures accumulate.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Text};

use super::schema::login_throttle;
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_throttle)]
pub struct LoginThrottle {
    pub throttle_key: String,
    pub attempts: i32,
    pub last_attempt_at: i64,
    pub next_attempt_at: i64,
}

/// How one kind of key slows down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Attempts within the window that cost no wait.
    pub free: u32,
    /// The wait after the first attempt beyond the free ones; each further one doubles it.
    pub first_wait_ms: i64,
    /// The longest wait.
    pub cap_ms: i64,
    /// A key that saw no attempt for this long starts counting again.
    pub window_ms: i64,
}

impl Schedule {
    /// How many doublings of the first wait reach the cap (the `<<` in the statement stops
    /// there, so it never overflows).
    fn doublings(&self) -> i32 {
        let first = self.first_wait_ms.max(1);
        let mut steps = 0;
        while steps < 62 && (first << steps) < self.cap_ms {
            steps += 1;
        }
        steps
    }

    /// The wait after the `attempts`-th attempt (the same formula the statement runs).
    pub fn wait_after(&self, attempts: i64) -> i64 {
        let beyond = attempts - i64::from(self.free);
        if beyond < 0 {
            0
        } else if beyond >= i64::from(self.doublings()) {
            self.cap_ms
        } else {
            self.first_wait_ms << beyond
        }
    }
}

/// What [`LoginThrottle::take`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The attempt may go ahead; it is the `n`-th charged to the key in its window.
    Admitted { attempts: i32 },
    /// The key must wait this many milliseconds more; nothing was charged.
    Refused { wait_ms: i64 },
}

#[derive(QueryableByName)]
struct Charged {
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// The take: insert the key's first attempt, or count one more on the existing row, but only
/// while no wait is due (`WHERE` of the upsert: when it does not hold, nothing changes and
/// nothing is returned). The new count resets when the window passed quietly; the wait after
/// it follows [`Schedule::wait_after`]. Within the free attempts no wait is set at all (`0`):
/// requests read the clock before they reach the database, so one that read it earlier may
/// arrive later, and a "wait until now" would refuse it. Every expression on the right reads
/// the row as it was, on both backends.
///
/// Parameters: 1 key, 2 now, 3 window, 4 free, 5 first wait, 6 doublings, 7 cap, 8 enforce.
const TAKE: &str = "\
INSERT INTO login_throttle (throttle_key, attempts, last_attempt_at, next_attempt_at)
VALUES (?1, 1, ?2, (CASE WHEN 1 - ?4 < 0 THEN 0 WHEN 1 - ?4 >= ?6 THEN ?2 + ?7 ELSE ?2 + (?5 << (1 - ?4)) END))
ON CONFLICT (throttle_key) DO UPDATE SET
    attempts = (CASE WHEN login_throttle.last_attempt_at <= ?2 - ?3 THEN 1 ELSE login_throttle.attempts + 1 END),
    last_attempt_at = ?2,
    next_attempt_at = (CASE
        WHEN (CASE WHEN login_throttle.last_attempt_at <= ?2 - ?3 THEN 1 ELSE login_throttle.attempts + 1 END) - ?4 < 0 THEN 0
        WHEN (CASE WHEN login_throttle.last_attempt_at <= ?2 - ?3 THEN 1 ELSE login_throttle.attempts + 1 END) - ?4 >= ?6 THEN ?2 + ?7
        ELSE ?2 + (?5 << ((CASE WHEN login_throttle.last_attempt_at <= ?2 - ?3 THEN 1 ELSE login_throttle.attempts + 1 END) - ?4))
    END)
WHERE NOT ?8 OR login_throttle.next_attempt_at <= ?2
RETURNING attempts";

/// The give-back of a successful attempt: one attempt fewer, and no wait while the remaining
/// count is within the free ones (the wait was set by this attempt's own charge).
///
/// Parameters: 1 key, 2 free.
const GIVE_BACK: &str = "\
UPDATE login_throttle SET
    attempts = attempts - 1,
    next_attempt_at = (CASE WHEN attempts - 1 < ?2 THEN 0 ELSE next_attempt_at END)
WHERE throttle_key = ?1 AND attempts > 0";

/// The statement in the live backend's placeholder style: SQLite reads `?1`, PostgreSQL `$1`.
fn for_backend(conn: &AnyConnection, sql: &str) -> String {
    match conn {
        AnyConnection::Sqlite(_) => sql.to_owned(),
        AnyConnection::Postgresql(_) => sql.replace('?', "$"),
    }
}

impl LoginThrottle {
    /// Takes one attempt for `key` now, or refuses it while the key must wait. With `enforce`
    /// false the attempt is counted whatever the wait (a failure that already happened, or an
    /// attempt another key vouches for).
    pub fn take(
        conn: &mut AnyConnection,
        key: &str,
        now: i64,
        schedule: &Schedule,
        enforce: bool,
    ) -> DbResult<Taken> {
        let sql = for_backend(conn, TAKE);
        let charged = diesel::sql_query(sql)
            .bind::<Text, _>(key)
            .bind::<BigInt, _>(now)
            .bind::<BigInt, _>(schedule.window_ms)
            .bind::<Integer, _>(schedule.free as i32)
            .bind::<BigInt, _>(schedule.first_wait_ms)
            .bind::<Integer, _>(schedule.doublings())
            .bind::<BigInt, _>(schedule.cap_ms)
            .bind::<Bool, _>(enforce)
            .get_result::<Charged>(conn)
            .optional()?;
        if let Some(charged) = charged {
            return Ok(Taken::Admitted {
                attempts: charged.attempts,
            });
        }
        let due = login_throttle::table
            .find(key)
            .select(login_throttle::next_attempt_at)
            .get_result::<i64>(conn)
            .optional()?
            .unwrap_or(now);
        Ok(Taken::Refused {
            wait_ms: (due - now).max(1),
        })
    }

    /// Gives back an attempt that turned out right, so only failures count.
    pub fn give_back(conn: &mut AnyConnection, key: &str, schedule: &Schedule) -> DbResult<()> {
        let sql = for_backend(conn, GIVE_BACK);
        diesel::sql_query(sql)
            .bind::<Text, _>(key)
            .bind::<Integer, _>(schedule.free as i32)
            .execute(conn)?;
        Ok(())
    }

    /// Seconds the key must still wait before its next attempt, if it must.
    pub fn locked_for(conn: &mut AnyConnection, key: &str, now: i64) -> DbResult<Option<u64>> {
        // Every share-link request asks: run on the backend's own connection.
        let due = super::prepared::on_backend!(conn, c => login_throttle::table
            .find(key)
            .select(login_throttle::next_attempt_at)
            .get_result::<i64>(c))
        .optional()?;
        Ok(due
            .filter(|&until| until > now)
            .map(|until| ((until - now) as u64).div_ceil(1000)))
    }

    /// Counts a failure that already happened (an unknown link, a forged token), whatever the
    /// wait: the key slows down after `max_failures` of them within `window_ms`.
    pub fn record_failure(
        conn: &mut AnyConnection,
        key: &str,
        now: i64,
        max_failures: u32,
        window_ms: i64,
    ) -> DbResult<()> {
        let schedule = Schedule {
            free: max_failures,
            first_wait_ms: FIRST_WAIT_MS.min(window_ms),
            cap_ms: window_ms,
            window_ms,
        };
        LoginThrottle::take(conn, key, now, &schedule, false).map(|_| ())
    }

    pub fn clear(conn: &mut AnyConnection, key: &str) -> DbResult<()> {
        diesel::delete(login_throttle::table.find(key)).execute(conn)?;
        Ok(())
    }
}

/// The first wait once the free attempts are used: long enough that a burst of guesses gains
/// nothing, short enough for a person who mistyped a few times.
pub const FIRST_WAIT_MS: i64 = 30_000;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::db::{ConnectionManager, run_migrations};
    use diesel::r2d2::ManageConnection;

    fn connection() -> AnyConnection {
        let mut conn = ConnectionManager::new(":memory:").connect().unwrap();
        run_migrations(&mut conn).unwrap();
        conn
    }

    const SCHEDULE: Schedule = Schedule {
        free: 3,
        first_wait_ms: 1_000,
        cap_ms: 5_000,
        window_ms: 60_000,
    };

    #[test]
    fn the_wait_doubles_after_the_free_attempts_up_to_the_cap() {
        let waits: Vec<i64> = (1..=8).map(|n| SCHEDULE.wait_after(n)).collect();
        assert_eq!(waits, [0, 0, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
    }

    #[test]
    fn attempts_are_taken_until_a_wait_is_due_then_refused() {
        let mut conn = connection();
        let take = |conn: &mut AnyConnection, now| {
            LoginThrottle::take(conn, "address:192.0.2.1", now, &SCHEDULE, true).unwrap()
        };
        assert_eq!(take(&mut conn, 0), Taken::Admitted { attempts: 1 });
        assert_eq!(take(&mut conn, 0), Taken::Admitted { attempts: 2 });
        // The third is the first that costs a wait: it is taken, the fourth waits.
        assert_eq!(take(&mut conn, 0), Taken::Admitted { attempts: 3 });
        assert_eq!(take(&mut conn, 10), Taken::Refused { wait_ms: 990 });
        // A refusal charges nothing: after the wait, the fourth is taken and the wait doubles.
        assert_eq!(take(&mut conn, 1_000), Taken::Admitted { attempts: 4 });
        assert_eq!(take(&mut conn, 2_999), Taken::Refused { wait_ms: 1 });
        assert_eq!(
            LoginThrottle::locked_for(&mut conn, "address:192.0.2.1", 2_000).unwrap(),
            Some(1)
        );
        // Not enforced (another key vouches for the attempt): counted anyway.
        assert_eq!(
            LoginThrottle::take(&mut conn, "address:192.0.2.1", 2_000, &SCHEDULE, false).unwrap(),
            Taken::Admitted { attempts: 5 }
        );
        // A right password gives its attempt back.
        LoginThrottle::give_back(&mut conn, "address:192.0.2.1", &SCHEDULE).unwrap();
        assert_eq!(take(&mut conn, 10_000), Taken::Admitted { attempts: 5 });
        // A quiet window starts the count again.
        assert_eq!(take(&mut conn, 200_000), Taken::Admitted { attempts: 1 });
        // Other keys are counted apart.
        assert_eq!(
            LoginThrottle::take(&mut conn, "account:ada@example.org", 0, &SCHEDULE, true).unwrap(),
            Taken::Admitted { attempts: 1 }
        );
    }

    #[test]
    fn giving_back_below_the_free_attempts_clears_the_wait() {
        let mut conn = connection();
        for _ in 0..3 {
            LoginThrottle::take(&mut conn, "k", 0, &SCHEDULE, true).unwrap();
        }
        assert!(
            LoginThrottle::locked_for(&mut conn, "k", 0)
                .unwrap()
                .is_some()
        );
        // The third attempt was right: its charge, and the wait it set, go.
        LoginThrottle::give_back(&mut conn, "k", &SCHEDULE).unwrap();
        assert_eq!(LoginThrottle::locked_for(&mut conn, "k", 0).unwrap(), None);
        assert_eq!(
            LoginThrottle::take(&mut conn, "k", 1, &SCHEDULE, true).unwrap(),
            Taken::Admitted { attempts: 3 }
        );
    }
}
