use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::PolicyRuleView;
use crate::access::AdminCaller;
use crate::access::policy;
use crate::db::policy_rules::{PolicyRule, PolicyVersion};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::to_rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyVersionView {
    pub version: i64,
    pub changed_by: Option<String>,
    #[schema(format = DateTime)]
    pub changed_at: String,
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "version": 2,
    "model": "[request_definition]\nr = sub, obj, act\n...",
    "rules": [{
        "id": "01932f75-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "ptype": "p",
        "v0": "role:reviewer",
        "v1": "dataset:*",
        "v2": "view",
        "rule": "p, role:reviewer, dataset:*, view",
        "note": "Reviewers read every dataset",
        "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "created_at": "2026-03-02T11:00:00Z"
    }],
    "history": [
        {"version": 2, "changed_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10", "changed_at": "2026-03-02T11:00:00Z", "summary": "add p, role:reviewer, dataset:*, view"},
        {"version": 1, "changed_by": null, "changed_at": "2026-03-02T09:00:00Z", "summary": "baseline from policies/baseline.csv"}
    ]
})))]
pub struct PolicyView {
    /// The rule set's version; every change adds one.
    pub version: i64,
    /// The Casbin model (`policies/model.conf`).
    pub model: String,
    pub rules: Vec<PolicyRuleView>,
    /// The latest changes, newest first.
    pub history: Vec<PolicyVersionView>,
}

/// The model, every admin-written rule and the recent versions.
///
/// Site admins only (`admin` scope). The Casbin model, every stored rule (the baseline
/// included; grants derived from ownership, teams and shares are not rules and are not listed)
/// and the last 20 changes, newest first. Changes nothing.
#[utoipa::path(get, path = "/api/v1/admin/policies", tag = "admin", responses((status = 200, body = PolicyView)))]
pub async fn list_policies(
    _caller: AdminCaller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<PolicyView>> {
    let view = state
        .db
        .run(|conn| {
            Ok::<_, ApiError>(PolicyView {
                version: PolicyVersion::current(conn)?,
                model: policy::MODEL.to_owned(),
                rules: PolicyRule::all(conn)?
                    .into_iter()
                    .map(PolicyRuleView::from)
                    .collect(),
                history: PolicyVersion::history(conn, 20)?
                    .into_iter()
                    .map(|v| PolicyVersionView {
                        version: v.version,
                        changed_by: v.changed_by,
                        changed_at: to_rfc3339(v.changed_at),
                        summary: v.summary,
                    })
                    .collect(),
            })
        })
        .await?;
    Ok(web::Json(view))
}
