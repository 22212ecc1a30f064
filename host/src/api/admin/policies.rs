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
use crate::api::not_found_as;
use crate::auth::AdminCaller;
use crate::db::policy_rules::{PolicyRule, PolicyVersion};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyRuleView {
    pub id: String,
    /// `p` or `g`.
    pub ptype: String,
    pub v0: String,
    pub v1: String,
    pub v2: String,
    /// The rule as Casbin reads it, e.g. `p, role:auditor, dataset:*, view`.
    pub rule: String,
    pub note: String,
    pub created_by: Option<String>,
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
    pub changed_at: String,
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
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
pub struct NewPolicyRuleRequest {
    /// `p` (subject, object, level) or `g` (subject, role).
    pub ptype: String,
    pub v0: String,
    pub v1: String,
    #[serde(default)]
    pub v2: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyChangeView {
    pub version: i64,
    pub rule: Option<PolicyRuleView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyCheckRequest {
    /// `user:<id or email>`, `group:<id or name>`, `team:<id or name>` or `role:<name>`.
    pub subject: String,
    /// `view`, `edit` or `admin`.
    pub action: String,
    /// `dataset:<id>` (or a dataset id).
    pub object: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyCheckView {
    #[serde(flatten)]
    pub explanation: Explanation,
    pub subject: String,
    pub object: String,
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
#[utoipa::path(get, path = "/api/v1/admin/policies", tag = "admin", responses((status = 200, body = PolicyView)))]
pub async fn list_policies(
    state: web::Data<AppState>,
    _caller: AdminCaller,
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
#[utoipa::path(post, path = "/api/v1/admin/policies", tag = "admin", request_body = NewPolicyRuleRequest, responses(
    (status = 201, body = PolicyChangeView),
    (status = 409, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody),
))]
pub async fn add_policy(
    state: web::Data<AppState>,
    caller: AdminCaller,
    body: web::Json<NewPolicyRuleRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
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
#[utoipa::path(delete, path = "/api/v1/admin/policies/{id}", tag = "admin", params(("id" = String, Path)), responses(
    (status = 200, body = PolicyChangeView),
    (status = 404, body = crate::error::ErrorBody),
))]
pub async fn remove_policy(
    state: web::Data<AppState>,
    caller: AdminCaller,
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
#[utoipa::path(post, path = "/api/v1/admin/policies/check", tag = "admin", request_body = PolicyCheckRequest, responses(
    (status = 200, body = PolicyCheckView),
    (status = 422, body = crate::error::ErrorBody),
))]
pub async fn check_policy(
    state: web::Data<AppState>,
    caller: AdminCaller,
    body: web::Json<PolicyCheckRequest>,
) -> ApiResult<web::Json<PolicyCheckView>> {
    let body = body.into_inner();
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
#[utoipa::path(post, path = "/api/v1/admin/policies/dry-run", tag = "admin", request_body = PolicyChange, responses(
    (status = 200, body = DryRunReport),
    (status = 404, description = "a rule to remove is not there", body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody),
))]
pub async fn dry_run_policy(
    state: web::Data<AppState>,
    _caller: AdminCaller,
    body: web::Json<PolicyChange>,
) -> ApiResult<web::Json<DryRunReport>> {
    let change = body.into_inner();
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
