use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::access::AdminCaller;
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult};
use crate::notifications::delivery::{self, DeliveryView};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatusFilter {
    /// `dead` (default: given up after the last retry, or refused for good), `pending`
    /// (waiting for their next try) or `delivered`.
    pub status: Option<String>,
}

/// Notification deliveries by status, newest first (at most 200), each with every attempt:
/// when, the outcome, what the channel answered or why it failed, how long it took.
///
/// Site admins only. The dead letters are here: a notifier plugin that traps, loops or reaches
/// a host it was not granted fails its own deliveries, which end here. Changes nothing.
#[utoipa::path(get, path = "/api/v1/admin/notifications/deliveries", tag = "admin", params(StatusFilter), responses(
    (status = 200, body = Vec<DeliveryView>, example = json!([{
        "id": "msg_01932f8212ab7c3d8e4f5a6b7c8d9e0f", "status": "dead",
        "user_id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10", "channel_id": "01932f81-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "plugin": "webhook", "attempts": 8, "last_error": "the receiver answered 500",
        "created_at": 1796774400000_i64,
        "attempt_log": [{"at": 1796774400000_i64, "outcome": "retry", "detail": "the receiver answered 500", "duration_ms": 41}]
    }])),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn list_deliveries(
    _admin: AdminCaller,
    state: web::Data<AppState>,
    filter: deferred::Query<StatusFilter>,
) -> ApiResult<web::Json<Vec<DeliveryView>>> {
    let status = filter
        .read()
        .await?
        .status
        .clone()
        .unwrap_or_else(|| "dead".to_owned());
    if !matches!(status.as_str(), "dead" | "pending" | "delivered") {
        return Err(ApiError::validation(
            "status must be dead, pending or delivered",
        ));
    }
    let found = state
        .db
        .run(move |conn| delivery::list(conn, &status, 200))
        .await?;
    Ok(web::Json(found))
}

/// Sends a dead delivery again, now, with a fresh set of retries.
///
/// Site admins only. `422` for a delivery that is not dead; `404` for none. Audited
/// (`notification.retry`).
#[utoipa::path(post, path = "/api/v1/admin/notifications/deliveries/{id}/retry", tag = "admin", params(("id" = String, Path)), responses(
    (status = 202),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn retry_delivery(
    admin: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                delivery::retry(conn, &id, crate::time::now_millis())?;
                crate::access::audit::caller_action(
                    conn,
                    &admin.0,
                    "notification.retry",
                    format!("delivery:{id}"),
                    serde_json::json!({}),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
