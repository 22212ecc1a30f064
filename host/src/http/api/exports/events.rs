use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use bytes::Bytes;

use crate::db::export_jobs::ExportJob;
use crate::http::access::{OnExport, View};
use crate::http::error::ApiResult;
use crate::http::views::exports::JobView;
use crate::state::AppState;

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
