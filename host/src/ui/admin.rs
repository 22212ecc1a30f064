//! Pages for site admins.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::access::policy::RuleLine;
use crate::db::policy_rules::{PolicyRule, PolicyVersion};
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::to_rfc3339;

use super::page::{admin_signed_in, error_page, respond, user_context};

/// The access policy for site admins: the rules, and a form that previews a change with the
/// dry run before saving it.
pub async fn admin_policies_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let caller = match admin_signed_in(&req).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let found = state
        .db
        .run(|conn| {
            let version = PolicyVersion::current(conn)?;
            let rules: Vec<serde_json::Value> = PolicyRule::all(conn)?
                .into_iter()
                .map(|r| {
                    let line = RuleLine {
                        ptype: r.ptype,
                        v0: r.v0,
                        v1: r.v1,
                        v2: r.v2,
                    };
                    serde_json::json!({
                        "rule": line.display(),
                        "note": r.note,
                        "created_at": to_rfc3339(r.created_at),
                    })
                })
                .collect();
            Ok::<_, ApiError>((version, rules))
        })
        .await;
    let (version, rules) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "admin_policies.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "admin",
            "version": version,
            "rules": rules,
        }),
    )
}
