//! Sign-in, sessions, CSRF, throttling, API tokens and deactivation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, error_code};

async fn session_cookie_is_httponly_and_writes_need_csrf(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let mut user = app.create_user("ada@example.org", false).await;
    let response = app.login(&mut user).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("tessera_session="))
        .unwrap();
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    let body: Value = response.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    let cookie = user.session.clone().unwrap().cookie;

    let me: Value = app
        .request(Method::GET, "/api/v1/me")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "ada@example.org");

    let without = app
        .request(Method::POST, "/api/v1/teams")
        .header("cookie", &cookie)
        .json(&json!({"name": "Lab"}))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(without).await, "csrf_token_missing");

    let forged = app
        .request(Method::POST, "/api/v1/teams")
        .header("cookie", &cookie)
        .header("x-csrf-token", "not-the-token")
        .json(&json!({"name": "Lab"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let with = app
        .request(Method::POST, "/api/v1/teams")
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "Lab"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::CREATED);

    let logout = app
        .request(Method::POST, "/api/v1/auth/logout")
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let after = app
        .request(Method::GET, "/api/v1/me")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

async fn failed_sign_ins_are_throttled_per_account(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |c| c.login_max_failures = 3).await else {
        return;
    };
    let mut user = app.create_user("grace@example.org", false).await;
    let right = user.password.clone();
    user.password = "wrong password".into();
    for _ in 0..3 {
        let response = app.login(&mut user).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(response).await, "invalid_credentials");
    }
    user.password = right;
    let locked = app.login(&mut user).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60);

    // An unknown account answers exactly like a wrong password.
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&json!({"email": "nobody@example.org", "password": "whatever1"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        response.status(),
        StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
    ));
}

async fn api_tokens_are_shown_once_scoped_and_revocable(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("linus@example.org").await;

    let created: Value = app
        .as_user(&user, Method::POST, "/api/v1/tokens")
        .json(&json!({"name": "read only", "scopes": ["read"], "expires_in": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 40);
    assert!(created["expires_at"].is_string());

    let listed: Value = app.get_json(&user, "/api/v1/tokens").await;
    let text = listed.to_string();
    assert!(!text.contains(&secret), "a listing must not reveal secrets");
    assert_eq!(listed.as_array().unwrap().len(), 2);

    let me = app
        .request(Method::GET, "/api/v1/me")
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let write = app
        .request(Method::POST, "/api/v1/teams")
        .bearer_auth(&secret)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(write).await, "insufficient_scope");

    let id = created["id"].as_str().unwrap();
    let revoke = app
        .as_user(&user, Method::DELETE, &format!("/api/v1/tokens/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    let after = app
        .request(Method::GET, "/api/v1/me")
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);

    let bogus = app
        .request(Method::GET, "/api/v1/me")
        .bearer_auth("tsr_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), StatusCode::UNAUTHORIZED);
}

async fn deactivation_ends_sessions_and_tokens_at_once(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let admin = app.admin("root@example.org").await;
    let user = app.user("eve@example.org").await;
    let cookie = user.session.clone().unwrap().cookie;

    let response = app
        .as_user(
            &admin,
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", user.id),
        )
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let by_token = app
        .as_user(&user, Method::GET, "/api/v1/me")
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), StatusCode::UNAUTHORIZED);
    let by_cookie = app
        .request(Method::GET, "/api/v1/me")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::UNAUTHORIZED);
    let mut again = user.clone();
    let login = app.login(&mut again).await;
    assert_eq!(login.status(), StatusCode::FORBIDDEN);

    // The last active admin cannot switch themselves off.
    let response = app
        .as_user(
            &admin,
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", admin.id),
        )
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    // The suspension is audited; the refused change is not.
    let trail = app
        .get_json(&admin, "/api/v1/admin/audit?action=admin.user.update")
        .await;
    let entries = trail["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{trail}");
    assert_eq!(entries[0]["target"], format!("user:{}", user.id), "{trail}");
    assert_eq!(entries[0]["detail"]["is_active"], false, "{trail}");
}

async fn admin_api_refuses_others(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("mallory@example.org").await;
    let anonymous = app
        .request(Method::GET, "/api/v1/admin/users")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(anonymous).await, "unauthenticated");
    let plain = app
        .as_user(&user, Method::GET, "/api/v1/admin/users")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::FORBIDDEN);

    let admin = app.admin("root@example.org").await;
    let created = app
        .as_user(&admin, Method::POST, "/api/v1/admin/users")
        .json(&json!({"email": "New@Example.org", "name": "New", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let created = app
        .as_user(&admin, Method::POST, "/api/v1/admin/users")
        .json(
            &json!({"email": "New@Example.org", "name": "New", "password": "long enough password"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let duplicate = app
        .as_user(&admin, Method::POST, "/api/v1/admin/users")
        .json(
            &json!({"email": "new@example.org", "name": "New", "password": "long enough password"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let listed: Value = app.get_json(&admin, "/api/v1/admin/users").await;
    assert_eq!(listed["total"], 3);
    // The account made is in the audit trail, once, by the admin; the refused ones are not.
    let trail = app
        .get_json(&admin, "/api/v1/admin/audit?action=admin.user.create")
        .await;
    let entries = trail["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{trail}");
    assert_eq!(entries[0]["actor"], format!("user:{}", admin.id), "{trail}");
    assert_eq!(entries[0]["detail"]["email"], "new@example.org", "{trail}");
}

// Issue 14, item 25 (found by the API conformance run): changes that read and then write in
// a deferred SQLite transaction failed with "database is locked" (500) when another write
// committed in between, instead of waiting their turn.
async fn admin_changes_wait_for_concurrent_writes(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let admin = app.admin("root@example.org").await;
    let mut users = Vec::new();
    for i in 0..4 {
        users.push(app.create_user(&format!("u{i}@example.org"), false).await);
    }
    let mut requests = Vec::new();
    for round in 0..12 {
        for (i, user) in users.iter().enumerate() {
            let body = json!({"is_admin": (round + i) % 2 == 0});
            requests.push(
                app.as_user(
                    &admin,
                    Method::PATCH,
                    &format!("/api/v1/admin/users/{}", user.id),
                )
                .json(&body)
                .send(),
            );
        }
        requests.push(
            app.as_user(&admin, Method::POST, "/api/v1/groups")
                .json(&json!({"name": format!("group {round}")}))
                .send(),
        );
    }
    let statuses: Vec<StatusCode> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    let failed: Vec<_> = statuses.iter().filter(|s| !s.is_success()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} failed: {failed:?}",
        failed.len(),
        statuses.len()
    );
}

crate::on_both_backends!(
    admin_changes_wait_for_concurrent_writes,
    session_cookie_is_httponly_and_writes_need_csrf,
    failed_sign_ins_are_throttled_per_account,
    api_tokens_are_shown_once_scoped_and_revocable,
    deactivation_ends_sessions_and_tokens_at_once,
    admin_api_refuses_others,
);
