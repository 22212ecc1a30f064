use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::TrashedView;
use crate::access::Caller;
use crate::datasets;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "items": [{
        "id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
        "name": "Lake temperatures",
        "owner_id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "latest_version": 3,
        "deleted_at": "2026-03-02T10:00:00Z",
        "deleted_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "purge_at": "2026-04-01T10:00:00Z"
    }],
    "trash_days": 30
})))]
pub struct TrashView {
    /// Most recently deleted first.
    pub items: Vec<TrashedView>,
    /// Days a dataset stays in the trash (`trash_days`).
    pub trash_days: u64,
}

/// The datasets in the caller's trash.
///
/// Any signed-in caller: the datasets they own and deleted (or a site admin deleted); a site
/// admin sees every dataset in the trash. Changes nothing.
#[utoipa::path(get, path = "/api/v1/trash", tag = "datasets", responses(
    (status = 200, body = TrashView),
))]
pub async fn list_trash(
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<TrashView>> {
    let trash_days = state.config.trash_days;
    let items = state
        .db
        .run(move |conn| datasets::trash_of(conn, &caller))
        .await
        .map_err(ApiError::from)?;
    Ok(web::Json(TrashView {
        items: items
            .into_iter()
            .map(|d| TrashedView::new(d, trash_days))
            .collect(),
        trash_days,
    }))
}
