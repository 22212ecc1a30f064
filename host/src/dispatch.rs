//! Hands each new event of the stream ([`crate::activity`]) to its readers: the rollups
//! behind the analytics, and the notifications of the people it concerns. Events wait in the
//! outbox written with them; a batch is taken, read by every reader and dequeued in one
//! transaction, so a reader's work is done once or, if anything fails, not at all and tried
//! again with the next pass. Any number of replicas may run it: on PostgreSQL each takes
//! batches the others have not locked.

use crate::db::events::EventRow;
use crate::db::{AnyConnection, DbError, write_transaction};
use crate::notifications::NotificationError;

/// The most events one pass hands over.
pub const BATCH: i64 = 500;

/// One pass: hands over up to [`BATCH`] events; returns how many. Once the batch commits,
/// the bells of the people told are woken.
pub fn run_once(conn: &mut AnyConnection) -> Result<usize, DbError> {
    let (handed, told) = write_transaction(conn, |conn| {
        let events = EventRow::take_queued(conn, BATCH)?;
        if events.is_empty() {
            return Ok((0, Vec::new()));
        }
        crate::activity::rollup::apply(conn, &events)?;
        let told = crate::notifications::fanout::on_events(conn, &events).map_err(|e| match e {
            NotificationError::Db(db) => db,
            other => DbError::Unavailable(other.to_string()),
        })?;
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        EventRow::dequeue(conn, &ids)?;
        Ok::<_, DbError>((events.len(), told))
    })?;
    crate::notifications::live::publish(&told);
    Ok(handed)
}

/// Hands over every queued event (tests, and the command line before a report).
pub fn drain(conn: &mut AnyConnection) -> Result<usize, DbError> {
    let mut total = 0;
    loop {
        let n = run_once(conn)?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
    }
}
