//! Teams own datasets together; groups collect users to share with.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser, error_code};

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

/// A request's status and error message (`None` for a success without one).
async fn answer(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Option<String>) {
    let request = app.as_user(user, method, path);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status();
    let body: Option<Value> = response.json().await.ok();
    let message = body.and_then(|b| b["error"]["message"].as_str().map(str::to_owned));
    (status, message)
}

/// The audit entries of one action, oldest first.
async fn audited(app: &TestApp, admin: &TestUser, action: &str) -> Vec<Value> {
    let page = app
        .get_json(
            admin,
            &format!("/api/v1/admin/audit?limit=200&action={action}"),
        )
        .await;
    let mut items = page["items"].as_array().unwrap().clone();
    items.sort_by_key(|e| e["seq"].as_i64());
    items
}

/// Issue 15: the rules of teams and groups moved from their handlers into the domain
/// (`teams.rs`, `groups.rs`); each refusal answers with the status and the sentence it did, and
/// each change leaves the audit entry it did.
async fn team_and_group_rules_answer_as_before(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let carol = app.user("carol@example.org").await;
    let eve = app.user("eve@example.org").await;
    let refusal = |status: StatusCode, message: &str| (status, Some(message.to_owned()));
    let done = (StatusCode::NO_CONTENT, None);

    let team: Value = app
        .post_json(&ada, "/api/v1/teams", json!({"name": " Ocean Lab "}))
        .await;
    assert_eq!(team["name"], "Ocean Lab");
    let members = format!("/api/v1/teams/{}/members", team["id"].as_str().unwrap());
    let put = |user: &str, role: Option<&str>| {
        let mut body = json!({"user": user});
        if let Some(role) = role {
            body["role"] = json!(role);
        }
        Some(body)
    };
    assert_eq!(
        answer(
            &app,
            &ada,
            Method::POST,
            "/api/v1/teams",
            Some(json!({"name": "  "}))
        )
        .await,
        refusal(StatusCode::UNPROCESSABLE_ENTITY, "name must not be empty")
    );
    assert_eq!(
        answer(
            &app,
            &ada,
            Method::POST,
            &members,
            put("bob@example.org", Some("boss"))
        )
        .await,
        refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "role must be 'owner' or 'member'"
        )
    );
    assert_eq!(
        answer(
            &app,
            &ada,
            Method::POST,
            &members,
            put("nobody@example.org", None)
        )
        .await,
        refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "there is no user 'nobody@example.org'"
        )
    );
    for user in ["bob@example.org", "carol@example.org"] {
        assert_eq!(
            answer(&app, &ada, Method::POST, &members, put(user, None)).await,
            done
        );
    }
    // The only owner cannot become a member.
    assert_eq!(
        answer(
            &app,
            &ada,
            Method::POST,
            &members,
            put("ada@example.org", Some("member"))
        )
        .await,
        refusal(StatusCode::CONFLICT, "a team needs at least one owner")
    );
    // Removing someone else: a member is refused, a stranger is not told the team exists.
    let carol_member = format!("{members}/{}", carol.id);
    assert_eq!(
        answer(&app, &bob, Method::DELETE, &carol_member, None).await,
        refusal(
            StatusCode::FORBIDDEN,
            "only the team's owners can manage its members"
        )
    );
    assert_eq!(
        answer(&app, &eve, Method::DELETE, &carol_member, None).await,
        refusal(StatusCode::NOT_FOUND, "team not found")
    );
    assert_eq!(
        answer(&app, &ada, Method::DELETE, &carol_member, None).await,
        done
    );
    assert_eq!(
        answer(&app, &ada, Method::DELETE, &carol_member, None).await,
        refusal(StatusCode::NOT_FOUND, "team member not found")
    );
    // With a second owner, the first may step down.
    assert_eq!(
        answer(
            &app,
            &ada,
            Method::POST,
            &members,
            put("bob@example.org", Some("owner"))
        )
        .await,
        done
    );
    assert_eq!(
        answer(
            &app,
            &ada,
            Method::POST,
            &members,
            put("ada@example.org", Some("member"))
        )
        .await,
        done
    );
    let target = format!("team:{}", team["id"].as_str().unwrap());
    let puts = audited(&app, &root, "team.member.put").await;
    for entry in &puts {
        assert_eq!(entry["actor"], format!("user:{}", ada.id));
        assert_eq!(entry["target"], target.as_str());
    }
    let puts: Vec<(&Value, &Value)> = puts
        .iter()
        .map(|e| (&e["detail"]["user"], &e["detail"]["role"]))
        .collect();
    assert_eq!(
        puts,
        [
            (&json!(bob.id), &json!("member")),
            (&json!(carol.id), &json!("member")),
            (&json!(bob.id), &json!("owner")),
            (&json!(ada.id), &json!("member")),
        ]
    );
    let removals = audited(&app, &root, "team.member.remove").await;
    assert_eq!(removals.len(), 1, "{removals:?}");
    assert_eq!(removals[0]["target"], target.as_str());
    assert_eq!(removals[0]["detail"], json!({"user": carol.id}));

    // Groups: admin-managed ones are for site admins alone, to make and to change.
    assert_eq!(
        answer(
            &app,
            &bob,
            Method::POST,
            "/api/v1/groups",
            Some(json!({"name": "Curators", "managed": true}))
        )
        .await,
        refusal(
            StatusCode::FORBIDDEN,
            "only site admins create admin-managed groups"
        )
    );
    let managed: Value = app
        .post_json(
            &root,
            "/api/v1/groups",
            json!({"name": "Curators", "managed": true}),
        )
        .await;
    let managed_members = format!("/api/v1/groups/{}/members", managed["id"].as_str().unwrap());
    for user in ["bob@example.org", "carol@example.org"] {
        let body = Some(json!({"user": user}));
        assert_eq!(
            answer(&app, &root, Method::POST, &managed_members, body).await,
            done
        );
    }
    assert_eq!(
        answer(
            &app,
            &bob,
            Method::DELETE,
            &format!("{managed_members}/{}", carol.id),
            None
        )
        .await,
        refusal(
            StatusCode::FORBIDDEN,
            "only site admins change an admin-managed group"
        )
    );
    // Leaving is one's own business, admin-managed group or not; once.
    let bob_leaves = format!("{managed_members}/{}", bob.id);
    assert_eq!(
        answer(&app, &bob, Method::DELETE, &bob_leaves, None).await,
        done
    );
    assert_eq!(
        answer(&app, &bob, Method::DELETE, &bob_leaves, None).await,
        refusal(StatusCode::NOT_FOUND, "group member not found")
    );
    let own: Value = app
        .post_json(&ada, "/api/v1/groups", json!({"name": "Reviewers"}))
        .await;
    let own_path = format!("/api/v1/groups/{}", own["id"].as_str().unwrap());
    assert_eq!(
        answer(&app, &bob, Method::DELETE, &own_path, None).await,
        refusal(
            StatusCode::FORBIDDEN,
            "only the group's creator or a site admin can change it"
        )
    );
    assert_eq!(
        answer(
            &app,
            &ada,
            Method::DELETE,
            "/api/v1/groups/no-such-group",
            None
        )
        .await,
        refusal(StatusCode::NOT_FOUND, "group not found")
    );
    assert_eq!(
        answer(&app, &ada, Method::DELETE, &own_path, None).await,
        done
    );

    let created = audited(&app, &root, "group.create").await;
    let created: Vec<&Value> = created.iter().map(|e| &e["detail"]).collect();
    assert_eq!(
        created,
        [
            &json!({"name": "Curators", "managed": true}),
            &json!({"name": "Reviewers", "managed": false}),
        ]
    );
    let managed_target = format!("group:{}", managed["id"].as_str().unwrap());
    let added = audited(&app, &root, "group.member.add").await;
    assert_eq!(added.len(), 2, "{added:?}");
    assert!(added.iter().all(|e| e["target"] == managed_target.as_str()));
    let removed = audited(&app, &root, "group.member.remove").await;
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0]["actor"], format!("user:{}", bob.id));
    assert_eq!(removed[0]["detail"], json!({"user": bob.id}));
    let deleted = audited(&app, &root, "group.delete").await;
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!(
        deleted[0]["target"],
        format!("group:{}", own["id"].as_str().unwrap())
    );
}

crate::on_both_backends!(
    team_members_see_and_edit_team_datasets,
    groups_collect_members,
    team_and_group_rules_answer_as_before
);
