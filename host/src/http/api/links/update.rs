use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::access::{OnLink, deferred};
use crate::http::error::ApiResult;
use crate::http::views::links::{LinkView, link_view};
use crate::links::manage;
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"expires_in": 1209600, "max_downloads": 20})))]
pub struct LinkChangeRequest {
    /// A new expiry in seconds from now (at most a hundred years); not with `expires_at`.
    #[schema(minimum = 1, maximum = 3153600000_u64)]
    pub expires_in: Option<i64>,
    /// A new expiry (RFC 3339, in the future), or `null` for none.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<String>>,
    /// A new download limit, no lower than the downloads already made, or `null` for none.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub max_downloads: Option<Option<i64>>,
    /// A new password (at least 6 characters; sessions opened with the old one end), or `null`
    /// to remove it.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<String>, min_length = 6)]
    pub password: Option<Option<String>>,
}

/// Changes a link's expiry, download limit or password (for its creator or the dataset's
/// admins, while the creator still holds the level the link needs).
///
/// For the link's creator and the dataset's admins (`404` for anyone else), and only while the
/// creator holds the level the link needs: a suspended link answers `403` (audited). A revoked
/// link answers `409`. Absent fields stay as they are; `null` removes the expiry (not with
/// `expires_in`: `422`), the limit or the password. The limit cannot go below the downloads
/// already made (`422`). A new password
/// ends every session opened with the old one. Audited (`link.update`). Idempotent, but for
/// `expires_in`, which counts from the request.
#[utoipa::path(patch, path = "/api/v1/links/{id}", tag = "sharing", params(("id" = String, Path)), request_body = LinkChangeRequest, responses(
    (status = 200, body = LinkView),
    (status = 403, description = "`forbidden`: the link is suspended; its creator lacks the level it needs", body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, description = "`conflict`: the link is revoked", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn update_link(
    on: OnLink,
    state: web::Data<AppState>,
    body: deferred::Json<LinkChangeRequest>,
) -> ApiResult<web::Json<LinkView>> {
    let body = body.read().await?.into_inner();
    let OnLink { link, caller } = on;
    let view = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let change = manage::Change {
                expires_in: body.expires_in,
                expires_at: body.expires_at.as_ref().map(Option::as_deref),
                max_downloads: body.max_downloads,
                password: body.password.as_ref().map(Option::as_deref),
            };
            let link = manage::change(conn, &caller, &link, &change, now)?;
            let snapshot = caller.access.snapshot(conn, now)?;
            link_view(conn, &snapshot, &link, now)
        })
        .await?;
    Ok(web::Json(view))
}
