//! Who is told what of each event: the dispatcher ([`crate::dispatch`]) hands every batch of
//! events here, in the transaction that takes them from the outbox, so each notification and
//! each delivery to a channel is written once, with the batch, or not at all.
//!
//! Nobody is told of their own action; an owner who muted a dataset hears nothing of it but
//! shares; each person's choices ([`super::preferences`]) decide the app and the channels.

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;

use super::preferences::Choices;
use super::{Cadence, NotificationError, NotificationKind};
use crate::activity::EventKind;
use crate::db::events::EventRow;
use crate::db::notifications::{self as rows, DeliveryRow, NotificationRow};
use crate::db::schema::{
    datasets, events, export_jobs, group_members, share_links, team_members, users,
};
use crate::db::{AnyConnection, DbResult, new_id};

/// How many wrong passwords in a day make a link's owner be told.
pub const PASSWORD_FAILURES: i64 = 3;

/// One thing to tell one person.
struct Tell {
    user: String,
    kind: NotificationKind,
    title: String,
    body: String,
    url: String,
    dataset: Option<String>,
}

fn user_name(conn: &mut AnyConnection, id: &str) -> DbResult<String> {
    Ok(users::table
        .find(id)
        .select(users::name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| "Someone".to_owned()))
}

fn dataset_name(conn: &mut AnyConnection, id: &str) -> DbResult<String> {
    Ok(datasets::table
        .find(id)
        .select(datasets::name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| "a dataset".to_owned()))
}

/// The link's owner, name and dataset.
fn link_of(
    conn: &mut AnyConnection,
    id: &str,
) -> DbResult<Option<(String, String, Option<String>)>> {
    let found: Option<(String, String, Option<String>, Option<String>)> = share_links::table
        .find(id)
        .select((
            share_links::owner_id,
            share_links::name,
            share_links::dataset_id,
            share_links::export_job_id,
        ))
        .first(conn)
        .optional()?;
    let Some((owner, name, dataset, job)) = found else {
        return Ok(None);
    };
    let dataset = match (dataset, job) {
        (Some(dataset), _) => Some(dataset),
        (None, Some(job)) => export_jobs::table
            .find(job)
            .select(export_jobs::dataset_id)
            .first::<String>(conn)
            .optional()?,
        (None, None) => None,
    };
    Ok(Some((owner, name, dataset)))
}

/// The people a share's subject (`user:`, `email:`, `group:`, `team:`) stands for.
fn people_of(conn: &mut AnyConnection, subject: &str) -> DbResult<Vec<String>> {
    let Some((kind, id)) = subject.split_once(':') else {
        return Ok(Vec::new());
    };
    Ok(match kind {
        "user" => vec![id.to_owned()],
        "email" => users::table
            .filter(users::email.eq(id))
            .select(users::id)
            .load(conn)?,
        "group" => group_members::table
            .filter(group_members::group_id.eq(id))
            .select(group_members::user_id)
            .load(conn)?,
        "team" => team_members::table
            .filter(team_members::team_id.eq(id))
            .select(team_members::user_id)
            .load(conn)?,
        _ => Vec::new(),
    })
}

/// Wrong passwords given to `link` on the day of `at`, up to `at`.
fn password_failures(conn: &mut AnyConnection, link: &str, at: i64) -> DbResult<i64> {
    let day_start = at.div_euclid(86_400_000) * 86_400_000;
    let payloads: Vec<String> = events::table
        .filter(events::link_id.eq(link))
        .filter(events::kind.eq(EventKind::LinkRefused.as_str()))
        .filter(events::at.ge(day_start))
        .filter(events::at.le(at))
        .select(events::payload)
        .load(conn)?;
    Ok(payloads
        .iter()
        .filter(|p| p.contains("\"wrong_password\""))
        .count() as i64)
}

fn text(payload: &serde_json::Value, key: &str) -> String {
    payload
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// What one event tells whom.
fn tells(conn: &mut AnyConnection, event: &EventRow) -> DbResult<Vec<Tell>> {
    let Some(kind) = EventKind::parse(&event.kind) else {
        return Ok(Vec::new());
    };
    let payload: serde_json::Value =
        serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null);
    let actor = event.actor.strip_prefix("user:").map(str::to_owned);
    let mut out = Vec::new();
    match kind {
        EventKind::ShareGranted => {
            let (Some(dataset), Some(subject)) = (&event.dataset_id, &event.subject) else {
                return Ok(out);
            };
            let name = dataset_name(conn, dataset)?;
            let by = match &actor {
                Some(id) => user_name(conn, id)?,
                None => "Someone".to_owned(),
            };
            let level = text(&payload, "level");
            let whom = match subject.split_once(':').map(|s| s.0) {
                Some("group") => "your group",
                Some("team") => "your team",
                _ => "you",
            };
            for user in people_of(conn, subject)? {
                out.push(Tell {
                    user,
                    kind: NotificationKind::ShareReceived,
                    title: format!("{by} shared “{name}” with {whom}"),
                    body: format!("You can {level} it."),
                    url: format!("/datasets/{dataset}"),
                    dataset: None,
                });
            }
        }
        EventKind::DatasetVersionAdded => {
            let Some(dataset) = &event.dataset_id else {
                return Ok(out);
            };
            let name = dataset_name(conn, dataset)?;
            let version = payload.get("version").and_then(|v| v.as_i64()).unwrap_or(0);
            let message = text(&payload, "message");
            for user in rows::followers(conn, dataset)? {
                out.push(Tell {
                    user,
                    kind: NotificationKind::DatasetNewVersion,
                    title: format!("“{name}” has a new version ({version})"),
                    body: if message.is_empty() {
                        "No change note was given.".to_owned()
                    } else {
                        message.clone()
                    },
                    url: format!("/datasets/{dataset}#history"),
                    dataset: Some(dataset.clone()),
                });
            }
        }
        EventKind::ExportDone | EventKind::ExportFailed => {
            let (Some(user), Some(dataset)) = (&actor, &event.dataset_id) else {
                return Ok(out);
            };
            let name = dataset_name(conn, dataset)?;
            let format = text(&payload, "format");
            let (notification, title, body) = if kind == EventKind::ExportDone {
                (
                    NotificationKind::ExportFinished,
                    format!("Your {format} export of “{name}” is ready"),
                    "Download it from the dataset's Exports tab.".to_owned(),
                )
            } else {
                (
                    NotificationKind::ExportFailed,
                    format!("Your {format} export of “{name}” failed"),
                    text(&payload, "message"),
                )
            };
            out.push(Tell {
                user: user.clone(),
                kind: notification,
                title,
                body,
                url: format!("/datasets/{dataset}#exports"),
                dataset: Some(dataset.clone()),
            });
        }
        EventKind::LinkViewed
        | EventKind::LinkDownloaded
        | EventKind::LinkRefused
        | EventKind::LinkExpiring
        | EventKind::LinkUsedUp
        | EventKind::LinkSelfDestructed => {
            let Some(link) = &event.link_id else {
                return Ok(out);
            };
            let Some((owner, name, dataset)) = link_of(conn, link)? else {
                return Ok(out);
            };
            let (notification, title, body) = match kind {
                EventKind::LinkViewed => (
                    NotificationKind::LinkViewed,
                    format!("Your link “{name}” was opened"),
                    String::new(),
                ),
                EventKind::LinkDownloaded => (
                    NotificationKind::LinkDownloaded,
                    format!("Your link “{name}” was downloaded"),
                    format!(
                        "{} bytes; {} download(s) so far.",
                        payload.get("bytes").and_then(|v| v.as_i64()).unwrap_or(0),
                        payload
                            .get("completed")
                            .and_then(|v| v.as_i64())
                            .unwrap_or(0)
                    ),
                ),
                EventKind::LinkRefused => {
                    if !payload.to_string().contains("\"wrong_password\"")
                        || password_failures(conn, link, event.at)? != PASSWORD_FAILURES
                    {
                        return Ok(out);
                    }
                    (
                        NotificationKind::LinkPasswordFailures,
                        format!(
                            "Wrong passwords were given to your link “{name}” {PASSWORD_FAILURES} times today"
                        ),
                        "If you did not expect it, change its password or revoke it.".to_owned(),
                    )
                }
                EventKind::LinkExpiring => (
                    NotificationKind::LinkExpiring,
                    format!("Your link “{name}” expires within a day"),
                    "Extend it from the link list if it is still needed.".to_owned(),
                ),
                EventKind::LinkUsedUp => (
                    NotificationKind::LinkUsedUp,
                    format!("Your link “{name}” has no downloads left"),
                    String::new(),
                ),
                _ => (
                    NotificationKind::LinkSelfDestructed,
                    format!("Your link “{name}” destroyed itself"),
                    format!("Reason: {}.", text(&payload, "reason")),
                ),
            };
            out.push(Tell {
                user: owner,
                kind: notification,
                title,
                body,
                url: match &dataset {
                    Some(dataset) => format!("/datasets/{dataset}#sharing"),
                    None => "/links".to_owned(),
                },
                dataset,
            });
        }
        _ => {}
    }
    // Nobody is told of their own action, but for their exports, which end later.
    out.retain(|t| {
        matches!(
            t.kind,
            NotificationKind::ExportFinished | NotificationKind::ExportFailed
        ) || Some(&t.user) != actor.as_ref()
    });
    Ok(out)
}

/// Writes the notifications and deliveries of a batch of events; returns the people told in
/// the app, whose bells to wake once the batch commits.
pub fn on_events(
    conn: &mut AnyConnection,
    batch: &[EventRow],
) -> Result<Vec<String>, NotificationError> {
    let mut choices: HashMap<String, Choices> = HashMap::new();
    let mut woken = BTreeSet::new();
    for event in batch {
        for tell in tells(conn, event)? {
            if let Some(dataset) = &tell.dataset
                && tell.kind != NotificationKind::ShareReceived
                && rows::watch(conn, &tell.user, dataset)?.as_deref() == Some("mute")
            {
                continue;
            }
            if !choices.contains_key(&tell.user) {
                choices.insert(tell.user.clone(), Choices::load(conn, &tell.user)?);
            }
            let chosen = &choices[&tell.user];
            let in_app = chosen.in_app(tell.kind);
            let channels: Vec<(String, Cadence)> = chosen
                .channels
                .iter()
                .map(|c| (c.id.clone(), chosen.cadence(tell.kind, &c.id)))
                .filter(|(_, cadence)| *cadence != Cadence::Off)
                .collect();
            if !in_app && channels.is_empty() {
                continue;
            }
            let row = NotificationRow {
                id: new_id(),
                user_id: tell.user.clone(),
                event_id: event.id.clone(),
                kind: tell.kind.as_str().to_owned(),
                title: tell.title,
                body: tell.body,
                url: tell.url,
                in_app,
                created_at: event.at,
                read_at: None,
            };
            if !NotificationRow::insert_once(conn, &row)? {
                continue;
            }
            if in_app {
                woken.insert(tell.user.clone());
            }
            for (channel, cadence) in channels {
                queue_delivery(conn, &tell.user, &channel, cadence, &row.id, event.at)?;
            }
        }
    }
    Ok(woken.into_iter().collect())
}

/// Queues a notification for a channel: a delivery of its own, or a place in the digest of
/// that channel and cadence that is gathering.
fn queue_delivery(
    conn: &mut AnyConnection,
    user: &str,
    channel: &str,
    cadence: Cadence,
    notification: &str,
    now: i64,
) -> Result<(), NotificationError> {
    if cadence != Cadence::Immediate
        && let Some(digest) = DeliveryRow::gathering(conn, channel, cadence.as_str())?
    {
        let mut ids: Vec<String> =
            serde_json::from_str(&digest.notification_ids).unwrap_or_default();
        ids.push(notification.to_owned());
        let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned());
        DeliveryRow::set_notifications(conn, &digest.id, &ids)?;
        return Ok(());
    }
    DeliveryRow::insert(
        conn,
        &DeliveryRow {
            id: format!("msg_{}", new_id().replace('-', "")),
            channel_id: channel.to_owned(),
            user_id: user.to_owned(),
            cadence: cadence.as_str().to_owned(),
            notification_ids: serde_json::json!([notification]).to_string(),
            status: if cadence == Cadence::Immediate {
                "pending"
            } else {
                "waiting"
            }
            .to_owned(),
            due_at: cadence.digest_due(now),
            attempts: 0,
            last_error: None,
            created_at: now,
            delivered_at: None,
        },
    )?;
    Ok(())
}
