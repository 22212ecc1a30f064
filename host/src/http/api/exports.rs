//! Queued exports: request one, follow its progress (JSON or server-sent events), cancel it,
//! download its artifact (with Range requests, so a browser can resume; [`crate::http::download`]).

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::dataset_versions::DatasetVersion;
use crate::http::access::{OnDataset, OnExport, View, deferred};
use crate::http::api::not_found_as;
use crate::db::export_jobs::{ExportJob, JobStatus};
use crate::db::new_id;
use crate::http::download;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::export::ExportSpec;
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

pub use crate::http::views::exports::{JobErrorView, JobView};

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

/// The caller's exports of a dataset (site admins: everyone's), newest first, with their
/// manifests: the export history.
///
/// Needs `view` on the dataset (`404` without any access). The 100 newest; not paged.
/// Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/exports", tag = "exports", params(("id" = String, Path)), responses(
    (status = 200, body = Vec<JobView>),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn list_exports(
    on: OnDataset<View>,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<JobView>>> {
    let OnDataset {
        dataset, caller, ..
    } = on;
    let jobs = state
        .db
        .run(move |conn| {
            let only = (!caller.is_admin()).then_some(caller.user.id.as_str());
            Ok::<_, ApiError>(ExportJob::list_for_dataset(conn, &dataset.id, only, 100)?)
        })
        .await?;
    Ok(web::Json(jobs.into_iter().map(JobView::from).collect()))
}

/// A queued export's state and progress.
///
/// Its creator, or a site admin, while they can still view the dataset; anyone else gets
/// `404`. A `done` job carries its manifest, `file_name` and `download_url`; a `failed` one
/// its `error` (`internal`, without detail, for a fault on the server's side). Changes nothing.
#[utoipa::path(get, path = "/api/v1/exports/{id}", tag = "exports", params(("id" = String, Path)), responses(
    (status = 200, body = JobView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn get_export(on: OnExport<View>) -> ApiResult<web::Json<JobView>> {
    Ok(web::Json(on.job.into()))
}

/// Cancels a queued or running export.
///
/// Who may see the job (as for `GET /api/v1/exports/{id}`). A running job stops at its next
/// batch. `409` if it had already ended. Answers the job as it now stands.
#[utoipa::path(post, path = "/api/v1/exports/{id}/cancel", tag = "exports", params(("id" = String, Path)), responses(
    (status = 200, body = JobView),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, description = "It had already ended", body = crate::http::error::ErrorBody),
))]
pub async fn cancel_export(
    on: OnExport<View>,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<JobView>> {
    let job = on.job;
    let job = state
        .db
        .run(move |conn| {
            if !ExportJob::cancel(conn, &job.id, now_millis())? {
                return Err(ApiError::conflict(format!(
                    "the export has already ended ({})",
                    job.status
                )));
            }
            Ok(ExportJob::find(conn, &job.id)?)
        })
        .await?;
    Ok(web::Json(job.into()))
}

/// Progress as server-sent events: a `progress` event about twice a second while the job
/// runs, then one `done`, `failed`, `cancelled` or `expired` event, then the stream ends.
///
/// Who may see the job (as for `GET /api/v1/exports/{id}`). Each event's data is the job as
/// that route answers it; a job that has already ended gives its final event at once.
/// Changes nothing.
#[utoipa::path(get, path = "/api/v1/exports/{id}/events", tag = "exports", params(("id" = String, Path)), responses(
    (status = 200, description = "text/event-stream of JobView", content_type = "text/event-stream"),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn export_events(
    on: OnExport<View>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let first = on.job;
    let id = first.id.clone();
    let db = state.db.clone();
    let stream = futures_util::stream::unfold(Some(first), move |current| {
        let db = db.clone();
        let id = id.clone();
        async move {
            let job = current?;
            let terminal = job.is_terminal();
            let event = if terminal {
                job.status.as_str().to_owned()
            } else {
                "progress".to_owned()
            };
            let data = serde_json::to_string(&JobView::from(job)).unwrap_or_default();
            let frame = Bytes::from(format!("event: {event}\ndata: {data}\n\n"));
            let next = if terminal {
                None
            } else {
                tokio::time::sleep(Duration::from_millis(500)).await;
                db.run(move |conn| ExportJob::find(conn, &id)).await.ok()
            };
            Some((Ok::<_, std::io::Error>(frame), next))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(stream))
}

/// The finished export's file. Supports `Range: bytes=start-end`, so downloads resume.
///
/// Who may see the job (as for `GET /api/v1/exports/{id}`). `409` while the job is not
/// `done`, `410` once its file has expired (queue it again), `416` for a range outside the
/// file. The media type and the file name (`Content-Disposition`) are the format's. Changes
/// nothing.
#[utoipa::path(get, path = "/api/v1/exports/{id}/download", tag = "exports", params(("id" = String, Path),
    ("Range" = Option<String>, Header, description = "One byte range, `bytes=start-end` or `bytes=start-` (RFC 9110, section 14.1.2)", example = "bytes=0-1048575")), responses(
    (status = 200, description = "The file"),
    (status = 206, description = "The requested range"),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, description = "Not finished", body = crate::http::error::ErrorBody),
    (status = 410, description = "Expired", body = crate::http::error::ErrorBody),
    (status = 416, description = "Range outside the file", body = crate::http::error::ErrorBody),
))]
pub async fn download_export(
    on: OnExport<View>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let job = on.job;
    match job.status {
        JobStatus::Done => {}
        JobStatus::Expired => {
            return Err(ApiError::new(
                ErrorCode::Gone,
                "this export has expired; run it again",
            ));
        }
        other => {
            return Err(ApiError::conflict(format!(
                "the export is {other}, not done"
            )));
        }
    }
    let (Some(relative), Some(media_type)) = (job.artifact_path.clone(), job.media_type.clone())
    else {
        return Err(ApiError::internal("a done job without its artifact"));
    };
    let file_name = JobView::from(job)
        .file_name
        .unwrap_or_else(|| "export".into());
    let path = state.storage.absolute(&relative);
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        // Expired or self-destructed between reading the job and opening its file.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::new(
                ErrorCode::Gone,
                "this export has expired; run it again",
            ));
        }
        Err(err) => return Err(ApiError::internal(err)),
    };
    let size = file.metadata().await.map_err(ApiError::internal)?.len();
    let span = match download::RangeRequest::of(&req).select(size) {
        Ok(span) => span,
        Err(refused) => return Ok(refused.response()),
    };
    let body = download::file_body(file, span)
        .await
        .map_err(ApiError::internal)?;
    Ok(download::file_response(span, &media_type, &file_name).streaming(body))
}
