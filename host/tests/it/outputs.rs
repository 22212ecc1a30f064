//! What export files hold and how they are served, through the real components: formulas in
//! CSV for spreadsheets (issue 14, item 18), JSON Lines' media type and extension, big integers
//! and non-finite numbers in JSON (issue 14, item 26). Files are read with readers this project
//! did not write (the `csv` crate, `serde_json`, calamine).

use std::io::Cursor;

use calamine::Reader;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser};
use crate::plugins::app_with_plugins;

/// Text cells a spreadsheet would run as formulas, and a harmless one.
const FORMULAS_CSV: &str = "id,note\n\
                            1,\"=HYPERLINK(\"\"http://127.0.0.1:9/\"\",\"\"open\"\")\"\n\
                            2,@SUM(1+1)*cmd|' /C calc'!A0\n\
                            3,+1+1\n\
                            4,-1+1\n\
                            5,\"\tTAB\"\n\
                            6,plain\n";

/// Status, `Content-Type`, `Content-Disposition` and body of a GET.
async fn fetch(
    app: &TestApp,
    user: &TestUser,
    path: &str,
) -> (StatusCode, String, String, Vec<u8>) {
    let response = app.as_user(user, Method::GET, path).send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (media_type, disposition) = (header("content-type"), header("content-disposition"));
    let status = response.status();
    (
        status,
        media_type,
        disposition,
        response.bytes().await.unwrap().to_vec(),
    )
}

fn query(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The `note` column of a CSV file, as Python's or any RFC 4180 reader sees it.
fn notes(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|record| record.unwrap()[1].to_owned())
        .collect()
}

// Issue 14, item 18: CSV exports kept cells that spreadsheets run as formulas.
async fn csv_formulas_are_neutralised_for_spreadsheets(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv", "xlsx"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&ada, "notes.csv", FORMULAS_CSV.as_bytes())
        .await;
    let raw = [
        "=HYPERLINK(\"http://127.0.0.1:9/\",\"open\")",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1+1",
        "-1+1",
        "\tTAB",
        "plain",
    ];
    let guarded: Vec<String> = raw
        .iter()
        .map(|text| {
            if *text == "plain" {
                (*text).to_owned()
            } else {
                format!("'{text}")
            }
        })
        .collect();

    // The standard preset keeps every cell as it is: CSV is also for programs.
    let (status, _, _, standard) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(notes(&standard), raw);

    // The Excel preset neutralises them, with a BOM and CRLF line endings.
    let options = query(r#"{"preset":"excel"}"#);
    let (status, _, _, excel) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=csv&options={options}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(excel.starts_with("\u{feff}id,note\r\n".as_bytes()));
    assert_eq!(notes(&excel), guarded);

    // So does the option alone, and the preset's default gives way to an explicit choice.
    let options = query(r#"{"neutralise_formulas":true}"#);
    let (_, _, _, asked) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=csv&options={options}"),
    )
    .await;
    assert_eq!(notes(&asked), guarded);
    let options = query(r#"{"preset":"excel","neutralise_formulas":false}"#);
    let (_, _, _, declined) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=csv&options={options}"),
    )
    .await;
    assert_eq!(notes(&declined), raw);
    let options = query(r#"{"preset":"lotus"}"#);
    let (status, _, _, _) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=csv&options={options}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Excel workbooks store text as text: the same cells are strings, never formulas.
    let (status, _, _, workbook) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut book = calamine::Xlsx::new(Cursor::new(workbook.clone())).unwrap();
    let data = book.worksheet_range("Data").unwrap();
    for (row, text) in raw.iter().enumerate() {
        assert_eq!(
            data.get((row + 1, 1)),
            Some(&calamine::Data::String((*text).to_owned())),
            "row {row}"
        );
    }
    let formulas = book.worksheet_formula("Data").unwrap();
    assert!(
        formulas
            .used_cells()
            .all(|(_, _, formula)| formula.is_empty()),
        "no cell of the workbook is a formula"
    );
}

// Issue 14, item 26: NDJSON was served as `application/json` with a `.json` name.
async fn ndjson_is_served_as_json_lines(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["json"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&ada, "counts.csv", "n,x\n1,0.5\n2,1.5\n".as_bytes())
        .await;
    let options = query(r#"{"structure":"ndjson"}"#);
    let (status, media_type, disposition, body) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=json&options={options}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(media_type, "application/x-ndjson");
    assert!(disposition.contains("counts-v1.ndjson"), "{disposition}");
    let lines: Vec<Value> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines,
        [json!({"n": 1, "x": 0.5}), json!({"n": 2, "x": 1.5})]
    );

    // Other structures are still one JSON document.
    let (_, media_type, disposition, _) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=json"),
    )
    .await;
    assert_eq!(media_type, "application/json");
    assert!(disposition.contains("counts-v1.json"), "{disposition}");

    // Queued, the artifact has the same name and type.
    let queued = app
        .post_json(
            &ada,
            &format!("/api/v1/datasets/{id}/exports"),
            json!({"format": "json", "options": {"structure": "ndjson"}}),
        )
        .await;
    let job = crate::exports::wait_for_end(&app, &ada, queued["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["file_name"], "counts-v1.ndjson");
    assert_eq!(
        job["manifest"]["output"]["media_type"],
        "application/x-ndjson"
    );
    let (status, media_type, disposition, _) =
        fetch(&app, &ada, job["download_url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(media_type, "application/x-ndjson");
    assert!(disposition.contains("counts-v1.ndjson"), "{disposition}");
}

// Issue 14, item 26: integers beyond 2^53 were bare numbers, which JSON readers that hold
// numbers as doubles (JavaScript, many others) round; now they can be strings.
async fn big_integers_can_be_json_strings(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["json"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(
            &ada,
            "ids.csv",
            b"id,x\n9007199254740993,NaN\n42,inf\n-9223372036854775808,1.5\n",
        )
        .await;
    let (_, _, _, plain) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=json"),
    )
    .await;
    let text = String::from_utf8(plain).unwrap();
    assert!(text.contains(r#""id":9007199254740993"#), "{text}");
    // NaN and infinity have no JSON number: null, as documented.
    let rows: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(rows[0]["x"], Value::Null);
    assert_eq!(rows[1]["x"], Value::Null);

    let options = query(r#"{"big_integers_as_strings":true}"#);
    let (status, _, _, strings) = fetch(
        &app,
        &ada,
        &format!("/api/v1/datasets/{id}/export?format=json&options={options}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows: Value = serde_json::from_slice(&strings).unwrap();
    assert_eq!(rows[0]["id"], "9007199254740993");
    assert_eq!(rows[1]["id"], 42);
    assert_eq!(rows[2]["id"], "-9223372036854775808");
}

// Found by the conformance run: an export with no rows to write (`limit=0`, or a filter that
// keeps nothing) answered 500, because its file was ready before the second step the stream
// waits for, and the waiting end was dropped unanswered.
async fn an_export_of_no_rows_is_an_empty_file(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv", "json", "xlsx"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&ada, "people.csv", "id,name\n1,Ada\n2,Grace\n".as_bytes())
        .await;
    let nobody = r#"{"column":"id","op":"=","value":99}"#;
    for query in [
        "limit=0".to_owned(),
        format!("filter={}", crate::common::urlencode(nobody)),
    ] {
        let (status, _, _, body) = fetch(
            &app,
            &ada,
            &format!("/api/v1/datasets/{id}/export?format=csv&{query}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "csv, {query}");
        assert_eq!(
            String::from_utf8_lossy(&body).trim_end(),
            "id,name",
            "{query}"
        );

        let (status, _, _, body) = fetch(
            &app,
            &ada,
            &format!("/api/v1/datasets/{id}/export?format=json&{query}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "json, {query}");
        let rows: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(rows, json!([]), "{query}");

        let (status, _, _, body) = fetch(
            &app,
            &ada,
            &format!("/api/v1/datasets/{id}/export?format=xlsx&{query}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "xlsx, {query}");
        let mut book = calamine::Xlsx::new(Cursor::new(body)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(sheet.height(), 1, "the header row only, {query}");
    }
}

// Found by the conformance run: a sorted export with a limit of 2^63 - 1 made polars set room
// aside for that many rows (160 GiB) and the server abort.
async fn a_huge_limit_exports_every_row(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&ada, "people.csv", "id,name\n1,Ada\n2,Grace\n".as_bytes())
        .await;
    for query in [
        "sort=-id&limit=9223372036854775807",
        "sort=-id&offset=1",
        "sort=name&offset=1&limit=4294967295",
    ] {
        let (status, _, _, body) = fetch(
            &app,
            &ada,
            &format!("/api/v1/datasets/{id}/export?format=csv&{query}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        let text = String::from_utf8_lossy(&body).into_owned();
        assert!(text.starts_with("id,name"), "{query}: {text}");
    }
    let queued = app
        .post_json(
            &ada,
            &format!("/api/v1/datasets/{id}/exports"),
            json!({"format": "csv", "sort": [{"column": "id", "descending": true}], "limit": 9223372036854775807_i64}),
        )
        .await;
    assert!(queued["job_id"].is_string(), "{queued}");
    let job = crate::exports::wait_for_end(&app, &ada, queued["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["rows_done"], 2, "{job}");
}

crate::on_both_backends!(
    csv_formulas_are_neutralised_for_spreadsheets,
    ndjson_is_served_as_json_lines,
    big_integers_can_be_json_strings,
    an_export_of_no_rows_is_an_empty_file,
    a_huge_limit_exports_every_row,
);
