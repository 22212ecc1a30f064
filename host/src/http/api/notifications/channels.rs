use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult};
use crate::notifications::preferences::{self, Channel};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(examples(json!({"plugin": "email", "label": "Work mail", "settings": {"address": "ada@example.org"}})))]
pub struct NewChannel {
    /// An enabled notifier plugin's id (`GET /api/v1/plugins` lists them, with the settings
    /// each asks for).
    pub plugin: String,
    /// A name for the channel, 1 to 80 characters.
    pub label: String,
    /// What the plugin asks for (an address, a webhook URL...), as its settings schema says.
    pub settings: serde_json::Value,
}

/// Adds a notification channel: a notifier plugin and the settings it needs.
///
/// Any signed-in caller, for themselves. `422` for a plugin that is not an enabled notifier or
/// settings its schema refuses (the reason says which field). The channel then carries each
/// kind as its default says until the caller chooses otherwise.
#[utoipa::path(post, path = "/api/v1/notifications/channels", tag = "notifications", request_body = NewChannel, responses(
    (status = 201, body = Channel, example = json!({"id": "01932f81-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "plugin": "email", "label": "Work mail",
        "settings": {"address": "ada@example.org"}, "created_at": 1796774400000_i64})),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_notification_channel(
    caller: Caller,
    state: web::Data<AppState>,
    body: deferred::Json<NewChannel>,
) -> ApiResult<HttpResponse> {
    let new = body.read().await?.into_inner();
    state
        .check_notifier_settings(&new.plugin, &new.settings)
        .map_err(ApiError::validation)?;
    let user = caller.user.id.clone();
    let channel = state
        .db
        .run(move |conn| {
            preferences::add_channel(
                conn,
                &user,
                &new.plugin,
                &new.label,
                &new.settings,
                crate::time::now_millis(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(channel))
}

/// Removes one of the caller's channels, with what it was still to deliver.
///
/// Any signed-in caller, for their own (`404` for anyone else's).
#[utoipa::path(delete, path = "/api/v1/notifications/channels/{id}", tag = "notifications", params(("id" = String, Path)), responses(
    (status = 204),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn delete_notification_channel(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = caller.user.id.clone();
    let id = id.into_inner();
    state
        .db
        .run(move |conn| preferences::remove_channel(conn, &user, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
