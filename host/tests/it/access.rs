//! Issue 15, "access in the type": what the access extractors (`tessera::http::access`) decide
//! beyond what the route walk (`routes.rs`) checks. Their decisions leave the audit entries the
//! `/api/v1` guard and the handlers left between them before, and nothing reads a body or a
//! query string before access is decided, on the API and on the pages alike.

use reqwest::{Method, StatusCode, redirect};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser, error_code};

async fn audit(app: &TestApp, admin: &TestUser, query: &str) -> Vec<Value> {
    let page = app
        .get_json(admin, &format!("/api/v1/admin/audit?limit=200&{query}"))
        .await;
    page["items"].as_array().unwrap().clone()
}

async fn message(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"]["message"].as_str().unwrap().to_owned()
}

/// Ada's dataset, shared with Bob at view; Mallory has nothing.
async fn shared_dataset(app: &TestApp) -> (TestUser, TestUser, TestUser, String) {
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let mallory = app.user("mallory@example.org").await;
    let created: Value = app
        .upload(&ada, "plankton.csv", b"site,count\nA,1\nB,2\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let dataset = created["id"].as_str().unwrap().to_owned();
    let share = app
        .as_user(
            &ada,
            Method::POST,
            &format!("/api/v1/datasets/{dataset}/shares"),
        )
        .json(&json!({"user": "bob@example.org", "level": "view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(share.status(), StatusCode::CREATED);
    (ada, bob, mallory, dataset)
}

async fn decisions_are_audited_as_before(backend: Backend) {
    let Some(app) = crate::plugins::app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let (ada, bob, mallory, dataset) = shared_dataset(&app).await;
    let path = format!("/api/v1/datasets/{dataset}");
    let target = format!("dataset:{dataset}");
    let change = json!({"description": "counted twice"});

    // No access at all: the dataset does not exist, whatever the route needs, and the refusal
    // is audited as one to view it (as the guard wrote it).
    let refused = app
        .as_user(&mallory, Method::PATCH, &path)
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(message(refused).await, "dataset not found");
    let denied = audit(
        &app,
        &root,
        &format!("actor=user:{}&outcome=denied", mallory.id),
    )
    .await;
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0]["action"], "access.dataset");
    assert_eq!(denied[0]["target"], target.as_str());
    assert_eq!(denied[0]["detail"]["needed"], "view");
    assert!(denied[0]["detail"]["held"].is_null(), "{denied:?}");

    // Some access, less than needed: a refusal naming both levels, audited at the level needed.
    let refused = app
        .as_user(&bob, Method::PATCH, &path)
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        message(refused).await,
        "you have view access to this dataset; this needs edit"
    );
    let denied = audit(
        &app,
        &root,
        &format!("actor=user:{}&outcome=denied", bob.id),
    )
    .await;
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0]["detail"]["needed"], "edit");
    assert_eq!(denied[0]["detail"]["held"], "view");

    // Granted: one entry, at the level the route needs.
    let changed = app
        .as_user(&ada, Method::PATCH, &path)
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let granted = audit(
        &app,
        &root,
        &format!("actor=user:{}&outcome=granted", ada.id),
    )
    .await;
    let edits: Vec<&Value> = granted
        .iter()
        .filter(|e| e["target"] == target.as_str() && e["detail"]["needed"] == "edit")
        .collect();
    assert_eq!(edits.len(), 1, "{granted:?}");

    // An export: someone who cannot see its dataset is refused as before (audited as a refusal
    // to view); someone who can, but did not run it, is told it does not exist, and no
    // decision about the dataset is recorded for them.
    let job = app
        .post_json(&ada, &format!("{path}/exports"), json!({"format": "csv"}))
        .await;
    let job = format!("/api/v1/exports/{}", job["job_id"].as_str().unwrap());
    let hidden = app
        .as_user(&mallory, Method::GET, &job)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    assert_eq!(message(hidden).await, "export not found");
    let denied = audit(
        &app,
        &root,
        &format!("actor=user:{}&outcome=denied", mallory.id),
    )
    .await;
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert_eq!(denied[0]["detail"]["needed"], "view");
    let before = audit(&app, &root, &format!("actor=user:{}", bob.id))
        .await
        .len();
    let hidden = app.as_user(&bob, Method::GET, &job).send().await.unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    assert_eq!(message(hidden).await, "export not found");
    assert_eq!(
        audit(&app, &root, &format!("actor=user:{}", bob.id))
            .await
            .len(),
        before
    );
    // Its creator follows it; the view that lets her is audited as granted.
    let seen = app.as_user(&ada, Method::GET, &job).send().await.unwrap();
    assert_eq!(seen.status(), StatusCode::OK);

    // The admin API: refused with 403, audited with the method and the path.
    let refused = app
        .as_user(&mallory, Method::GET, "/api/v1/admin/users")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let admin = audit(
        &app,
        &root,
        &format!("actor=user:{}&action=access.admin", mallory.id),
    )
    .await;
    assert_eq!(admin.len(), 1, "{admin:?}");
    assert_eq!(admin[0]["target"], "GET /api/v1/admin/users");
    assert_eq!(admin[0]["outcome"], "denied");
}

async fn nothing_is_read_before_access_is_decided(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (ada, bob, mallory, dataset) = shared_dataset(&app).await;
    let path = format!("/api/v1/datasets/{dataset}");
    let broken = |request: reqwest::RequestBuilder| {
        request
            .header("content-type", "application/json")
            .body("{not json")
    };

    // A body that does not parse: only a caller cleared for the change learns that.
    let anonymous = broken(app.request(Method::PATCH, &path))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let stranger = broken(app.as_user(&mallory, Method::PATCH, &path))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
    let viewer = broken(app.as_user(&bob, Method::PATCH, &path))
        .send()
        .await
        .unwrap();
    assert_eq!(viewer.status(), StatusCode::FORBIDDEN);
    let owner = broken(app.as_user(&ada, Method::PATCH, &path))
        .send()
        .await
        .unwrap();
    assert_eq!(owner.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(owner).await, "invalid_json");
    let wrong_type = app
        .as_user(&ada, Method::PATCH, &path)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // The same for routes that need only a caller, or a site admin.
    let anonymous = broken(app.request(Method::POST, "/api/v1/teams"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let not_admin = broken(app.as_user(&mallory, Method::POST, "/api/v1/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(not_admin.status(), StatusCode::FORBIDDEN);

    // A query string that does not parse, likewise.
    let rows = format!("{path}/rows?limit=many");
    let stranger = app
        .as_user(&mallory, Method::GET, &rows)
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
    let viewer = app.as_user(&bob, Method::GET, &rows).send().await.unwrap();
    assert_eq!(viewer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(viewer).await, "bad_request");

    // Pages: an anonymous visitor is sent to sign in before the query string is read; a caller
    // without rights gets the refusal as a page; an admin page refuses others without auditing
    // an admin request.
    let browser = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let page = format!("/datasets/{dataset}?offset=many");
    let anonymous = browser.get(app.url(&page)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.headers()["location"],
        format!("/login?next=/datasets/{dataset}%3Foffset%3Dmany").as_str()
    );
    let stranger = app
        .as_user(&mallory, Method::GET, &format!("/datasets/{dataset}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
    assert!(stranger.text().await.unwrap().contains("dataset not found"));
    let viewer = app.as_user(&bob, Method::GET, &page).send().await.unwrap();
    assert_eq!(viewer.status(), StatusCode::BAD_REQUEST);
    let admin_page = app
        .as_user(&mallory, Method::GET, "/admin/users")
        .send()
        .await
        .unwrap();
    assert_eq!(admin_page.status(), StatusCode::FORBIDDEN);
    assert!(
        admin_page
            .text()
            .await
            .unwrap()
            .contains("This page is for site admins.")
    );
    let root = app.admin("root@example.org").await;
    let audited = audit(
        &app,
        &root,
        &format!("actor=user:{}&action=access.admin", mallory.id),
    )
    .await;
    assert_eq!(audited.len(), 1, "only the API's refusal: {audited:?}");
}

/// Issue 16: the audit log can hide page views (granted access checks, one for every page and
/// file opened), keeping the refusals and the changes, on the API and on the page alike.
async fn the_audit_log_hides_page_views_on_demand(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let id = app.upload_dataset(&ada, "lake.csv", b"a\n1\n").await;
    let path = format!("/api/v1/datasets/{id}");
    assert_eq!(app.get_json(&ada, &path).await["id"], id.as_str());
    let refused = app.as_user(&bob, Method::GET, &path).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);

    let granted = |entries: &[Value]| {
        entries
            .iter()
            .filter(|e| {
                e["action"].as_str().unwrap().starts_with("access.") && e["outcome"] == "granted"
            })
            .count()
    };
    let everything = audit(&app, &root, "").await;
    assert!(granted(&everything) > 0, "views are recorded");
    let quiet = audit(&app, &root, "hide_granted_access=true").await;
    assert_eq!(granted(&quiet), 0);
    assert!(
        quiet.iter().any(|e| e["outcome"] == "denied"),
        "refusals stay"
    );
    assert_eq!(quiet.len(), everything.len() - granted(&everything));
    // The page: the box stays ticked, and the CSV download keeps the choice.
    let page = app.page_html(&root, "/admin/audit?hide_views=on").await;
    assert!(page.contains("name=\"hide_views\" checked"), "{page}");
    assert!(page.contains("hide_granted_access=true"), "{page}");
}

crate::on_both_backends!(
    the_audit_log_hides_page_views_on_demand,
    decisions_are_audited_as_before,
    nothing_is_read_before_access_is_decided,
);
