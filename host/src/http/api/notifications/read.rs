use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Caller;
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult};
use crate::notifications::inbox;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(examples(json!({"ids": ["01932f80-1a2b-7c3d-8e4f-5a6b7c8d9e0f"]}), json!({"all": true})))]
pub struct MarkRead {
    /// The notifications to mark read.
    pub ids: Option<Vec<String>>,
    /// `true`: every notification of the caller.
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"unread": 0})))]
pub struct UnreadCount {
    pub unread: i64,
}

/// Marks notifications read: some (`ids`) or all (`all: true`); answers the unread count.
///
/// Any signed-in caller, for their own (another's ids are ignored). Marking one already read
/// changes nothing. `422` when neither `ids` nor `all` is given.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", request_body = MarkRead, responses(
    (status = 200, body = UnreadCount),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn mark_notifications_read(
    caller: Caller,
    state: web::Data<AppState>,
    body: deferred::Json<MarkRead>,
) -> ApiResult<web::Json<UnreadCount>> {
    let body = body.read().await?.into_inner();
    let ids = match (body.ids, body.all) {
        (_, Some(true)) => None,
        (Some(ids), _) if !ids.is_empty() && ids.len() <= 500 => Some(ids),
        _ => {
            return Err(ApiError::validation(
                "give `ids` (1 to 500 notification ids) or `all: true`",
            ));
        }
    };
    let user = caller.user.id.clone();
    let unread = state
        .db
        .run(move |conn| inbox::mark_read(conn, &user, ids.as_deref(), crate::time::now_millis()))
        .await?;
    Ok(web::Json(UnreadCount { unread }))
}
