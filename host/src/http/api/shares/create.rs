use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ShareView, parse_level, share_view};
use crate::http::access::{Admin, OnDataset, deferred};
use crate::http::error::{ApiError, ApiResult};
use crate::sharing;
use crate::state::AppState;
use crate::time::{now_millis, resolve_expiry};

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
    /// A user's id, an email address (it need not have an account yet: the share applies to
    /// the account that holds the address, once there is one), or the full name of someone who
    /// shares a team or a group with you (in any case).
    #[schema(min_length = 1)]
    pub user: Option<String>,
    /// A group's id or name (in any case).
    #[schema(min_length = 1)]
    pub group: Option<String>,
    /// A team's id or name (in any case).
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
            let named = sharing::Named {
                user: body.user.as_deref(),
                group: body.group.as_deref(),
                team: body.team.as_deref(),
            };
            let recipient = sharing::recipient(conn, &caller, &named)?;
            let share = sharing::grant(
                conn,
                &caller,
                dataset.dataset_id(),
                recipient,
                level,
                expires_at,
                now,
            )?;
            Ok::<_, ApiError>(share_view(conn, share)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}
