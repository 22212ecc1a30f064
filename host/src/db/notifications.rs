//! Rows of the notification tables: each person's notifications, their preferences and
//! channels, the datasets they follow or mute, the delivery outbox with its attempts, and the
//! unsubscribe tokens. What they mean lives in [`crate::notifications`].

use diesel::prelude::*;

use super::schema::{
    dataset_watches, delivery_attempts, notification_channels, notification_deliveries,
    notification_preferences, notifications, unsubscribe_tokens,
};
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: String,
    pub user_id: String,
    pub event_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub url: String,
    pub in_app: bool,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notification_channels)]
pub struct ChannelRow {
    pub id: String,
    pub user_id: String,
    pub plugin: String,
    pub label: String,
    pub settings: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notification_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub channel_id: String,
    pub user_id: String,
    pub cadence: String,
    /// JSON array of notification ids.
    pub notification_ids: String,
    /// `waiting` (a digest still gathering), `pending`, `delivered` or `dead`.
    pub status: String,
    pub due_at: i64,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = delivery_attempts)]
pub struct AttemptRow {
    pub id: String,
    pub delivery_id: String,
    pub at: i64,
    /// `delivered`, `retry` or `failed`.
    pub outcome: String,
    pub detail: String,
    pub duration_ms: i64,
}

impl NotificationRow {
    /// Inserts the notification unless this person already has it for this event and kind
    /// (a batch handed over again after a failure); true when inserted.
    pub fn insert_once(conn: &mut AnyConnection, row: &NotificationRow) -> DbResult<bool> {
        let inserted = match conn {
            AnyConnection::Sqlite(c) => diesel::insert_into(notifications::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c)?,
            AnyConnection::Postgresql(c) => diesel::insert_into(notifications::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c)?,
        };
        Ok(inserted == 1)
    }

    /// A person's notifications shown in the app, newest first.
    pub fn page(
        conn: &mut AnyConnection,
        user_id: &str,
        unread_only: bool,
        offset: i64,
        limit: i64,
    ) -> DbResult<(Vec<NotificationRow>, i64)> {
        let base = || {
            let mut query = notifications::table
                .filter(notifications::user_id.eq(user_id.to_owned()))
                .filter(notifications::in_app.eq(true))
                .into_boxed();
            if unread_only {
                query = query.filter(notifications::read_at.is_null());
            }
            query
        };
        let total = base().count().get_result(conn)?;
        let rows = base()
            .order((notifications::created_at.desc(), notifications::id.desc()))
            .offset(offset)
            .limit(limit)
            .select(NotificationRow::as_select())
            .load(conn)?;
        Ok((rows, total))
    }

    pub fn unread(conn: &mut AnyConnection, user_id: &str) -> DbResult<i64> {
        Ok(notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::in_app.eq(true))
            .filter(notifications::read_at.is_null())
            .count()
            .get_result(conn)?)
    }

    /// Marks some (or, with `None`, all) of a person's notifications read.
    pub fn mark_read(
        conn: &mut AnyConnection,
        user_id: &str,
        ids: Option<&[String]>,
        now: i64,
    ) -> DbResult<usize> {
        let mut query = diesel::update(notifications::table)
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null())
            .into_boxed();
        if let Some(ids) = ids {
            query = query.filter(notifications::id.eq_any(ids.to_vec()));
        }
        Ok(query.set(notifications::read_at.eq(now)).execute(conn)?)
    }

    pub fn find_many(conn: &mut AnyConnection, ids: &[String]) -> DbResult<Vec<NotificationRow>> {
        Ok(notifications::table
            .filter(notifications::id.eq_any(ids))
            .order(notifications::created_at)
            .select(NotificationRow::as_select())
            .load(conn)?)
    }
}

/// A person's stored choices: (kind, channel, cadence).
pub fn preferences(
    conn: &mut AnyConnection,
    user_id: &str,
) -> DbResult<Vec<(String, String, String)>> {
    Ok(notification_preferences::table
        .filter(notification_preferences::user_id.eq(user_id))
        .select((
            notification_preferences::kind,
            notification_preferences::channel,
            notification_preferences::cadence,
        ))
        .load(conn)?)
}

pub fn set_preference(
    conn: &mut AnyConnection,
    user_id: &str,
    kind: &str,
    channel: &str,
    cadence: &str,
) -> DbResult<()> {
    diesel::delete(notification_preferences::table.find((user_id, kind, channel))).execute(conn)?;
    diesel::insert_into(notification_preferences::table)
        .values((
            notification_preferences::user_id.eq(user_id),
            notification_preferences::kind.eq(kind),
            notification_preferences::channel.eq(channel),
            notification_preferences::cadence.eq(cadence),
        ))
        .execute(conn)?;
    Ok(())
}

impl ChannelRow {
    pub fn insert(conn: &mut AnyConnection, row: &ChannelRow) -> DbResult<()> {
        diesel::insert_into(notification_channels::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }

    pub fn of_user(conn: &mut AnyConnection, user_id: &str) -> DbResult<Vec<ChannelRow>> {
        Ok(notification_channels::table
            .filter(notification_channels::user_id.eq(user_id))
            .order(notification_channels::created_at)
            .select(ChannelRow::as_select())
            .load(conn)?)
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<ChannelRow> {
        Ok(notification_channels::table
            .find(id)
            .select(ChannelRow::as_select())
            .get_result(conn)?)
    }

    /// Deletes a person's channel; false when they have none of that id.
    pub fn delete(conn: &mut AnyConnection, user_id: &str, id: &str) -> DbResult<bool> {
        let deleted = diesel::delete(
            notification_channels::table
                .filter(notification_channels::id.eq(id))
                .filter(notification_channels::user_id.eq(user_id)),
        )
        .execute(conn)?;
        diesel::delete(
            notification_preferences::table
                .filter(notification_preferences::user_id.eq(user_id))
                .filter(notification_preferences::channel.eq(id)),
        )
        .execute(conn)?;
        Ok(deleted == 1)
    }
}

impl DeliveryRow {
    pub fn insert(conn: &mut AnyConnection, row: &DeliveryRow) -> DbResult<()> {
        diesel::insert_into(notification_deliveries::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }

    /// The digest of this channel and cadence still gathering, if any.
    pub fn gathering(
        conn: &mut AnyConnection,
        channel_id: &str,
        cadence: &str,
    ) -> DbResult<Option<DeliveryRow>> {
        Ok(notification_deliveries::table
            .filter(notification_deliveries::channel_id.eq(channel_id))
            .filter(notification_deliveries::cadence.eq(cadence))
            .filter(notification_deliveries::status.eq("waiting"))
            .select(DeliveryRow::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn set_notifications(conn: &mut AnyConnection, id: &str, ids: &str) -> DbResult<()> {
        diesel::update(notification_deliveries::table.find(id))
            .set(notification_deliveries::notification_ids.eq(ids))
            .execute(conn)?;
        Ok(())
    }

    /// Claims the next delivery due: moves its due time on by `lease_ms` so that no other
    /// worker takes it meanwhile; a worker that dies leaves it to be taken again then.
    pub fn claim_due(
        conn: &mut AnyConnection,
        now: i64,
        lease_ms: i64,
    ) -> DbResult<Option<DeliveryRow>> {
        let candidates: Vec<DeliveryRow> = notification_deliveries::table
            .filter(
                notification_deliveries::status
                    .eq("pending")
                    .or(notification_deliveries::status.eq("waiting")),
            )
            .filter(notification_deliveries::due_at.le(now))
            .order(notification_deliveries::due_at)
            .limit(8)
            .select(DeliveryRow::as_select())
            .load(conn)?;
        for row in candidates {
            let claimed = diesel::update(
                notification_deliveries::table
                    .find(&row.id)
                    .filter(notification_deliveries::due_at.eq(row.due_at))
                    .filter(notification_deliveries::status.eq(&row.status)),
            )
            .set((
                notification_deliveries::status.eq("pending"),
                notification_deliveries::due_at.eq(now + lease_ms),
            ))
            .execute(conn)?;
            if claimed == 1 {
                return Ok(Some(DeliveryRow {
                    status: "pending".to_owned(),
                    due_at: now + lease_ms,
                    ..row
                }));
            }
        }
        Ok(None)
    }

    /// Records an attempt's end: `status` and when to try again.
    pub fn settle(
        conn: &mut AnyConnection,
        id: &str,
        status: &str,
        attempts: i32,
        due_at: i64,
        error: Option<&str>,
        delivered_at: Option<i64>,
    ) -> DbResult<()> {
        diesel::update(notification_deliveries::table.find(id))
            .set((
                notification_deliveries::status.eq(status),
                notification_deliveries::attempts.eq(attempts),
                notification_deliveries::due_at.eq(due_at),
                notification_deliveries::last_error.eq(error),
                notification_deliveries::delivered_at.eq(delivered_at),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<DeliveryRow> {
        Ok(notification_deliveries::table
            .find(id)
            .select(DeliveryRow::as_select())
            .get_result(conn)?)
    }

    /// Deliveries in a status (the dead letters for the admin), newest first.
    pub fn with_status(
        conn: &mut AnyConnection,
        status: &str,
        limit: i64,
    ) -> DbResult<Vec<(DeliveryRow, ChannelRow)>> {
        Ok(notification_deliveries::table
            .inner_join(notification_channels::table)
            .filter(notification_deliveries::status.eq(status))
            .order(notification_deliveries::created_at.desc())
            .limit(limit)
            .select((DeliveryRow::as_select(), ChannelRow::as_select()))
            .load(conn)?)
    }
}

impl AttemptRow {
    pub fn insert(conn: &mut AnyConnection, row: &AttemptRow) -> DbResult<()> {
        diesel::insert_into(delivery_attempts::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    }

    pub fn of_delivery(conn: &mut AnyConnection, id: &str) -> DbResult<Vec<AttemptRow>> {
        Ok(delivery_attempts::table
            .filter(delivery_attempts::delivery_id.eq(id))
            .order(delivery_attempts::at)
            .select(AttemptRow::as_select())
            .load(conn)?)
    }
}

pub fn insert_unsubscribe(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    kind: &str,
    channel: &str,
    now: i64,
) -> DbResult<()> {
    diesel::insert_into(unsubscribe_tokens::table)
        .values((
            unsubscribe_tokens::token_hash.eq(token_hash),
            unsubscribe_tokens::user_id.eq(user_id),
            unsubscribe_tokens::kind.eq(kind),
            unsubscribe_tokens::channel.eq(channel),
            unsubscribe_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The (user, kind, channel) an unsubscribe token stands for.
pub fn unsubscribe_target(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> DbResult<Option<(String, String, String)>> {
    Ok(unsubscribe_tokens::table
        .find(token_hash)
        .select((
            unsubscribe_tokens::user_id,
            unsubscribe_tokens::kind,
            unsubscribe_tokens::channel,
        ))
        .first(conn)
        .optional()?)
}

/// `follow` or `mute` for a person and a dataset, if either.
pub fn watch(
    conn: &mut AnyConnection,
    user_id: &str,
    dataset_id: &str,
) -> DbResult<Option<String>> {
    Ok(dataset_watches::table
        .find((user_id, dataset_id))
        .select(dataset_watches::mode)
        .first(conn)
        .optional()?)
}

pub fn set_watch(
    conn: &mut AnyConnection,
    user_id: &str,
    dataset_id: &str,
    mode: Option<&str>,
) -> DbResult<()> {
    diesel::delete(dataset_watches::table.find((user_id, dataset_id))).execute(conn)?;
    if let Some(mode) = mode {
        diesel::insert_into(dataset_watches::table)
            .values((
                dataset_watches::user_id.eq(user_id),
                dataset_watches::dataset_id.eq(dataset_id),
                dataset_watches::mode.eq(mode),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Who follows a dataset.
pub fn followers(conn: &mut AnyConnection, dataset_id: &str) -> DbResult<Vec<String>> {
    Ok(dataset_watches::table
        .filter(dataset_watches::dataset_id.eq(dataset_id))
        .filter(dataset_watches::mode.eq("follow"))
        .select(dataset_watches::user_id)
        .load(conn)?)
}

/// How many deliveries are in each status.
pub fn deliveries_by_status(conn: &mut AnyConnection) -> DbResult<Vec<(String, i64)>> {
    Ok(notification_deliveries::table
        .group_by(notification_deliveries::status)
        .select((notification_deliveries::status, diesel::dsl::count_star()))
        .order(notification_deliveries::status)
        .load(conn)?)
}
