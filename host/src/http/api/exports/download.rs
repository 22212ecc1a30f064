use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::dataset_versions::DatasetVersion;
use crate::db::export_jobs::JobStatus;
use crate::http::access::{OnExport, View};
use crate::http::download;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::views::exports::JobView;
use crate::state::AppState;

/// The finished export's file. Supports `Range: bytes=start-end`, so downloads resume.
///
/// The answer names the file's version (`ETag`, `Last-Modified`); a resumed download sends
/// either as `If-Range` and gets the rest only if the file is unchanged, else all of it.
///
/// Who may see the job (as for `GET /api/v1/exports/{id}`). `409` while the job is not
/// `done`, `410` once its file has expired (queue it again), `416` for a range outside the
/// file. The media type and the file name (`Content-Disposition`) are the format's. Changes
/// nothing.
#[utoipa::path(get, path = "/api/v1/exports/{id}/download", tag = "exports", params(("id" = String, Path),
    ("Range" = Option<String>, Header, description = "One byte range, `bytes=start-end` or `bytes=start-` (RFC 9110, section 14.1.2)", example = "bytes=0-1048575"),
    ("If-Range" = Option<String>, Header, description = "The `ETag` or `Last-Modified` of the file a resumed download began: the range is served only if the file is still that one (RFC 9110, section 13.1.5)")), responses(
    (status = 200, description = "The file"),
    (status = 206, description = "The requested range"),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, description = "Not finished", body = crate::http::error::ErrorBody),
    (status = 410, description = "Expired, or its version withdrawn (`version_withdrawn`)", body = crate::http::error::ErrorBody),
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
    // The file holds its version's data: a withdrawn version's is no longer served.
    let (dataset_id, number) = (job.dataset_id.clone(), job.version);
    state
        .db
        .run(move |conn| {
            let version = DatasetVersion::find(conn, &dataset_id, number)?;
            crate::datasets::served(version).map_err(ApiError::from)
        })
        .await?;
    let (Some(relative), Some(media_type)) = (job.artifact_path.clone(), job.media_type.clone())
    else {
        return Err(ApiError::internal("a done job without its artifact"));
    };
    let (job_id, finished_at) = (job.id.clone(), job.finished_at);
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
    let validator = download::Validator::of_export(&job_id, size, finished_at);
    let span = match download::RangeRequest::of(&req).select(size, &validator) {
        Ok(span) => span,
        Err(refused) => return Ok(refused.response()),
    };
    let body = download::file_body(file, span)
        .await
        .map_err(ApiError::internal)?;
    Ok(download::file_response(span, &validator, &media_type, &file_name).streaming(body))
}
