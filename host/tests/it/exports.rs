//! Queued exports: progress, events, the artifact with its manifest, Range downloads,
//! cancellation, failures, and recovery of a job whose worker died.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser, error_code};
use crate::datasets::TRICKY_CSV;
use crate::plugins::app_with_plugins;

pub async fn wait_for_end(app: &TestApp, user: &TestUser, job_id: &str) -> Value {
    for _ in 0..200 {
        let job = app
            .get_json(user, &format!("/api/v1/exports/{job_id}"))
            .await;
        if !matches!(job["status"].as_str(), Some("queued" | "running")) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("export {job_id} did not end in 20 s");
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::datasets::sha256_of(bytes)
}

async fn queued_export_produces_a_verifiable_artifact(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&user, "p.csv", TRICKY_CSV.as_bytes().to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();

    let response = app
        .as_user(&user, Method::POST, &format!("/api/v1/datasets/{id}/exports"))
        .json(&json!({"format": "csv", "columns": ["id", "name"], "sort": [{"column": "id", "descending": true}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let queued: Value = response.json().await.unwrap();
    let job_id = queued["job_id"].as_str().unwrap().to_owned();

    // The event stream ends with the final state.
    let events = app
        .as_user(
            &user,
            Method::GET,
            &format!("/api/v1/exports/{job_id}/events"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let text = events.text().await.unwrap();
    assert!(
        text.trim_end()
            .rsplit("\n\n")
            .next()
            .unwrap()
            .starts_with("event: done"),
        "{text}"
    );

    let job = wait_for_end(&app, &user, &job_id).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["progress"], 1.0);
    assert_eq!(job["rows_done"], 3);
    assert_eq!(job["total_rows"], 3);

    let download = app
        .as_user(&user, Method::GET, job["download_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["accept-ranges"], "bytes");
    let bytes = download.bytes().await.unwrap();
    assert_eq!(&bytes[..], "id,name\n3,Åsa\n2,漢字\n1,Zoë\n".as_bytes());

    let manifest = &job["manifest"];
    assert_eq!(manifest["output"]["sha256"], sha256_hex(&bytes));
    assert_eq!(manifest["output"]["bytes"], bytes.len());
    assert_eq!(manifest["dataset"]["id"], id);
    assert_eq!(manifest["dataset"]["sha256"], created["sha256"]);
    assert_eq!(manifest["plugin"]["id"], "csv");
    assert_eq!(manifest["export"]["columns"], json!(["id", "name"]));

    // Resuming: a range gives exactly those bytes.
    let url = job["download_url"].as_str().unwrap();
    let part = app
        .as_user(&user, Method::GET, url)
        .header("range", "bytes=8-")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 8-{}/{}", bytes.len() - 1, bytes.len())
    );
    assert_eq!(part.bytes().await.unwrap(), bytes.slice(8..));
    let beyond = app
        .as_user(&user, Method::GET, url)
        .header("range", "bytes=9999-")
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // The same inputs give the same bytes: a second job's artifact is identical.
    let again: Value = app
        .as_user(&user, Method::POST, &format!("/api/v1/datasets/{id}/exports"))
        .json(&json!({"format": "csv", "columns": ["id", "name"], "sort": [{"column": "id", "descending": true}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = wait_for_end(&app, &user, again["job_id"].as_str().unwrap()).await;
    assert_eq!(
        second["manifest"]["output"]["sha256"],
        manifest["output"]["sha256"]
    );

    // The export history lists both jobs, newest first, with their manifests.
    let history = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/exports"))
        .await;
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["id"], job_id.as_str());
    assert_eq!(
        history[0]["manifest"]["output"]["sha256"],
        manifest["output"]["sha256"]
    );

    // The export history lists both jobs, newest first, with their manifests.
    let history = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/exports"))
        .await;
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["id"], job_id.as_str());
    assert_eq!(
        history[0]["manifest"]["output"]["sha256"],
        manifest["output"]["sha256"]
    );

    // Someone else cannot see the job.
    let stranger = app.user("bob@example.org").await;
    let peek = app
        .as_user(&stranger, Method::GET, &format!("/api/v1/exports/{job_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(peek.status(), StatusCode::NOT_FOUND);
    let steal = app
        .as_user(&stranger, Method::GET, url)
        .send()
        .await
        .unwrap();
    assert_eq!(steal.status(), StatusCode::NOT_FOUND);
}

async fn queued_export_failures_and_cancellation(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &["trap", "spin"]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&user, "d.csv", b"a,b\n1,2\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let queue = |body: Value| {
        app.as_user(
            &user,
            Method::POST,
            &format!("/api/v1/datasets/{id}/exports"),
        )
        .json(&body)
        .send()
    };

    let refused = queue(json!({"format": "csv", "columns": ["ghost"]}))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = queue(json!({"format": "nope"})).await.unwrap();
    assert_eq!(error_code(unknown).await, "unknown_format");

    let trap: Value = queue(json!({"format": "trap"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = wait_for_end(&app, &user, trap["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["error"]["code"], "plugin_trapped");
    assert_eq!(job["download_url"], Value::Null);

    let spin: Value = queue(json!({"format": "spin"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let spin_id = spin["job_id"].as_str().unwrap();
    let cancelled = app
        .as_user(
            &user,
            Method::POST,
            &format!("/api/v1/exports/{spin_id}/cancel"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    let job = wait_for_end(&app, &user, spin_id).await;
    assert_eq!(job["status"], "cancelled");
    let again = app
        .as_user(
            &user,
            Method::POST,
            &format!("/api/v1/exports/{spin_id}/cancel"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let download = app
        .as_user(
            &user,
            Method::GET,
            &format!("/api/v1/exports/{spin_id}/download"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::CONFLICT);
    // Give the spinning plugin time to hit its deadline; the job stays cancelled.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let job = app
        .get_json(&user, &format!("/api/v1/exports/{spin_id}"))
        .await;
    assert_eq!(job["status"], "cancelled");
}

/// A job whose worker died (its heartbeat stopped) is run again by another worker.
async fn a_crashed_job_runs_again(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&user, "d.csv", b"a\n1\n2\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let job = tessera::db::export_jobs::ExportJob {
        id: "00000000-dead-0000-0000-000000000001".into(),
        dataset_id: created["id"].as_str().unwrap().into(),
        version: 1,
        format: "csv".into(),
        spec: "{}".into(),
        status: tessera::db::export_jobs::JobStatus::Running,
        total_rows: Some(2),
        rows_done: 1,
        bytes_done: 2,
        error_code: None,
        error_message: None,
        artifact_path: None,
        file_name: None,
        media_type: None,
        manifest: None,
        attempts: 1,
        created_by: Some(user.id.clone()),
        created_at: tessera::time::now_millis() - 120_000,
        started_at: Some(tessera::time::now_millis() - 120_000),
        heartbeat_at: Some(tessera::time::now_millis() - 60_000),
        finished_at: None,
        expires_at: None,
    };
    let mut conn = app.state.db.get().unwrap();
    tessera::db::export_jobs::ExportJob::create(&mut conn, &job).unwrap();
    drop(conn);
    let done = wait_for_end(&app, &user, &job.id).await;
    assert_eq!(done["status"], "done", "{done}");
    let body = app
        .as_user(&user, Method::GET, done["download_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(body.text().await.unwrap(), "a\n1\n2\n");
}

/// A PDF report's table holds at most its `max_rows` rows: the export history says how many
/// rows the file holds, beside how many were read (it said the rows read alone).
async fn the_history_says_how_many_rows_a_pdf_holds(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["pdf"], &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let mut csv = String::from("id,depth\n");
    for i in 1..=30 {
        csv.push_str(&format!("{i},{}.5\n", i % 7));
    }
    let id = app
        .upload_dataset(&user, "soundings.csv", csv.as_bytes())
        .await;
    let mut jobs = Vec::new();
    for options in [json!({"max_rows": 5}), json!({})] {
        let queued: Value = app
            .as_user(
                &user,
                Method::POST,
                &format!("/api/v1/datasets/{id}/exports"),
            )
            .json(&json!({"format": "pdf", "options": options}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let job = queued["job_id"].as_str().unwrap().to_owned();
        // The event stream ends when the job does.
        let events = app
            .as_user(&user, Method::GET, &format!("/api/v1/exports/{job}/events"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(events.contains("event: done"), "{events}");
        jobs.push(job);
    }
    let page = app.page_html(&user, &format!("/datasets/{id}")).await;
    assert!(
        page.contains(r#"<span data-count="5">5</span> <span class="help">in the file, of <span data-count="30">30</span> read</span>"#),
        "{page}"
    );
    // The default (more rows than the dataset has) holds every row: said as one number.
    assert_eq!(page.matches("in the file, of").count(), 1, "{page}");
}

crate::on_both_backends!(
    the_history_says_how_many_rows_a_pdf_holds,
    queued_export_produces_a_verifiable_artifact,
    queued_export_failures_and_cancellation,
    a_crashed_job_runs_again,
);
