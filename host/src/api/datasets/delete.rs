use actix_web::{HttpResponse, web};

use crate::access::{self, Level};
use crate::api::not_found_as;
use crate::auth::Caller;
use crate::db::datasets::Dataset;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Deletes a dataset with all its versions (its owner or a site admin).
#[utoipa::path(delete, path = "/api/v1/datasets/{id}", tag = "datasets", params(("id" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, body = crate::error::ErrorBody),
    (status = 404, body = crate::error::ErrorBody),
))]
pub async fn delete_dataset(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let user_id = caller.user.id.clone();
    let files = state
        .db
        .run(move |conn| {
            let dataset = Dataset::find(conn, &id).map_err(|e| not_found_as(e, "dataset"))?;
            access::require_dataset(conn, &caller, &dataset, Level::Admin)?;
            Ok::<_, ApiError>(Dataset::delete(conn, &dataset.id)?)
        })
        .await?;
    // The rows are gone; the files follow. Were this interrupted, the start-up sweep would
    // find the files unreferenced and remove them.
    let storage = state.storage.clone();
    web::block(move || storage.remove_files(&files)).await?;
    tracing::info!(user = %user_id, "dataset deleted");
    Ok(HttpResponse::NoContent().finish())
}
