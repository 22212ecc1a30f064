//! Operational endpoints: liveness, readiness and Prometheus metrics.
//!
//! `/healthz` and `/readyz` say nothing but "up" and "ready", so they stay public for load
//! balancers. `/metrics` tells much more (every route's traffic, error rates, pool use), so
//! it answers only a scraper presenting the `metrics_token` setting as a bearer token, and is
//! off while that setting is empty. A token, rather than a second listening address, keeps
//! one port to run behind the same proxy and TLS, and works the same on every replica.

pub mod health;
pub mod metrics;
pub mod readiness;

/// What `/healthz` and `/readyz` answer (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct HealthView {
    /// `ok` (up), `ready` (the database answers) or `unavailable` (it does not).
    status: String,
    /// `sqlite` or `postgres` (`/readyz` only).
    database: Option<String>,
}
