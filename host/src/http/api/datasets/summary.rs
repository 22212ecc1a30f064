use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::explore::summary::{self, ColumnSummary};
use crate::http::access::{OnDataset, View, deferred};
use crate::http::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SummaryQuery {
    /// Version to summarise (default: the latest); one that does not exist answers `404`.
    #[param(minimum = 1)]
    pub version: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "dataset_id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "version": 1,
    "rows": 3,
    "columns": [
        {"name": "site", "type": "string", "count": 3, "nulls": 0, "distinct": 3,
         "min": "Lake Tahoe", "max": "琵琶湖",
         "top_values": [{"value": "Lake Tahoe", "count": 1}, {"value": "Étang de Thau", "count": 1},
                        {"value": "琵琶湖", "count": 1}]},
        {"name": "depth_m", "type": "float", "count": 2, "nulls": 1, "distinct": 2,
         "min": -3.25, "max": 1.5, "mean": -0.875,
         "histogram": [{"from": -3.25, "to": -0.875, "count": 1}, {"from": -0.875, "to": 1.5, "count": 1}]}
    ]
})))]
pub struct SummaryView {
    pub dataset_id: String,
    pub version: i32,
    /// Rows in the version.
    pub rows: i64,
    /// One summary per column, in column order.
    pub columns: Vec<ColumnSummary>,
}

/// Each column's summary: type, values, empty cells, distinct values, range, mean, and a
/// histogram (numbers, dates) or the most frequent values (text, booleans).
///
/// Needs `view` on the dataset (`404` without any access). Computed over the whole version on
/// the first request and kept, so later requests answer at once. The decision is audited
/// (`access.dataset`). A withdrawn version's summary is not served (`410 version_withdrawn`).
/// Changes nothing the caller can see.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/summary", tag = "datasets", params(("id" = String, Path), SummaryQuery), responses(
    (status = 200, body = SummaryView),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 410, body = crate::http::error::ErrorBody),
))]
pub async fn get_dataset_summary(
    on: OnDataset<View>,
    state: web::Data<AppState>,
    query: deferred::Query<SummaryQuery>,
) -> ApiResult<web::Json<SummaryView>> {
    let wanted = query.read().await?.version;
    // A withdrawn version's data is not served, its summary neither (`410`).
    let version = super::served_version(&state, &on.dataset, wanted).await?;
    let columns = summary::for_version(&state.db, &state.storage, &version).await?;
    Ok(web::Json(SummaryView {
        dataset_id: version.dataset_id,
        version: version.version,
        rows: version.row_count,
        columns,
    }))
}
