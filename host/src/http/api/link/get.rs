use actix_web::{HttpRequest, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::token::Operation;
use crate::http::error::{ApiError, ApiResult};
use crate::http::link_access::{self, owner_of, shared_of};
use crate::links::{self, Reach};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

/// What a link (or token) grants, for scripts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "name": "For the review panel",
    "kind": "dataset",
    "level": "view",
    "owner": "Ada Lovelace",
    "size_bytes": 163,
    "rows": 3,
    "version": 1,
    "columns": ["id", "site", "measured_on", "depth_m"],
    "formats": null,
    "expires_at": "2026-03-09T12:00:00Z",
    "downloads_left": null
})))]
pub struct LinkInfoView {
    pub name: String,
    #[schema(value_type = crate::http::views::vocabulary::LinkItemKind)]
    pub kind: String,
    #[schema(value_type = crate::http::views::vocabulary::LinkLevel)]
    pub level: String,
    /// The name of the person who made the link.
    pub owner: String,
    /// A dataset link's size as uploaded.
    pub size_bytes: Option<i64>,
    pub rows: Option<i64>,
    pub version: Option<i32>,
    /// The columns this token may see (all the link reveals, or fewer for a narrowed token).
    pub columns: Vec<String>,
    /// The formats it may download in; `null` for every installed format.
    pub formats: Option<Vec<String>>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// `null` without a limit.
    pub downloads_left: Option<i64>,
}

/// What the presented token grants: the item, its level, expiry and downloads left.
///
/// For whoever holds a link's token (`Authorization: Bearer <link token>`, no account needed,
/// no password either). Every check the link and the token carry runs here too: an unknown or
/// revoked link answers `404`; a changed or foreign token `401 invalid_token`; an expired,
/// used-up or suspended link `410`; a token check that fails (a narrowed token's expiry, level
/// or columns) `403`, naming it. Only the columns the token allows are named. Wrong tokens
/// count against the client's address (`429` with `Retry-After` after too many). Changes
/// nothing.
// The document's operationId predates this handler's name; clients generated from it keep it.
#[utoipa::path(get, path = "/api/v1/link", tag = "links", operation_id = "link_info", responses(
    (status = 200, body = LinkInfoView),
    (status = 401, body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 410, body = crate::http::error::ErrorBody),
))]
pub async fn get_link_info(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<web::Json<LinkInfoView>> {
    let credential = link_access::credential(&req, None)?;
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let view = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let resolved = links::resolve(conn, &app.links(), &credential, &visitor, now)?;
            let shared = shared_of(conn, &resolved.link)?;
            // The metadata is what the link grants, seen through the token's checks: its
            // expiry and every other check hold here too, and only the columns it allows are
            // named.
            let reach = Reach {
                operation: Operation::parse(&resolved.link.level).unwrap_or(Operation::View),
                format: None,
                columns: &[],
                version: shared
                    .version
                    .as_ref()
                    .map(|v| v.version)
                    .or(shared.job.as_ref().map(|j| j.version))
                    .map_or(0, i64::from),
            };
            let columns =
                links::allowed_columns(conn, &resolved, &reach, &shared.columns, &visitor, now)?;
            let owner = owner_of(conn, &resolved.link);
            let link = resolved.link;
            Ok::<_, ApiError>(LinkInfoView {
                name: link.name.clone(),
                kind: if link.export_job_id.is_some() {
                    "export"
                } else {
                    "dataset"
                }
                .into(),
                level: link.level.clone(),
                owner,
                size_bytes: shared.version.as_ref().map(|v| v.source_bytes),
                rows: shared.version.as_ref().map(|v| v.row_count),
                version: shared.version.as_ref().map(|v| v.version).or(link.version),
                columns,
                formats: link.formats(),
                expires_at: link.expires_at.map(to_rfc3339),
                downloads_left: link.downloads_left(),
            })
        })
        .await?;
    Ok(web::Json(view))
}
