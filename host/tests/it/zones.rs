//! Datetimes given with a time zone (issue 14, item 22): ISO 8601 with `Z` or an offset, the
//! most common form in research data. They are stored as UTC instants, the schema says
//! `datetime[UTC]`, every page shows them and every format writes them, marked as UTC where
//! the format writes text; datetimes given without a zone stay unmarked. Each file is opened
//! with a reader for its format that this project did not write.

use std::io::{Cursor, Read};

use calamine::Reader;
use polars::prelude::*;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser};
use crate::plugins::app_with_plugins;

/// `ts` has a zone on every row (UTC and +02:00), `local` has none.
const ZONED_CSV: &str = "id,ts,local\n\
                         1,2024-01-01T00:00:00Z,2024-01-01T09:00:00\n\
                         2,2024-06-01T12:30:00+02:00,2024-06-01T10:30:00\n\
                         3,,\n";

/// The instants of `ts`, in UTC as RFC 3339 writes them.
const TS: [&str; 2] = ["2024-01-01T00:00:00Z", "2024-06-01T10:30:00Z"];
/// The local times of `local`, as given.
const LOCAL: [&str; 2] = ["2024-01-01T09:00:00", "2024-06-01T10:30:00"];

const FORMATS: [&str; 7] = [
    "csv",
    "json",
    "xlsx",
    "pdf",
    "parquet",
    "datapackage",
    "markdown",
];

/// Seconds since the epoch of an RFC 3339 time; fails on anything else.
fn instant(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .unix_timestamp()
}

async fn upload_zoned(app: &TestApp, user: &TestUser) -> String {
    let response = app
        .upload(user, "sensors.csv", ZONED_CSV.as_bytes().to_vec())
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created["columns"],
        json!([
            {"name": "id", "type": "integer"},
            {"name": "ts", "type": "datetime[UTC]"},
            {"name": "local", "type": "datetime"},
        ]),
        "the schema says which datetimes are UTC instants"
    );
    created["id"].as_str().unwrap().to_owned()
}

/// The rows as every page reads them: zoned values in RFC 3339 with `Z`, the same instants as
/// uploaded; local ones as given.
fn check_rows(rows: &Value, context: &str) {
    assert_eq!(
        rows,
        &json!([[1, TS[0], LOCAL[0]], [2, TS[1], LOCAL[1]], [3, null, null],]),
        "{context}"
    );
    assert_eq!(instant(TS[0]), instant("2024-01-01T00:00:00Z"));
    assert_eq!(instant(TS[1]), instant("2024-06-01T12:30:00+02:00"));
}

// Issue 14, item 22: the rows API, the dataset page and a view link's page and rows answered
// 500 (polars panicked: "activate 'timezones' feature").
async fn zoned_datetimes_show_on_every_page(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = upload_zoned(&app, &ada).await;

    let rows = app
        .as_user(&ada, Method::GET, &format!("/api/v1/datasets/{id}/rows"))
        .send()
        .await
        .unwrap();
    assert_eq!(rows.status(), StatusCode::OK, "rows API");
    let rows: Value = rows.json().await.unwrap();
    check_rows(&rows["rows"], "rows API");
    assert_eq!(rows["columns"][1]["type"], "datetime[UTC]");
    let detail = app.get_json(&ada, &format!("/api/v1/datasets/{id}")).await;
    assert!(
        detail.to_string().contains("datetime[UTC]"),
        "dataset detail: {detail}"
    );

    let cookie = &ada.session.as_ref().unwrap().cookie;
    let page = app
        .request(Method::GET, &format!("/datasets/{id}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "dataset page");
    let html = page.text().await.unwrap();
    for text in TS.iter().chain(&LOCAL).chain(&["datetime[UTC]"]) {
        assert!(html.contains(text), "the dataset page shows {text}");
    }

    let link = app
        .as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/links"))
        .json(&json!({"level": "view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), StatusCode::CREATED);
    let link: Value = link.json().await.unwrap();
    let slug = link["slug"].as_str().unwrap();
    let stranger = Client::new();
    let page = stranger
        .get(app.url(&format!("/s/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "view link page");
    let html = page.text().await.unwrap();
    for text in TS.iter().chain(&LOCAL) {
        assert!(html.contains(text), "the view link's page shows {text}");
    }
    let rows = stranger
        .get(app.url(&format!("/s/{slug}/rows")))
        .send()
        .await
        .unwrap();
    assert_eq!(rows.status(), StatusCode::OK, "view link rows");
    let rows: Value = rows.json().await.unwrap();
    check_rows(&rows["rows"], "view link rows");
}

/// Opens an exported file with a reader for its format and checks the datetimes in it.
fn check_export(format: &str, bytes: &[u8]) {
    match format {
        "csv" => check_csv(bytes, true),
        "json" => {
            let rows: Value = serde_json::from_slice(bytes).unwrap();
            for (row, (ts, local)) in TS.iter().zip(LOCAL).enumerate() {
                assert_eq!(rows[row]["ts"], *ts, "json");
                assert_eq!(rows[row]["local"], local, "json");
            }
            assert_eq!(rows[2]["ts"], Value::Null);
        }
        "xlsx" => {
            let mut workbook = calamine::Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
            let data = workbook.worksheet_range("Data").unwrap();
            // Excel has no zones: an instant is its date and time in UTC.
            let shown = |row: u32, column: u32| match data.get((row as usize, column as usize)) {
                Some(calamine::Data::DateTime(moment)) => moment.as_datetime().unwrap().to_string(),
                other => panic!("xlsx ({row}, {column}) is not a date and time: {other:?}"),
            };
            assert_eq!(shown(1, 1), "2024-01-01 00:00:00");
            assert_eq!(shown(2, 1), "2024-06-01 10:30:00");
            assert_eq!(shown(2, 2), "2024-06-01 10:30:00");
            let metadata = workbook.worksheet_range("Metadata").unwrap();
            let type_of = |name: &str| {
                metadata
                    .rows()
                    .find(|row| matches!(&row[0], calamine::Data::String(text) if text == name))
                    .map(|row| row[1].to_string())
            };
            assert_eq!(type_of("ts").as_deref(), Some("datetime[UTC]"));
            assert_eq!(type_of("local").as_deref(), Some("datetime"));
        }
        "pdf" => {
            assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
            let tail = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(64)..]);
            assert!(tail.contains("%%EOF"), "a PDF ends with %%EOF");
        }
        "parquet" => {
            let frame = ParquetReader::new(Cursor::new(bytes.to_vec()))
                .finish()
                .unwrap();
            // Adjusted to UTC: polars names the zone `UTC` or, without its time-zone
            // database, `+00:00`.
            match frame.column("ts").unwrap().dtype() {
                DataType::Datetime(TimeUnit::Microseconds, Some(zone))
                    if ["UTC", "+00:00"].contains(&zone.as_str()) => {}
                other => panic!("an instant is a timestamp adjusted to UTC, not {other:?}"),
            }
            assert_eq!(
                frame.column("local").unwrap().dtype(),
                &DataType::Datetime(TimeUnit::Microseconds, None),
                "a local time is a timestamp without a zone"
            );
            let micros = |name: &str| -> Vec<Option<i64>> {
                frame
                    .column(name)
                    .unwrap()
                    .as_materialized_series()
                    .to_physical_repr()
                    .i64()
                    .unwrap()
                    .iter()
                    .collect()
            };
            assert_eq!(
                micros("ts"),
                [
                    Some(instant(TS[0]) * 1_000_000),
                    Some(instant(TS[1]) * 1_000_000),
                    None
                ]
            );
            assert_eq!(
                micros("local"),
                [
                    Some(instant(&format!("{}Z", LOCAL[0])) * 1_000_000),
                    Some(instant(&format!("{}Z", LOCAL[1])) * 1_000_000),
                    None
                ]
            );
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
            assert_eq!(resource["schema"]["fields"][1]["type"], "datetime");
            let mut data = Vec::new();
            archive
                .by_name(resource["path"].as_str().unwrap())
                .unwrap()
                .read_to_end(&mut data)
                .unwrap();
            // Table Schema's datetimes are UTC (its default format ends in `Z`).
            check_csv(&data, false);
        }
        "markdown" => {
            let table = String::from_utf8(bytes.to_vec()).unwrap();
            for (ts, local) in TS.iter().zip(LOCAL) {
                assert!(
                    table.contains(&format!("| {ts} | {local} |")),
                    "markdown: {table}"
                );
            }
        }
        other => panic!("no check for {other}"),
    }
}

/// The CSV's datetimes: instants in RFC 3339 with `Z`; local times as given, or, where every
/// datetime is UTC (`local_unmarked` false: Table Schema), with `Z` too.
fn check_csv(bytes: &[u8], local_unmarked: bool) {
    let mut reader = csv::Reader::from_reader(bytes);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);
    for (row, (ts, local)) in TS.iter().zip(LOCAL).enumerate() {
        assert_eq!(&records[row][1], *ts, "csv");
        assert_eq!(instant(&records[row][1]), instant(ts));
        if local_unmarked {
            assert_eq!(&records[row][2], local, "csv");
        } else {
            assert_eq!(records[row][2], format!("{local}Z"), "csv");
        }
    }
    assert_eq!(&records[2][1], "");
}

async fn download(app: &TestApp, user: &TestUser, path: &str) -> Vec<u8> {
    let response = app.as_user(user, Method::GET, path).send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap().to_vec();
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    bytes
}

// Issue 14, item 22: a zoned datetime was written as UTC without a marker in CSV and JSON
// (read back as local time), and the PDF export failed ("cannot format timezone-naive
// Datetime", polars' text in the job's error).
async fn zoned_datetimes_export_in_every_format(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &FORMATS, &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = upload_zoned(&app, &ada).await;
    for format in FORMATS {
        let direct = download(
            &app,
            &ada,
            &format!("/api/v1/datasets/{id}/export?format={format}"),
        )
        .await;
        check_export(format, &direct);

        let queued = app
            .post_json(
                &ada,
                &format!("/api/v1/datasets/{id}/exports"),
                json!({"format": format}),
            )
            .await;
        let job =
            crate::exports::wait_for_end(&app, &ada, queued["job_id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "done", "{format}: {job}");
        let file = download(&app, &ada, job["download_url"].as_str().unwrap()).await;
        check_export(format, &file);
    }

    // The Parquet export uploaded again is the same dataset: instants stay instants (polars
    // reads them labelled `+00:00`, stored as `UTC`), local times stay local.
    let parquet = download(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=parquet"),
    )
    .await;
    let response = app.upload(&ada, "sensors-again.parquet", parquet).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let again: Value = response.json().await.unwrap();
    assert_eq!(again["columns"][1]["type"], "datetime[UTC]", "{again}");
    assert_eq!(again["columns"][2]["type"], "datetime", "{again}");
    let rows = app
        .get_json(
            &ada,
            &format!("/api/v1/datasets/{}/rows", again["id"].as_str().unwrap()),
        )
        .await;
    check_rows(&rows["rows"], "the Parquet export uploaded again");

    // JSON Lines too, and a filter on the instants, given with any offset.
    let ndjson = download(
        &app,
        &ada,
        &format!(
            "/api/v1/datasets/{id}/export?format=json&options={}&filter={}",
            crate::common::urlencode(r#"{"structure":"ndjson"}"#),
            crate::common::urlencode(
                r#"{"column":"ts","op":">","value":"2024-06-01T12:00:00+02:00"}"#
            )
        ),
    )
    .await;
    let lines: Vec<Value> = String::from_utf8(ndjson)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines, [json!({"id": 2, "ts": TS[1], "local": LOCAL[1]})]);
}

// Issue 14, item 22: a job that fails on our side recorded the cause's text, polars' words
// and server paths included, and served it to the client in `error.message`.
async fn a_failed_job_tells_the_client_nothing_internal(backend: Backend) {
    // Jobs queue on a server that runs none, and run on another whose data folder lacks the
    // dataset's file: polars fails to read it, naming the path.
    let plugins = tempfile::tempdir().unwrap().keep();
    let csv = crate::plugins::built("dist").join("csv");
    std::fs::create_dir_all(plugins.join("csv")).unwrap();
    for entry in std::fs::read_dir(&csv).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), plugins.join("csv").join(entry.file_name())).unwrap();
    }
    let Some(app) = TestApp::start_with(backend, |config| {
        config.plugins_dir = plugins;
        config.export_workers = 0;
    })
    .await
    else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = upload_zoned(&app, &ada).await;
    let mut config = (*app.state.config).clone();
    config.export_workers = 1;
    if backend == Backend::Sqlite {
        config.database_url = app.data_dir.path().join("tessera.db").display().to_string();
    }
    let worker_dir = tempfile::tempdir().unwrap();
    config.data_dir = worker_dir.path().to_path_buf();
    // The first server must not run the job itself.
    assert_eq!(app.state.config.export_workers, 0);
    let queued = app
        .post_json(
            &ada,
            &format!("/api/v1/datasets/{id}/exports"),
            json!({"format": "csv"}),
        )
        .await;
    let worker = TestApp::start_on(backend, config, worker_dir).await;
    let job = crate::exports::wait_for_end(&app, &ada, queued["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(
        job["error"],
        json!({"code": "internal", "message": "internal error"}),
        "{job}"
    );
    drop(worker);
}

crate::on_both_backends!(
    zoned_datetimes_show_on_every_page,
    zoned_datetimes_export_in_every_format,
    a_failed_job_tells_the_client_nothing_internal,
);
