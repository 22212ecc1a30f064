//! Reproducible exports: a manifest promises byte-identical output for the same inputs, and
//! the export time is one of them. It can be given back (`exported_at`, directly and queued),
//! and `tessera export verify MANIFEST` re-runs a manifest and compares the SHA-256.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser};
use crate::datasets::{TRICKY_CSV, sha256_of};
use crate::plugins::app_with_plugins;

/// Formats that write the export time into the file.
const TIMED_FORMATS: [&str; 4] = ["xlsx", "pdf", "datapackage", "parquet"];

async fn export_bytes(app: &TestApp, user: &TestUser, path: &str) -> (StatusCode, Vec<u8>) {
    let response = app.as_user(user, Method::GET, path).send().await.unwrap();
    (response.status(), response.bytes().await.unwrap().to_vec())
}

async fn queue(app: &TestApp, user: &TestUser, dataset: &str, body: Value) -> Value {
    let response = app
        .as_user(
            user,
            Method::POST,
            &format!("/api/v1/datasets/{dataset}/exports"),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED, "{body}");
    let queued: Value = response.json().await.unwrap();
    crate::exports::wait_for_end(app, user, queued["job_id"].as_str().unwrap()).await
}

// Reproducible exports (issue 14): the export time was the request's and could not be passed
// back, so a manifest could not be re-run to the same bytes.
async fn a_given_export_time_gives_the_same_bytes(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &TIMED_FORMATS, &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&ada, "people.csv", TRICKY_CSV.as_bytes())
        .await;
    for format in TIMED_FORMATS {
        // Queued with the time in another zone: the manifest keeps the instant, in UTC.
        let job = queue(
            &app,
            &ada,
            &id,
            json!({"format": format, "exported_at": "2026-01-02T05:04:05+02:00"}),
        )
        .await;
        assert_eq!(job["status"], "done", "{format}: {job}");
        let manifest = &job["manifest"];
        assert_eq!(manifest["exported_at"], "2026-01-02T03:04:05Z", "{format}");
        assert_eq!(
            manifest["export"]["exported_at"], "2026-01-02T03:04:05Z",
            "{format}: the configuration says the time it ran with"
        );
        let (status, queued) =
            export_bytes(&app, &ada, job["download_url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(manifest["output"]["sha256"], sha256_of(&queued).as_str());

        // The manifest's time, given to a direct export, makes the same file.
        let (status, direct) = export_bytes(
            &app,
            &ada,
            &format!(
                "/api/v1/datasets/{id}/export?format={format}&exported_at=2026-01-02T03:04:05Z"
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{format}");
        assert_eq!(
            sha256_of(&direct),
            manifest["output"]["sha256"].as_str().unwrap(),
            "{format}: the manifest's time gives the manifest's bytes"
        );
        // Without it, the file records now, and differs.
        let (_, now) = export_bytes(
            &app,
            &ada,
            &format!("/api/v1/datasets/{id}/export?format={format}"),
        )
        .await;
        assert_ne!(sha256_of(&now), sha256_of(&direct), "{format}");
    }

    // A time that is not RFC 3339, or finer than the millisecond the host keeps, is refused.
    for bad in [
        "yesterday",
        "2026-01-02",
        "2026-01-02T03:04:05",
        "2026-01-02T03:04:05.0001Z",
    ] {
        let (status, body) = export_bytes(
            &app,
            &ada,
            &format!("/api/v1/datasets/{id}/export?format=xlsx&exported_at={bad}"),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            String::from_utf8_lossy(&body)
        );
        let response = app
            .as_user(
                &ada,
                Method::POST,
                &format!("/api/v1/datasets/{id}/exports"),
            )
            .json(&json!({"format": "xlsx", "exported_at": bad}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

/// Runs `tessera export verify` on `manifest` against the app's data; returns whether it
/// succeeded and what it printed.
fn verify(app: &TestApp, manifest: &Value) -> (bool, String) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), manifest.to_string()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["export", "verify"])
        .arg(file.path())
        .env("TESSERA_DATA_DIR", app.data_dir.path())
        .env("TESSERA_DATABASE_URL", &app.state.config.database_url)
        .env("TESSERA_PLUGINS_DIR", &app.state.config.plugins_dir)
        .env(
            "TESSERA_PLUGIN_CACHE_DIR",
            &app.state.config.plugin_cache_dir,
        )
        .env("TESSERA_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

// Reproducible exports (issue 14): `tessera export verify MANIFEST` re-runs the export a
// manifest describes and says whether it matches.
async fn export_verify_reruns_a_manifest(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["xlsx", "csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&ada, "people.csv", TRICKY_CSV.as_bytes())
        .await;
    // A job without a given time: its manifest records the request's, which is enough.
    let job = queue(
        &app,
        &ada,
        &id,
        json!({"format": "xlsx", "columns": ["id", "name"], "sort": [{"column": "id", "descending": true}]}),
    )
    .await;
    assert_eq!(job["status"], "done", "{job}");
    let (ok, out) = verify(&app, &job["manifest"]);
    assert!(ok, "{out}");
    assert!(out.contains("MATCH"), "{out}");
    assert!(
        out.contains(job["manifest"]["output"]["sha256"].as_str().unwrap()),
        "{out}"
    );
    // The whole job's JSON works too.
    let (ok, out) = verify(&app, &job);
    assert!(ok, "{out}");

    // A file that is not what the manifest describes is found out.
    let mut tampered = job["manifest"].clone();
    tampered["output"]["sha256"] = json!("0".repeat(64));
    let (ok, out) = verify(&app, &tampered);
    assert!(!ok, "{out}");
    assert!(out.contains("MISMATCH"), "{out}");
    let mut other_time = job["manifest"].clone();
    other_time["exported_at"] = json!("2020-01-01T00:00:00Z");
    let (ok, out) = verify(&app, &other_time);
    assert!(!ok, "another time is another file: {out}");

    // Data that is not the manifest's is said to be so, and not run.
    let mut other_data = job["manifest"].clone();
    other_data["dataset"]["sha256"] = json!("f".repeat(64));
    let (ok, out) = verify(&app, &other_data);
    assert!(!ok, "{out}");
    assert!(
        out.contains("not the data the export was made from"),
        "{out}"
    );
    let (ok, out) = verify(&app, &json!({"not": "a manifest"}));
    assert!(!ok, "{out}");
}

crate::on_both_backends!(
    a_given_export_time_gives_the_same_bytes,
    export_verify_reruns_a_manifest,
);
