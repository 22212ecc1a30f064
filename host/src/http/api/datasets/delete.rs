use actix_web::{HttpResponse, web};

use crate::datasets;
use crate::http::access::{OnDataset, View};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// Moves a dataset to the trash (its owner or a site admin).
///
/// Only its owner or a site admin: `admin` through a share or a team is not enough (`403`,
/// audited as `dataset.trash` denied), and a caller without any access is told it does not
/// exist (`404`). From then on the dataset is gone from every list, search and decision, and its
/// share links answer as if it were gone; its owner finds it in `GET /api/v1/trash`, and may
/// restore it (`POST /api/v1/datasets/{id}/restore`) or delete it for good
/// (`DELETE /api/v1/trash/{id}`) until the server does so, `trash_days` after. Audited
/// (`dataset.trash`). A second delete answers `404`.
#[utoipa::path(delete, path = "/api/v1/datasets/{id}", tag = "datasets", params(("id" = String, Path)), responses(
    (status = 204, description = "Moved to the trash"),
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
    let dataset_id = dataset.id.clone();
    state
        .db
        .run(move |conn| datasets::trash(conn, &caller, &dataset, now_millis()))
        .await
        .map_err(ApiError::from)?;
    tracing::info!(user = %user_id, dataset = %dataset_id, "dataset moved to the trash");
    Ok(HttpResponse::NoContent().finish())
}
