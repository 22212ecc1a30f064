use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult};
use crate::notifications::preferences::{self, Preferences};
use crate::notifications::{Cadence, NotificationKind};
use crate::state::AppState;

/// The caller's notification preferences: every kind, whether the app shows it and how often
/// each of their channels carries it (their choice or the default), and their channels.
///
/// Any signed-in caller, for their own. Changes nothing.
#[utoipa::path(get, path = "/api/v1/notifications/preferences", tag = "notifications", responses(
    (status = 200, body = Preferences),
))]
pub async fn get_notification_preferences(
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Preferences>> {
    let user = caller.user.id.clone();
    let found = state
        .db
        .run(move |conn| preferences::of_user(conn, &user))
        .await?;
    Ok(web::Json(found))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(examples(json!({"kind": "link_downloaded", "channel": "app", "cadence": "immediate"}),
                  json!({"kind": "export_finished", "channel": "app", "cadence": "off"})))]
pub struct PreferenceChange {
    pub kind: NotificationKind,
    /// `app`, or the id of one of the caller's channels.
    pub channel: String,
    /// `off` or `immediate`; a channel may also gather `hourly` or `daily` digests.
    pub cadence: Cadence,
}

/// Sets how one channel carries one kind; answers the preferences after.
///
/// Any signed-in caller, for their own. `422` for a channel that is not the caller's, or a
/// digest asked of the app.
#[utoipa::path(put, path = "/api/v1/notifications/preferences", tag = "notifications", request_body = PreferenceChange, responses(
    (status = 200, body = Preferences),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn set_notification_preference(
    caller: Caller,
    state: web::Data<AppState>,
    body: deferred::Json<PreferenceChange>,
) -> ApiResult<web::Json<Preferences>> {
    let change = body.read().await?.into_inner();
    let user = caller.user.id.clone();
    let found = state
        .db
        .run(move |conn| {
            preferences::set(conn, &user, change.kind, &change.channel, change.cadence)?;
            Ok::<_, ApiError>(preferences::of_user(conn, &user)?)
        })
        .await?;
    Ok(web::Json(found))
}
