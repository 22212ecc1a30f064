use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{AdminPluginView, synced_view};
use crate::access::AdminCaller;
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::plugins::admin;
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"approve": true})))]
pub struct EnablePluginRequest {
    /// Approve the access the plugin's manifest asks for; needed when it asks for any that
    /// was not approved before.
    #[serde(default)]
    pub approve: bool,
}

/// Enables a plugin, approving what it asks for when told to.
///
/// Site admins only (`admin` scope). The body may be left out; one that is sent must be this
/// object, unknown fields refused (`400`). A plugin asking for access that no admin approved
/// needs `approve: true` (`409 approval_required` otherwise). Idempotent. Audited
/// (`admin.plugin.enable`); new exports may use it at once here, within seconds elsewhere.
#[utoipa::path(post, path = "/api/v1/admin/plugins/{id}/enable", tag = "admin",
    params(("id" = String, Path, description = "The plugin's id, e.g. `csv`")),
    request_body(content = Option<EnablePluginRequest>),
    responses(
        (status = 200, body = AdminPluginView),
        (status = 404, body = crate::http::error::ErrorBody),
        (status = 409, description = "the plugin asks for access that is not approved", body = crate::http::error::ErrorBody),
    ))]
pub async fn enable_plugin(
    admin: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: deferred::Bytes,
) -> ApiResult<web::Json<AdminPluginView>> {
    let body = body.read().await?;
    let id = id.into_inner();
    // The body is optional, but one that is sent must parse: an `Option<Json<_>>` extractor
    // would read a misspelt `aprove` as no body at all (issue 14, item 26).
    let approve = if body.iter().all(u8::is_ascii_whitespace) {
        false
    } else {
        serde_json::from_slice::<EnablePluginRequest>(&body)
            .map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("invalid JSON body: {e}")))?
            .approve
    };
    let target = id.clone();
    state
        .db
        .run(move |conn| admin::enable(conn, Some(&admin.0), &target, approve, now_millis()))
        .await?;
    Ok(web::Json(synced_view(&state, id).await?))
}
