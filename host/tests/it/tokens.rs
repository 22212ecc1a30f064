//! Personal API tokens minting tokens: never more than the token that asks.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, error_code};

async fn mint(app: &TestApp, with: &str, body: Value) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/tokens")
        .bearer_auth(with)
        .json(&body)
        .send()
        .await
        .unwrap()
}

// Issue 14, item 9: an admin's read-write token minted an admin-scoped token, and a 60-second
// token minted one that never expires.
async fn a_token_mints_only_tokens_within_its_own_scopes_and_expiry(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;

    // A site admin's read-write token (no admin scope), with a short life.
    let parent = mint(
        &app,
        root.token.as_deref().unwrap(),
        json!({"name": "rw", "scopes": ["read", "write"], "expires_in": 60}),
    )
    .await;
    assert_eq!(parent.status(), StatusCode::CREATED);
    let parent: Value = parent.json().await.unwrap();
    let parent_secret = parent["token"].as_str().unwrap().to_owned();
    let parent_expiry = parent["expires_at"].as_str().unwrap().to_owned();

    // No admin scope from a token without it, although its owner is a site admin.
    let escalated = mint(
        &app,
        &parent_secret,
        json!({"name": "up", "scopes": ["read", "write", "admin"]}),
    )
    .await;
    assert_eq!(escalated.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(escalated).await, "forbidden");

    // No token that outlives it: not an explicit later expiry...
    let longer = mint(
        &app,
        &parent_secret,
        json!({"name": "long", "scopes": ["read"], "expires_in": 3600}),
    )
    .await;
    assert_eq!(longer.status(), StatusCode::FORBIDDEN);
    let later = mint(
        &app,
        &parent_secret,
        json!({"name": "later", "scopes": ["read"], "expires_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(later.status(), StatusCode::FORBIDDEN);

    // ...and not "never": without an expiry, the child ends when its parent does.
    let child = mint(
        &app,
        &parent_secret,
        json!({"name": "child", "scopes": ["read"]}),
    )
    .await;
    assert_eq!(child.status(), StatusCode::CREATED);
    let child: Value = child.json().await.unwrap();
    assert_eq!(child["expires_at"], parent_expiry.as_str());
    assert_eq!(child["scopes"], json!(["read"]));

    // Within both, it works, and the child does what its scopes say.
    let shorter = mint(
        &app,
        &parent_secret,
        json!({"name": "short", "scopes": ["write"], "expires_in": 30}),
    )
    .await;
    assert_eq!(shorter.status(), StatusCode::CREATED);
    let shorter: Value = shorter.json().await.unwrap();
    let admin_api = app
        .request(Method::GET, "/api/v1/admin/users")
        .bearer_auth(shorter["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(admin_api.status(), StatusCode::FORBIDDEN);

    // A read-only token mints no write token.
    let reader = mint(
        &app,
        &parent_secret,
        json!({"name": "r", "scopes": ["read"]}),
    )
    .await;
    let reader: Value = reader.json().await.unwrap();
    let reader_secret = reader["token"].as_str().unwrap();
    // (A read-only token cannot POST at all; the scope check comes first.)
    let refused = mint(
        &app,
        reader_secret,
        json!({"name": "w", "scopes": ["write"]}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The admin's full token and a signed-in session still mint admin tokens that never
    // expire: the limits bind tokens, not their owners.
    let full = mint(
        &app,
        root.token.as_deref().unwrap(),
        json!({"name": "full", "scopes": ["admin"]}),
    )
    .await;
    assert_eq!(full.status(), StatusCode::CREATED);
    let full: Value = full.json().await.unwrap();
    assert!(full["expires_at"].is_null());
}

// Issue 14, item 25: `expires_in` is held to what the document states, seconds from 1 to a
// hundred years, as for shares and links. Beyond it, a token was created whose `expires_at`
// read "" (not a time), and past 2^63 seconds the number wrapped and was refused as "in the
// past".
async fn a_token_expiry_is_held_to_the_documented_range(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ana = app.user("ana@example.org").await;
    let token = ana.token.as_deref().unwrap();
    let hundred_years: u64 = 100 * 365 * 24 * 3600;
    for seconds in [1, hundred_years] {
        let made = mint(&app, token, json!({"name": "t", "expires_in": seconds})).await;
        assert_eq!(made.status(), StatusCode::CREATED, "expires_in {seconds}");
        let made: Value = made.json().await.unwrap();
        let at = made["expires_at"].as_str().unwrap();
        assert!(
            tessera::time::from_rfc3339(at).is_some(),
            "expires_in {seconds} gave expires_at {at:?}"
        );
    }
    for seconds in [0, hundred_years + 1, i64::MAX as u64, u64::MAX] {
        let refused = mint(&app, token, json!({"name": "t", "expires_in": seconds})).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "expires_in {seconds}"
        );
        assert_eq!(error_code(refused).await, "validation_failed");
    }
}

crate::on_both_backends!(
    a_token_mints_only_tokens_within_its_own_scopes_and_expiry,
    a_token_expiry_is_held_to_the_documented_range,
);
