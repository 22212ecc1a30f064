//! Teams own datasets together; groups collect users to share with.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, error_code};

async fn team_members_see_and_edit_team_datasets(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let eve = app.user("eve@example.org").await;
    let team: Value = app
        .as_user(&ada, Method::POST, "/api/v1/teams")
        .json(&json!({"name": "Ocean Lab"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let team_id = team["id"].as_str().unwrap().to_owned();

    // Only members may put datasets in the team.
    let refused = app
        .upload_to(
            &bob,
            "/api/v1/datasets",
            "d.csv",
            b"a\n1\n".to_vec(),
            &[("team", "Ocean Lab")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
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
    let by_member = app
        .as_user(
            &bob,
            Method::POST,
            &format!("/api/v1/teams/{team_id}/members"),
        )
        .json(&json!({"user": "eve@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_member.status(), StatusCode::FORBIDDEN);

    let created: Value = app
        .upload_to(
            &ada,
            "/api/v1/datasets",
            "d.csv",
            b"a\n1\n".to_vec(),
            &[("team", "Ocean Lab")],
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let listed: Value = app
        .get_json(&bob, &format!("/api/v1/datasets?team={team_id}"))
        .await;
    assert_eq!(listed["total"], 1);
    let detail: Value = app.get_json(&bob, &format!("/api/v1/datasets/{id}")).await;
    assert_eq!(detail["access"], "edit");
    let edit = app
        .as_user(&bob, Method::PATCH, &format!("/api/v1/datasets/{id}"))
        .json(&json!({"description": "by bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), StatusCode::OK);
    let delete = app
        .as_user(&bob, Method::DELETE, &format!("/api/v1/datasets/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(delete).await, "forbidden");
    let outsider = app
        .as_user(&eve, Method::GET, &format!("/api/v1/datasets/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);

    // The last owner stays.
    let leave = app
        .as_user(
            &ada,
            Method::DELETE,
            &format!("/api/v1/teams/{team_id}/members/{}", ada.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(leave.status(), StatusCode::CONFLICT);
    // A member may leave; then the team's datasets are out of reach.
    let leave = app
        .as_user(
            &bob,
            Method::DELETE,
            &format!("/api/v1/teams/{team_id}/members/{}", bob.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(leave.status(), StatusCode::NO_CONTENT);
    let gone = app
        .as_user(&bob, Method::GET, &format!("/api/v1/datasets/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    let duplicate = app
        .as_user(&eve, Method::POST, "/api/v1/teams")
        .json(&json!({"name": "Ocean Lab"}))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
}

async fn groups_collect_members(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let group: Value = app
        .as_user(&ada, Method::POST, "/api/v1/groups")
        .json(&json!({"name": "Reviewers"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = group["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/groups/{id}/members");
    assert_eq!(
        app.as_user(&ada, Method::POST, &path)
            .json(&json!({"user": "bob@example.org"}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let unknown = app
        .as_user(&ada, Method::POST, &path)
        .json(&json!({"user": "nobody@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let by_other = app
        .as_user(&bob, Method::POST, &path)
        .json(&json!({"user": "ada@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_other.status(), StatusCode::FORBIDDEN);
    let detail: Value = app.get_json(&bob, &format!("/api/v1/groups/{id}")).await;
    assert_eq!(detail["members"][0]["email"], "bob@example.org");
    let leave = app
        .as_user(&bob, Method::DELETE, &format!("{path}/{}", bob.id))
        .send()
        .await
        .unwrap();
    assert_eq!(leave.status(), StatusCode::NO_CONTENT);
    let deleted = app
        .as_user(&ada, Method::DELETE, &format!("/api/v1/groups/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}

crate::on_both_backends!(
    team_members_see_and_edit_team_datasets,
    groups_collect_members
);
