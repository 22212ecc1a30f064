use actix_web::web;

use crate::http::access::{OnExport, View};
use crate::http::error::ApiResult;
use crate::http::views::exports::JobView;

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
