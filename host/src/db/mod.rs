//! The database layer: one schema, two backends.
//!
//! SQLite (the embedded default) and PostgreSQL (for several replicas) are both reached
//! through [`AnyConnection`], so every query in this module tree is written once and runs on
//! both. Each table has its own file holding its row struct, its write form (`New*`) and its
//! queries; queries take `&mut AnyConnection` so they work inside or outside a transaction.
//! Everything replicas must share (sessions, throttles, tokens) lives here, never in memory.
//!
//! A lookup by a unique key ends in `get_result`, not `first`: `first` adds `LIMIT ?`, and
//! SQLite re-prepares a statement whose limit is a bound parameter every time it is bound
//! again, which made each such lookup cost about 45 µs instead of a few.

pub mod access_state;
pub mod api_tokens;
pub mod audit_log;
pub mod column_summaries;
pub mod dataset_versions;
pub mod datasets;
pub mod events;
pub mod export_jobs;
pub mod groups;
pub mod ids;
pub mod link_access_log;
pub mod link_downloads;
pub mod link_sessions;
pub mod login_throttle;
pub mod notifications;
pub mod password_resets;
pub mod plugin_components;
pub mod plugins;
pub mod policy_rules;
pub mod prepared;
pub mod schema;
pub mod sessions;
pub mod share_links;
pub mod shares;
pub mod teams;
pub mod token_keys;
pub mod users;
pub mod writer;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// A connection to either backend; diesel dispatches each query to the live one.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Query(diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl From<diesel::result::Error> for DbError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => DbError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::Conflict(format!("already exists ({})", info.message()))
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                DbError::Unavailable(info.message().to_owned())
            }
            other => DbError::Query(other),
        }
    }
}

impl From<r2d2::PoolError> for DbError {
    fn from(err: r2d2::PoolError) -> Self {
        DbError::Unavailable(err.to_string())
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Opens connections for the pool: the right backend for the URL, set up the same way each
/// time (SQLite: WAL, foreign keys, a busy timeout so concurrent writers wait, not fail).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            backend: Backend::of_url(url),
        }
    }

    fn open(&self) -> ConnectionResult<AnyConnection> {
        match self.backend {
            Backend::Postgres => {
                diesel::PgConnection::establish(&self.url).map(AnyConnection::Postgresql)
            }
            Backend::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
                let mut conn = diesel::SqliteConnection::establish(path)?;
                conn.batch_execute(
                    // WAL mode is set once, in `Database::connect`; it stays with the file.
                    "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        self.open().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// The database handle the application holds: a pool, which backend it talks to and, on
/// SQLite, the writer that commits grouped writes ([`Database::write`]).
#[derive(Clone)]
pub struct Database {
    pub pool: Pool,
    pub backend: Backend,
    writer: Option<std::sync::Arc<writer::GroupWriter>>,
}

impl Database {
    /// Connects (creating the SQLite file's folder if needed) without migrating.
    pub fn connect(url: &str, pool_size: u32) -> DbResult<Self> {
        let backend = Backend::of_url(url);
        if backend == Backend::Sqlite {
            let path = std::path::Path::new(url.strip_prefix("sqlite://").unwrap_or(url));
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbError::Unavailable(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
        }
        if backend == Backend::Sqlite {
            // Switching to WAL needs the database to itself: do it on one connection before
            // the pool opens several at once.
            let mut first = ConnectionManager::new(url)
                .open()
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
            first.batch_execute("PRAGMA journal_mode = WAL;")?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .connection_timeout(Duration::from_secs(10))
            .build(ConnectionManager::new(url))
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        let writer = match backend {
            Backend::Sqlite => Some(std::sync::Arc::new(writer::GroupWriter::start(
                ConnectionManager::new(url),
            )?)),
            Backend::Postgres => None,
        };
        Ok(Self {
            pool,
            backend,
            writer,
        })
    }

    pub fn get(&self) -> DbResult<PooledConnection> {
        Ok(self.pool.get()?)
    }

    /// Runs a blocking closure with a pooled connection on the blocking thread pool.
    ///
    /// The closure's error type is the caller's choice (anything a [`DbError`] converts
    /// into), so a handler can refuse with its own error from inside a transaction.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().map_err(E::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(DbError::Unavailable(format!("database task failed: {e}"))))?
    }

    /// Runs `f` as a write transaction whose commit may be shared with other requests' writes.
    ///
    /// On SQLite, `f` runs in a savepoint of the group writer's next transaction and this
    /// returns once that has committed ([`writer`]). On PostgreSQL, and when `conn` is already
    /// inside a transaction (whose atomicity `f` then joins), it runs on `conn` as
    /// [`write_transaction`] does; without `conn`, on one from the pool. Either way `f`'s
    /// writes are committed, or not at all, when this returns. Blocks: call it on the blocking
    /// pool, and never while holding a SQLite write transaction on another connection.
    pub fn write<T, E, F>(&self, conn: Option<&mut AnyConnection>, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let mut conn = conn;
        let inside = match conn.as_deref_mut() {
            Some(conn) => in_transaction(conn).map_err(E::from)?,
            None => false,
        };
        match (conn, &self.writer) {
            (Some(conn), _) if inside => write_transaction(conn, f),
            (_, Some(writer)) => writer.run(f),
            (Some(conn), None) => write_transaction(conn, f),
            (None, None) => write_transaction(&mut *self.get().map_err(E::from)?, f),
        }
    }

    /// Queues `f` as [`Database::write`] runs it, without waiting: `then` gets the outcome
    /// once `f`'s writes are committed (or not at all).
    ///
    /// On SQLite this hands `f` to the group writer, and `then` runs on the writer's thread
    /// after the commit, so it must be quick (hand anything slow to another thread); the
    /// writer's last handle waits for queued writes when it is dropped. On PostgreSQL both
    /// run on the blocking pool (which the runtime waits for when it stops), or here when
    /// there is no runtime.
    pub fn write_in_background<T, E, F, D>(&self, f: F, then: D)
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        D: FnOnce(Result<T, E>) + Send + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.submit(f, then);
        }
        let db = self.clone();
        let write = move || then(db.write(None, f));
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(write);
            }
            Err(_) => write(),
        }
    }

    /// Applies every pending migration; returns the versions applied.
    pub fn migrate(&self) -> DbResult<Vec<String>> {
        let mut conn = self.get()?;
        run_migrations(&mut conn)
    }

    /// Answers whether the database takes queries right now (`/readyz`).
    pub fn ping(&self) -> DbResult<()> {
        let mut conn = self.get()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }
}

pub fn migrations_for(conn: &AnyConnection) -> EmbeddedMigrations {
    match conn {
        AnyConnection::Postgresql(_) => POSTGRES_MIGRATIONS,
        AnyConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    }
}

pub fn run_migrations(conn: &mut AnyConnection) -> DbResult<Vec<String>> {
    let migrations = migrations_for(conn);
    let applied = match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(migrations),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(migrations),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration (used by the migration round-trip test).
pub fn revert_all_migrations(conn: &mut AnyConnection) -> DbResult<()> {
    let migrations = migrations_for(conn);
    match conn {
        AnyConnection::Postgresql(c) => c.revert_all_migrations(migrations).map(|_| ()),
        AnyConnection::Sqlite(c) => c.revert_all_migrations(migrations).map(|_| ()),
    }
    .map_err(|e| DbError::Migration(e.to_string()))
}

/// The queue of this process's SQLite write transactions.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in a transaction that holds the write lock from its first statement.
///
/// SQLite's default (deferred) transaction that reads and then writes can fail outright when
/// another connection committed in between; `BEGIN IMMEDIATE` makes it wait its turn instead.
/// PostgreSQL takes row locks as it goes, so a plain transaction is enough there.
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    E: From<DbError>,
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let db_err = |e: diesel::result::Error| E::from(DbError::from(e));
    // Inside a transaction already: it holds whatever lock it took; a savepoint suffices.
    if in_transaction(conn).map_err(E::from)? {
        return conn
            .transaction(|conn| f(conn).map_err(Nested::Outer))
            .map_err(|e| match e {
                Nested::Outer(e) => e,
                Nested::Db(e) => db_err(e),
            });
    }
    // SQLite has one writer at a time; writers of this process queue here rather than in
    // SQLite's busy handler, which sleeps in steps of milliseconds between attempts.
    let _turn = matches!(conn, AnyConnection::Sqlite(_)).then(|| {
        SQLITE_WRITER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    });
    match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE").map_err(db_err)?
        }
        AnyConnection::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction(c).map_err(db_err)?
        }
    }
    let outcome = f(conn);
    let finish = match (&outcome, &mut *conn) {
        (Ok(_), AnyConnection::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
        (Ok(_), AnyConnection::Postgresql(c)) => AnsiTransactionManager::commit_transaction(c),
        (Err(_), AnyConnection::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(c),
        (Err(_), AnyConnection::Postgresql(c)) => AnsiTransactionManager::rollback_transaction(c),
    };
    match (outcome, finish) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => Err(db_err(e)),
        (Err(e), _) => Err(e),
    }
}

/// Whether `conn` is inside a transaction (so a write on it is a savepoint of that one).
pub fn in_transaction(conn: &mut AnyConnection) -> Result<bool, DbError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let depth = match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
        }
        AnyConnection::Postgresql(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
        }
    };
    Ok(depth?.is_some())
}

/// The error of a transaction nested in another: the caller's, or the database's.
enum Nested<E> {
    Outer(E),
    Db(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for Nested<E> {
    fn from(err: diesel::result::Error) -> Self {
        Nested::Db(err)
    }
}

/// A fresh random identifier for a new row (UUID v7: time-ordered, so indexes stay compact).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

diesel::define_sql_function! {
    /// SQL `lower()`, for case-insensitive search on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A SQL `LIKE` pattern matching any text that contains `text`, in lower case (to compare with
/// `lower(column)`), its `%`, `_` and `\` taken literally (the query says `ESCAPE '\'`).
pub fn containing(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
