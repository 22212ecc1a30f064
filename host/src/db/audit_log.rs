//! Rows of the append-only audit log and its head. The chain itself (hashing, appending in
//! order, verifying) lives in [`crate::access::audit`]; this file only reads and writes rows.

use diesel::prelude::*;

use super::prepared::{Kept, on_backend};
use super::schema::{audit_head, audit_log};
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub detail: String,
    pub address: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// What the admin API filters the log by; every field narrows.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Leave out granted access checks (`access.*` entries with outcome `granted`): every page
    /// and file opened writes one, and they drown the changes and refusals.
    pub hide_granted_access: bool,
}

impl AuditRow {
    /// Takes the next sequence number; returns it with the previous entry's hash. On PostgreSQL
    /// the update locks the head row until the transaction ends, so concurrent appenders queue
    /// up and the chain follows commit order.
    pub fn claim_next(conn: &mut AnyConnection) -> DbResult<(i64, String)> {
        enum ClaimNext {}
        let query = Kept::<ClaimNext, _>::new(
            diesel::update(audit_head::table.find(1))
                .set(audit_head::seq.eq(audit_head::seq + 1))
                .returning((audit_head::seq, audit_head::hash)),
        );
        Ok(on_backend!(conn, c => query.get_result(c))?)
    }

    /// Appends the row claimed with [`AuditRow::claim_next`] and makes its hash the head's.
    pub fn insert(conn: &mut AnyConnection, row: &AuditRow) -> DbResult<()> {
        enum InsertEntry {}
        enum SetHeadHash {}
        // Every column named, so the SQL is the same whatever the values (see [`Kept`]).
        let entry = Kept::<InsertEntry, _>::new(diesel::insert_into(audit_log::table).values((
            audit_log::seq.eq(row.seq),
            audit_log::at.eq(row.at),
            audit_log::actor.eq(&row.actor),
            audit_log::action.eq(&row.action),
            audit_log::target.eq(&row.target),
            audit_log::outcome.eq(&row.outcome),
            audit_log::detail.eq(&row.detail),
            audit_log::address.eq(&row.address),
            audit_log::prev_hash.eq(&row.prev_hash),
            audit_log::hash.eq(&row.hash),
        )));
        on_backend!(conn, c => entry.execute(c))?;
        let head = Kept::<SetHeadHash, _>::new(
            diesel::update(audit_head::table.find(1))
                .set(audit_head::hash.eq(&row.hash))
                .returning(audit_head::seq),
        );
        on_backend!(conn, c => head.get_result::<i64>(c))?;
        Ok(())
    }

    pub fn head(conn: &mut AnyConnection) -> DbResult<(i64, String)> {
        Ok(audit_head::table
            .find(1)
            .select((audit_head::seq, audit_head::hash))
            .get_result(conn)?)
    }

    /// Entries with `seq > after`, oldest first (for verifying the chain page by page).
    pub fn page_after(conn: &mut AnyConnection, after: i64, limit: i64) -> DbResult<Vec<AuditRow>> {
        Ok(audit_log::table
            .filter(audit_log::seq.gt(after))
            .order(audit_log::seq.asc())
            .limit(limit)
            .select(AuditRow::as_select())
            .load(conn)?)
    }

    /// Matching entries, newest first, with the total count.
    pub fn list(
        conn: &mut AnyConnection,
        filter: &AuditFilter,
        offset: i64,
        limit: i64,
    ) -> DbResult<(Vec<AuditRow>, i64)> {
        let query = || {
            let mut query = audit_log::table.into_boxed();
            if let Some(actor) = &filter.actor {
                query = query.filter(audit_log::actor.eq(actor.clone()));
            }
            if let Some(action) = &filter.action {
                // `share` matches `share.create`, `share.revoke`, ...
                query =
                    query.filter(audit_log::action.eq(action.clone()).or(
                        audit_log::action.like(format!("{}.%", action.replace(['%', '_'], ""))),
                    ));
            }
            if let Some(target) = &filter.target {
                query = query.filter(audit_log::target.eq(target.clone()));
            }
            if let Some(outcome) = &filter.outcome {
                query = query.filter(audit_log::outcome.eq(outcome.clone()));
            }
            if let Some(since) = filter.since {
                query = query.filter(audit_log::at.ge(since));
            }
            if let Some(until) = filter.until {
                query = query.filter(audit_log::at.lt(until));
            }
            if filter.hide_granted_access {
                query = query.filter(diesel::dsl::not(
                    audit_log::action
                        .like("access.%")
                        .and(audit_log::outcome.eq("granted")),
                ));
            }
            query
        };
        let total = query().count().get_result(conn)?;
        let rows = query()
            .order(audit_log::seq.desc())
            .offset(offset)
            .limit(limit)
            .select(AuditRow::as_select())
            .load(conn)?;
        Ok((rows, total))
    }
}
