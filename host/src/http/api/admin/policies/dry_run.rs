use actix_web::web;

use crate::access::AdminCaller;
use crate::access::policy::{self, DryRunReport, PolicyChange};
use crate::access::rules;
use crate::db::policy_rules::PolicyRule;
use crate::http::access::deferred;
use crate::http::error::not_found_as;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// Shows who would gain and who would lose which access if the change were applied; applies
/// nothing.
///
/// Site admins only (`admin` scope). Rules to add are checked as `POST` would check them
/// (`422`); rules to remove must exist (`404`). Compares every active user's level on every
/// dataset before and after (site admins left out: they manage everything either way), so on a
/// large installation it takes a moment. Changes nothing; not audited.
#[utoipa::path(post, path = "/api/v1/admin/policies/dry-run", tag = "admin",
    request_body(content = PolicyChange, example = json!({
        "add": [{"ptype": "g", "v0": "user:colleague@example.org", "v1": "role:reviewer"}],
        "remove": []
    })),
    responses(
    (status = 200, body = DryRunReport, example = json!({
        "gained": [{
            "user_id": "01932f6f-8a3d-7b12-b4c6-1e2f3a4b5c6d",
            "user_email": "colleague@example.org",
            "dataset_id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
            "dataset_name": "Lake temperatures",
            "before": null,
            "after": "view"
        }],
        "lost": [],
        "pairs_checked": 2,
        "left_out": {"disabled_users": 1, "site_admins": 1}
    })),
    (status = 404, description = "a rule to remove is not there", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn dry_run_policy(
    _caller: AdminCaller,
    state: web::Data<AppState>,
    body: deferred::Json<PolicyChange>,
) -> ApiResult<web::Json<DryRunReport>> {
    let change = body.read().await?.into_inner();
    let report = state
        .db
        .run(move |conn| {
            let mut checked = PolicyChange {
                add: Vec::new(),
                remove: change.remove.clone(),
            };
            for rule in &change.add {
                checked.add.push(rules::validate(conn, rule)?);
            }
            for id in &change.remove {
                PolicyRule::find(conn, id).map_err(|e| not_found_as(e, "policy rule"))?;
            }
            Ok::<_, ApiError>(policy::dry_run(conn, now_millis(), &checked)?)
        })
        .await?;
    Ok(web::Json(report))
}
