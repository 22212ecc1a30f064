use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::AdminCaller;
use crate::access::policy::{Explanation, Object, RuleLine, Subject};
use crate::access::rules;
use crate::access::{Level, audit};
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

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
            let object = Object::written(&body.object);
            // The same checks a rule's subject gets, so emails and names work here too.
            let subject = rules::validate(
                conn,
                &RuleLine {
                    ptype: "p".into(),
                    v0: body.subject.clone(),
                    v1: object.to_string(),
                    v2: action.as_str().into(),
                },
            )?
            .v0;
            let subject = Subject::written(subject);
            let snapshot = caller.0.access.snapshot(conn, now_millis())?;
            let explanation = snapshot.explain(&subject, &object, action)?;
            audit::record(
                conn,
                now_millis(),
                audit::AuditEvent::new(audit::actor_user(&caller.0.user.id), "policy.check", object.to_string())
                    .detail(serde_json::json!({"subject": subject.as_str(), "action": action.as_str(), "allowed": explanation.allowed}))
                    .address(caller.0.address.clone()),
            )?;
            Ok::<_, ApiError>(PolicyCheckView {
                explanation,
                subject: subject.into(),
                object: object.into(),
                action: action.as_str().to_owned(),
            })
        })
        .await?;
    Ok(web::Json(view))
}
