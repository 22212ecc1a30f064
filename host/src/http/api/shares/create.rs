use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ShareView, parse_level, share_event, share_view};
use crate::access::audit;
use crate::db::groups::UserGroup;
use crate::db::shares::{EMAIL, Share};
use crate::db::teams::Team;
use crate::db::users::{User, normalize_email};
use crate::db::{AnyConnection, new_id, write_transaction};
use crate::http::access::{Admin, OnDataset, deferred};
use crate::http::api::resolve_expiry;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

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
