//! Walks the router's own table (`tessera::http::routing::registered`, what the running app
//! registered), not the OpenAPI document: a route added to the router is covered the moment it
//! exists, documented or not (issue 15, "access in the type").
//!
//! - every JSON route is in the OpenAPI document, with each of its methods;
//! - an anonymous caller gets 401 from every API route but the public ones, and a page that
//!   needs an account sends them to sign in;
//! - a signed-in caller with no rights gets 404 from every route that names someone else's
//!   resource (403 from the admin API), in plain and percent-encoded spellings.

use reqwest::{Method, StatusCode, redirect};
use serde_json::{Value, json};
use tessera::http::routing::{Route, registered};

use crate::common::{Backend, TestApp};
use crate::sharing::percent_encoded_variants;

/// Routes that are not part of the JSON API, and why they are not in its document.
const NOT_IN_THE_DOCUMENT: &[(&str, &str)] = &[
    ("/", "page"),
    ("/login", "page"),
    ("/logout", "page form"),
    ("/datasets", "page"),
    ("/datasets/{id}", "page"),
    ("/shared", "page"),
    ("/links", "page"),
    ("/links/{id}/log", "page"),
    ("/trash", "page"),
    ("/notifications", "page"),
    ("/account/notifications", "page"),
    (
        "/notifications/unsubscribe",
        "an unsubscribe link's page and its form, for anyone holding the link",
    ),
    ("/teams", "page"),
    (
        "/reset-password/{token}",
        "a password-reset link's page, for its holder",
    ),
    ("/account", "page"),
    ("/admin/users", "page"),
    ("/admin/groups", "page"),
    ("/admin/policies", "page"),
    ("/admin/plugins", "page"),
    ("/admin/audit", "page"),
    ("/admin/activity", "page"),
    (
        "/static/{path:((css|js)/[a-z0-9-]+\\.(css|js)|vendor/[a-z0-9.-]+/[a-z0-9.-]+\\.js)}",
        "the pages' scripts, styles and vendored libraries",
    ),
    ("/api/docs", "the document's reader, a page"),
    ("/static/js/api-docs.js", "the document reader's script"),
    ("/s/{slug}", "a link's page for its holder"),
    (
        "/s/{slug}/download",
        "a link's download, for the holder's browser",
    ),
    (
        "/s/{slug}/rows",
        "the rows the link page shows, read by that page's script",
    ),
    ("/api/v1/openapi.json", "the document itself"),
];

/// Where a signed-in caller without rights is not told "not found", and why: `(method, route,
/// status)`.
const SEEN_BY_EVERYONE: &[(&str, &str, StatusCode)] = &[
    // Groups are a directory every signed-in user picks from to share with; changing one
    // needs its creator or a site admin.
    ("GET", "/api/v1/groups/{id}", StatusCode::OK),
    ("DELETE", "/api/v1/groups/{id}", StatusCode::FORBIDDEN),
    ("POST", "/api/v1/groups/{id}/members", StatusCode::FORBIDDEN),
];

/// API routes anyone may call without an account.
const PUBLIC: &[&str] = &[
    "/api/v1/auth/login",
    "/api/v1/openapi.json",
    "/healthz",
    "/readyz",
    "/.well-known/tessera/biscuit-keys",
];

fn is_api(route: &Route) -> bool {
    route.path.starts_with("/api/v1/")
}

/// An app that has answered a request, so that a worker has built (and registered) its routes.
async fn started() -> Option<TestApp> {
    let app = TestApp::start(Backend::Sqlite).await?;
    let ready = app.request(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert!(
        registered().len() > 40,
        "the app registered {} routes",
        registered().len()
    );
    Some(app)
}

#[actix_web::test]
async fn every_json_route_is_in_the_openapi_document() {
    let Some(app) = started().await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let doc = app.get_json(&ada, "/api/v1/openapi.json").await;
    let mut missing = Vec::new();
    for route in registered() {
        if NOT_IN_THE_DOCUMENT
            .iter()
            .any(|(path, _)| *path == route.path)
        {
            continue;
        }
        for method in &route.methods {
            if doc["paths"][&route.path][method.to_lowercase()].is_null() {
                missing.push(format!("{method} {}", route.path));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes the router serves but the document does not list: {missing:?}"
    );
}

/// A concrete path for a route pattern, each parameter given `value`.
fn concrete(pattern: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        out.push_str(&value(&rest[start + 1..end]));
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

#[actix_web::test]
async fn anonymous_callers_are_refused_everywhere_but_the_public_routes() {
    let Some(app) = started().await else {
        return;
    };
    let client = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let unknown = "0193a8f0-0000-7000-8000-000000000000";
    let mut checked = 0;
    for route in registered() {
        let is_page = NOT_IN_THE_DOCUMENT
            .iter()
            .any(|(path, why)| *path == route.path && why.starts_with("page"));
        if PUBLIC.contains(&route.path.as_str()) || (!is_api(&route) && !is_page) {
            continue;
        }
        if ["/", "/login"].contains(&route.path.as_str()) {
            continue;
        }
        let path = concrete(&route.path, |_| unknown.to_owned());
        for method in &route.methods {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let response = client
                .request(method.clone(), app.url(&path))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            if is_api(&route) {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} answered an anonymous caller"
                );
            } else if method == Method::GET {
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                assert!(
                    status.is_redirection() && location.starts_with("/login"),
                    "{method} {path} showed a page to an anonymous caller ({status}, {location:?})"
                );
            } else {
                assert!(
                    status == StatusCode::UNAUTHORIZED
                        || status == StatusCode::FORBIDDEN
                        || status.is_redirection(),
                    "{method} {path} took a form from an anonymous caller ({status})"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} routes checked");
}

async fn callers_without_rights_get_not_found(backend: Backend) {
    let Some(app) = crate::plugins::app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let carol = app.user("carol@example.org").await;
    let mallory = app.user("mallory@example.org").await;
    // One of everything of Ada's.
    let created = app
        .upload(&ada, "people.csv", b"id,name\n1,Ada\n2,Grace\n".to_vec())
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let dataset: Value = created.json().await.unwrap();
    let dataset = dataset["id"].as_str().unwrap().to_owned();
    let post = |path: String, body: Value| {
        let app = &app;
        let ada = &ada;
        async move { app.post_json(ada, &path, body).await }
    };
    let job = post(
        format!("/api/v1/datasets/{dataset}/exports"),
        json!({"format": "csv"}),
    )
    .await;
    let link = post(
        format!("/api/v1/datasets/{dataset}/links"),
        json!({"level": "view"}),
    )
    .await;
    let share = post(
        format!("/api/v1/datasets/{dataset}/shares"),
        json!({"user": "carol@example.org", "level": "view"}),
    )
    .await;
    let group = post("/api/v1/groups".into(), json!({"name": "ada's circle"})).await;
    let team = post("/api/v1/teams".into(), json!({"name": "Ada's lab"})).await;
    let token = post(
        "/api/v1/tokens".into(),
        json!({"name": "ada's", "scopes": ["read"]}),
    )
    .await;
    let id_of = |value: &Value, key: &str| -> String {
        value[key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in {value}"))
            .to_owned()
    };
    let job = id_of(&job, "job_id");
    let link = id_of(&link, "id");
    let share = id_of(&share, "id");
    let group = id_of(&group, "id");
    let team = id_of(&team, "id");
    let token = id_of(&token, "id");

    let mut checked = 0;
    let mut wrong = Vec::new();
    for route in registered().into_iter().filter(is_api) {
        let path = &route.path;
        if !path.contains('{') && !path.starts_with("/api/v1/admin/") {
            continue;
        }
        let id = if path.starts_with("/api/v1/datasets/{id}") {
            &dataset
        } else if path.starts_with("/api/v1/exports/{id}") {
            &job
        } else if path.starts_with("/api/v1/links/{id}") {
            &link
        } else if path.starts_with("/api/v1/groups/{id}") {
            &group
        } else if path.starts_with("/api/v1/teams/{id}") {
            &team
        } else if path.starts_with("/api/v1/tokens/{id}") {
            &token
        } else {
            &"x".to_owned()
        };
        let mut target = concrete(path, |name| match name {
            "id" => id.clone(),
            "share_id" => share.clone(),
            "user_id" => carol.id.clone(),
            _ => "x".to_owned(),
        });
        if target.ends_with("/export") {
            target.push_str("?format=csv");
        }
        // A body the route takes, so that what is tested is the access decision, not the
        // body's validation.
        let body = if path.ends_with("/members") {
            json!({"user": carol.id})
        } else {
            json!({})
        };
        for method in &route.methods {
            let expected = if let Some((_, _, status)) = SEEN_BY_EVERYONE
                .iter()
                .find(|(m, p, _)| m == method && p == path)
            {
                *status
            } else if path.starts_with("/api/v1/admin/") {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            // Removing oneself from a group or team is one's own business, not Ada's.
            if method == Method::DELETE && path.ends_with("/members/{user_id}") {
                continue;
            }
            for spelling in std::iter::once(target.clone()).chain(percent_encoded_variants(&target))
            {
                let status = app
                    .as_user(&mallory, method.clone(), &spelling)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status();
                if status != expected {
                    wrong.push(format!("{method} {spelling}: {status}, not {expected}"));
                }
            }
            checked += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "answers to a caller without rights:\n{}",
        wrong.join("\n")
    );
    assert!(checked > 30, "only {checked} routes checked");
}

crate::on_both_backends!(callers_without_rights_get_not_found);
