use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::export::ExportSpec;
use crate::export::queue::{self, ExportOrder};
use crate::http::access::{OnDataset, View, deferred};
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(examples(json!({
    "format": "csv",
    "columns": ["id", "site", "depth_m"],
    "sort": [{"column": "depth_m", "descending": true}],
    "limit": 1000,
    "options": {"delimiter": ";"},
    "exported_at": "2026-01-02T03:04:05Z"
})))]
pub struct NewExportRequest {
    /// Format id, e.g. `csv` (see `GET /api/v1/plugins`).
    #[schema(min_length = 1, example = "csv")]
    pub format: String,
    /// Dataset version (default: the latest).
    #[schema(minimum = 1)]
    pub version: Option<i32>,
    #[serde(flatten)]
    pub spec: ExportSpec,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "job_id": "0193a8f0-5c1e-7d2a-9b4f-1e2d3c4b5a69",
    "status_url": "/api/v1/exports/0193a8f0-5c1e-7d2a-9b4f-1e2d3c4b5a69",
    "events_url": "/api/v1/exports/0193a8f0-5c1e-7d2a-9b4f-1e2d3c4b5a69/events"
})))]
pub struct JobCreatedView {
    pub job_id: String,
    /// Where to follow it.
    pub status_url: String,
    pub events_url: String,
}

/// Queues an export; answers at once with the job's id.
///
/// Needs `view` on the dataset (`404` without any access; the decision is audited). The
/// request is checked before anything is queued: an unknown format is `404` `unknown_format`,
/// a version the dataset lacks `404`, and columns, a filter, a sort, options or an
/// `exported_at` the dataset or format does not take `422`. A worker on any replica runs the
/// job; follow it at `status_url` (or `events_url`). Not idempotent: each call queues a job.
#[utoipa::path(post, path = "/api/v1/datasets/{id}/exports", tag = "exports", params(("id" = String, Path)),
    request_body = NewExportRequest, responses(
    (status = 202, body = JobCreatedView),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 410, description = "`version_withdrawn`: the version was withdrawn", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_export(
    on: OnDataset<View>,
    state: web::Data<AppState>,
    body: deferred::Json<NewExportRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.read().await?.into_inner();
    let order = ExportOrder {
        format: request.format,
        version: request.version,
        spec: request.spec,
    };
    let OnDataset {
        dataset, caller, ..
    } = on;
    let (formats, storage) = (state.plugins.clone(), state.storage.clone());
    let job = state
        .db
        .run(move |conn| {
            queue::queue(
                conn,
                &formats,
                &storage,
                &caller,
                &dataset,
                order,
                now_millis(),
            )
        })
        .await?;
    Ok(HttpResponse::Accepted().json(JobCreatedView {
        status_url: format!("/api/v1/exports/{}", job.id),
        events_url: format!("/api/v1/exports/{}/events", job.id),
        job_id: job.id,
    }))
}
