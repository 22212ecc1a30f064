use actix_web::{HttpResponse, web};

use crate::access::Caller;
use crate::datasets;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// Deletes a dataset in the trash for good (its owner or a site admin).
///
/// Its versions (and their files), shares, share links and export jobs go with it; this cannot
/// be undone. A dataset that is not in the caller's trash answers `404`. Audited
/// (`dataset.purge`).
#[utoipa::path(delete, path = "/api/v1/trash/{id}", tag = "datasets", params(("id" = String, Path)), responses(
    (status = 204, description = "Deleted for good"),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn purge_dataset(
    // The dataset is in the trash, where no dataset decision reaches it: the domain decides
    // (its owner or a site admin).
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let files = state
        .db
        .run(move |conn| datasets::purge(conn, &caller, &id, now_millis()))
        .await
        .map_err(ApiError::from)?;
    // The rows are gone; the files follow. Were this interrupted, the start-up sweep would
    // find the files unreferenced and remove them.
    let storage = state.storage.clone();
    web::block(move || storage.remove_files(&files)).await?;
    Ok(HttpResponse::NoContent().finish())
}
