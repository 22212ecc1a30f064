use actix_web::web;

use crate::db::export_jobs::ExportJob;
use crate::http::access::{OnExport, View};
use crate::http::error::{ApiError, ApiResult};
use crate::http::views::exports::JobView;
use crate::state::AppState;
use crate::time::now_millis;

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
