//! Rows of the event stream, its outbox, the daily rollups and the visitor keys. What an event
//! means and who reads it lives in [`crate::activity`]; this file only reads and writes rows.

use diesel::prelude::*;

use super::prepared::{Kept, on_backend};
use super::schema::{activity_daily, activity_visitors, event_outbox, events, visitor_keys};
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: String,
    pub at: i64,
    pub kind: String,
    pub actor: String,
    pub dataset_id: Option<String>,
    pub link_id: Option<String>,
    pub subject: Option<String>,
    pub visitor: Option<String>,
    pub payload: String,
}

/// One count to add to the daily rollups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    /// `link`, `dataset`, `team` or `site`.
    pub scope: &'static str,
    pub day: i64,
    pub kind: String,
    pub dataset_id: String,
    pub link_id: String,
    pub team_id: String,
    pub detail: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activity_daily)]
pub struct RollupRow {
    pub scope: String,
    pub day: i64,
    pub kind: String,
    pub dataset_id: String,
    pub link_id: String,
    pub team_id: String,
    pub detail: String,
    pub count: i64,
    pub total: i64,
}

impl EventRow {
    /// Appends the event and queues it for its readers. Both inserts name every column, so
    /// their SQL is the same whatever the values and stays prepared (a link download writes
    /// one).
    pub fn append(conn: &mut AnyConnection, row: &EventRow) -> DbResult<()> {
        enum InsertEvent {}
        enum QueueEvent {}
        let event = Kept::<InsertEvent, _>::new(diesel::insert_into(events::table).values((
            events::id.eq(&row.id),
            events::at.eq(row.at),
            events::kind.eq(&row.kind),
            events::actor.eq(&row.actor),
            events::dataset_id.eq(&row.dataset_id),
            events::link_id.eq(&row.link_id),
            events::subject.eq(&row.subject),
            events::visitor.eq(&row.visitor),
            events::payload.eq(&row.payload),
        )));
        on_backend!(conn, c => event.execute(c))?;
        let queued = Kept::<QueueEvent, _>::new(diesel::insert_into(event_outbox::table).values((
            event_outbox::event_id.eq(&row.id),
            event_outbox::at.eq(row.at),
        )));
        on_backend!(conn, c => queued.execute(c))?;
        Ok(())
    }

    /// The oldest events not yet handed to their readers, at most `limit`. On PostgreSQL the
    /// outbox rows are locked and rows another replica holds are skipped, so replicas share
    /// the work without handing an event out twice.
    pub fn take_queued(conn: &mut AnyConnection, limit: i64) -> DbResult<Vec<EventRow>> {
        let ids: Vec<String> = match conn {
            AnyConnection::Postgresql(c) => event_outbox::table
                .order((event_outbox::at, event_outbox::event_id))
                .limit(limit)
                .select(event_outbox::event_id)
                .for_update()
                .skip_locked()
                .load(c)?,
            AnyConnection::Sqlite(c) => event_outbox::table
                .order((event_outbox::at, event_outbox::event_id))
                .limit(limit)
                .select(event_outbox::event_id)
                .load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(events::table
            .filter(events::id.eq_any(&ids))
            .order((events::at, events::id))
            .select(EventRow::as_select())
            .load(conn)?)
    }

    /// Marks events as handed to their readers.
    pub fn dequeue(conn: &mut AnyConnection, ids: &[String]) -> DbResult<()> {
        diesel::delete(event_outbox::table.filter(event_outbox::event_id.eq_any(ids)))
            .execute(conn)?;
        Ok(())
    }

    /// How many events wait for their readers.
    pub fn queued(conn: &mut AnyConnection) -> DbResult<i64> {
        Ok(event_outbox::table.count().get_result(conn)?)
    }

    /// Deletes raw events older than `before` that every reader has had; returns how many.
    pub fn delete_before(conn: &mut AnyConnection, before: i64) -> DbResult<usize> {
        let queued = event_outbox::table.select(event_outbox::event_id);
        Ok(diesel::delete(
            events::table
                .filter(events::at.lt(before))
                .filter(events::id.ne_all(queued)),
        )
        .execute(conn)?)
    }

    /// Events about a dataset or its links, newest first.
    pub fn for_dataset(
        conn: &mut AnyConnection,
        dataset_id: &str,
        link_ids: &[String],
        before: Option<(i64, String)>,
        limit: i64,
    ) -> DbResult<Vec<EventRow>> {
        let mut query = events::table
            .filter(
                events::dataset_id
                    .eq(dataset_id)
                    .or(events::link_id.eq_any(link_ids)),
            )
            .into_boxed();
        if let Some((at, id)) = before {
            query = query.filter(
                events::at
                    .lt(at)
                    .or(events::at.eq(at).and(events::id.lt(id))),
            );
        }
        Ok(query
            .order((events::at.desc(), events::id.desc()))
            .limit(limit)
            .select(EventRow::as_select())
            .load(conn)?)
    }

    /// Events by one actor between two instants, for the admin's filter by user.
    pub fn by_actor(
        conn: &mut AnyConnection,
        actor: &str,
        from: i64,
        to: i64,
    ) -> DbResult<Vec<(String, i64)>> {
        Ok(events::table
            .filter(events::actor.eq(actor))
            .filter(events::at.ge(from))
            .filter(events::at.lt(to))
            .select((events::kind, events::at))
            .load(conn)?)
    }
}

impl RollupKey {
    /// Adds `count` events and `total` to this key's row.
    pub fn add(&self, conn: &mut AnyConnection, count: i64, total: i64) -> DbResult<()> {
        let row = (
            activity_daily::scope.eq(self.scope),
            activity_daily::day.eq(self.day),
            activity_daily::kind.eq(&self.kind),
            activity_daily::dataset_id.eq(&self.dataset_id),
            activity_daily::link_id.eq(&self.link_id),
            activity_daily::team_id.eq(&self.team_id),
            activity_daily::detail.eq(&self.detail),
            activity_daily::count.eq(count),
            activity_daily::total.eq(total),
        );
        let update = (
            activity_daily::count.eq(activity_daily::count + count),
            activity_daily::total.eq(activity_daily::total + total),
        );
        let target = (
            activity_daily::scope,
            activity_daily::dataset_id,
            activity_daily::link_id,
            activity_daily::team_id,
            activity_daily::day,
            activity_daily::kind,
            activity_daily::detail,
        );
        on_backend!(conn, c => diesel::insert_into(activity_daily::table)
            .values(row)
            .on_conflict(target)
            .do_update()
            .set(update)
            .execute(c))?;
        Ok(())
    }
}

/// Which rollup rows a report reads: one scope, and within it one link, dataset or team.
#[derive(Debug, Clone)]
pub enum RollupScope {
    Link(String),
    Dataset(String),
    Team(String),
    Site,
}

impl RollupRow {
    /// The rollup rows of days `from..to` (day numbers) at `scope`.
    pub fn between(
        conn: &mut AnyConnection,
        from: i64,
        to: i64,
        scope: &RollupScope,
    ) -> DbResult<Vec<RollupRow>> {
        let query = activity_daily::table
            .filter(activity_daily::day.ge(from))
            .filter(activity_daily::day.lt(to))
            .into_boxed();
        let query = match scope {
            RollupScope::Link(id) => query
                .filter(activity_daily::scope.eq("link"))
                .filter(activity_daily::link_id.eq(id.clone())),
            RollupScope::Dataset(id) => query
                .filter(activity_daily::scope.eq("dataset"))
                .filter(activity_daily::dataset_id.eq(id.clone())),
            RollupScope::Team(id) => query
                .filter(activity_daily::scope.eq("team"))
                .filter(activity_daily::team_id.eq(id.clone())),
            RollupScope::Site => query.filter(activity_daily::scope.eq("site")),
        };
        Ok(query.select(RollupRow::as_select()).load(conn)?)
    }

    /// The ten datasets (`by_link` false) or links busiest in days `from..to` by the counts of
    /// `kinds`, summed in the database; narrowed to a dataset's links or a team's datasets.
    pub fn busiest(
        conn: &mut AnyConnection,
        from: i64,
        to: i64,
        kinds: &[&str],
        by_link: bool,
        within: &RollupScope,
    ) -> DbResult<Vec<(String, String, i64)>> {
        let scope = if by_link { "link" } else { "dataset" };
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        // Summed in the database, cast so both backends answer a BIGINT.
        let summed = || diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(SUM(count) AS BIGINT)");
        macro_rules! busiest {
            ($key:expr, $narrow:expr) => {
                activity_daily::table
                    .filter(activity_daily::scope.eq(scope))
                    .filter(activity_daily::day.ge(from))
                    .filter(activity_daily::day.lt(to))
                    .filter(activity_daily::kind.eq_any(kinds.clone()))
                    .filter($narrow)
                    .group_by(($key, activity_daily::kind))
                    .select(($key, activity_daily::kind, summed()))
                    .load::<(String, String, i64)>(conn)?
            };
        }
        let rows = match (by_link, within) {
            (true, RollupScope::Dataset(id)) => {
                busiest!(activity_daily::link_id, activity_daily::dataset_id.eq(id))
            }
            (true, RollupScope::Team(id)) => {
                busiest!(activity_daily::link_id, activity_daily::team_id.eq(id))
            }
            (true, _) => busiest!(activity_daily::link_id, activity_daily::scope.eq(scope)),
            (false, RollupScope::Team(id)) => {
                busiest!(activity_daily::dataset_id, activity_daily::team_id.eq(id))
            }
            (false, _) => busiest!(activity_daily::dataset_id, activity_daily::scope.eq(scope)),
        };
        Ok(rows)
    }
}

/// Every event ever counted, by kind (the site-wide rollups, which outlive the raw events).
pub fn totals_by_kind(conn: &mut AnyConnection) -> DbResult<Vec<(String, i64)>> {
    Ok(activity_daily::table
        .filter(activity_daily::scope.eq("site"))
        .group_by(activity_daily::kind)
        .select((
            activity_daily::kind,
            diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(SUM(count) AS BIGINT)"),
        ))
        .order(activity_daily::kind)
        .load(conn)?)
}

/// Counts a visitor once per day, dataset and link: true when this is the first time.
pub fn first_visit(
    conn: &mut AnyConnection,
    day: i64,
    dataset_id: &str,
    link_id: &str,
    visitor: &str,
) -> DbResult<bool> {
    let inserted = on_backend!(conn, c => diesel::insert_into(activity_visitors::table)
        .values((
            activity_visitors::day.eq(day),
            activity_visitors::dataset_id.eq(dataset_id),
            activity_visitors::link_id.eq(link_id),
            activity_visitors::visitor.eq(visitor),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Forgets the visitors of days before `day`.
pub fn forget_visitors_before(conn: &mut AnyConnection, day: i64) -> DbResult<usize> {
    Ok(
        diesel::delete(activity_visitors::table.filter(activity_visitors::day.lt(day)))
            .execute(conn)?,
    )
}

/// The key of `day`'s visitor hashes: the stored one, or `fresh` stored as it.
pub fn visitor_key(conn: &mut AnyConnection, day: i64, fresh: &str) -> DbResult<String> {
    on_backend!(conn, c => diesel::insert_into(visitor_keys::table)
        .values((visitor_keys::day.eq(day), visitor_keys::secret.eq(fresh)))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(visitor_keys::table
        .find(day)
        .select(visitor_keys::secret)
        .get_result(conn)?)
}

/// Drops the visitor keys of days before `day`.
pub fn drop_visitor_keys_before(conn: &mut AnyConnection, day: i64) -> DbResult<usize> {
    Ok(diesel::delete(visitor_keys::table.filter(visitor_keys::day.lt(day))).execute(conn)?)
}
