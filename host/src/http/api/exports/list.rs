use actix_web::web;

use crate::db::export_jobs::ExportJob;
use crate::http::access::{OnDataset, View};
use crate::http::error::{ApiError, ApiResult};
use crate::http::views::exports::JobView;
use crate::state::AppState;

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
