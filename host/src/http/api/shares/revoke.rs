use actix_web::{HttpResponse, web};

use super::share_event;
use crate::access::audit;
use crate::db::shares::Share;
use crate::db::write_transaction;
use crate::http::access::{Admin, OnDataset};
use crate::http::error::not_found_as;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// Revokes a share; it stops working on the next request.
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access). The recipient
/// loses what the share gave on their next request, on every replica, and so do share links
/// they made that needed it (suspended). A second revocation answers `404`. Audited
/// (`share.revoke`).
#[utoipa::path(delete, path = "/api/v1/datasets/{id}/shares/{share_id}", tag = "sharing", params(("id" = String, Path), ("share_id" = String, Path)), responses(
    (status = 204, description = "Revoked"),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn revoke_share(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (_, share_id) = path.into_inner();
    let OnDataset {
        dataset, caller, ..
    } = on;
    state
        .db
        .run(move |conn| {
            let share =
                Share::find(conn, &dataset.id, &share_id).map_err(|e| not_found_as(e, "share"))?;
            let now = now_millis();
            write_transaction(conn, |conn| {
                Share::delete(conn, &share.id)?;
                audit::record(
                    conn,
                    now,
                    share_event(
                        &caller,
                        "share.revoke",
                        &dataset.id,
                        serde_json::json!({
                            "share": share.id,
                            "subject": format!("{}:{}", share.subject_kind, share.subject_id),
                        }),
                    ),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
