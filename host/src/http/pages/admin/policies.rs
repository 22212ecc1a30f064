//! The access policy page: the rules, a change previewed with the dry run before it is saved,
//! and a check of who may do what.

use actix_web::{HttpResponse, web};

use crate::access::AdminCaller;

use crate::access::policy::RuleLine;
use crate::db::AnyConnection;
use crate::db::datasets::{Dataset, DatasetFilter};
use crate::db::groups::UserGroup;
use crate::db::policy_rules::{PolicyRule, PolicyVersion};
use crate::db::users::User;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::time::to_rfc3339;

use crate::http::pages::page::{Page, error_page, respond, user_context};

/// A rule's subject as people wrote it: `user:ana@example.org` rather than the stored id, and
/// group and team names; anything else (roles, dataset patterns) as it is.
fn readable_subject(conn: &mut AnyConnection, stored: &str) -> String {
    let named = if let Some(id) = stored.strip_prefix("user:") {
        User::find(conn, id)
            .ok()
            .map(|u| format!("user:{}", u.email))
    } else if let Some(id) = stored.strip_prefix("group:") {
        UserGroup::find(conn, id)
            .ok()
            .map(|g| format!("group:{}", g.name))
    } else if let Some(id) = stored.strip_prefix("team:") {
        crate::db::teams::Team::find(conn, id)
            .ok()
            .map(|t| format!("team:{}", t.name))
    } else {
        None
    };
    named.unwrap_or_else(|| stored.to_owned())
}

/// Datasets offered by the policy check's picker (any other is checked through the API).
const CHECK_DATASETS: i64 = 500;

/// The access policy for site admins: the rules, a form that previews a change (a new rule or
/// a removal) with the dry run before saving it, and a check of who may do what.
pub async fn admin_policies_page(
    page: Page<AdminCaller>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Page(AdminCaller(caller)) = page;
    let found = state
        .db
        .run(|conn| {
            let version = PolicyVersion::current(conn)?;
            let rules: Vec<serde_json::Value> = PolicyRule::all(conn)?
                .into_iter()
                .map(|r| {
                    let line = RuleLine {
                        ptype: r.ptype,
                        v0: readable_subject(conn, &r.v0),
                        v1: readable_subject(conn, &r.v1),
                        v2: r.v2,
                    };
                    serde_json::json!({
                        "id": r.id,
                        "rule": line.display(),
                        "note": r.note,
                        "created_at": to_rfc3339(r.created_at),
                    })
                })
                .collect();
            let datasets: Vec<serde_json::Value> =
                Dataset::list(conn, &DatasetFilter::default(), 0, CHECK_DATASETS)?
                    .0
                    .into_iter()
                    .map(|d| serde_json::json!({"id": d.id, "name": d.name}))
                    .collect();
            Ok::<_, ApiError>((version, rules, datasets))
        })
        .await;
    let (version, rules, datasets) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "admin_policies.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "admin",
            "admin_page": "policies",
            "version": version,
            "rules": rules,
            "datasets": datasets,
        }),
    )
}
