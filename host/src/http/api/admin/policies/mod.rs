//! Access policies for site admins: read the rules, add and remove them (each change
//! validated, versioned and audited), ask "may S do A on O?" with the deciding rule, and
//! preview a change's effect (who gains, who loses) before applying it.

pub mod add;
pub mod check;
pub mod dry_run;
pub mod list;
pub mod remove;

use serde::Serialize;
use utoipa::ToSchema;

use crate::access::AdminCaller;
use crate::access::audit;
use crate::access::policy::RuleLine;
use crate::access::rules::Changer;
use crate::db::policy_rules::PolicyRule;
use crate::time::to_rfc3339;

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

fn changer(caller: &AdminCaller) -> Changer<'_> {
    Changer {
        user_id: Some(&caller.0.user.id),
        actor: audit::actor_user(&caller.0.user.id),
        address: caller.0.address.clone(),
    }
}
