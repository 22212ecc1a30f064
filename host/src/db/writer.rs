//! Group commit on SQLite: one long-lived connection per database writes the bookkeeping of
//! concurrent requests (a share-link download's slot, its row and its log entries) in shared
//! transactions.
//!
//! Why: SQLite has one writer at a time. Every commit writes each page it changed to the WAL
//! again, and makes every other connection drop its page cache; with a transaction per piece of
//! bookkeeping, link downloads per second were bounded by commits made one after the other
//! behind the writer lock. Here each piece of work runs in its own savepoint of a transaction
//! shared with whatever else is waiting: a piece that fails rolls back its savepoint only, and
//! the others still commit. The transaction commits as soon as the queue is empty (or holds
//! [`MAX_BATCH`] pieces), and only then is each caller told its outcome, so a caller acts on
//! its write (sends a download's first byte) only once the write is durable, exactly as with a
//! transaction of its own. A failed commit fails every piece of its batch. The connection's
//! page cache stays warm, since no other connection of this process writes as often.
//!
//! Limits stay exact: the pieces run one after the other on one connection, inside the
//! database's write lock (`BEGIN IMMEDIATE`), so a conditional update in one piece sees the
//! updates of the pieces before it. Other processes on the same file queue on that lock as
//! they did before.
//!
//! PostgreSQL has no writer here: it lets writers of different rows run at once and already
//! flushes the WAL of concurrent commits together, and batching there would make the
//! transactions of separate replicas hold row locks longer and take them in varying order.
//! [`super::Database::write`] runs each piece as a transaction of its own on that backend.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::{AnyConnection, ConnectionManager, DbError, SQLITE_WRITER, write_transaction};

/// The most pieces of work one transaction commits; more wait for the next one.
pub const MAX_BATCH: usize = 128;

/// Told whether the transaction that ran the piece committed, and passes its result on.
type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;

/// One piece of work: runs in its savepoint, and returns what to do once the commit is known.
/// Dropped without running (or its reply dropped without being called), it fails its caller.
type Job = Box<dyn FnOnce(&mut AnyConnection) -> Reply + Send>;

/// The queue of one SQLite database's writer; the writer stops when the last handle is gone.
pub struct GroupWriter {
    queue: mpsc::Sender<Job>,
}

impl GroupWriter {
    /// Opens the writer's connection and starts its thread.
    pub fn start(manager: ConnectionManager) -> Result<GroupWriter, DbError> {
        let conn = manager
            .open()
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        let (queue, jobs) = mpsc::channel();
        std::thread::Builder::new()
            .name("tessera-db-writer".into())
            .spawn(move || serve(manager, conn, jobs))
            .map_err(|e| DbError::Unavailable(format!("cannot start the database writer: {e}")))?;
        Ok(GroupWriter { queue })
    }

    /// Runs `f` in a savepoint of the writer's next transaction; returns once that transaction
    /// has committed (or failed). Blocks the calling thread: call from the blocking pool.
    pub fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let (reply, outcome) = mpsc::sync_channel::<Result<T, E>>(1);
        let job: Job = Box::new(move |conn: &mut AnyConnection| {
            // Inside the writer's transaction, this is a savepoint.
            let done = write_transaction(conn, f);
            Box::new(move |committed: Result<(), String>| {
                let result = match (done, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(why)) => Err(E::from(DbError::Unavailable(why))),
                    (Err(err), _) => Err(err),
                };
                let _ = reply.send(result);
            })
        });
        let lost = || {
            E::from(DbError::Unavailable(
                "the database writer lost the write".into(),
            ))
        };
        self.queue.send(job).map_err(|_| lost())?;
        outcome.recv().map_err(|_| lost())?
    }
}

/// The writer's loop: waits for work, takes everything waiting, runs it in one transaction.
fn serve(manager: ConnectionManager, conn: AnyConnection, jobs: mpsc::Receiver<Job>) {
    let mut conn = Some(conn);
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A connection lost with its batch (a failed commit, a panic) is opened afresh.
        let live = match conn.take() {
            Some(live) => Some(live),
            None => manager
                .open()
                .inspect_err(|e| tracing::error!(error = %e, "cannot reopen the database writer"))
                .ok(),
        };
        // Without a connection the batch is dropped, which fails each of its callers.
        let Some(mut live) = live else { continue };
        if commit_batch(&mut live, batch) {
            conn = Some(live);
        }
    }
}

/// Runs one batch and tells each caller the outcome; false when the connection should not be
/// used again.
fn commit_batch(conn: &mut AnyConnection, batch: Vec<Job>) -> bool {
    let AnyConnection::Sqlite(sqlite) = conn else {
        return false;
    };
    let replies;
    let committed;
    {
        // This process's other writers (pooled connections) queue on the same lock.
        let _turn = SQLITE_WRITER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(err) = AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE") {
            tracing::error!(error = %err, "the database writer cannot begin a transaction");
            return false;
        }
        let ran = catch_unwind(AssertUnwindSafe(|| {
            batch.into_iter().map(|job| job(conn)).collect::<Vec<_>>()
        }));
        let AnyConnection::Sqlite(sqlite) = conn else {
            return false;
        };
        match ran {
            Ok(ran) => {
                replies = ran;
                committed = AnsiTransactionManager::commit_transaction(sqlite).map_err(|err| {
                    tracing::error!(error = %err, "the database writer cannot commit");
                    let _ = AnsiTransactionManager::rollback_transaction(sqlite);
                    format!("the write was not committed: {err}")
                });
            }
            Err(_) => {
                // A piece panicked midway: its savepoint is still open. Closing the connection
                // rolls the whole batch back; every caller of the batch is told it failed.
                tracing::error!("a write of the database writer panicked; its batch is lost");
                return false;
            }
        }
    }
    let keep = committed.is_ok();
    for reply in replies {
        reply(committed.clone());
    }
    keep
}
