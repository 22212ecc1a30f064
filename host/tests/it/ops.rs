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
    metrics_answer_only_the_configured_token
);
