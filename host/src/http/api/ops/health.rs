use actix_web::HttpResponse;
use serde_json::json;

use super::HealthView;

/// The process is up.
///
/// Anyone may call it, often: it touches nothing, not even the database, so a load balancer
/// can poll it to tell a live process from a dead one. Always `200` while the process serves.
// The document's operationId predates this handler's name; clients generated from it keep it.
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "healthz", responses(
    (status = 200, description = "The process is up", body = HealthView,
        example = json!({"status": "ok"})),
))]
pub async fn get_health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}
