//! Issue 16: teams from the web UI. The Teams page lists the reader's teams with their members
//! and the datasets they own with their team; a team's owner renames it (`PATCH
//! /api/v1/teams/{id}`) and adds people by name as well as by email.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, error_code};

async fn a_team_is_renamed_by_its_owners(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let eve = app.user("eve@example.org").await;
    let team = app
        .post_json(&ada, "/api/v1/teams", json!({"name": "Ocean Lab"}))
        .await;
    let id = team["id"].as_str().unwrap().to_owned();
    app.post_json(&ada, "/api/v1/teams", json!({"name": "Taken"}))
        .await;
    let path = format!("/api/v1/teams/{id}");
    let added = app
        .as_user(&ada, Method::POST, &format!("{path}/members"))
        .json(&json!({"user": "bob@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::NO_CONTENT);

    let patch = |user, body: Value| app.as_user(user, Method::PATCH, &path).json(&body).send();
    let renamed = patch(
        &ada,
        json!({"name": " Ocean and Rivers Lab ", "description": "Water"}),
    )
    .await
    .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    let renamed: Value = renamed.json().await.unwrap();
    assert_eq!(renamed["name"], "Ocean and Rivers Lab");
    assert_eq!(renamed["description"], "Water");
    assert_eq!(renamed["id"], id.as_str());
    // Only the name: the description stays.
    let again: Value = patch(&ada, json!({"name": "Ocean Lab"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["description"], "Water");

    let member = patch(&bob, json!({"name": "Bob's"})).await.unwrap();
    assert_eq!(member.status(), StatusCode::FORBIDDEN);
    let outsider = patch(&eve, json!({"name": "Eve's"})).await.unwrap();
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    let taken = patch(&ada, json!({"name": "Taken"})).await.unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let empty = patch(&ada, json!({"name": "  "})).await.unwrap();
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(empty).await, "validation_failed");
    assert_eq!(app.get_json(&bob, &path).await["name"], "Ocean Lab");

    let log = app
        .get_json(&root, "/api/v1/admin/audit?action=team.update")
        .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 2, "{log}");
}

async fn team_members_are_added_by_name(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    tessera::accounts::create_user(
        &app.state.db,
        None,
        "carol@example.org",
        "Carol Jones",
        "correct horse battery staple",
        false,
    )
    .await
    .unwrap();
    let lab = app
        .post_json(&ada, "/api/v1/teams", json!({"name": "Lab"}))
        .await;
    let lab = lab["id"].as_str().unwrap().to_owned();
    let put = |team: String, user: &'static str| {
        let app = &app;
        let ada = &ada;
        async move {
            app.as_user(ada, Method::POST, &format!("/api/v1/teams/{team}/members"))
                .json(&json!({"user": user}))
                .send()
                .await
                .unwrap()
        }
    };
    // A stranger's name is not looked up site-wide.
    let unknown = put(lab.clone(), "carol jones").await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        put(lab.clone(), "carol@example.org").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        put(lab.clone(), "bob@example.org").await.status(),
        StatusCode::NO_CONTENT
    );

    let field = app
        .post_json(&ada, "/api/v1/teams", json!({"name": "Field"}))
        .await;
    let field = field["id"].as_str().unwrap().to_owned();
    assert_eq!(
        put(field.clone(), "  Carol   JONES ").await.status(),
        StatusCode::NO_CONTENT
    );
    // Ada and Bob are both "Test User": which one is meant cannot be told.
    let several = put(field.clone(), "test user").await;
    assert_eq!(several.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let detail = app.get_json(&ada, &format!("/api/v1/teams/{field}")).await;
    let emails: Vec<&str> = detail["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 2, "{detail}");
    assert!(emails.contains(&"carol@example.org"), "{detail}");
    let _ = bob;
}

async fn the_teams_page_shows_teams_members_and_datasets(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let team = app
        .post_json(
            &ada,
            "/api/v1/teams",
            json!({"name": "Ocean Lab", "description": "Salt water"}),
        )
        .await;
    let team_id = team["id"].as_str().unwrap().to_owned();
    let added = app
        .as_user(
            &ada,
            Method::POST,
            &format!("/api/v1/teams/{team_id}/members"),
        )
        .json(&json!({"user": "bob@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::NO_CONTENT);
    let dataset = app.upload_dataset(&ada, "plankton.csv", b"a\n1\n").await;
    let moved = app
        .as_user(&ada, Method::PATCH, &format!("/api/v1/datasets/{dataset}"))
        .json(&json!({"team": team_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);

    let page = app.page_html(&ada, "/teams").await;
    assert!(
        page.contains("href=\"/teams\" aria-current=\"page\""),
        "{page}"
    );
    assert!(
        page.contains("Ocean Lab") && page.contains("Salt water"),
        "{page}"
    );
    assert!(page.contains("bob@example.org"), "{page}");
    assert!(page.contains("Save name and description"), "{page}");
    assert!(page.contains("class=\"member-role\""), "{page}");
    assert!(
        page.contains(&format!("data-dataset=\"{dataset}\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("<option value=\"{team_id}\" selected>")),
        "{page}"
    );
    assert!(page.contains("/static/js/teams.js"), "{page}");

    // A member reads the team, may leave it, and manages nothing.
    let page = app.page_html(&bob, "/teams").await;
    assert!(
        page.contains("Ocean Lab") && page.contains(">Leave<"),
        "{page}"
    );
    assert!(!page.contains("Save name and description"), "{page}");
    assert!(!page.contains("class=\"member-role\""), "{page}");
    assert!(page.contains("You own no datasets yet."), "{page}");

    let script = app
        .client
        .get(app.url("/static/js/teams.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    // Every page links to it.
    assert!(
        app.page_html(&bob, "/datasets")
            .await
            .contains("href=\"/teams\"")
    );
}

crate::on_both_backends!(
    a_team_is_renamed_by_its_owners,
    team_members_are_added_by_name,
    the_teams_page_shows_teams_members_and_datasets,
);
