use actix_web::web;

use super::{AdminPluginView, synced_view};
use crate::access::AdminCaller;
use crate::http::error::ApiResult;
use crate::plugins::admin;
use crate::state::AppState;
use crate::time::now_millis;

/// Disables a plugin: new exports cannot use it; exports already running finish.
///
/// Site admins only (`admin` scope). From then on, an export or a link's download asking for
/// its format answers `404 unknown_format`. Idempotent. Audited (`admin.plugin.disable`).
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/disable", tag = "admin",
    params(("id" = String, Path, description = "The plugin's id, e.g. `csv`")), responses(
    (status = 200, body = AdminPluginView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn disable_plugin(
    admin: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<AdminPluginView>> {
    let id = id.into_inner();
    let target = id.clone();
    state
        .db
        .run(move |conn| admin::disable(conn, Some(&admin.0), &target, now_millis()))
        .await?;
    Ok(web::Json(synced_view(&state, id).await?))
}
