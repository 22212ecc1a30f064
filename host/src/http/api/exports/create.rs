use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::dataset_versions::DatasetVersion;
use crate::db::export_jobs::{ExportJob, JobStatus};
use crate::db::new_id;
use crate::export::ExportSpec;
use crate::http::access::{OnDataset, View, deferred};
use crate::http::error::{ApiError, ApiResult, ErrorCode, not_found_as};
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
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_export(
    on: OnDataset<View>,
    state: web::Data<AppState>,
    body: deferred::Json<NewExportRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.read().await?.into_inner();
    if state.plugins.get(&request.format).is_none() {
        return Err(ApiError::new(
            ErrorCode::UnknownFormat,
            format!("there is no export format '{}'", request.format),
        ));
    }
    let OnDataset {
        dataset, caller, ..
    } = on;
    let storage = state.storage.clone();
    let job = state
        .db
        .run(move |conn| {
            let number = request.version.unwrap_or(dataset.latest_version);
            let version = DatasetVersion::find(conn, &dataset.id, number)
                .map_err(|e| not_found_as(e, &format!("version {number} of this dataset")))?;
            // Check columns, filter, sort and time now, so a mistake is a 422 here, not a
            // failed job. A given time is kept as the job will use it (normalised), so the
            // manifest's configuration and its `exported_at` agree.
            check_spec(&storage, &version, &request.spec)?;
            let mut request = request;
            if request.spec.exported_at.is_some() {
                request.spec.exported_at = Some(request.spec.export_time(now_millis())?);
            }
            let job = ExportJob {
                id: new_id(),
                dataset_id: dataset.id,
                version: number,
                format: request.format,
                spec: serde_json::to_string(&request.spec).map_err(ApiError::internal)?,
                status: JobStatus::Queued,
                total_rows: None,
                rows_done: 0,
                bytes_done: 0,
                error_code: None,
                error_message: None,
                artifact_path: None,
                file_name: None,
                media_type: None,
                manifest: None,
                attempts: 0,
                created_by: Some(caller.user.id.clone()),
                created_at: now_millis(),
                started_at: None,
                heartbeat_at: None,
                finished_at: None,
                expires_at: None,
            };
            ExportJob::create(conn, &job)?;
            Ok::<_, ApiError>(job)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(JobCreatedView {
        status_url: format!("/api/v1/exports/{}", job.id),
        events_url: format!("/api/v1/exports/{}/events", job.id),
        job_id: job.id,
    }))
}

fn check_spec(
    storage: &crate::storage::Storage,
    version: &DatasetVersion,
    spec: &ExportSpec,
) -> Result<(), ApiError> {
    use polars::prelude::*;
    let path = storage.absolute(&version.file_path);
    let mut frame = LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(ApiError::internal)?;
    let schema = frame.collect_schema().map_err(ApiError::internal)?;
    let rows = u64::try_from(version.row_count).unwrap_or(0);
    spec.apply(frame, &schema, rows).map(|_| ())?;
    if spec.options.as_ref().is_some_and(|o| !o.is_object()) {
        return Err(ApiError::validation("options must be a JSON object"));
    }
    Ok(())
}
