use actix_web::web;

use super::{ShareView, share_view};
use crate::db::shares::Share;
use crate::http::access::{Admin, OnDataset};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Who the dataset is shared with (for those who administer it).
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access). Every share,
/// oldest first, expired ones included (see `expires_at`), pending ones as their address. Not
/// paged.
/// The decision is audited (`access.dataset`). Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/shares", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 200, body = Vec<ShareView>),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn list_shares(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<ShareView>>> {
    let dataset = on.dataset;
    let views = state
        .db
        .run(move |conn| {
            let mut views = Vec::new();
            for share in Share::for_dataset(conn, &dataset.id)? {
                views.push(share_view(conn, share)?);
            }
            Ok::<_, ApiError>(views)
        })
        .await?;
    Ok(web::Json(views))
}
