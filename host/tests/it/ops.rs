//! Liveness, readiness, metrics and the error shape of unknown routes.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{Backend, TestApp, error_code};

const METRICS_TOKEN: &str = "a-metrics-token-for-the-tests-0123456789";

async fn health_readiness_and_metrics(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |c| c.metrics_token = METRICS_TOKEN.into()).await
    else {
        return;
    };
    assert_eq!(
        app.request(Method::GET, "/healthz")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let ready: Value = app
        .request(Method::GET, "/readyz")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(
        ready["database"],
        if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );

    let unknown = app
        .request(Method::GET, "/api/v1/nothing-here")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(unknown).await, "not_found");

    let user = app.user("ada@example.org").await;
    app.as_user(&user, Method::GET, "/api/v1/datasets")
        .send()
        .await
        .unwrap();
    app.upload_dataset(&user, "plankton.csv", b"site,count\nA,1\n")
        .await;
    crate::activity::dispatch(&app).await;
    let metrics = app
        .request(Method::GET, "/metrics")
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tessera_http_requests_total{method=\"GET\",route=\"/api/v1/datasets\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("tessera_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/datasets\",le=\"+Inf\"} 1"));
    assert!(metrics.contains("tessera_db_pool_connections{state=\"max\"} 4"));
    // The installation's events, from the rollups.
    assert!(
        metrics.contains("tessera_events_total{kind=\"dataset.created\"} 1")
            && metrics.contains("tessera_events_total{kind=\"user.signed_in\"} 1")
            && metrics.contains("tessera_events_queued 0"),
        "{metrics}"
    );
}

/// The headers a browser relies on, on answers of every kind.
fn assert_hardened(response: &reqwest::Response, what: &str) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{what}");
    assert_eq!(
        header("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    assert!(
        header("cache-control").is_some(),
        "{what} names no caching policy"
    );
}

// Issue 14, item 13: errors raised by the access guard and by extractors went out without the
// security headers, and data answers without `Cache-Control`; HSTS was never sent.
async fn every_answer_carries_the_security_headers(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |config| {
        config.public_url = "https://data.example.org".into();
        config.plugins_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/dist").into();
    })
    .await
    else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let mallory = app.user("mallory@example.org").await;
    let upload = app
        .upload(&ada, "m.csv", b"id,name\n1,a\n2,b\n".to_vec())
        .await;
    let dataset: Value = upload.json().await.unwrap();
    let id = dataset["id"].as_str().unwrap().to_owned();

    // Refused by the guard before any handler runs.
    let anonymous = app.request(Method::GET, "/api/v1/me").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_hardened(&anonymous, "401 from the guard");
    let hidden = app
        .as_user(&mallory, Method::GET, &format!("/api/v1/datasets/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    assert_hardened(&hidden, "404 from the guard");
    // Refused by an extractor.
    let bad_json = app
        .as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/shares"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
    assert_hardened(&bad_json, "400 from the JSON extractor");
    // Data answers are not kept by caches.
    for path in [
        format!("/api/v1/datasets/{id}/rows"),
        format!("/api/v1/datasets/{id}/export?format=csv"),
        format!("/api/v1/datasets/{id}"),
    ] {
        let response = app.as_user(&ada, Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_hardened(&response, &path);
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "{path} may be cached"
        );
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}: an https public address asks browsers to keep to HTTPS"
        );
    }
}

async fn no_hsts_without_an_https_address(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let response = app.request(Method::GET, "/healthz").send().await.unwrap();
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    assert_hardened(&response, "/healthz");
}

// Issue 14, item 26: a method a path does not serve answered 404 as if the path did not exist.
async fn a_wrong_method_is_not_allowed(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    for (method, path, allow) in [
        (Method::TRACE, "/api/v1/datasets", "GET, POST"),
        (Method::PUT, "/api/v1/me", "GET"),
        (Method::DELETE, "/healthz", "GET"),
        (Method::TRACE, "/login", "GET, POST"),
    ] {
        let response = app
            .as_user(&ada, method.clone(), path)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert_hardened(&response, path);
        assert_eq!(error_code(response).await, "method_not_allowed");
    }
}

// Issue 14, item 21: `/metrics` answered anyone.
async fn metrics_answer_only_the_configured_token(backend: Backend) {
    // Off unless an operator sets a token.
    let Some(off) = TestApp::start(backend).await else {
        return;
    };
    let response = off.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body = response.text().await.unwrap();
    assert!(!body.contains("tessera_http_requests_total"), "{body}");
    drop(off);

    let Some(app) = TestApp::start_with(backend, |c| c.metrics_token = METRICS_TOKEN.into()).await
    else {
        return;
    };
    let anonymous = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(error_code(anonymous).await, "unauthenticated");
    // A guess that shares all but the last character is no better than any other.
    let almost = &METRICS_TOKEN[..METRICS_TOKEN.len() - 1];
    for wrong in [almost, "", "Bearer", &format!("{METRICS_TOKEN}0")] {
        let response = app
            .request(Method::GET, "/metrics")
            .bearer_auth(wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
    }
    // A user's API token is not the metrics token either.
    let user = app.user("ada@example.org").await;
    let with_user_token = app
        .as_user(&user, Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(with_user_token.status(), StatusCode::UNAUTHORIZED);
    let scraped = app
        .request(Method::GET, "/metrics")
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(
        scraped
            .text()
            .await
            .unwrap()
            .contains("tessera_http_requests_total")
    );
}

crate::on_both_backends!(
    health_readiness_and_metrics,
    every_answer_carries_the_security_headers,
    no_hsts_without_an_https_address,
    a_wrong_method_is_not_allowed,
    metrics_answer_only_the_configured_token,
);
