//! Sharing a dataset with people: a user, a group or a team, at view, edit or admin, until an
//! optional expiry. Only those with admin on the dataset share, change or revoke; a change
//! takes effect on the next request, on every replica.
//!
//! Sharing with an email address never tells whether the address has an account: the share is
//! made to the address itself (see [`crate::db::shares`]), answered and listed the same way
//! either way, and marked pending until an account holding the address has seen it. It grants
//! to that account as soon as one exists, however it is created. Were unknown addresses
//! refused (what this replaced: 422 against 201), anyone who owns a dataset could probe which
//! addresses have accounts.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::audit::{self, AuditEvent};
use crate::access::Level;
use crate::auth::Caller;
use crate::http::access::{Admin, OnDataset, deferred};
use crate::http::api::{not_found_as, resolve_expiry};
use crate::db::datasets::Dataset;
use crate::db::groups::UserGroup;
use crate::db::shares::{EMAIL, Share};
use crate::db::teams::Team;
use crate::db::users::{User, normalize_email};
use crate::db::{AnyConnection, DbError, new_id, write_transaction};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

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

/// Share with exactly one of `user`, `group` or `team`; a body naming none or several is
/// refused (`422`).
// The document states it as `oneOf` one form per recipient (`http::openapi::EXACTLY_ONE_OF`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(
    json!({"user": "colleague@example.org", "level": "view", "expires_in": 2592000}),
    json!({"group": "Field team", "level": "edit"}),
    json!({"team": "Limnology", "level": "view", "expires_at": "2030-01-31T12:00:00Z"})
))]
pub struct NewShareRequest {
    /// A user's id, or an email address: it need not have an account yet (the share applies to
    /// the account that holds the address, once there is one).
    #[schema(min_length = 1)]
    pub user: Option<String>,
    /// A group's id or name.
    #[schema(min_length = 1)]
    pub group: Option<String>,
    /// A team's id or name.
    #[schema(min_length = 1)]
    pub team: Option<String>,
    #[schema(value_type = crate::access::Level)]
    pub level: String,
    /// Seconds from now until the share ends, at most a hundred years. Give this or
    /// `expires_at`, not both; neither for a share without end.
    #[schema(minimum = 1, maximum = 3153600000_u64)]
    pub expires_in: Option<i64>,
    /// When the share ends (RFC 3339, in the future).
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"level": "edit", "expires_in": 2592000})))]
pub struct ShareChangeRequest {
    /// A new level; absent to keep it.
    #[schema(value_type = Option<crate::access::Level>)]
    pub level: Option<String>,
    /// A new end, in seconds from now (at most a hundred years); not with `expires_at`.
    #[schema(minimum = 1, maximum = 3153600000_u64)]
    pub expires_in: Option<i64>,
    /// A new end (RFC 3339, in the future), or `null` for none.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<String>>,
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

fn resolve_subject(
    conn: &mut AnyConnection,
    body: &NewShareRequest,
) -> Result<(&'static str, String), ApiError> {
    match (&body.user, &body.group, &body.team) {
        // An address is shared with as such, whether or not it has an account: looking the
        // account up here would answer differently for the two.
        (Some(user), None, None) if user.contains('@') => {
            let address = normalize_email(user);
            if crate::accounts::looks_like_email(&address) {
                Ok((EMAIL, address))
            } else {
                Err(ApiError::validation(format!(
                    "'{user}' is not an email address"
                )))
            }
        }
        // Ids are random: whoever has one already knows the account exists.
        (Some(user), None, None) => User::find(conn, user)
            .map(|u| ("user", u.id))
            .map_err(|_| ApiError::validation(format!("there is no user with the id '{user}'"))),
        (None, Some(group), None) => UserGroup::find_by_reference(conn, group)
            .map(|g| ("group", g.id))
            .map_err(|_| ApiError::validation(format!("there is no group '{group}'"))),
        (None, None, Some(team)) => Team::find_by_reference(conn, team)
            .map(|t| ("team", t.id))
            .map_err(|_| ApiError::validation(format!("there is no team '{team}'"))),
        _ => Err(ApiError::validation(
            "say whom to share with: exactly one of user, group or team",
        )),
    }
}

/// A share change as the audit log records it: who did it, to which dataset, with what.
fn share_event(
    caller: &Caller,
    action: &'static str,
    dataset_id: &str,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent::new(
        audit::actor_user(&caller.user.id),
        action,
        format!("dataset:{dataset_id}"),
    )
    .detail(detail)
    .address(caller.address.clone())
}

/// Shares the dataset with a user, a group or a team.
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access), so nobody can
/// reshare beyond their own level. Exactly one of `user`, `group` or `team` (`422` otherwise; a
/// user, group or team that does not exist, too). An email address is shared with as such,
/// whether or not an account has it, and the answer is the same either way (`pending: true`),
/// so this cannot be used to probe addresses. One share per recipient and dataset: another
/// answers `409` (change it with `PATCH`). The grant holds from the next request on every
/// replica. Audited (`share.create`).
#[utoipa::path(post, path = "/api/v1/datasets/{id}/shares", tag = "sharing", params(("id" = String, Path)), request_body = NewShareRequest, responses(
    (status = 201, body = ShareView),
    (status = 409, description = "`conflict`: the dataset is shared with this recipient already", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_share(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    body: deferred::Json<NewShareRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    let OnDataset {
        dataset, caller, ..
    } = on;
    let view = state
        .db
        .run(move |conn| {
            let level = parse_level(&body.level)?;
            let now = now_millis();
            let expires_at = resolve_expiry(body.expires_in, body.expires_at.as_deref(), now)?;
            let (kind, subject_id) = resolve_subject(conn, &body)?;
            let share = Share {
                id: new_id(),
                dataset_id: dataset.id.clone(),
                subject_kind: kind.to_owned(),
                subject_id,
                level: level.as_str().to_owned(),
                expires_at,
                created_by: Some(caller.user.id.clone()),
                created_at: now,
                updated_at: now,
                accepted_at: None,
            };
            write_transaction(conn, |conn| {
                Share::create(conn, &share)?;
                audit::record(
                    conn,
                    now,
                    share_event(
                        &caller,
                        "share.create",
                        &dataset.id,
                        serde_json::json!({
                            "share": share.id,
                            "subject": format!("{}:{}", share.subject_kind, share.subject_id),
                            "level": share.level,
                            "expires_at": share.expires_at.map(to_rfc3339),
                        }),
                    ),
                )?;
                Ok::<_, ApiError>(())
            })?;
            Ok::<_, ApiError>(share_view(conn, share)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Who the dataset is shared with (for those who administer it).
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access). Every share,
/// oldest first, expired ones included (see `expires_at`), pending ones as their address. Not
/// paged.
/// The decision is audited (`access.dataset`). Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/shares", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 200, body = Vec<ShareView>),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn list_shares(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<ShareView>>> {
    let dataset = on.dataset;
    let views = state
        .db
        .run(move |conn| {
            let mut views = Vec::new();
            for share in Share::for_dataset(conn, &dataset.id)? {
                views.push(share_view(conn, share)?);
            }
            Ok::<_, ApiError>(views)
        })
        .await?;
    Ok(web::Json(views))
}

/// Changes a share's level or expiry.
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access, or for a share of
/// another dataset). Absent fields stay as they are; `expires_at: null` removes the end (and
/// cannot come with `expires_in`: `422`). The
/// same change twice leaves the same share (idempotent). The new level holds from the next
/// request. Audited (`share.update`).
#[utoipa::path(patch, path = "/api/v1/datasets/{id}/shares/{share_id}", tag = "sharing", params(("id" = String, Path), ("share_id" = String, Path)), request_body = ShareChangeRequest, responses(
    (status = 200, body = ShareView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn update_share(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: deferred::Json<ShareChangeRequest>,
) -> ApiResult<web::Json<ShareView>> {
    let body = body.read().await?.into_inner();
    let (_, share_id) = path.into_inner();
    let OnDataset {
        dataset, caller, ..
    } = on;
    let view = state
        .db
        .run(move |conn| {
            let mut share =
                Share::find(conn, &dataset.id, &share_id).map_err(|e| not_found_as(e, "share"))?;
            let now = now_millis();
            if let Some(level) = &body.level {
                share.level = parse_level(level)?.as_str().to_owned();
            }
            match (body.expires_in, &body.expires_at) {
                (None, None) => {}
                // "No expiry" and an expiry in seconds: one of them is a mistake, and guessing
                // which would change the share in a way its sharer did not mean.
                (Some(_), Some(None)) => {
                    return Err(ApiError::validation(
                        "give expires_in or expires_at, not both",
                    ));
                }
                (None, Some(None)) => share.expires_at = None,
                (seconds, Some(Some(at))) => {
                    share.expires_at = resolve_expiry(seconds, Some(at), now)?
                }
                (seconds, None) => share.expires_at = resolve_expiry(seconds, None, now)?,
            }
            share.updated_at = now;
            write_transaction(conn, |conn| {
                Share::update(conn, &share)?;
                audit::record(
                    conn,
                    now,
                    share_event(
                        &caller,
                        "share.update",
                        &dataset.id,
                        serde_json::json!({
                            "share": share.id,
                            "level": share.level,
                            "expires_at": share.expires_at.map(to_rfc3339),
                        }),
                    ),
                )?;
                Ok::<_, ApiError>(())
            })?;
            Ok::<_, ApiError>(share_view(conn, share)?)
        })
        .await?;
    Ok(web::Json(view))
}

/// Revokes a share; it stops working on the next request.
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access). The recipient
/// loses what the share gave on their next request, on every replica, and so do share links
/// they made that needed it (suspended). A second revocation answers `404`. Audited
/// (`share.revoke`).
#[utoipa::path(delete, path = "/api/v1/datasets/{id}/shares/{share_id}", tag = "sharing", params(("id" = String, Path), ("share_id" = String, Path)), responses(
    (status = 204, description = "Revoked"),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn revoke_share(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (_, share_id) = path.into_inner();
    let OnDataset {
        dataset, caller, ..
    } = on;
    state
        .db
        .run(move |conn| {
            let share =
                Share::find(conn, &dataset.id, &share_id).map_err(|e| not_found_as(e, "share"))?;
            let now = now_millis();
            write_transaction(conn, |conn| {
                Share::delete(conn, &share.id)?;
                audit::record(
                    conn,
                    now,
                    share_event(
                        &caller,
                        "share.revoke",
                        &dataset.id,
                        serde_json::json!({
                            "share": share.id,
                            "subject": format!("{}:{}", share.subject_kind, share.subject_id),
                        }),
                    ),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "share": {
    "id": "01932f74-6c7d-7a81-b2c3-d4e5f6a7b8c9",
    "dataset_id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "subject": {"kind": "email", "id": "colleague@example.org", "name": "colleague@example.org"},
    "level": "view",
    "expires_at": "2026-04-01T10:10:00Z",
    "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "created_at": "2026-03-02T10:10:00Z",
    "updated_at": "2026-03-02T10:10:00Z",
    "pending": true
},
    "dataset_name": "Lake temperatures",
    "shared_by": "Ada Lovelace"
})))]
pub struct SharedWithMeView {
    pub share: ShareView,
    pub dataset_name: String,
    /// The sharer's name, when their account is still there.
    pub shared_by: Option<String>,
}

/// Everything shared with the caller, directly, by email, or through their groups and teams.
///
/// Any signed-in caller, for themselves: live shares only (expired ones are left out). Listing
/// marks what was shared with the caller's email address as seen, so its sharer no longer sees
/// it pending: this is the one GET that writes. Not paged.
#[utoipa::path(get, path = "/api/v1/shared-with-me", tag = "sharing", responses(
    (status = 200, body = Vec<SharedWithMeView>),
))]
pub async fn list_shared_with_me(
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<SharedWithMeView>>> {
    let views = state
        .db
        .run(move |conn| {
            let now = now_millis();
            if Share::has_unseen_for_email(conn, &caller.user.email)? {
                write_transaction(conn, |conn| {
                    Share::accept_for_email(conn, &caller.user.email, now)
                })?;
            }
            let mut subjects = vec![
                ("user".to_owned(), caller.user.id.clone()),
                (EMAIL.to_owned(), normalize_email(&caller.user.email)),
            ];
            for group in UserGroup::ids_for_user(conn, &caller.user.id)? {
                subjects.push(("group".to_owned(), group));
            }
            for team in Team::ids_for_user(conn, &caller.user.id)? {
                subjects.push(("team".to_owned(), team));
            }
            let mut views = Vec::new();
            for share in Share::to_subjects(conn, &subjects, now)? {
                let Ok(dataset) = Dataset::find(conn, &share.dataset_id) else {
                    continue;
                };
                let shared_by = match &share.created_by {
                    Some(id) => User::find(conn, id).ok().map(|u| u.name),
                    None => None,
                };
                views.push(SharedWithMeView {
                    share: share_view(conn, share)?,
                    dataset_name: dataset.name,
                    shared_by,
                });
            }
            Ok::<_, ApiError>(views)
        })
        .await?;
    Ok(web::Json(views))
}
