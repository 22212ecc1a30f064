use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::explore::ExploreError;
use crate::explore::view::Facet;
use crate::http::access::{OnDataset, View, deferred};
use crate::http::error::{ApiError, ApiResult};
use crate::http::table_view;
use crate::ingest::ColumnInfo;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct RowsQuery {
    /// First row, counted from 0 (default 0); past the last row, no rows.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return: default 100, at most the operator's `max_preview_rows` (the maximum
    /// stated here is this server's); outside, `422`.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Version to read (default: the latest); one that does not exist answers `404`.
    #[param(minimum = 1)]
    pub version: Option<i32>,
    /// Rows to keep, in the export's JSON filter language (docs/export.md), e.g.
    /// `{"column":"depth_m","op":">","value":1}`; `offset` and `limit` then count the kept rows.
    pub filter: Option<String>,
    /// Sort keys, comma-separated; a leading `-` sorts descending: `depth_m,-site`.
    pub sort: Option<String>,
    /// Text to find in any text column, whatever its case (at most 200 characters).
    pub q: Option<String>,
    /// Columns to count values of among the kept rows, comma-separated (at most 10): the
    /// answer's `facets` list their 20 most frequent values.
    pub facets: Option<String>,
}

/// Most columns one request may facet.
const MAX_FACETS: usize = 10;
/// Values listed per facet.
const FACET_VALUES: u32 = 20;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "dataset_id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "version": 1,
    "offset": 0,
    "limit": 100,
    "total_rows": 3,
    "matching_rows": 3,
    "columns": [
        {"name": "id", "type": "integer"},
        {"name": "site", "type": "string"},
        {"name": "measured_on", "type": "date"},
        {"name": "depth_m", "type": "float"}
    ],
    "rows": [
        [1, "Étang de Thau", "2024-01-01", 1.5],
        [2, "琵琶湖", "2024-01-02", null],
        [3, "Lake Tahoe", "2024-01-03", -3.25]
    ]
})))]
pub struct RowsView {
    pub dataset_id: String,
    pub version: i32,
    pub offset: i64,
    pub limit: i64,
    /// Rows in the whole version.
    pub total_rows: i64,
    /// Rows the filter and search keep (`total_rows` without either).
    pub matching_rows: i64,
    pub columns: Vec<ColumnInfo>,
    /// One array of cell values per row, in column order: numbers and booleans as JSON,
    /// dates and times as ISO 8601 text, empty cells as `null`.
    pub rows: Vec<Vec<serde_json::Value>>,
    /// The most frequent values of each column asked for in `facets`, among the kept rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Vec<Facet>>,
}

/// A window of rows of a dataset version, for preview, optionally filtered, searched, sorted
/// and faceted.
///
/// Needs `view` on the dataset (`404` without any access). Paged with `offset` and `limit`
/// (at most `max_preview_rows` at a time); `total_rows` counts the version's rows,
/// `matching_rows` those the `filter` and `q` keep. A filter, sort or facet naming an unknown
/// column, or a filter that does not parse, answers `422` with a sentence saying which. The
/// decision is audited (`access.dataset`). A withdrawn version's rows are not served (`410
/// version_withdrawn`). Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/rows", tag = "datasets", params(("id" = String, Path), RowsQuery), responses(
    (status = 200, body = RowsView),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 410, description = "`version_withdrawn`: the version was withdrawn", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn get_rows(
    on: OnDataset<View>,
    state: web::Data<AppState>,
    query: deferred::Query<RowsQuery>,
) -> ApiResult<web::Json<RowsView>> {
    let query = query.read().await?;
    let (offset, limit) = crate::http::paging::row_window(
        query.offset,
        query.limit,
        state.config.max_preview_rows as i64,
    )?;
    let version = super::served_version(&state, &on.dataset, query.version).await?;
    let view = table_view::from_query(
        query.filter.as_deref(),
        query.sort.as_deref(),
        query.q.as_deref(),
    )?;
    let faceted: Option<Vec<String>> = query.facets.as_deref().map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    });
    if faceted.as_ref().is_some_and(|f| f.len() > MAX_FACETS) {
        return Err(ApiError::validation(format!(
            "facets: at most {MAX_FACETS} columns at a time"
        )));
    }
    let path = state.storage.absolute(&version.file_path);
    let total = version.row_count;
    let (window, facets) = web::block(move || {
        let window = view.window(&path, total, offset, limit as u32)?;
        let facets = match faceted {
            Some(columns) => Some(view.facets(&path, &columns, FACET_VALUES)?),
            None => None,
        };
        Ok::<_, ExploreError>((window, facets))
    })
    .await??;
    Ok(web::Json(RowsView {
        dataset_id: version.dataset_id,
        version: version.version,
        offset,
        limit,
        total_rows: total,
        matching_rows: window.matching,
        columns: crate::ingest::stored_columns(&version.schema_json),
        rows: window.rows,
        facets,
    }))
}
