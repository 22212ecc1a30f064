use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::Caller;
use crate::http::access::deferred;
use crate::http::api::pagination::Page;
use crate::http::error::ApiResult;
use crate::notifications::inbox::{self, Notification};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct UnreadFilter {
    /// `true`: only those not read yet.
    pub unread_only: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"items": [{
    "id": "01932f80-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "kind": "share_received",
    "title": "Ada Lovelace shared “Lake survey” with you",
    "body": "You can view it.",
    "url": "/datasets/01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "created_at": 1796774400000_i64,
    "read": false
}], "total": 1, "unread": 1, "offset": 0, "limit": 50})))]
pub struct NotificationList {
    pub items: Vec<Notification>,
    /// How many there are (with `unread_only`, how many unread).
    pub total: i64,
    /// How many are unread.
    pub unread: i64,
    pub offset: i64,
    pub limit: i64,
}

/// The caller's notifications, newest first, paged, with the unread count.
///
/// Any signed-in caller, for their own. What appears here is what the caller's preferences
/// show in the app (`GET /api/v1/notifications/preferences`). Changes nothing: reading is
/// marked with `POST /api/v1/notifications/read`.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(Page, UnreadFilter), responses(
    (status = 200, body = NotificationList),
))]
pub async fn list_notifications(
    caller: Caller,
    state: web::Data<AppState>,
    page: deferred::Query<Page>,
    filter: deferred::Query<UnreadFilter>,
) -> ApiResult<web::Json<NotificationList>> {
    let (offset, limit) = page.read().await?.resolve()?;
    let unread_only = filter.read().await?.unread_only.unwrap_or(false);
    let user = caller.user.id.clone();
    let found = state
        .db
        .run(move |conn| inbox::page(conn, &user, unread_only, offset, limit))
        .await?;
    Ok(web::Json(NotificationList {
        items: found.items,
        total: found.total,
        unread: found.unread,
        offset,
        limit,
    }))
}
