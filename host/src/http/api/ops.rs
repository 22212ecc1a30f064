//! Operational endpoints: liveness, readiness and Prometheus metrics.
//!
//! `/healthz` and `/readyz` say nothing but "up" and "ready", so they stay public for load
//! balancers. `/metrics` tells much more (every route's traffic, error rates, pool use), so
//! it answers only a scraper presenting the `metrics_token` setting as a bearer token, and is
//! off while that setting is empty. A token, rather than a second listening address, keeps
//! one port to run behind the same proxy and TLS, and works the same on every replica.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::auth::secrets;
use crate::http::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// What `/healthz` and `/readyz` answer (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct HealthView {
    /// `ok` (up), `ready` (the database answers) or `unavailable` (it does not).
    status: String,
    /// `sqlite` or `postgres` (`/readyz` only).
    database: Option<String>,
}

/// The process is up.
///
/// Anyone may call it, often: it touches nothing, not even the database, so a load balancer
/// can poll it to tell a live process from a dead one. Always `200` while the process serves.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses(
    (status = 200, description = "The process is up", body = HealthView,
        example = json!({"status": "ok"})),
))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers queries.
///
/// Anyone may call it: one query to the database, nothing changed, nothing about the data
/// revealed. `200` names the backend (`sqlite` or `postgres`); `503` says it does not answer,
/// so a load balancer sends traffic elsewhere until it does.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready to serve", body = HealthView,
        example = json!({"status": "ready", "database": "postgres"})),
    (status = 503, description = "The database does not answer", body = HealthView,
        example = json!({"status": "unavailable", "database": "postgres"})),
))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let backend = db.backend.name();
    match web::block(move || db.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({"status": "ready", "database": backend})),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "database": backend}))
        }
        Err(_) => HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable"})),
    }
}

/// Metrics in the Prometheus text format, for a scraper holding `metrics_token`.
///
/// Only for a scraper sending the operator's `metrics_token` setting as a bearer token
/// (compared in constant time); while that setting is empty, metrics are off and every caller
/// gets `403`. Traffic, error rates and latency per route, the database pool, the writer and
/// plugin counters. Changes nothing.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text format", content_type = "text/plain"),
    (status = 401, description = "The bearer token is missing or is not `metrics_token`", body = crate::http::error::ErrorBody),
    (status = 403, description = "Metrics are off: `metrics_token` is not set", body = crate::http::error::ErrorBody),
))]
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
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
    let text = state.metrics.render(&pool, state.db.pool.max_size());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}
