//! Issue 16: a site admin makes a password-reset link for someone and passes it on; whoever
//! opens it chooses a new password once, which ends the account's sessions. A link that does
//! not work says why, on a page.

use reqwest::{Method, StatusCode, redirect};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp};

const NEW_PASSWORD: &str = "a new and private passphrase";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// The path of a link the API answered with.
fn path_of(made: &Value) -> String {
    let url = made["url"].as_str().unwrap();
    let at = url.find("/reset-password/").unwrap();
    url[at..].to_owned()
}

async fn make_link(
    app: &TestApp,
    admin: &crate::common::TestUser,
    user_id: &str,
) -> reqwest::Response {
    app.as_user(
        admin,
        Method::POST,
        &format!("/api/v1/admin/users/{user_id}/password-reset"),
    )
    .send()
    .await
    .unwrap()
}

async fn post_form(
    app: &TestApp,
    path: &str,
    password: &str,
    confirm: &str,
) -> (StatusCode, String) {
    let response = browser()
        .post(app.url(path))
        .form(&[("password", password), ("confirm", confirm)])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.request(Method::POST, "/api/v1/auth/login")
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

async fn an_admin_gives_a_single_use_reset_link(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let mut ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;

    // Site admins only.
    assert_eq!(
        make_link(&app, &bob, &ada.id).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        make_link(&app, &root, "0193a8f0-0000-7000-8000-000000000000")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let made = make_link(&app, &root, &ada.id).await;
    assert_eq!(made.status(), StatusCode::CREATED);
    assert_eq!(made.headers()["cache-control"], "no-store");
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["email"], "ada@example.org");
    let path = path_of(&made);
    // `tpr_` and 256 bits in base64url.
    assert_eq!(path.len(), "/reset-password/tpr_".len() + 43, "{path}");
    assert!(
        made["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );

    // A second link replaces the first.
    let first = path;
    let made: Value = make_link(&app, &root, &ada.id).await.json().await.unwrap();
    let path = path_of(&made);
    let replaced = browser().get(app.url(&first)).send().await.unwrap();
    assert_eq!(replaced.status(), StatusCode::NOT_FOUND);
    assert!(replaced.text().await.unwrap().contains("not valid"));

    let page = browser().get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("ada@example.org") && html.contains("name=\"confirm\""),
        "{html}"
    );

    // The same rules as every password; the form comes back with why.
    let (status, html) = post_form(&app, &path, NEW_PASSWORD, "something else").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("The two passwords differ"), "{html}");
    let (status, html) = post_form(&app, &path, "short", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("name=\"password\""), "{html}");

    // Ada is signed in somewhere; the reset signs her out there.
    assert_eq!(app.login(&mut ada).await.status(), StatusCode::OK);
    let cookie = ada.session.as_ref().unwrap().cookie.clone();
    let me = |cookie: String| {
        app.request(Method::GET, "/api/v1/me")
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(me(cookie.clone()).await.unwrap().status(), StatusCode::OK);

    let (status, html) = post_form(&app, &path, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Password changed"), "{html}");
    assert_eq!(me(cookie).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        sign_in(&app, "ada@example.org", NEW_PASSWORD).await,
        StatusCode::OK
    );
    assert_eq!(
        sign_in(&app, "ada@example.org", "correct horse battery staple").await,
        StatusCode::UNAUTHORIZED
    );

    // Spent: a page says so, and the password stays.
    let used = browser().get(app.url(&path)).send().await.unwrap();
    assert_eq!(used.status(), StatusCode::GONE);
    assert!(used.text().await.unwrap().contains("already used"));
    let (status, html) = post_form(
        &app,
        &path,
        "another private passphrase",
        "another private passphrase",
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("already used"), "{html}");
    assert_eq!(
        sign_in(&app, "ada@example.org", NEW_PASSWORD).await,
        StatusCode::OK
    );

    let unknown = browser()
        .get(app.url("/reset-password/tpr_nothing-like-a-real-one"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let log = app
        .get_json(
            &root,
            "/api/v1/admin/audit?action=admin.user.password_reset_link",
        )
        .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 2, "{log}");
    let log = app
        .get_json(&root, "/api/v1/admin/audit?action=user.password_reset")
        .await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["actor"], format!("user:{}", ada.id));
}

async fn an_expired_reset_link_says_so(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let made: Value = make_link(&app, &root, &ada.id).await.json().await.unwrap();
    let path = path_of(&made);
    {
        use diesel::prelude::*;
        use tessera::db::schema::password_resets;
        let mut conn = app.state.db.get().unwrap();
        diesel::update(password_resets::table)
            .set(password_resets::expires_at.eq(tessera::time::now_millis() - 1))
            .execute(&mut *conn)
            .unwrap();
    }
    let expired = browser().get(app.url(&path)).send().await.unwrap();
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(expired.text().await.unwrap().contains("expired"));
    let (status, _) = post_form(&app, &path, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(
        sign_in(&app, "ada@example.org", NEW_PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );

    // A disabled account gets no link.
    let disabled = app
        .as_user(
            &root,
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", ada.id),
        )
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), StatusCode::OK);
    assert_eq!(
        make_link(&app, &root, &ada.id).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The admin page offers the action.
    let page = app.page_html(&root, "/admin/users").await;
    assert!(
        page.contains("Password reset link") && page.contains("id=\"reset-link-url\""),
        "{page}"
    );
}

crate::on_both_backends!(
    an_admin_gives_a_single_use_reset_link,
    an_expired_reset_link_says_so
);
