use actix_web::{HttpResponse, web};

use crate::access::audit;
use crate::access::audit::AuditEvent;
use crate::db::share_links::ShareLink;
use crate::db::write_transaction;
use crate::http::access::OnLink;
use crate::http::error::{ApiError, ApiResult};
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
        .run(move |conn| {
            let now = now_millis();
            write_transaction(conn, |conn| {
                ShareLink::revoke(conn, &link.id, now)?;
                audit::record(
                    conn,
                    now,
                    AuditEvent::new(
                        audit::actor_user(&caller.user.id),
                        "link.revoke",
                        format!("link:{}", link.id),
                    )
                    .address(caller.address.clone()),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
