//! Uploading, reading, versioning and deleting datasets, and every bad input's clear error.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, error_code};

/// A CSV with what real files have: a BOM, quoted commas and newlines, non-ASCII text, dates,
/// datetimes, nulls and booleans.
pub const TRICKY_CSV: &str = "\u{feff}id,name,note,born,seen_at,score,active\n\
1,Zoë,\"likes \"\"quotes\"\", and commas\",1990-05-01,2024-01-02 03:04:05,1.5,true\n\
2,漢字,\"two\nlines\",1985-12-31,2024-02-03 10:00:00,,false\n\
3,Åsa,plain,2000-01-01,2024-03-04 23:59:59,-2.25,true\n";

async fn csv_upload_is_typed_and_reads_back(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let response = app
        .upload(&user, "people.csv", TRICKY_CSV.as_bytes().to_vec())
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["rows"], 3);
    assert_eq!(created["name"], "people");
    let types: Vec<(String, String)> = created["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("id", "integer"),
        ("name", "string"),
        ("note", "string"),
        ("born", "date"),
        ("seen_at", "datetime"),
        ("score", "float"),
        ("active", "boolean"),
    ];
    assert_eq!(
        types,
        expected.map(|(a, b)| (a.to_owned(), b.to_owned())).to_vec()
    );

    let id = created["id"].as_str().unwrap();
    let rows: Value = app
        .get_json(
            &user,
            &format!("/api/v1/datasets/{id}/rows?offset=1&limit=2"),
        )
        .await;
    assert_eq!(rows["total_rows"], 3);
    assert_eq!(
        rows["rows"][0],
        json!([
            2,
            "漢字",
            "two\nlines",
            "1985-12-31",
            "2024-02-03T10:00:00",
            null,
            false
        ])
    );
    assert_eq!(rows["rows"][1][1], "Åsa");

    let first: Value = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/rows?limit=1"))
        .await;
    assert_eq!(first["rows"][0][2], "likes \"quotes\", and commas");

    // The reported checksum is the stored file's.
    let detail: Value = app.get_json(&user, &format!("/api/v1/datasets/{id}")).await;
    let version = &detail["versions"][0];
    let stored = std::fs::read(
        app.data_dir
            .path()
            .join(format!("datasets/{id}/v1.parquet")),
    )
    .unwrap();
    assert_eq!(version["sha256"], sha256_of(&stored));
    assert_eq!(version["size_bytes"], stored.len());
    assert_eq!(detail["access"], "admin");
}

/// SHA-256 through the system's `sha256sum`, so the tests do not trust the code they check.
pub fn sha256_of(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

async fn every_supported_format_uploads(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("t.tsv", b"a\tb\n1\tx\n2\ty\n".to_vec()),
        (
            "t.ndjson",
            b"{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2, \"b\": \"y\"}\n".to_vec(),
        ),
        (
            "t.json",
            b"[{\"a\": 1, \"b\": \"x\"}, {\"a\": 2, \"b\": \"y\"}]".to_vec(),
        ),
        ("t.xlsx", xlsx_bytes()),
    ];
    for (name, bytes) in cases {
        let response = app.upload(&user, name, bytes).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{name}: {:?}",
            response.text().await
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["rows"], 2, "{name}");
        assert_eq!(
            body["columns"][0],
            json!({"name": "a", "type": "integer"}),
            "{name}"
        );
        assert_eq!(
            body["columns"][1],
            json!({"name": "b", "type": "string"}),
            "{name}"
        );
    }

    // A stored version is itself a Parquet file any tool can read: upload one back.
    let created: Value = app
        .upload(&user, "p.csv", b"a,b\n1,x\n2,y\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let parquet = std::fs::read(app.data_dir.path().join(format!(
        "datasets/{}/v1.parquet",
        created["id"].as_str().unwrap()
    )))
    .unwrap();
    let response = app.upload(&user, "again.parquet", parquet).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["rows"], 2);
}

fn xlsx_bytes() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "a").unwrap();
    sheet.write_string(0, 1, "b").unwrap();
    sheet.write_number(1, 0, 1).unwrap();
    sheet.write_string(1, 1, "x").unwrap();
    sheet.write_number(2, 0, 2).unwrap();
    sheet.write_string(2, 1, "y").unwrap();
    workbook.save_to_buffer().unwrap()
}

/// A bad upload: file name, bytes, expected status, expected code, a phrase the message has.
type BadUpload = (
    &'static str,
    Vec<u8>,
    StatusCode,
    &'static str,
    Option<&'static str>,
);

async fn bad_uploads_get_clear_errors_and_leave_nothing(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |c| c.max_upload_bytes = 4096).await else {
        return;
    };
    let user = app.user("ada@example.org").await;

    let cases: Vec<BadUpload> = vec![
        (
            "empty.csv",
            vec![],
            StatusCode::BAD_REQUEST,
            "empty_file",
            None,
        ),
        (
            "ragged.csv",
            b"a,b\n1,2\n3,4,5\n".to_vec(),
            StatusCode::BAD_REQUEST,
            "ragged_rows",
            Some("line 3"),
        ),
        (
            "short.csv",
            b"a,b,c\n1,2,3\n4,5\n".to_vec(),
            StatusCode::BAD_REQUEST,
            "ragged_rows",
            Some("line 3"),
        ),
        (
            "photo.png",
            b"\x89PNG\r\n".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_format",
            Some("photo.png"),
        ),
        (
            "big.csv",
            vec![b'a'; 5000],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            Some("4.0 KiB"),
        ),
        (
            "bad.json",
            b"[{\"a\": 1}, {\"a\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_file",
            None,
        ),
        (
            "bad.parquet",
            b"PAR1 not really".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_file",
            Some("Parquet"),
        ),
        (
            "bad.xlsx",
            b"PK not a workbook".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_file",
            Some("Excel"),
        ),
        (
            "latin1.csv",
            b"a,b\n1,caf\xe9\n".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_file",
            Some("UTF-8"),
        ),
        (
            "dup.csv",
            b"a,a\n1,2\n".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_file",
            Some("twice"),
        ),
    ];
    for (name, bytes, status, code, mention) in cases {
        let response = app.upload(&user, name, bytes).await;
        assert_eq!(response.status(), status, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{name}: {body}");
        if let Some(text) = mention {
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(text),
                "{name}: '{message}' should mention '{text}'"
            );
        }
    }

    // Not multipart at all.
    let response = app
        .as_user(&user, Method::POST, "/api/v1/datasets")
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // A file declared as one type but named as another.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"a\n1\n".to_vec())
            .file_name("x.csv")
            .mime_str("image/png")
            .unwrap(),
    );
    let response = app
        .as_user(&user, Method::POST, "/api/v1/datasets")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    assert_eq!(app.dataset_count(), 0);
    assert_eq!(app.stored_files(), Vec::<String>::new());
}

async fn versions_accumulate_and_stay_readable(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&user, "v.csv", b"a\n1\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/datasets/{id}/versions");
    // The second version adds a column, which an upload must confirm (issue 16).
    let second = app
        .upload_to(
            &user,
            &format!("{path}?confirm_schema_change=true"),
            "v2.csv",
            b"a,b\n1,2\n3,4\n".to_vec(),
            &[],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["version"], 2);
    assert_eq!(second["rows"], 2);

    let bad = app
        .upload_to(&user, &path, "v3.csv", b"a,b\n1\n".to_vec(), &[])
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let detail: Value = app.get_json(&user, &format!("/api/v1/datasets/{id}")).await;
    assert_eq!(detail["latest_version"], 2);
    assert_eq!(detail["versions"].as_array().unwrap().len(), 2);
    assert_eq!(detail["rows"], 2);
    assert_eq!(detail["versions"][0]["rows"], 1);

    let old: Value = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/rows?version=1"))
        .await;
    assert_eq!(old["rows"], json!([[1]]));
    let missing = app
        .as_user(
            &user,
            Method::GET,
            &format!("/api/v1/datasets/{id}/rows?version=9"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.stored_files().len(), 2);
}

async fn listing_searches_and_hides_others_datasets(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    for name in ["Ocean temperatures", "Glacier mass", "ocean salinity"] {
        let response = app
            .upload_to(
                &ada,
                "/api/v1/datasets",
                "d.csv",
                b"a\n1\n".to_vec(),
                &[("name", name)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let found: Value = app.get_json(&ada, "/api/v1/datasets?q=OCEAN").await;
    assert_eq!(found["total"], 2);
    let page: Value = app
        .get_json(&ada, "/api/v1/datasets?limit=1&offset=1")
        .await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    let bobs: Value = app.get_json(&bob, "/api/v1/datasets").await;
    assert_eq!(bobs["total"], 0);
    let id = found["items"][0]["id"].as_str().unwrap();
    let peek = app
        .as_user(&bob, Method::GET, &format!("/api/v1/datasets/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(peek.status(), StatusCode::NOT_FOUND);
    let rows = app
        .as_user(&bob, Method::GET, &format!("/api/v1/datasets/{id}/rows"))
        .send()
        .await
        .unwrap();
    assert_eq!(rows.status(), StatusCode::NOT_FOUND);
    let bad_limit = app
        .as_user(&ada, Method::GET, "/api/v1/datasets?limit=0")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_limit.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn metadata_changes_and_deletion(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&ada, "d.csv", b"a\n1\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/datasets/{id}");

    let changed: Value = app
        .as_user(&ada, Method::PATCH, &path)
        .json(&json!({"title": "Renamed", "description": "About it", "tags": ["ocean", "ocean", "2024"], "licence": "CC-BY-4.0"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["name"], "Renamed");
    assert_eq!(changed["tags"], json!(["ocean", "2024"]));
    assert_eq!(changed["licence"], "CC-BY-4.0");
    let cleared: Value = app
        .as_user(&ada, Method::PATCH, &path)
        .json(&json!({"licence": null}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["licence"], Value::Null);
    assert_eq!(cleared["name"], "Renamed");

    let invalid = app
        .as_user(&ada, Method::PATCH, &path)
        .json(&json!({"name": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app
        .as_user(&ada, Method::PATCH, &path)
        .json(&json!({"colour": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(unknown).await, "invalid_json");
    // Each change is in the audit trail with the fields it named; the refused ones are not.
    let root = app.admin("root@example.org").await;
    let trail = app
        .get_json(
            &root,
            &format!("/api/v1/admin/audit?action=dataset.update&target=dataset:{id}"),
        )
        .await;
    let fields: Vec<Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"]["fields"].clone())
        .collect();
    assert_eq!(
        fields,
        [
            json!(["licence"]),
            json!(["name", "description", "tags", "licence"])
        ],
        "{trail}"
    );

    let bob = app.user("bob@example.org").await;
    let refused = app
        .as_user(&bob, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);

    let deleted = app
        .as_user(&ada, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.as_user(&ada, Method::GET, &path)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    // Issue 16: deleting moves it to the trash, files and all; deleting it there removes them.
    assert_ne!(app.stored_files(), Vec::<String>::new());
    let purged = app
        .as_user(&ada, Method::DELETE, &format!("/api/v1/trash/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(purged.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.stored_files(), Vec::<String>::new());
}

async fn leftovers_of_a_crash_are_cleaned_on_start(backend: Backend) {
    let Some(mut app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&ada, "d.csv", b"a\n1\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let root = app.data_dir.path().to_path_buf();
    // A file renamed into place whose row never committed, and an upload cut off mid-way.
    std::fs::create_dir_all(root.join("datasets/0000-orphan")).unwrap();
    std::fs::write(root.join("datasets/0000-orphan/v1.parquet"), b"half").unwrap();
    std::fs::write(root.join("tmp/upload-123.csv"), b"a,b\n1,").unwrap();

    let config = (*app.state.config).clone();
    let data_dir = std::mem::replace(&mut app.data_dir, tempfile::tempdir().unwrap());
    drop(app);
    let app = TestApp::start_on(backend, config, data_dir).await;
    assert_eq!(
        app.stored_files(),
        vec![format!("datasets/{id}/v1.parquet")]
    );
    let rows = app
        .as_user(&ada, Method::GET, &format!("/api/v1/datasets/{id}/rows"))
        .send()
        .await
        .unwrap();
    assert_eq!(rows.status(), StatusCode::OK);
}

/// Issue 16: the datasets page stopped at 200 with no way to the rest. It pages, a hundred at
/// a time, keeping the search, and every dataset is reachable.
async fn the_datasets_page_reaches_every_dataset(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    for i in 0..105 {
        let id = app
            .upload_dataset(&ada, &format!("lake {i:03}.csv"), b"a\n1\n")
            .await;
        assert!(!id.is_empty());
    }
    let page = |query: &str| {
        let request = app.as_user(&ada, Method::GET, &format!("/datasets{query}"));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let names = |html: &str| html.matches(">lake ").count();
    let first = page("").await;
    assert_eq!(names(&first), 100);
    assert!(first.contains("Datasets 1 to 100 of 105"), "{first}");
    assert!(first.contains("href=\"?offset=100\""), "{first}");
    let second = page("?offset=100").await;
    assert_eq!(names(&second), 5);
    assert!(second.contains("Datasets 101 to 105 of 105"));
    assert!(second.contains(">Previous datasets</a>"));
    assert!(!second.contains(">Next datasets</a>"));
    // A search keeps its words from page to page, and a short result has no pager.
    let searched = page("?q=lake+10").await;
    assert_eq!(names(&searched), 5, "lake 100 to 104");
    assert!(!searched.contains("class=\"pager\""));
}

/// Issue 16: every version records who uploaded it and a change note (the `message` field of
/// the upload, in the API as in the page); a note beyond its limit is refused and nothing is
/// stored.
async fn versions_carry_their_uploader_and_change_note(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let created: Value = app
        .upload_to(
            &ada,
            "/api/v1/datasets",
            "lake.csv",
            b"depth\n1\n".to_vec(),
            &[("message", "  First survey, March  ")],
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let versions = format!("/api/v1/datasets/{id}/versions");
    let second = app
        .upload_to(
            &ada,
            &versions,
            "lake.csv",
            b"depth\n1\n2\n".to_vec(),
            &[("message", "Added the April dive")],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let too_long = "x".repeat(2001);
    let refused = app
        .upload_to(
            &ada,
            &versions,
            "lake.csv",
            b"depth\n3\n".to_vec(),
            &[("message", too_long.as_str())],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let files_before = app.stored_files();

    let detail = app.get_json(&ada, &format!("/api/v1/datasets/{id}")).await;
    let listed = detail["versions"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "the refused upload made no version");
    assert_eq!(listed[0]["message"], "First survey, March");
    assert_eq!(listed[1]["message"], "Added the April dive");
    assert_eq!(listed[1]["created_by"], ada.id.as_str());
    assert_eq!(app.stored_files(), files_before);
    // The page's history names the uploader and shows the note.
    let page = app.page_html(&ada, &format!("/datasets/{id}")).await;
    assert!(page.contains("Added the April dive"), "{page}");
    assert!(page.contains("<td>Test User</td>"), "{page}");
    assert!(page.contains("Rows 1 to 2 of 2</caption>"), "{page}");

    // The preview shows any version, saying when it is not the latest.
    let first = app
        .page_html(&ada, &format!("/datasets/{id}?version=1"))
        .await;
    assert!(
        first.contains("Rows 1 to 1 of 1, version 1 (not the latest)"),
        "{first}"
    );
    let missing = app
        .as_user(&ada, Method::GET, &format!("/datasets/{id}?version=9"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// Issue 16: the datasets list says whose each dataset is, marks what others shared with the
/// reader, and shows its size, tags and when it changed (in words, the exact time beside).
async fn the_datasets_list_says_whose_and_how_big(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let own = app.upload_dataset(&ada, "mine.csv", b"a\n1\n").await;
    let tagged = app
        .as_user(&ada, Method::PATCH, &format!("/api/v1/datasets/{own}"))
        .json(&json!({"tags": ["limnology"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(tagged.status(), StatusCode::OK);
    let theirs = app.upload_dataset(&bob, "theirs.csv", b"b\n2\n").await;
    let shared = app
        .as_user(
            &bob,
            Method::POST,
            &format!("/api/v1/datasets/{theirs}/shares"),
        )
        .json(&json!({"user": ada.id, "level": "view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);

    let page = app.page_html(&ada, "/datasets").await;
    let row = |name: &str| {
        let start = page.find(&format!(">{name}</a>")).expect("listed");
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };
    let mine = row("mine");
    let others = row("theirs");
    assert!(!mine.contains("shared with you"), "{mine}");
    assert!(others.contains("shared with you"), "{others}");
    assert!(
        mine.contains("<span class=\"tag\">limnology</span>"),
        "{mine}"
    );
    assert!(mine.contains("<td>Test User</td>"), "{mine}");
    assert!(
        mine.contains(" bytes</td>") || mine.contains(" KiB</td>"),
        "{mine}"
    );
    assert!(mine.contains("less than a minute ago</time>"), "{mine}");
}

/// The list sorts by name (case aside) or by when a dataset changed, in the API and on the page.
async fn the_datasets_list_sorts(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    for name in ["beta.csv", "Alpha.csv", "gamma.csv"] {
        app.upload_dataset(&user, name, b"id\n1\n").await;
    }
    let names = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_name = app.get_json(&user, "/api/v1/datasets?sort=name").await;
    assert_eq!(names(&by_name), ["Alpha", "beta", "gamma"]);
    let newest = app.get_json(&user, "/api/v1/datasets").await;
    assert_eq!(names(&newest), ["gamma", "Alpha", "beta"]);
    let oldest = app.get_json(&user, "/api/v1/datasets?sort=updated").await;
    assert_eq!(names(&oldest), ["beta", "Alpha", "gamma"]);
    let refused = app
        .as_user(&user, Method::GET, "/api/v1/datasets?sort=size")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let page = app.page_html(&user, "/datasets?sort=-name").await;
    let (g, b, a) = (
        page.find(">gamma<").unwrap(),
        page.find(">beta<").unwrap(),
        page.find(">Alpha<").unwrap(),
    );
    assert!(g < b && b < a, "{page}");
    assert!(page.contains(r#"aria-sort="descending""#), "{page}");
}

crate::on_both_backends!(
    the_datasets_list_sorts,
    the_datasets_list_says_whose_and_how_big,
    versions_carry_their_uploader_and_change_note,
    the_datasets_page_reaches_every_dataset,
    csv_upload_is_typed_and_reads_back,
    every_supported_format_uploads,
    bad_uploads_get_clear_errors_and_leave_nothing,
    versions_accumulate_and_stay_readable,
    listing_searches_and_hides_others_datasets,
    metadata_changes_and_deletion,
    leftovers_of_a_crash_are_cleaned_on_start,
);
