use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::access::{OnTeam, Owner, deferred};
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::teams;
use crate::time::now_millis;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"user": "colleague@example.org", "role": "member"})))]
pub struct TeamMemberRequest {
    /// The user's id, email, or name (the one person so called who shares a team or a group
    /// with the caller); an account that does not exist is refused (`422`).
    #[schema(min_length = 1)]
    pub user: String,
    /// The role to give, `member` unless said.
    #[schema(value_type = Option<crate::http::views::vocabulary::TeamRole>)]
    pub role: Option<String>,
}

/// Adds a member or changes a member's role (team owners and site admins).
///
/// For the team's owners and site admins: a member who is not an owner gets `403`, anyone else
/// `404`. Puts the user in the team with the role given (`member` unless said), or changes
/// their role; the same request twice leaves the same membership (idempotent). The last owner
/// cannot be made a member (`409`). A user who does not exist is refused (`422`). Audited
/// (`team.member.put`); the new rights hold on the next request, on every replica.
// The document's operationId predates this handler's name; clients generated from it keep it.
#[utoipa::path(post, path = "/api/v1/teams/{id}/members", tag = "teams", operation_id = "put_team_member",
    params(("id" = String, Path)),
    request_body = TeamMemberRequest, responses(
    (status = 204, description = "Member added or updated"),
    (status = 409, description = "`conflict`: the team would be left without an owner", body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn add_team_member(
    on: OnTeam<Owner>,
    state: web::Data<AppState>,
    body: deferred::Json<TeamMemberRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    let OnTeam { team, caller, .. } = on;
    state
        .db
        .run(move |conn| {
            let role = body.role.as_deref();
            teams::put_member(
                conn,
                &caller,
                team.team_id(),
                &body.user,
                role,
                now_millis(),
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
