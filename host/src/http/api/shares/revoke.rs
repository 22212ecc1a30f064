use actix_web::{HttpResponse, web};

use crate::db::ids::ShareId;
use crate::http::access::{Admin, OnDataset};
use crate::http::error::{ApiError, ApiResult};
use crate::sharing;
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
            let share_id = ShareId::new(&share_id);
            sharing::revoke(conn, &caller, dataset.dataset_id(), share_id, now_millis())
        })
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
