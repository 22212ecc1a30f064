//! The six first-party formats end to end: a dataset with awkward values exported through
//! the real components, directly and as queued jobs, and each file opened with a reader for
//! its format.

use std::io::{Cursor, Read};

use calamine::{DataType as _, Reader};
use polars::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser};
use crate::datasets::TRICKY_CSV;
use crate::plugins::app_with_plugins;

const FORMATS: [&str; 6] = ["csv", "json", "xlsx", "pdf", "parquet", "datapackage"];

async fn download(app: &TestApp, user: &TestUser, path: &str) -> (String, String, Vec<u8>) {
    let response = app.as_user(user, Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (media_type, disposition) = (header("content-type"), header("content-disposition"));
    (
        media_type,
        disposition,
        response.bytes().await.unwrap().to_vec(),
    )
}

/// Opens a file of each format and checks what a user would look for in it.
fn check_file(format: &str, bytes: &[u8]) {
    match format {
        "csv" => {
            let mut reader = csv::Reader::from_reader(bytes);
            let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            assert_eq!(records.len(), 3);
            assert_eq!(&records[0][1], "Zoë");
            assert_eq!(&records[0][2], "likes \"quotes\", and commas");
            assert_eq!(&records[1][2], "two\nlines");
        }
        "json" => {
            let rows: Value = serde_json::from_slice(bytes).unwrap();
            assert_eq!(rows.as_array().unwrap().len(), 3, "{rows}");
            assert_eq!(rows[1]["name"], "漢字");
            assert_eq!(rows[1]["score"], Value::Null);
        }
        "xlsx" => {
            let mut workbook = calamine::Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
            let names = workbook.sheet_names();
            assert!(names.contains(&"Metadata".to_owned()), "{names:?}");
            let sheet = workbook.worksheet_range(&names[0]).unwrap();
            assert_eq!(sheet.height(), 4, "a header and three rows");
            assert_eq!(sheet.get((0, 1)).unwrap().to_string(), "name");
            assert_eq!(sheet.get((2, 1)).unwrap().to_string(), "漢字");
            assert_eq!(sheet.get((1, 5)).unwrap().get_float(), Some(1.5));
        }
        "pdf" => {
            assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
            let tail =
                String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(64)..]).into_owned();
            assert!(tail.contains("%%EOF"), "a PDF ends with %%EOF: {tail:?}");
        }
        "parquet" => {
            let frame = ParquetReader::new(Cursor::new(bytes.to_vec()))
                .finish()
                .unwrap();
            assert_eq!(frame.height(), 3);
            let names = frame.column("name").unwrap().str().unwrap().clone();
            assert_eq!(names.get(1), Some("漢字"));
            let score = frame.column("score").unwrap().f64().unwrap().clone();
            assert_eq!(score.get(0), Some(1.5));
            assert_eq!(score.get(1), None);
            assert!(matches!(
                frame.column("born").unwrap().dtype(),
                DataType::Date
            ));
        }
        "datapackage" => {
            let mut archive = ::zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
            let mut descriptor = String::new();
            archive
                .by_name("datapackage.json")
                .unwrap()
                .read_to_string(&mut descriptor)
                .unwrap();
            let descriptor: Value = serde_json::from_str(&descriptor).unwrap();
            let resource = &descriptor["resources"][0];
            let fields: Vec<(&str, &str)> = resource["schema"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["name"].as_str().unwrap(), f["type"].as_str().unwrap()))
                .collect();
            assert_eq!(fields[0], ("id", "integer"));
            assert_eq!(fields[3], ("born", "date"));
            let mut data = Vec::new();
            archive
                .by_name(resource["path"].as_str().unwrap())
                .unwrap()
                .read_to_end(&mut data)
                .unwrap();
            check_file("csv", &data);
            let hash = format!("sha256:{}", crate::datasets::sha256_of(&data));
            assert_eq!(resource["hash"], hash.as_str());
        }
        other => panic!("no check for {other}"),
    }
}

async fn every_format_exports_directly_and_queued(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &FORMATS, &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let listed: Vec<String> = app
        .get_json(&user, "/api/v1/plugins")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = FORMATS.iter().map(|f| (*f).to_owned()).collect();
    expected.sort();
    assert_eq!(listed, expected);

    let created: Value = app
        .upload(&user, "people.csv", TRICKY_CSV.as_bytes().to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    for format in FORMATS {
        let (media_type, disposition, direct) = download(
            &app,
            &user,
            &format!("/api/v1/datasets/{id}/export?format={format}"),
        )
        .await;
        assert!(!media_type.is_empty(), "{format}");
        assert!(
            disposition.contains("people-v1."),
            "{format}: {disposition}"
        );
        check_file(format, &direct);

        let response = app
            .as_user(
                &user,
                Method::POST,
                &format!("/api/v1/datasets/{id}/exports"),
            )
            .json(&json!({"format": format}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{format}");
        let job: Value = response.json().await.unwrap();
        let job = crate::exports::wait_for_end(&app, &user, job["job_id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "done", "{format}: {job}");
        let (_, _, queued) = download(&app, &user, job["download_url"].as_str().unwrap()).await;
        check_file(format, &queued);
        assert_eq!(
            job["manifest"]["output"]["sha256"],
            crate::datasets::sha256_of(&queued).as_str(),
            "{format}"
        );
    }
}

/// Fixed timestamps inside zips, workbooks and PDFs: the same export at the same time is the
/// same file, byte for byte, so a recipient can verify it against its manifest.
async fn exports_are_reproducible(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &FORMATS, &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&user, "people.csv", TRICKY_CSV.as_bytes().to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    for format in ["xlsx", "pdf", "datapackage", "parquet"] {
        let source = {
            let state = app.state.clone();
            let id = id.clone();
            tokio::task::spawn_blocking(move || {
                let mut conn = state.db.get().unwrap();
                let found = tessera::db::datasets::Dataset::find(&mut conn, &id).unwrap();
                let version =
                    tessera::db::dataset_versions::DatasetVersion::find(&mut conn, &id, 1).unwrap();
                tessera::export::ExportSource::new(
                    &state.storage,
                    found,
                    version,
                    "2026-01-02T03:04:05.000Z".into(),
                )
            })
            .await
            .unwrap()
        };
        let mut outputs = Vec::new();
        for _ in 0..2 {
            let plugin = app.state.plugins.get(format).unwrap();
            let runtime = app.state.plugins.runtime.clone();
            let source = source.clone();
            let bytes = tokio::task::spawn_blocking(move || {
                let started = tessera::export::begin(
                    &runtime,
                    &plugin,
                    &source,
                    &tessera::export::ExportSpec::default(),
                )
                .unwrap();
                let mut bytes = Vec::new();
                started
                    .run(|chunk| {
                        bytes.extend_from_slice(&chunk);
                        true
                    })
                    .unwrap();
                bytes
            })
            .await
            .unwrap();
            outputs.push(bytes);
        }
        assert_eq!(outputs[0], outputs[1], "{format} differs between two runs");
    }
}

crate::on_both_backends!(
    every_format_exports_directly_and_queued,
    exports_are_reproducible
);
