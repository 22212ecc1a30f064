use actix_web::web;

use super::{PolicyChangeView, changer};
use crate::access::AdminCaller;
use crate::access::policy;
use crate::access::rules;
use crate::http::error::ApiResult;
use crate::http::error::not_found_as;
use crate::state::AppState;
use crate::time::now_millis;

/// Removes a rule.
///
/// Site admins only (`admin` scope). The rule set's version goes up by one and the change is
/// audited (`policy.remove`) in the same transaction; what the rule granted ends on every
/// replica's next request. A second removal answers `404`.
#[utoipa::path(delete, path = "/api/v1/admin/policies/{id}", tag = "admin", params(("id" = String, Path)), responses(
    (status = 200, body = PolicyChangeView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn remove_policy(
    caller: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<PolicyChangeView>> {
    let id = id.into_inner();
    let version = state
        .db
        .run(move |conn| {
            rules::remove(conn, &changer(&caller), &id, now_millis()).map_err(|e| match e {
                policy::PolicyError::Db(db) => not_found_as(db, "policy rule"),
                other => other.into(),
            })
        })
        .await?;
    Ok(web::Json(PolicyChangeView {
        version,
        rule: None,
    }))
}
