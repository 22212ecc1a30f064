use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::parse_columns;
use crate::access::{self, Level};
use crate::api::not_found_as;
use crate::auth::Caller;
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::error::{ApiError, ApiResult};
use crate::ingest::{ColumnInfo, preview};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct RowsQuery {
    /// First row, counted from 0 (default 0).
    pub offset: Option<i64>,
    /// Rows to return (default 100, at most the configured `max_preview_rows`).
    pub limit: Option<i64>,
    /// Version to read (default: the latest).
    pub version: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowsView {
    pub dataset_id: String,
    pub version: i32,
    pub offset: i64,
    pub limit: i64,
    /// Rows in the whole version.
    pub total_rows: i64,
    pub columns: Vec<ColumnInfo>,
    /// One array of cell values per row, in column order.
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// A window of rows of a dataset version, for preview.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/rows", tag = "datasets", params(("id" = String, Path), RowsQuery), responses(
    (status = 200, body = RowsView),
    (status = 404, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody),
))]
pub async fn get_rows(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<RowsQuery>,
) -> ApiResult<web::Json<RowsView>> {
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(100);
    let max = state.config.max_preview_rows as i64;
    if offset < 0 {
        return Err(ApiError::validation("offset must not be negative"));
    }
    if !(1..=max).contains(&limit) {
        return Err(ApiError::validation(format!(
            "limit must be between 1 and {max}"
        )));
    }
    let id = id.into_inner();
    let wanted = query.version;
    let version = state
        .db
        .run(move |conn| {
            let dataset = Dataset::find(conn, &id).map_err(|e| not_found_as(e, "dataset"))?;
            access::require_dataset(conn, &caller, &dataset, Level::View)?;
            let number = wanted.unwrap_or(dataset.latest_version);
            DatasetVersion::find(conn, &dataset.id, number)
                .map_err(|e| not_found_as(e, &format!("version {number} of this dataset")))
        })
        .await?;
    let path = state.storage.absolute(&version.file_path);
    let rows = web::block(move || preview::read_rows(&path, offset, limit as u32)).await??;
    Ok(web::Json(RowsView {
        dataset_id: version.dataset_id,
        version: version.version,
        offset,
        limit,
        total_rows: version.row_count,
        columns: parse_columns(&version.schema_json),
        rows,
    }))
}
