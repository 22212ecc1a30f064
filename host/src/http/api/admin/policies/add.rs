use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{PolicyChangeView, changer};
use crate::access::AdminCaller;
use crate::access::policy::RuleLine;
use crate::access::rules;
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

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
