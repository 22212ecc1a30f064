//! Group commit on SQLite: one long-lived connection per database writes the bookkeeping of
//! concurrent requests (a share-link download's slot, its row and its log entries) in shared
//! transactions.
//!
//! Why: SQLite has one writer at a time. Every commit writes each page it changed to the WAL
//! again, and makes every other connection drop its page cache; with a transaction per piece of
//! bookkeeping, link downloads per second were bounded by commits made one after the other
//! behind the writer lock. Here each piece of work runs in its own savepoint of a transaction
//! shared with whatever else is waiting: a piece that fails rolls back its savepoint only, and
//! the others still commit. A piece alone in its transaction needs no savepoint: if it fails,
//! the transaction is rolled back instead of committed. The transaction commits as soon as the
//! queue is empty (or holds [`MAX_BATCH`] pieces), and only then is each caller told its
//! outcome, so a caller acts on its write (sends a download's first byte) only once the write
//! is durable, exactly as with a transaction of its own. A failed commit fails every piece of
//! its batch. The connection's page cache stays warm, since no other connection of this
//! process writes as often. Writes nobody waits for (a download's end) are queued the same way
//! ([`GroupWriter::submit`]), and the last handle's drop waits for them.
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::{AnyConnection, ConnectionManager, DbError, SQLITE_WRITER, write_transaction};

/// The most pieces of work one transaction commits; more wait for the next one.
pub const MAX_BATCH: usize = 128;

/// Writes this process's writers lost (never ran, or ran in a batch that did not commit), for
/// `/metrics`: a write the writer completed is never counted here.
static LOST_WRITES: AtomicU64 = AtomicU64::new(0);

/// How many writes the writers of this process have lost since it started.
pub fn lost_writes() -> u64 {
    LOST_WRITES.load(Ordering::Relaxed)
}

/// Told whether the transaction that ran the piece committed, and passes its result on.
type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;

/// What running one piece left: whether it failed (its writes are to be undone) and what to
/// do once the commit is known.
struct Ran {
    failed: bool,
    reply: Reply,
}

/// One piece of work: runs in its savepoint (or, alone in its batch, in the transaction
/// itself) and returns what to do once the commit is known. Dropped without running (or its
/// reply dropped without being called), it fails its caller.
type Job = Box<dyn FnOnce(&mut AnyConnection, Alone) -> Ran + Send>;

/// Whether a piece is the only one of its transaction: then a failure rolls the transaction
/// back, and the piece needs no savepoint (two statements fewer, and no copies of the pages it
/// changes kept for a rollback).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Alone {
    Yes,
    No,
}

/// The queue of one SQLite database's writer. The writer stops when the last handle is gone,
/// after the writes queued until then; dropping that handle waits for them, so writes queued
/// without waiting ([`GroupWriter::submit`]) are not lost when the process ends.
pub struct GroupWriter {
    queue: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for GroupWriter {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

impl GroupWriter {
    /// Opens the writer's connection and starts its thread.
    pub fn start(manager: ConnectionManager) -> Result<GroupWriter, DbError> {
        let conn = manager
            .open()
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        let (queue, jobs) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tessera-db-writer".into())
            .spawn(move || serve(manager, conn, jobs))
            .map_err(|e| DbError::Unavailable(format!("cannot start the database writer: {e}")))?;
        Ok(GroupWriter {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Runs `f` in a savepoint of the writer's next transaction (or as that transaction, if
    /// nothing else waits); returns once that transaction has committed (or failed). Blocks
    /// the calling thread: call from the blocking pool.
    pub fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let (reply, outcome) = mpsc::sync_channel::<Result<T, E>>(1);
        self.submit(f, move |result| {
            let _ = reply.send(result);
        });
        outcome.recv().map_err(|_| lost())?
    }

    /// Queues `f` like [`GroupWriter::run`] without waiting: `then` gets the outcome once the
    /// transaction has committed (or failed), on the writer's thread, so it must be quick.
    pub fn submit<T, E, F, D>(&self, f: F, then: D)
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        D: FnOnce(Result<T, E>) + Send + 'static,
    {
        let then = Outcome(Some(then), std::marker::PhantomData);
        let job: Job = Box::new(move |conn: &mut AnyConnection, alone: Alone| {
            let done = match alone {
                Alone::Yes => f(conn),
                // Inside the writer's transaction, this is a savepoint.
                Alone::No => write_transaction(conn, f),
            };
            let failed = done.is_err();
            let mut then = then;
            Ran {
                failed,
                reply: Box::new(move |committed: Result<(), String>| {
                    let result = match (done, committed) {
                        (Ok(value), Ok(())) => Ok(value),
                        (Ok(_), Err(why)) => Err(E::from(DbError::Unavailable(why))),
                        (Err(err), _) => Err(err),
                    };
                    then.tell(result);
                }),
            }
        });
        // A queue without a writer drops the job, and with it `then`, which tells of the loss.
        if let Some(queue) = &self.queue {
            let _ = queue.send(job);
        }
    }
}

fn lost<E: From<DbError>>() -> E {
    E::from(DbError::Unavailable(
        "the database writer lost the write".into(),
    ))
}

/// Passes a piece's outcome on exactly once: dropped untold (the piece never ran, or its
/// batch was lost), it tells its caller the write was lost.
struct Outcome<T, E: From<DbError>, D: FnOnce(Result<T, E>)>(
    Option<D>,
    std::marker::PhantomData<fn(T, E)>,
);

impl<T, E: From<DbError>, D: FnOnce(Result<T, E>)> Outcome<T, E, D> {
    fn tell(&mut self, result: Result<T, E>) {
        if let Some(then) = self.0.take() {
            then(result);
        }
    }
}

impl<T, E: From<DbError>, D: FnOnce(Result<T, E>)> Drop for Outcome<T, E, D> {
    fn drop(&mut self) {
        // Only an outcome nobody was told of is a loss. The error is built only then: turning
        // a database error into the caller's type may log it (issue 14, item 14: every
        // completed write used to log "lost the write" here).
        if let Some(then) = self.0.take() {
            LOST_WRITES.fetch_add(1, Ordering::Relaxed);
            tracing::error!("the database writer lost a write: it never ran or was not committed");
            then(Err(lost()));
        }
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
        let alone = if batch.len() == 1 {
            Alone::Yes
        } else {
            Alone::No
        };
        let ran = catch_unwind(AssertUnwindSafe(|| {
            batch
                .into_iter()
                .map(|job| job(conn, alone))
                .collect::<Vec<_>>()
        }));
        let AnyConnection::Sqlite(sqlite) = conn else {
            return false;
        };
        match ran {
            // A piece alone in its transaction failed: undo its writes with the transaction.
            // Its caller learns its own error; there is nothing else to commit.
            Ok(ran) if alone == Alone::Yes && ran.iter().any(|r| r.failed) => {
                replies = ran;
                if let Err(err) = AnsiTransactionManager::rollback_transaction(sqlite) {
                    tracing::error!(error = %err, "the database writer cannot roll back");
                    for ran in replies {
                        (ran.reply)(Err(format!("the write was not undone: {err}")));
                    }
                    return false;
                }
                committed = Ok(());
            }
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
    if !keep {
        LOST_WRITES.fetch_add(replies.len() as u64, Ordering::Relaxed);
    }
    for ran in replies {
        (ran.reply)(committed.clone());
    }
    keep
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use diesel::connection::SimpleConnection;

    use super::*;

    /// The loss counter is the process's: the tests that read it take turns.
    static COUNTER: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// Counts how often a database error was turned into it: what the API's error type does
    /// when it logs "database unavailable".
    static BUILT: AtomicUsize = AtomicUsize::new(0);

    #[derive(Debug)]
    struct Probe;

    impl From<DbError> for Probe {
        fn from(_: DbError) -> Self {
            BUILT.fetch_add(1, Ordering::SeqCst);
            Probe
        }
    }

    // Issue 14, item 14: every grouped write the writer completed was reported lost ("the
    // database writer lost the write", logged as an error), hiding real outages.
    #[test]
    fn a_completed_write_is_not_reported_lost() {
        let _turn = COUNTER.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("writer.db").display().to_string();
        let writer = GroupWriter::start(ConnectionManager::new(&url)).unwrap();
        writer
            .run(|conn| {
                conn.batch_execute("CREATE TABLE t (n INTEGER)")
                    .map_err(DbError::from)
            })
            .unwrap();
        let lost_before = lost_writes();
        for n in 0..20 {
            let (told, outcome) = mpsc::channel();
            writer.submit(
                move |conn| {
                    conn.batch_execute(&format!("INSERT INTO t VALUES ({n})"))
                        .map_err(|_| Probe)
                },
                move |result: Result<(), Probe>| {
                    let _ = told.send(result.is_ok());
                },
            );
            assert!(outcome.recv().unwrap(), "write {n} failed");
        }
        let ran: i32 = writer.run(|_| Ok::<_, Probe>(7)).unwrap();
        assert_eq!(ran, 7);
        assert_eq!(
            BUILT.load(Ordering::SeqCst),
            0,
            "a completed write built a loss"
        );
        assert_eq!(lost_writes(), lost_before);
    }

    #[test]
    fn a_write_that_never_runs_is_counted_lost() {
        let _turn = COUNTER.lock().unwrap_or_else(|p| p.into_inner());
        let lost_before = lost_writes();
        let mut writer = GroupWriter {
            queue: None,
            thread: None,
        };
        let (told, outcome) = mpsc::channel();
        writer.submit(
            |_| Ok::<_, DbError>(()),
            move |result: Result<(), DbError>| {
                let _ = told.send(matches!(result, Err(DbError::Unavailable(_))));
            },
        );
        assert!(
            outcome.recv().unwrap(),
            "the caller was not told of the loss"
        );
        assert!(lost_writes() > lost_before);
        writer.queue.take();
    }
}
