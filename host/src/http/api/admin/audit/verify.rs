use actix_web::web;

use crate::access::AdminCaller;
use crate::access::audit::{self, ChainReport};
use crate::http::error::ApiResult;
use crate::state::AppState;

/// Walks the whole hash chain and reports any entry changed or removed.
///
/// Site admins only (`admin` scope). Reads every entry, so on a long log it takes a moment;
/// `intact` is `false` and `problems` names each entry changed, missing from the middle or cut
/// from the end. Changes nothing.
#[utoipa::path(get, path = "/api/v1/admin/audit/verify", tag = "admin", responses(
    (status = 200, body = ChainReport, example = json!({"entries": 42, "intact": true, "problems": []})),
))]
pub async fn verify_audit(
    _caller: AdminCaller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<ChainReport>> {
    let report = state.db.run(audit::verify).await?;
    Ok(web::Json(report))
}
