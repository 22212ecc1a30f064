//! Issue 16: the people picker (`GET /api/v1/people`), which must never show a plain user
//! someone outside their teams and groups, and the licence field, which takes SPDX identifiers
//! (or "other (see description)") and names an unknown one.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser, error_code, urlencode};

/// The names a search answers, as `kind:name`.
async fn found(app: &TestApp, user: &TestUser, q: &str) -> Vec<String> {
    let answer = app
        .get_json(user, &format!("/api/v1/people?q={}", urlencode(q)))
        .await;
    answer
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|p| {
            format!(
                "{}:{}",
                p["kind"].as_str().unwrap(),
                p["name"].as_str().unwrap()
            )
        })
        .collect()
}

async fn people_search_sees_only_the_people_around(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    for (email, name) in [
        ("tomasz@example.org", "Tomasz Kowalski"),
        ("zofia@example.org", "Zofia Nowak"),
        ("tom.stranger@example.org", "Tom Stranger"),
        ("percent@example.org", "Ninety_Nine Percent"),
    ] {
        let made = app
            .as_user(&root, Method::POST, "/api/v1/admin/users")
            .json(&json!({"email": email, "name": name, "password": "long enough password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), StatusCode::CREATED);
    }
    // Tomasz shares a group Ada made; Zofia and Percent a team with her; the stranger nothing.
    let group: Value = app
        .post_json(&ada, "/api/v1/groups", json!({"name": "Field Team"}))
        .await;
    let group_id = group["id"].as_str().unwrap();
    let team: Value = app
        .post_json(&ada, "/api/v1/teams", json!({"name": "Ocean Lab"}))
        .await;
    let team_id = team["id"].as_str().unwrap();
    for (path, email) in [
        (
            format!("/api/v1/groups/{group_id}/members"),
            "tomasz@example.org",
        ),
        (
            format!("/api/v1/teams/{team_id}/members"),
            "zofia@example.org",
        ),
        (
            format!("/api/v1/teams/{team_id}/members"),
            "percent@example.org",
        ),
    ] {
        let added = app
            .as_user(&ada, Method::POST, &path)
            .json(&json!({"user": email}))
            .send()
            .await
            .unwrap();
        assert!(added.status().is_success(), "{}", added.status());
    }

    // Case-blind, by name or email; the stranger called Tom is never offered to Ada.
    assert_eq!(found(&app, &ada, "TOM").await, ["user:Tomasz Kowalski"]);
    assert_eq!(
        found(&app, &ada, "zofia@EXAMPLE").await,
        ["user:Zofia Nowak"]
    );
    assert!(found(&app, &ada, "stranger").await.is_empty());
    // Groups and teams by name; never the caller herself.
    assert_eq!(found(&app, &ada, "field").await, ["group:Field Team"]);
    assert_eq!(found(&app, &ada, "ocean lab").await, ["team:Ocean Lab"]);
    assert!(found(&app, &ada, "ada").await.is_empty());
    // `%` and `_` are letters, not wildcards.
    assert!(found(&app, &ada, "%").await.is_empty());
    assert_eq!(
        found(&app, &ada, "ty_n").await,
        ["user:Ninety_Nine Percent"]
    );
    assert!(found(&app, &ada, "y_").await.len() == 1);
    assert!(found(&app, &ada, "").await.is_empty());

    // The stranger sees the groups any user may list, but no one, and not Ada's team.
    let stranger = app.user("eve@example.org").await;
    assert!(
        found(&app, &stranger, "a")
            .await
            .iter()
            .all(|f| f.starts_with("group:"))
    );
    assert!(found(&app, &stranger, "ocean").await.is_empty());
    // A site admin finds everyone.
    assert_eq!(
        found(&app, &root, "tom").await,
        ["user:Tom Stranger", "user:Tomasz Kowalski"]
    );

    // A person's email comes with them; a limit is kept; a long query is refused.
    let answer = app.get_json(&ada, "/api/v1/people?q=nowak").await;
    assert_eq!(answer[0]["email"], "zofia@example.org");
    assert_eq!(answer[0]["kind"], "user");
    let limited = app.get_json(&ada, "/api/v1/people?q=o&limit=1").await;
    assert_eq!(
        limited
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["kind"] == "user")
            .count(),
        1
    );
    let long = app
        .as_user(
            &ada,
            Method::GET,
            &format!("/api/v1/people?q={}", "a".repeat(201)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = app
        .request(Method::GET, "/api/v1/people?q=tom")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn a_licence_change_is_checked_against_the_spdx_list(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&ada, "reef.csv", b"site,count\nA,1\n")
        .await;
    let path = format!("/api/v1/datasets/{id}");
    let patch = |body: Value| app.as_user(&ada, Method::PATCH, &path).json(&body).send();

    let refused = patch(json!({"licence": "CC-BY-4"})).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "'CC-BY-4' is not an SPDX licence identifier; did you mean CC-BY-4.0?"
    );
    let unknown = patch(json!({"licence": "whatever I like"})).await.unwrap();
    assert_eq!(error_code(unknown).await, "validation_failed");

    for (given, stored) in [
        ("cc-by-4.0", "CC-BY-4.0"),
        ("MIT OR Apache-2.0", "MIT OR Apache-2.0"),
        ("Other (see description)", "other (see description)"),
    ] {
        let changed = patch(json!({"licence": given})).await.unwrap();
        assert_eq!(changed.status(), StatusCode::OK, "{given}");
        let changed: Value = changed.json().await.unwrap();
        assert_eq!(changed["licence"], stored);
    }
}

crate::on_both_backends!(
    people_search_sees_only_the_people_around,
    a_licence_change_is_checked_against_the_spdx_list,
);
