use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::access::audit;
use crate::db::ids::TeamId;
use crate::db::teams::{ROLE_MEMBER, ROLE_OWNER, Team, TeamMember};
use crate::db::users::User;
use crate::db::{DbError, write_transaction};
use crate::http::access::{OnTeam, Owner, deferred};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"user": "colleague@example.org", "role": "member"})))]
pub struct TeamMemberRequest {
    /// The user's id or email; an account that does not exist is refused (`422`).
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
    let body = body.read().await?;
    let role = body.role.clone().unwrap_or_else(|| ROLE_MEMBER.to_owned());
    if role != ROLE_OWNER && role != ROLE_MEMBER {
        return Err(ApiError::validation("role must be 'owner' or 'member'"));
    }
    let OnTeam { team, caller, .. } = on;
    let team_id = team.id;
    let reference = body.user.clone();
    state
        .db
        .run(move |conn| {
            let user = User::find_by_reference(conn, &reference).map_err(|e| match e {
                DbError::NotFound => {
                    ApiError::validation(format!("there is no user '{reference}'"))
                }
                other => other.into(),
            })?;
            if role == ROLE_MEMBER
                && Team::role_of(conn, TeamId::new(&team_id), user.user_id())?.as_deref()
                    == Some(ROLE_OWNER)
                && Team::count_owners(conn, &team_id)? <= 1
            {
                return Err(ApiError::conflict("a team needs at least one owner"));
            }
            let member = TeamMember {
                team_id,
                user_id: user.id,
                role,
                added_at: now_millis(),
            };
            write_transaction(conn, |conn| {
                Team::put_member(conn, &member)?;
                audit::caller_action(
                    conn,
                    &caller,
                    "team.member.put",
                    format!("team:{}", member.team_id),
                    json!({"user": member.user_id, "role": member.role}),
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
