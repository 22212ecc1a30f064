//! Liveness, readiness, metrics and the error shape of unknown routes.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{Backend, TestApp, error_code};

async fn health_readiness_and_metrics(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
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

crate::on_both_backends!(health_readiness_and_metrics);
