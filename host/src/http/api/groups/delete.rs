use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::access::audit;
use crate::db::groups::UserGroup;
use crate::db::write_transaction;
use crate::http::access::OnGroup;
use crate::http::error::{ApiError, ApiResult};
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
    let id = group.id;
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                UserGroup::delete(conn, &id)?;
                audit::caller_action(
                    conn,
                    &caller,
                    "group.delete",
                    format!("group:{id}"),
                    json!({}),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
