use actix_web::web;

use super::DatasetSummaryView;
use crate::access::Caller;
use crate::datasets;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// Takes a dataset out of the trash (its owner or a site admin).
///
/// The dataset comes back as it was: its versions, team, shares and share links. A dataset
/// that is not in the caller's trash (someone else's, one in use, an unknown id) answers `404`.
/// Audited (`dataset.restore`).
#[utoipa::path(post, path = "/api/v1/datasets/{id}/restore", tag = "datasets", params(("id" = String, Path)), responses(
    (status = 200, body = DatasetSummaryView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn restore_dataset(
    // The dataset is in the trash, where no dataset decision reaches it: the domain decides
    // (its owner or a site admin).
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<DatasetSummaryView>> {
    let id = id.into_inner();
    let restored = state
        .db
        .run(move |conn| datasets::restore_from_trash(conn, &caller, &id, now_millis()))
        .await
        .map_err(ApiError::from)?;
    Ok(web::Json(restored.into()))
}
