use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::link_access_log::LinkAccess;
use crate::http::access::OnLink;
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::to_rfc3339;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "at": "2026-03-02T12:30:00Z",
    "event": "download_completed",
    "reason": null,
    "address": "203.0.113.0/24",
    "user_agent": "curl/8.5.0"
})))]
pub struct LinkAccessView {
    #[schema(format = DateTime)]
    pub at: String,
    #[schema(value_type = crate::http::views::vocabulary::LinkAccessEvent)]
    pub event: String,
    /// Why it was refused or broken off.
    pub reason: Option<String>,
    /// The visitor's address, cut to its /24 or /48 unless `log_full_addresses` is set.
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

/// A link's access log, newest first: views, downloads started, completed and broken off,
/// and refusals with their reason.
///
/// For the link's creator and the dataset's admins (`404` for anyone else). The latest 1,000
/// entries; not paged. Changes nothing.
#[utoipa::path(get, path = "/api/v1/links/{id}/access-log", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 200, body = Vec<LinkAccessView>),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn link_access_log(
    on: OnLink,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<LinkAccessView>>> {
    let link_id = on.link.id;
    let entries = state
        .db
        .run(move |conn| LinkAccess::for_link(conn, &link_id, 1000))
        .await?;
    Ok(web::Json(
        entries
            .into_iter()
            .map(|e| LinkAccessView {
                at: to_rfc3339(e.at),
                event: e.event,
                reason: e.reason,
                address: e.address,
                user_agent: e.user_agent,
            })
            .collect(),
    ))
}
