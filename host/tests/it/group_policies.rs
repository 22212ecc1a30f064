//! Groups in policy rules: only admin-managed groups, so that no user can make or join a
//! group a rule names.

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser, error_code};

async fn create_group(app: &TestApp, who: &TestUser, body: Value) -> reqwest::Response {
    app.as_user(who, Method::POST, "/api/v1/groups")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn add_member(app: &TestApp, who: &TestUser, group: &str, member: &TestUser) -> StatusCode {
    app.as_user(
        who,
        Method::POST,
        &format!("/api/v1/groups/{group}/members"),
    )
    .json(&json!({"user": member.email}))
    .send()
    .await
    .unwrap()
    .status()
}

async fn add_rule(app: &TestApp, admin: &TestUser, v0: &str, v1: &str) -> reqwest::Response {
    app.as_user(admin, Method::POST, "/api/v1/admin/policies")
        .json(&json!({"ptype": "g", "v0": v0, "v1": v1, "note": "audit"}))
        .send()
        .await
        .unwrap()
}

async fn can_view(app: &TestApp, who: &TestUser, dataset: &str) -> bool {
    let response = app
        .as_user(who, Method::GET, &format!("/api/v1/datasets/{dataset}"))
        .send()
        .await
        .unwrap();
    response.status() == StatusCode::OK
}

// Issue 14, item 16: any user could create a group whose name an admin later used in a policy
// rule, and so gain what the rule grants.
async fn a_user_cannot_squat_a_group_an_admins_rule_names(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let mallory = app.user("mallory@example.org").await;
    let created: Value = app
        .upload(&ada, "plankton.csv", b"site,count\nA,1\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let dataset = created["id"].as_str().unwrap().to_owned();

    // Mallory gets in first with the name the admins will use, and joins it.
    let squat = create_group(&app, &mallory, json!({"name": "reviewers"})).await;
    assert_eq!(squat.status(), StatusCode::CREATED);
    let squat: Value = squat.json().await.unwrap();
    assert_eq!(squat["managed"], false);
    let squat_id = squat["id"].as_str().unwrap();
    assert!(
        add_member(&app, &mallory, squat_id, &mallory)
            .await
            .is_success()
    );

    // The admin's rule does not silently bind to her group: it is refused, naming why.
    let rule = add_rule(&app, &root, "group:reviewers", "role:auditor").await;
    assert_eq!(rule.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = rule.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation_failed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("admin-managed"),
        "{body}"
    );
    // Not by id either, and not as a group to put someone in.
    let by_id = add_rule(&app, &root, &format!("group:{squat_id}"), "role:auditor").await;
    assert_eq!(by_id.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let into = add_rule(&app, &root, "user:bob@example.org", "group:reviewers").await;
    assert_eq!(into.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!can_view(&app, &mallory, &dataset).await);

    // Only site admins make admin-managed groups.
    let refused = create_group(&app, &mallory, json!({"name": "auditors", "managed": true})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(refused).await, "forbidden");
    let managed = create_group(&app, &root, json!({"name": "auditors", "managed": true})).await;
    assert_eq!(managed.status(), StatusCode::CREATED);
    let managed: Value = managed.json().await.unwrap();
    assert_eq!(managed["managed"], true);
    let managed_id = managed["id"].as_str().unwrap().to_owned();
    let rule = add_rule(&app, &root, "group:auditors", "role:auditor").await;
    assert_eq!(rule.status(), StatusCode::CREATED);

    // Its name is taken for everyone, and nobody but site admins changes it.
    let same_name = create_group(&app, &mallory, json!({"name": "auditors"})).await;
    assert_eq!(same_name.status(), StatusCode::CONFLICT);
    assert_eq!(
        add_member(&app, &mallory, &managed_id, &mallory).await,
        StatusCode::FORBIDDEN
    );
    let delete = app
        .as_user(
            &mallory,
            Method::DELETE,
            &format!("/api/v1/groups/{managed_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    assert!(
        add_member(&app, &root, &managed_id, &bob)
            .await
            .is_success()
    );
    assert!(can_view(&app, &bob, &dataset).await);
    assert!(!can_view(&app, &mallory, &dataset).await);
    // A member may still leave it.
    let left = app
        .as_user(
            &bob,
            Method::DELETE,
            &format!("/api/v1/groups/{managed_id}/members/{}", bob.id),
        )
        .send()
        .await
        .unwrap();
    assert!(left.status().is_success());
    assert!(!can_view(&app, &bob, &dataset).await);

    // Once the admins delete it, the name is free again, but the rule stays bound to the old
    // group: whoever takes the name gains nothing.
    let delete = app
        .as_user(
            &root,
            Method::DELETE,
            &format!("/api/v1/groups/{managed_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    let taken = create_group(&app, &mallory, json!({"name": "auditors"})).await;
    assert_eq!(taken.status(), StatusCode::CREATED);
    let taken: Value = taken.json().await.unwrap();
    assert!(
        add_member(&app, &mallory, taken["id"].as_str().unwrap(), &mallory)
            .await
            .is_success()
    );
    assert!(!can_view(&app, &mallory, &dataset).await);

    // A rule that names a user-made group, written before groups had kinds, grants nothing.
    {
        use tessera::db::schema::policy_rules;
        let mut conn = app.state.db.get().unwrap();
        diesel::insert_into(policy_rules::table)
            .values((
                policy_rules::id.eq("legacy-rule"),
                policy_rules::ptype.eq("g"),
                policy_rules::v0.eq(format!("group:{squat_id}")),
                policy_rules::v1.eq("role:auditor"),
                policy_rules::v2.eq(""),
                policy_rules::note.eq("written before groups had kinds"),
                policy_rules::created_at.eq(0_i64),
            ))
            .execute(&mut *conn)
            .unwrap();
        tessera::db::access_state::AccessState::bump(&mut conn).unwrap();
    }
    assert!(!can_view(&app, &mallory, &dataset).await);
}

crate::on_both_backends!(a_user_cannot_squat_a_group_an_admins_rule_names);
