use actix_web::{HttpResponse, web};

use crate::access::AdminCaller;
use crate::http::error::{ApiError, ApiResult};
use crate::plugins::admin;
use crate::state::AppState;
use crate::time::now_millis;

/// Removes an installed plugin. Plugins of the server's plugins folder can only be disabled.
///
/// Site admins only (`admin` scope). Its component is deleted when no other plugin uses it;
/// exports already made stay. A plugin of the plugins folder answers `409`; a second removal,
/// `404`. Audited (`admin.plugin.remove`).
#[utoipa::path(delete, path = "/api/v1/admin/plugins/{id}", tag = "admin",
    params(("id" = String, Path, description = "The plugin's id")), responses(
    (status = 204, description = "Removed"),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, description = "the plugin ships in the plugins folder", body = crate::http::error::ErrorBody),
))]
pub async fn remove_plugin(
    admin: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let registry = state.plugins.clone();
    state
        .db
        .run(move |conn| {
            admin::remove(conn, Some(&admin.0), &id)?;
            registry.sync(conn, now_millis())?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
