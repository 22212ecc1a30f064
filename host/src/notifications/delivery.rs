//! The outbox's worker: takes a delivery that is due, sends it through its channel's notifier
//! plugin, and records the attempt. A failure the plugin calls passing is tried again on the
//! schedule below; after the last try, or at once for a permanent failure, the delivery goes to
//! the dead letters, which an admin can see and send again. A delivery keeps its id on every
//! attempt, which receivers use to drop repeats; one recorded as delivered is never sent again.
//!
//! Workers claim a delivery by moving its due time on (a lease), so any number of them, on any
//! number of replicas, share the outbox; one that dies mid-send leaves the delivery to be
//! taken again when the lease ends.

use serde::Serialize;
use utoipa::ToSchema;

use super::preferences::unsubscribe_token;
use super::{NotificationError, NotificationKind};
use crate::db::notifications::{AttemptRow, ChannelRow, DeliveryRow, NotificationRow};
use crate::db::schema::users;
use crate::db::{AnyConnection, DbError, new_id};

/// The waits after each failed attempt: again after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and
/// 10 h; eight attempts in all, over about a day and a half.
pub const RETRY_AFTER_MS: [i64; 7] = [
    5_000,
    5 * 60_000,
    30 * 60_000,
    2 * 3_600_000,
    5 * 3_600_000,
    10 * 3_600_000,
    10 * 3_600_000,
];

/// How long a worker holds a delivery it is sending.
pub const LEASE_MS: i64 = 60_000;

/// One message for one channel, as a notifier plugin receives it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// The delivery's id: the same on every attempt.
    pub id: String,
    /// The notification kind, or `digest`.
    pub kind: String,
    pub occurred_at: i64,
    pub attempt_at: i64,
    pub title: String,
    pub body: String,
    /// Absolute address of the thing concerned.
    pub url: String,
    pub recipient_name: String,
    pub recipient_email: Option<String>,
    pub unsubscribe_url: Option<String>,
    /// The notifications carried, as JSON.
    pub payload: String,
}

/// Why a send failed, as the channel's plugin tells it.
#[derive(Debug, Clone)]
pub struct SendFailure {
    /// Whether trying again may help (a receiver down, a timeout, a 5xx).
    pub retryable: bool,
    pub message: String,
}

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Nothing,
    Delivered(String),
    Retry(String),
    Dead(String),
}

/// What sends a message through a channel: the notifier plugin the channel names, with its
/// settings. Returns the receiver's answer for the attempt log.
pub type Sender<'a> = dyn Fn(&ChannelRow, &Message) -> Result<String, SendFailure> + 'a;

/// The message of a delivery.
fn message(
    conn: &mut AnyConnection,
    delivery: &DeliveryRow,
    channel: &ChannelRow,
    public_url: &str,
    now: i64,
) -> Result<Message, NotificationError> {
    let ids: Vec<String> = serde_json::from_str(&delivery.notification_ids).unwrap_or_default();
    let notes = NotificationRow::find_many(conn, &ids)?;
    let (name, email): (String, String) = {
        use diesel::prelude::*;
        users::table
            .find(&delivery.user_id)
            .select((users::name, users::email))
            .first(conn)?
    };
    let base = public_url.trim_end_matches('/');
    let payload = serde_json::to_string(
        &notes
            .iter()
            .map(|n| {
                serde_json::json!({
                    "id": n.id, "kind": n.kind, "title": n.title, "body": n.body,
                    "url": format!("{base}{}", n.url), "created_at": n.created_at,
                })
            })
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".to_owned());
    let single = match notes.as_slice() {
        [only] => Some(only),
        _ => None,
    };
    Ok(match single {
        Some(note) => {
            let unsubscribe = match NotificationKind::parse(&note.kind) {
                Some(kind) => Some(format!(
                    "{base}/notifications/unsubscribe?token={}",
                    unsubscribe_token(conn, &delivery.user_id, kind, &channel.id, now)?
                )),
                None => None,
            };
            Message {
                id: delivery.id.clone(),
                kind: note.kind.clone(),
                occurred_at: note.created_at,
                attempt_at: now,
                title: note.title.clone(),
                body: note.body.clone(),
                url: format!("{base}{}", note.url),
                recipient_name: name,
                recipient_email: Some(email),
                unsubscribe_url: unsubscribe,
                payload,
            }
        }
        None => Message {
            id: delivery.id.clone(),
            kind: "digest".to_owned(),
            occurred_at: notes.first().map_or(now, |n| n.created_at),
            attempt_at: now,
            title: format!("{} notifications from Tessera", notes.len()),
            body: notes
                .iter()
                .map(|n| format!("- {}", n.title))
                .collect::<Vec<_>>()
                .join("\n"),
            url: format!("{base}/notifications"),
            recipient_name: name,
            recipient_email: Some(email),
            unsubscribe_url: Some(format!("{base}/account/notifications")),
            payload,
        },
    })
}

/// Sends the next delivery due, if any, with `send`; records the attempt and settles it.
pub fn send_next(
    conn: &mut AnyConnection,
    send: &Sender<'_>,
    public_url: &str,
    now: i64,
) -> Result<Sent, NotificationError> {
    let Some(delivery) = DeliveryRow::claim_due(conn, now, LEASE_MS)? else {
        return Ok(Sent::Nothing);
    };
    let channel = match ChannelRow::find(conn, &delivery.channel_id) {
        Ok(channel) => channel,
        // The channel went (its deliveries with it).
        Err(DbError::NotFound) => return Ok(Sent::Nothing),
        Err(err) => return Err(err.into()),
    };
    let message = message(conn, &delivery, &channel, public_url, now)?;
    let started = std::time::Instant::now();
    let outcome = send(&channel, &message);
    let duration_ms = started.elapsed().as_millis() as i64;
    let attempts = delivery.attempts + 1;
    let done_at = crate::time::now_millis();
    let (status, due_at, error, delivered_at, sent, attempt) = match outcome {
        Ok(answer) => (
            "delivered",
            delivery.due_at,
            None,
            Some(done_at),
            Sent::Delivered(answer.clone()),
            ("delivered", answer),
        ),
        Err(failure) => {
            let wait = RETRY_AFTER_MS.get(delivery.attempts as usize).copied();
            match (failure.retryable, wait) {
                (true, Some(wait)) => (
                    "pending",
                    done_at + wait,
                    Some(failure.message.clone()),
                    None,
                    Sent::Retry(failure.message.clone()),
                    ("retry", failure.message),
                ),
                _ => (
                    "dead",
                    done_at,
                    Some(failure.message.clone()),
                    None,
                    Sent::Dead(failure.message.clone()),
                    ("failed", failure.message),
                ),
            }
        }
    };
    crate::db::write_transaction::<_, DbError, _>(conn, |conn| {
        AttemptRow::insert(
            conn,
            &AttemptRow {
                id: new_id(),
                delivery_id: delivery.id.clone(),
                at: now,
                outcome: attempt.0.to_owned(),
                detail: attempt.1.chars().take(2000).collect(),
                duration_ms,
            },
        )?;
        DeliveryRow::settle(
            conn,
            &delivery.id,
            status,
            attempts,
            due_at,
            error.as_deref(),
            delivered_at,
        )
    })?;
    Ok(sent)
}

/// A delivery as the admin sees it in the dead letters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub status: String,
    pub user_id: String,
    pub channel_id: String,
    /// The channel's notifier plugin.
    pub plugin: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub attempt_log: Vec<AttemptView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    pub at: i64,
    /// `delivered`, `retry` or `failed`.
    pub outcome: String,
    pub detail: String,
    pub duration_ms: i64,
}

/// The deliveries in `status` (`dead`, `pending`, `delivered`), newest first, with their
/// attempts.
pub fn list(
    conn: &mut AnyConnection,
    status: &str,
    limit: i64,
) -> Result<Vec<DeliveryView>, NotificationError> {
    let mut out = Vec::new();
    for (delivery, channel) in DeliveryRow::with_status(conn, status, limit)? {
        let attempt_log = AttemptRow::of_delivery(conn, &delivery.id)?
            .into_iter()
            .map(|a| AttemptView {
                at: a.at,
                outcome: a.outcome,
                detail: a.detail,
                duration_ms: a.duration_ms,
            })
            .collect();
        out.push(DeliveryView {
            id: delivery.id,
            status: delivery.status,
            user_id: delivery.user_id,
            channel_id: channel.id,
            plugin: channel.plugin,
            attempts: delivery.attempts,
            last_error: delivery.last_error,
            created_at: delivery.created_at,
            attempt_log,
        });
    }
    Ok(out)
}

/// Sends a dead delivery again (an admin's retry): due now, with a fresh set of attempts.
pub fn retry(conn: &mut AnyConnection, id: &str, now: i64) -> Result<(), NotificationError> {
    let delivery = match DeliveryRow::find(conn, id) {
        Ok(found) => found,
        Err(DbError::NotFound) => return Err(NotificationError::NotFound),
        Err(err) => return Err(err.into()),
    };
    if delivery.status != "dead" {
        return Err(NotificationError::Invalid(format!(
            "only a dead delivery is sent again by hand; this one is {}",
            delivery.status
        )));
    }
    DeliveryRow::settle(
        conn,
        id,
        "pending",
        0,
        now,
        delivery.last_error.as_deref(),
        None,
    )?;
    Ok(())
}
