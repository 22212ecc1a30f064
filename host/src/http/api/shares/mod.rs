//! Sharing a dataset with people, over the API: each operation reads its request, leaves the
//! share itself to the domain ([`crate::sharing`], where sharing with an email address is
//! explained) and answers with the share as its owners see it.

pub mod create;
pub mod list;
pub mod revoke;
pub mod shared_with_me;
pub mod update;

use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Level;
use crate::db::shares::Share;
use crate::db::{AnyConnection, DbError};
use crate::http::error::ApiError;
use crate::time::to_rfc3339;

/// Whom a share is with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareSubjectView {
    #[schema(value_type = crate::http::views::vocabulary::ShareSubjectKind)]
    pub kind: String,
    /// The user's, group's or team's id, or the email address.
    pub id: String,
    /// The user's name and email, the group's or team's name, or the email address.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f74-6c7d-7a81-b2c3-d4e5f6a7b8c9",
    "dataset_id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "subject": {"kind": "email", "id": "colleague@example.org", "name": "colleague@example.org"},
    "level": "view",
    "expires_at": "2026-04-01T10:10:00Z",
    "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "created_at": "2026-03-02T10:10:00Z",
    "updated_at": "2026-03-02T10:10:00Z",
    "pending": true
})))]
pub struct ShareView {
    pub id: String,
    pub dataset_id: String,
    pub subject: ShareSubjectView,
    #[schema(value_type = crate::access::Level)]
    pub level: String,
    /// When the share ends; `null` for never.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// The sharer's user id.
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Made to an email address and not yet seen by an account holding it. Says nothing about
    /// whether such an account exists.
    pub pending: bool,
}

fn parse_level(text: &str) -> Result<Level, ApiError> {
    Level::parse(text).ok_or_else(|| {
        ApiError::validation(format!("level must be view, edit or admin (got '{text}')"))
    })
}

fn subject_view(conn: &mut AnyConnection, share: &Share) -> Result<ShareSubjectView, DbError> {
    let name = crate::access::holders::Recipient::of(conn, share).label();
    Ok(ShareSubjectView {
        kind: share.subject_kind.clone(),
        id: share.subject_id.clone(),
        name,
    })
}

fn share_view(conn: &mut AnyConnection, share: Share) -> Result<ShareView, DbError> {
    Ok(ShareView {
        subject: subject_view(conn, &share)?,
        pending: share.is_pending(),
        id: share.id,
        dataset_id: share.dataset_id,
        level: share.level,
        expires_at: share.expires_at.map(to_rfc3339),
        created_by: share.created_by,
        created_at: to_rfc3339(share.created_at),
        updated_at: to_rfc3339(share.updated_at),
    })
}
