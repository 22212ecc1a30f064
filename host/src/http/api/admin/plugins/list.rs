use actix_web::web;

use super::AdminPluginView;
use crate::access::AdminCaller;
use crate::db::plugins::PluginRecord;
use crate::http::error::ApiResult;
use crate::state::AppState;

/// Every plugin, enabled or not, with its state.
///
/// Site admins only (`admin` scope). Whether this process has each plugin loaded, why not when
/// it has not, and what each asks for beyond memory and time. Not paged. Changes nothing.
#[utoipa::path(get, path = "/api/v1/admin/plugins", tag = "admin", responses(
    (status = 200, body = Vec<AdminPluginView>),
    (status = 403, body = crate::http::error::ErrorBody),
))]
pub async fn list_admin_plugins(
    _admin: AdminCaller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<AdminPluginView>>> {
    let records = state.db.run(PluginRecord::list).await?;
    let views = records
        .into_iter()
        .map(|r| AdminPluginView::new(&state, r))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(views))
}
