use actix_web::{HttpResponse, web};

use crate::groups;
use crate::http::access::OnGroup;
use crate::http::error::ApiResult;
use crate::state::AppState;

/// Deletes a group (its creator or a site admin).
///
/// For its creator and site admins; an admin-managed group for site admins only (`403`
/// otherwise). Its memberships go with it, so what was shared with the group is held by nobody
/// from the next request on (such shares stay listed, as a deleted group, until revoked).
/// Audited (`group.delete`). A second delete answers `404`.
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn delete_group(on: OnGroup, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let OnGroup { group, caller } = on;
    state
        .db
        .run(move |conn| groups::delete(conn, &caller, group.group_id()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
