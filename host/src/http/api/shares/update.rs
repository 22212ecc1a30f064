use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ShareView, parse_level, share_view};
use crate::db::ids::ShareId;
use crate::http::access::{Admin, OnDataset, deferred};
use crate::http::error::{ApiError, ApiResult};
use crate::sharing;
use crate::state::AppState;
use crate::time::{now_millis, resolve_expiry_change};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"level": "edit", "expires_in": 2592000})))]
pub struct ShareChangeRequest {
    /// A new level; absent to keep it.
    #[schema(value_type = Option<crate::access::Level>)]
    pub level: Option<String>,
    /// A new end, in seconds from now (at most a hundred years); not with `expires_at`.
    #[schema(minimum = 1, maximum = 3153600000_u64)]
    pub expires_in: Option<i64>,
    /// A new end (RFC 3339, in the future), or `null` for none.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<String>>,
}

/// Changes a share's level or expiry.
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access, or for a share of
/// another dataset). Absent fields stay as they are; `expires_at: null` removes the end (and
/// cannot come with `expires_in`: `422`). The
/// same change twice leaves the same share (idempotent). The new level holds from the next
/// request. Audited (`share.update`).
#[utoipa::path(patch, path = "/api/v1/datasets/{id}/shares/{share_id}", tag = "sharing", params(("id" = String, Path), ("share_id" = String, Path)), request_body = ShareChangeRequest, responses(
    (status = 200, body = ShareView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn update_share(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: deferred::Json<ShareChangeRequest>,
) -> ApiResult<web::Json<ShareView>> {
    let body = body.read().await?.into_inner();
    let (_, share_id) = path.into_inner();
    let OnDataset {
        dataset, caller, ..
    } = on;
    let view = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let level = body.level.as_deref().map(parse_level).transpose()?;
            let expires_at = resolve_expiry_change(
                body.expires_in,
                body.expires_at.as_ref().map(Option::as_deref),
                now,
            )?;
            let change = sharing::Change { level, expires_at };
            let share = sharing::change(
                conn,
                &caller,
                dataset.dataset_id(),
                ShareId::new(&share_id),
                change,
                now,
            )?;
            Ok::<_, ApiError>(share_view(conn, share)?)
        })
        .await?;
    Ok(web::Json(view))
}
