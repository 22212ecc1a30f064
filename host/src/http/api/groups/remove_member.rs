use actix_web::{HttpResponse, web};

use crate::access::Caller;
use crate::db::ids::{GroupId, UserId};
use crate::groups;
use crate::http::error::ApiResult;
use crate::state::AppState;

/// Removes a member (the group's creator, a site admin, or the member themselves).
///
/// For the group's creator and site admins, and for any member leaving (`user_id` their own
/// id), admin-managed groups included. Someone else gets `403`. A user who is not a member
/// answers `404`, so a second removal does too. Audited (`group.member.remove`).
#[utoipa::path(delete, path = "/api/v1/groups/{id}/members/{user_id}", tag = "groups",
    params(("id" = String, Path), ("user_id" = String, Path, description = "The member's user id")), responses(
    (status = 204, description = "Removed"),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn remove_group_member(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (group_id, user_id) = path.into_inner();
    state
        .db
        .run(move |conn| {
            let (group_id, user_id) = (GroupId::new(&group_id), UserId::new(&user_id));
            groups::remove_member(conn, &caller, group_id, user_id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
