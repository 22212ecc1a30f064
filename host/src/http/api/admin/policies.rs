//! Access policies for site admins: read the rules, add and remove them (each change
//! validated, versioned and audited), ask "may S do A on O?" with the deciding rule, and
//! preview a change's effect (who gains, who loses) before applying it.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::policy::{
    self, DryRunReport, Explanation, PolicyChange, RuleLine, dataset_object,
};
use crate::access::rules::{self, Changer};
use crate::access::{Level, audit};
use crate::http::api::not_found_as;
use crate::auth::AdminCaller;
use crate::http::access::deferred;
use crate::db::policy_rules::{PolicyRule, PolicyVersion};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyRuleView {
    pub id: String,
    #[schema(value_type = crate::http::views::vocabulary::RuleType)]
    pub ptype: String,
    /// The subject, with ids in place of the names it was written with.
    pub v0: String,
    /// `p`: the object (`dataset:<id>` or `dataset:*`); `g`: the role or grant held.
    pub v1: String,
    /// `p`: the level; `g`: empty.
    pub v2: String,
    /// The rule as Casbin reads it, e.g. `p, role:auditor, dataset:*, view`.
    pub rule: String,
    pub note: String,
    /// The admin who wrote it (`null` for the baseline).
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<PolicyRule> for PolicyRuleView {
    fn from(rule: PolicyRule) -> Self {
        let line = RuleLine {
            ptype: rule.ptype.clone(),
            v0: rule.v0.clone(),
            v1: rule.v1.clone(),
            v2: rule.v2.clone(),
        };
        Self {
            rule: line.display(),
            id: rule.id,
            ptype: rule.ptype,
            v0: rule.v0,
            v1: rule.v1,
            v2: rule.v2,
            note: rule.note,
            created_by: rule.created_by,
            created_at: to_rfc3339(rule.created_at),
        }
    }
}

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(
    json!({"ptype": "p", "v0": "role:reviewer", "v1": "dataset:*", "v2": "view", "note": "Reviewers read every dataset"}),
    json!({"ptype": "g", "v0": "user:colleague@example.org", "v1": "role:reviewer"})
))]
pub struct NewPolicyRuleRequest {
    /// `p`: a permission (`v0` subject, `v1` object, `v2` level); `g`: a role (`v0` subject
    /// holds `v1`).
    #[schema(value_type = crate::http::views::vocabulary::RuleType)]
    pub ptype: String,
    /// The subject: `user:<email or id>`, `group:<name or id>` (an admin-managed group),
    /// `team:<name or id>` (`team:<name>#owner` for its owners) or `role:<name>` (lower-case
    /// letters, digits, `-` and `_`, at most 64).
    #[schema(pattern = r"^\s*(user|group|team|role):")]
    pub v0: String,
    /// `p`: `dataset:<id>` or `dataset:*`. `g`: a subject other than a user
    /// (`role:<name>`, a group or a team), or a grant `dataset:<id>/<level>`.
    #[schema(pattern = r"^\s*(dataset|group|team|role):")]
    pub v1: String,
    /// `p`: `view`, `edit` or `admin`. `g`: empty or absent.
    #[serde(default)]
    #[schema(pattern = r"^\s*(view|edit|admin)?\s*$")]
    pub v2: String,
    /// Why the rule exists, for whoever reads it later.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"version": 2, "rule": {
        "id": "01932f75-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "ptype": "p",
        "v0": "role:reviewer",
        "v1": "dataset:*",
        "v2": "view",
        "rule": "p, role:reviewer, dataset:*, view",
        "note": "Reviewers read every dataset",
        "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "created_at": "2026-03-02T11:00:00Z"
    }})))]
pub struct PolicyChangeView {
    /// The rule set's version after the change.
    pub version: i64,
    /// The rule added (`null` for a removal).
    pub rule: Option<PolicyRuleView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"subject": "user:colleague@example.org", "action": "view", "object": "dataset:*"})))]
pub struct PolicyCheckRequest {
    /// `user:<id or email>`, `group:<id or name>`, `team:<id or name>` or `role:<name>`.
    #[schema(pattern = r"^\s*(user|group|team|role):")]
    pub subject: String,
    #[schema(value_type = crate::access::Level)]
    pub action: String,
    /// `dataset:<id>` or `dataset:*` (or a bare dataset id).
    #[schema(min_length = 1)]
    pub object: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "allowed": true,
    "held": "view",
    "rule": "shared with colleague@example.org at view",
    "origin": {"kind": "share", "id": "01932f74-6c7d-7a81-b2c3-d4e5f6a7b8c9", "text": "shared with colleague@example.org at view"},
    "path": ["user:01932f6f-8a3d-7b12-b4c6-1e2f3a4b5c6d", "email:colleague@example.org", "dataset:01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f/view"],
    "subject": "user:01932f6f-8a3d-7b12-b4c6-1e2f3a4b5c6d",
    "object": "dataset:01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "action": "view"
})))]
pub struct PolicyCheckView {
    #[serde(flatten)]
    pub explanation: Explanation,
    /// The subject asked about, with ids in place of names.
    pub subject: String,
    pub object: String,
    #[schema(value_type = crate::access::Level)]
    pub action: String,
}

fn changer(caller: &AdminCaller) -> Changer<'_> {
    Changer {
        user_id: Some(&caller.0.user.id),
        actor: audit::actor_user(&caller.0.user.id),
        address: caller.0.address.clone(),
    }
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

/// Adds a rule, after checking it names real subjects and objects.
///
/// Site admins only (`admin` scope). The subject must exist (emails and names are stored as
/// ids, so renaming a group keeps its rules), a group must be admin-managed, the object a
/// dataset that exists or `dataset:*`, the level one of the three (`422` otherwise, naming
/// what is wrong); the same rule twice answers `409`. The rule set's version goes up by one,
/// and the change is audited (`policy.add`) in the same transaction; every replica enforces it
/// from its next request.
#[utoipa::path(post, path = "/api/v1/admin/policies", tag = "admin", request_body = NewPolicyRuleRequest, responses(
    (status = 201, body = PolicyChangeView),
    (status = 409, description = "`conflict`: this rule exists already", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn add_policy(
    caller: AdminCaller,
    state: web::Data<AppState>,
    body: deferred::Json<NewPolicyRuleRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let line = RuleLine {
                ptype: body.ptype,
                v0: body.v0,
                v1: body.v1,
                v2: body.v2,
            };
            let (rule, version) =
                rules::add(conn, &changer(&caller), &line, &body.note, now_millis())?;
            Ok::<_, ApiError>(PolicyChangeView {
                version,
                rule: Some(rule.into()),
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

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

/// Answers "may this subject do this on that object?", with the rule that decided.
///
/// Site admins only (`admin` scope). The subject is checked as a rule's would be (`422` for
/// one that does not exist). The answer names the level held, the rule that decided (an
/// ownership, team, share or policy rule, with its id) and the path from the subject to it.
/// Changes nothing; the question is audited (`policy.check`).
#[utoipa::path(post, path = "/api/v1/admin/policies/check", tag = "admin", request_body = PolicyCheckRequest, responses(
    (status = 200, body = PolicyCheckView),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn check_policy(
    caller: AdminCaller,
    state: web::Data<AppState>,
    body: deferred::Json<PolicyCheckRequest>,
) -> ApiResult<web::Json<PolicyCheckView>> {
    let body = body.read().await?.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let action = Level::parse(&body.action).ok_or_else(|| {
                ApiError::validation("action must be view, edit or admin")
            })?;
            let object = if body.object.starts_with("dataset:") {
                body.object.clone()
            } else {
                dataset_object(&body.object)
            };
            // The same checks a rule's subject gets, so emails and names work here too.
            let subject = rules::validate(
                conn,
                &RuleLine {
                    ptype: "p".into(),
                    v0: body.subject.clone(),
                    v1: object.clone(),
                    v2: action.as_str().into(),
                },
            )?
            .v0;
            let snapshot = caller.0.access.snapshot(conn, now_millis())?;
            let explanation = snapshot.explain(&subject, &object, action)?;
            audit::record(
                conn,
                now_millis(),
                audit::AuditEvent::new(audit::actor_user(&caller.0.user.id), "policy.check", object.clone())
                    .detail(serde_json::json!({"subject": subject, "action": action.as_str(), "allowed": explanation.allowed}))
                    .address(caller.0.address.clone()),
            )?;
            Ok::<_, ApiError>(PolicyCheckView {
                explanation,
                subject,
                object,
                action: action.as_str().to_owned(),
            })
        })
        .await?;
    Ok(web::Json(view))
}

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
        "pairs_checked": 2
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
