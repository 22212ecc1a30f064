//! Statements kept prepared on their connection, and queries run on the live backend's own
//! connection: the tools of the few statements every share-link download runs.
//!
//! Why: on SQLite, preparing a small statement (parsing and planning its SQL) costs about as
//! much as running it. diesel keeps a statement prepared per connection when the query's type
//! alone decides its SQL, keyed by that type, but it never keeps an `UPDATE` (a changeset built
//! from a struct with optional fields leaves columns out depending on values) nor raw SQL. So
//! each download parsed its slot, count and audit-head updates again, on the one writer
//! connection that sets the pace ([`super::writer`]). [`Kept`] vouches, for one statement, that
//! its SQL does not depend on values, and diesel keeps it prepared.
//!
//! Second, a query run through [`super::AnyConnection`] has its SQL built again on every run
//! (to translate it for the live backend), even when the statement is kept prepared;
//! [`on_backend!`] runs a query on the backend's own connection, which skips that.
//!
//! Both are for hot statements only: everything else stays plain diesel through
//! `AnyConnection`, where a mistake cannot make one statement run another's SQL.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// `query`, kept prepared on each connection under the key `K`.
///
/// `K` is a type of its own for each statement (a local `enum` in the function that runs it),
/// and the statement's SQL must be the same whatever its bound values: fixed columns in
/// `set`/`values` (`column.eq(value)`, `Option`s bound as `NULL`), no `eq_any` lists, no boxed
/// queries, no changesets from structs. Two statements under one key would run each other's
/// SQL.
///
/// An `UPDATE` must be loaded (`… .returning(column)` and `get_result`), not executed: diesel
/// asks an executed statement whether it may be kept through a reference, which asks the
/// `UPDATE` itself, and that always says no. A loaded one is asked as it is. (An `INSERT` of
/// fixed columns may be executed; it never says no.) The returned row also tells whether the
/// `UPDATE` matched.
pub struct Kept<K, Q> {
    query: Q,
    key: PhantomData<fn() -> K>,
}

impl<K, Q> Kept<K, Q> {
    pub fn new(query: Q) -> Self {
        Self {
            query,
            key: PhantomData,
        }
    }
}

impl<K: 'static, Q> QueryId for Kept<K, Q> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<K, Q, DB> QueryFragment<DB> for Kept<K, Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        // What `K` stands for: this statement's SQL does not depend on its values.
        Ok(true)
    }
}

impl<K, Q: Query> Query for Kept<K, Q> {
    type SqlType = Q::SqlType;
}

impl<K, Q, Conn> RunQueryDsl<Conn> for Kept<K, Q> {}

/// Runs `$body` with `$c` bound to the live backend's own connection (`&mut SqliteConnection`
/// or `&mut PgConnection`); `$body` is compiled once for each backend.
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            $crate::db::AnyConnection::Postgresql($c) => $body,
        }
    };
}

pub(crate) use on_backend;

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::connection::{Connection, InstrumentationEvent, SimpleConnection};

    use crate::access::audit::{self, AuditEvent};
    use crate::db::link_access_log::LinkAccess;
    use crate::db::link_downloads::{self, LinkDownload};
    use crate::db::share_links::ShareLink;
    use crate::db::{AnyConnection, ConnectionManager, run_migrations};

    /// A migrated SQLite database in memory, and the SQL of each statement the connection has
    /// kept prepared since (in order).
    fn connection() -> (AnyConnection, Arc<Mutex<Vec<String>>>) {
        let mut conn = ConnectionManager::new(":memory:").open().unwrap();
        run_migrations(&mut conn).unwrap();
        // The rows below stand alone: no owners, datasets or exports.
        conn.batch_execute("PRAGMA foreign_keys = OFF").unwrap();
        let kept = Arc::new(Mutex::new(Vec::new()));
        let seen = kept.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                seen.lock().unwrap().push(sql.to_owned());
            }
        });
        (conn, kept)
    }

    fn link(id: &str) -> ShareLink {
        ShareLink {
            id: id.into(),
            owner_id: "owner".into(),
            dataset_id: None,
            export_job_id: Some("job".into()),
            slug_hash: format!("hash-{id}"),
            name: id.into(),
            level: "download".into(),
            version: None,
            allowed_formats: None,
            allowed_columns: None,
            expires_at: None,
            max_downloads: Some(10),
            downloads_taken: 0,
            downloads_completed: 0,
            password_hash: None,
            password_epoch: 0,
            self_destruct: false,
            created_at: 0,
            revoked_at: None,
            destroyed_at: None,
            last_access_at: None,
            needs_level: "view".into(),
            sealed_address: None,
        }
    }

    fn download(id: &str, link_id: &str) -> LinkDownload {
        LinkDownload {
            id: id.into(),
            link_id: link_id.into(),
            state: link_downloads::ACTIVE.into(),
            holds_slot: true,
            size_bytes: 10,
            covered_to: 0,
            bytes_sent: 0,
            token_blocks: "[]".into(),
            started_at: 0,
            updated_at: 0,
            finished_at: None,
        }
    }

    fn access(id: &str, link_id: &str, reason: Option<&str>) -> LinkAccess {
        LinkAccess {
            id: id.into(),
            link_id: link_id.into(),
            at: 0,
            event: "download_started".into(),
            reason: reason.map(str::to_owned),
            address: None,
            user_agent: None,
        }
    }

    /// The statements of a download's start and end are each prepared once per connection,
    /// then kept: run again (with other values, `NULL`s included), none is prepared anew.
    /// Guards the assumption [`super::Kept`] rests on, which a diesel upgrade could break.
    #[test]
    fn a_downloads_statements_are_prepared_once() {
        let (mut conn, kept) = connection();
        for id in ["a", "b"] {
            ShareLink::create(&mut conn, &link(id)).unwrap();
        }
        kept.lock().unwrap().clear();
        let mut run = |link_id: &str, n: usize, reason: Option<&str>| {
            assert!(ShareLink::take_slot(&mut conn, link_id, 1).unwrap());
            LinkDownload::create(&mut conn, &download(&format!("d{n}"), link_id)).unwrap();
            LinkAccess::record(&mut conn, &access(&format!("e{n}"), link_id, reason)).unwrap();
            assert!(
                LinkDownload::finish(
                    &mut conn,
                    &format!("d{n}"),
                    link_downloads::COMPLETED,
                    10,
                    10,
                    10,
                    2
                )
                .unwrap()
            );
            ShareLink::complete_download(&mut conn, link_id).unwrap();
            ShareLink::give_back_slot(&mut conn, link_id).unwrap();
            audit::record_in_callers_transaction(
                &mut conn,
                2,
                AuditEvent::new("system", "link.download", format!("link:{link_id}")),
            )
            .unwrap();
        };
        run("a", 1, None);
        let first = kept.lock().unwrap().len();
        // take, create, record, finish, complete, give back; the audit entry's three; and the
        // audit entry's own transaction (outside one here) adds none.
        assert_eq!(first, 9, "{:#?}", kept.lock().unwrap());
        run("b", 2, Some("a reason"));
        run("a", 3, None);
        assert_eq!(
            kept.lock().unwrap().len(),
            first,
            "{:#?}",
            kept.lock().unwrap()
        );
        // Finishing twice is refused by the kept statement too.
        assert!(
            !LinkDownload::finish(&mut conn, "d1", link_downloads::BROKEN, 10, 0, 0, 3).unwrap()
        );
    }
}
