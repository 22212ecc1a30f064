use actix_web::web;

use super::{DatasetSummaryView, DatasetView, VersionView};
use crate::db::dataset_versions::DatasetVersion;
use crate::http::access::{OnDataset, View};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A dataset's metadata, schema and versions (with row counts, sizes and SHA-256).
///
/// Needs `view` on the dataset; a caller without any access is told it does not exist
/// (`404`). `access` says the caller's own level. The decision is audited (`access.dataset`).
/// Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}", tag = "datasets", params(("id" = String, Path)), responses(
    (status = 200, body = DatasetView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn get_dataset(
    on: OnDataset<View>,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<DatasetView>> {
    let OnDataset { dataset, held, .. } = on;
    let view = state
        .db
        .run(move |conn| {
            let versions = DatasetVersion::list(conn, &dataset.id)?;
            let latest = versions
                .iter()
                .find(|v| v.version == dataset.latest_version);
            let (columns, rows) = latest
                .map(|v| (crate::ingest::stored_columns(&v.schema_json), v.row_count))
                .unwrap_or_default();
            Ok::<_, ApiError>(DatasetView {
                summary: DatasetSummaryView::from(dataset),
                columns,
                rows,
                access: held.as_str().to_owned(),
                versions: versions.into_iter().map(VersionView::from).collect(),
            })
        })
        .await?;
    Ok(web::Json(view))
}
