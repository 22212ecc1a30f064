use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::secrets;
use crate::http::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Metrics in the Prometheus text format, for a scraper holding `metrics_token`.
///
/// Only for a scraper sending the operator's `metrics_token` setting as a bearer token
/// (compared in constant time); while that setting is empty, metrics are off and every caller
/// gets `403`. Traffic, error rates and latency per route, the database pool, the writer and
/// plugin counters. Changes nothing.
// The document's operationId predates this handler's name; clients generated from it keep it.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics", responses(
    (status = 200, description = "Prometheus text format", content_type = "text/plain"),
    (status = 401, description = "The bearer token is missing or is not `metrics_token`", body = crate::http::error::ErrorBody),
    (status = 403, description = "Metrics are off: `metrics_token` is not set", body = crate::http::error::ErrorBody),
))]
pub async fn get_metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let expected = state.config.metrics_token.as_str();
    if expected.is_empty() {
        return actix_web::ResponseError::error_response(&ApiError::forbidden(
            "metrics are off on this server; an operator turns them on with metrics_token",
        ));
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    // Compared as hashes of equal length, in constant time: how much of a guess matched
    // must not show in the time the answer takes.
    let valid = presented.is_some_and(|token| {
        secrets::hashes_equal(&secrets::hash(token), &secrets::hash(expected))
    });
    if !valid {
        tracing::info!(
            decision = "deny",
            path = "/metrics",
            "metrics refused: no valid token"
        );
        let mut refused = actix_web::ResponseError::error_response(&ApiError::new(
            ErrorCode::Unauthenticated,
            "send the metrics token as 'Authorization: Bearer <metrics_token>'",
        ));
        refused.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return refused;
    }
    let pool = state.db.pool.state();
    let mut text = state.metrics.render(&pool, state.db.pool.max_size());
    // The installation's activity, read from the database: the same on every replica.
    let activity = state
        .db
        .run(|conn| {
            Ok::<_, crate::db::DbError>((
                crate::db::events::totals_by_kind(conn)?,
                crate::db::events::EventRow::queued(conn)?,
                crate::db::notifications::deliveries_by_status(conn)?,
            ))
        })
        .await;
    if let Ok((kinds, queued, deliveries)) = activity {
        use std::fmt::Write;
        let _ = writeln!(
            text,
            "# HELP tessera_events_total Events recorded, by kind, for the whole installation (read from the database: the same on every replica)."
        );
        let _ = writeln!(text, "# TYPE tessera_events_total counter");
        for (kind, count) in kinds {
            let _ = writeln!(text, "tessera_events_total{{kind=\"{kind}\"}} {count}");
        }
        let _ = writeln!(
            text,
            "# HELP tessera_events_queued Events not yet handed to their readers (rollups, notifications)."
        );
        let _ = writeln!(text, "# TYPE tessera_events_queued gauge");
        let _ = writeln!(text, "tessera_events_queued {queued}");
        let _ = writeln!(
            text,
            "# HELP tessera_notification_deliveries Notification deliveries to channels, by status (dead: given up)."
        );
        let _ = writeln!(text, "# TYPE tessera_notification_deliveries gauge");
        for (status, count) in deliveries {
            let _ = writeln!(
                text,
                "tessera_notification_deliveries{{status=\"{status}\"}} {count}"
            );
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}
