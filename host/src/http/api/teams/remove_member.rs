use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::access::Caller;
use crate::access::audit;
use crate::db::ids::{TeamId, UserId};
use crate::db::teams::{ROLE_OWNER, Team};
use crate::db::write_transaction;
use crate::http::access::require_team_owner;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Removes a member (team owners, site admins, or members removing themselves).
///
/// For the team's owners and site admins, and for any member leaving (`user_id` their own id).
/// A member who is not an owner removing someone else gets `403`; a stranger, `404`. The last
/// owner cannot leave or be removed (`409`). A user who is not a member answers `404`, so a
/// second removal does too. Audited (`team.member.remove`); the rights they held through the
/// team end on the next request.
#[utoipa::path(delete, path = "/api/v1/teams/{id}/members/{user_id}", tag = "teams",
    params(("id" = String, Path), ("user_id" = String, Path, description = "The member's user id")), responses(
    (status = 204, description = "Removed"),
    (status = 409, description = "`conflict`: the team would be left without an owner", body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn remove_team_member(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (team_id, user_id) = path.into_inner();
    state
        .db
        .run(move |conn| {
            let (team, user) = (TeamId::new(&team_id), UserId::new(&user_id));
            // Leaving a team is one's own business; removing someone else is an owner's.
            if user_id != caller.user.id {
                require_team_owner(conn, &team_id, &caller)?;
            }
            if Team::role_of(conn, team, user)?.as_deref() == Some(ROLE_OWNER)
                && Team::count_owners(conn, &team_id)? <= 1
            {
                return Err(ApiError::conflict("a team needs at least one owner"));
            }
            write_transaction(conn, |conn| {
                if !Team::remove_member(conn, team, user)? {
                    return Err(ApiError::not_found("team member"));
                }
                audit::caller_action(
                    conn,
                    &caller,
                    "team.member.remove",
                    format!("team:{team_id}"),
                    json!({"user": user_id}),
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
