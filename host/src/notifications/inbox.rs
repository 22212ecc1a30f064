//! A person's notifications in the app: newest first, read and unread.

use serde::Serialize;
use utoipa::ToSchema;

use super::NotificationError;
use crate::db::AnyConnection;
use crate::db::notifications::NotificationRow;

/// One notification as its person sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    /// What it is about (`share_received`, `link_downloaded`...).
    #[schema(example = "share_received")]
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The page of the thing concerned, on this server (a path).
    #[schema(example = "/datasets/01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f")]
    pub url: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub read: bool,
}

impl From<NotificationRow> for Notification {
    fn from(row: NotificationRow) -> Self {
        Notification {
            id: row.id,
            kind: row.kind,
            title: row.title,
            body: row.body,
            url: row.url,
            created_at: row.created_at,
            read: row.read_at.is_some(),
        }
    }
}

/// A page of a person's notifications, with how many there are and how many are unread.
pub struct Page {
    pub items: Vec<Notification>,
    pub total: i64,
    pub unread: i64,
}

pub fn page(
    conn: &mut AnyConnection,
    user_id: &str,
    unread_only: bool,
    offset: i64,
    limit: i64,
) -> Result<Page, NotificationError> {
    let (rows, total) = NotificationRow::page(conn, user_id, unread_only, offset, limit)?;
    Ok(Page {
        items: rows.into_iter().map(Notification::from).collect(),
        total,
        unread: NotificationRow::unread(conn, user_id)?,
    })
}

pub fn unread(conn: &mut AnyConnection, user_id: &str) -> Result<i64, NotificationError> {
    Ok(NotificationRow::unread(conn, user_id)?)
}

/// Marks the given notifications (or all of them) read; returns the unread count after.
pub fn mark_read(
    conn: &mut AnyConnection,
    user_id: &str,
    ids: Option<&[String]>,
    now: i64,
) -> Result<i64, NotificationError> {
    NotificationRow::mark_read(conn, user_id, ids, now)?;
    let unread = NotificationRow::unread(conn, user_id)?;
    super::live::publish(&[user_id.to_owned()]);
    Ok(unread)
}
