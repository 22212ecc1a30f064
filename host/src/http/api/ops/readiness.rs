use actix_web::{HttpResponse, web};
use serde_json::json;

use super::HealthView;
use crate::state::AppState;

/// The database answers queries.
///
/// Anyone may call it: one query to the database, nothing changed, nothing about the data
/// revealed. `200` names the backend (`sqlite` or `postgres`); `503` says it does not answer,
/// so a load balancer sends traffic elsewhere until it does.
// The document's operationId predates this handler's name; clients generated from it keep it.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz", responses(
    (status = 200, description = "Ready to serve", body = HealthView,
        example = json!({"status": "ready", "database": "postgres"})),
    (status = 503, description = "The database does not answer", body = HealthView,
        example = json!({"status": "unavailable", "database": "postgres"})),
))]
pub async fn get_readiness(state: web::Data<AppState>) -> HttpResponse {
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
