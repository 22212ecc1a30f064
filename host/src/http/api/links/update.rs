use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::links::create::hash_password;
use crate::access::audit;
use crate::access::audit::AuditEvent;
use crate::db::share_links::ShareLink;
use crate::db::write_transaction;
use crate::http::access::{OnLink, deferred};
use crate::http::api::resolve_expiry;
use crate::http::error::{ApiError, ApiResult};
use crate::http::views::links::{LinkView, link_view};
use crate::links::manage;
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

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
            if link.revoked_at.is_some() || link.destroyed_at.is_some() {
                return Err(ApiError::conflict("this link is revoked; make a new one"));
            }
            let now = now_millis();
            let snapshot = caller.access.snapshot(conn, now)?;
            manage::require_creator_right(conn, &snapshot, &caller, &link)?;
            let expiry = match (body.expires_in, &body.expires_at) {
                (None, None) => None,
                // "No expiry" and an expiry in seconds contradict each other.
                (Some(_), Some(None)) => {
                    return Err(ApiError::validation(
                        "give expires_in or expires_at, not both",
                    ));
                }
                (None, Some(None)) => Some(None),
                (seconds, Some(Some(at))) => Some(resolve_expiry(seconds, Some(at), now)?),
                (seconds, None) => Some(resolve_expiry(seconds, None, now)?),
            };
            if let Some(Some(max)) = body.max_downloads
                && max < link.downloads_completed.max(1)
            {
                return Err(ApiError::validation(format!(
                    "max_downloads must be at least {} (downloads already made)",
                    link.downloads_completed.max(1)
                )));
            }
            let password = match &body.password {
                None => None,
                Some(None) => Some(None),
                Some(Some(text)) => Some(Some(hash_password(text)?)),
            };
            write_transaction(conn, |conn| {
                if let Some(expires_at) = expiry {
                    ShareLink::set_expiry(conn, &link.id, expires_at)?;
                }
                if let Some(max) = body.max_downloads {
                    ShareLink::set_max_downloads(conn, &link.id, max)?;
                }
                if let Some(hash) = password.clone() {
                    ShareLink::set_password(conn, &link.id, hash)?;
                }
                audit::record(
                    conn,
                    now,
                    AuditEvent::new(
                        audit::actor_user(&caller.user.id),
                        "link.update",
                        format!("link:{}", link.id),
                    )
                    .detail(serde_json::json!({
                        "expires_at": expiry.map(|e| e.map(to_rfc3339)),
                        "max_downloads": body.max_downloads,
                        "password_changed": password.is_some(),
                    }))
                    .address(caller.address.clone()),
                )?;
                Ok::<_, ApiError>(())
            })?;
            let link = ShareLink::find(conn, &link.id)?;
            link_view(conn, &snapshot, &link, now)
        })
        .await?;
    Ok(web::Json(view))
}
