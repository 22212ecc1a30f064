use actix_web::{HttpResponse, web};

use crate::http::access::OnLink;
use crate::http::error::ApiResult;
use crate::links::manage;
use crate::state::AppState;
use crate::time::now_millis;

/// Revokes a link: its address and every token derived from it stop working at once (for its
/// creator or the dataset's admins, whatever the creator's rights now).
///
/// For the link's creator and the dataset's admins (`404` for anyone else), suspended links
/// included. Its holders get `404`, as for a link that never was; its access log stays.
/// Audited (`link.revoke`). Revoking again answers `204` and keeps the first `revoked_at`.
#[utoipa::path(delete, path = "/api/v1/links/{id}", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 204, description = "Revoked"),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn revoke_link(on: OnLink, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let OnLink { link, caller } = on;
    state
        .db
        .run(move |conn| manage::revoke(conn, &caller, &link, now_millis()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
