use actix_web::{HttpResponse, web};

use crate::access::Caller;
use crate::db::ids::{TeamId, UserId};
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::teams;

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
            let (team_id, user_id) = (TeamId::new(&team_id), UserId::new(&user_id));
            teams::remove_member(conn, &caller, team_id, user_id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
