use actix_web::{HttpResponse, web};

use crate::datasets;
use crate::http::access::{OnDataset, View};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// Deletes a dataset with all its versions (its owner or a site admin).
///
/// Only its owner or a site admin: `admin` through a share or a team is not enough (`403`,
/// audited as `dataset.delete` denied), and a caller without any access is told it does not
/// exist (`404`). Its versions (and their files), shares, share links and export jobs go with
/// it. Audited
/// (`dataset.delete`). A second delete answers `404`.
#[utoipa::path(delete, path = "/api/v1/datasets/{id}", tag = "datasets", params(("id" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn delete_dataset(
    // Someone who cannot see the dataset is told it does not exist, as everywhere.
    on: OnDataset<View>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let OnDataset {
        dataset, caller, ..
    } = on;
    let user_id = caller.user.id.clone();
    let files = state
        .db
        .run(move |conn| datasets::delete(conn, &caller, &dataset, now_millis()))
        .await
        .map_err(ApiError::from)?;
    // The rows are gone; the files follow. Were this interrupted, the start-up sweep would
    // find the files unreferenced and remove them.
    let storage = state.storage.clone();
    web::block(move || storage.remove_files(&files)).await?;
    tracing::info!(user = %user_id, "dataset deleted");
    Ok(HttpResponse::NoContent().finish())
}
