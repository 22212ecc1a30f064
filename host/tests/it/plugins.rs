//! Export through real WebAssembly components built from `plugins/` (scripts/build-plugins),
//! and the sandbox holding against hostile ones.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{Backend, TestApp, error_code};
use crate::datasets::TRICKY_CSV;

pub fn built(folder: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins")
        .join(folder);
    assert!(
        path.is_dir(),
        "{} is missing: build the plugins with scripts/build-plugins (scripts/test does)",
        path.display()
    );
    path
}

/// A Tessera whose plugins folder holds the named plugins, copied from the built ones.
pub async fn app_with_plugins(
    backend: Backend,
    first_party: &[&str],
    hostile: &[&str],
) -> Option<TestApp> {
    let plugins = tempfile::tempdir().unwrap().keep();
    for (folder, ids) in [("dist", first_party), ("dist-test", hostile)] {
        for id in ids {
            let from = built(folder).join(id);
            let to = plugins.join(id);
            std::fs::create_dir_all(&to).unwrap();
            for entry in std::fs::read_dir(&from).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    }
    TestApp::start_with(backend, |config| config.plugins_dir = plugins).await
}

async fn export_text(
    app: &TestApp,
    user: &crate::common::TestUser,
    path: &str,
) -> (StatusCode, String, String) {
    let response = app.as_user(user, Method::GET, path).send().await.unwrap();
    let status = response.status();
    let disposition = response
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, disposition, response.text().await.unwrap())
}

async fn csv_and_json_exports_round_trip(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv", "json"], &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let formats = app.get_json(&user, "/api/v1/plugins").await;
    let ids: Vec<&str> = formats
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["csv", "json"]);
    assert_eq!(formats[0]["options_schema"]["type"], "object");

    let created: Value = app
        .upload_to(
            &user,
            "/api/v1/datasets",
            "people.csv",
            TRICKY_CSV.as_bytes().to_vec(),
            &[("name", "People 2024")],
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();

    let (status, disposition, body) = export_text(
        &app,
        &user,
        &format!("/api/v1/datasets/{id}/export?format=csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(disposition.contains("People-2024-v1.csv"), "{disposition}");
    // Parse it back with an independent RFC 4180 reader.
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        ["id", "name", "note", "born", "seen_at", "score", "active"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][2], "likes \"quotes\", and commas");
    assert_eq!(rows[1][1], "漢字");
    assert_eq!(rows[1][2], "two\nlines");
    assert_eq!(rows[1][3], "1985-12-31");
    assert_eq!(rows[1][5], "", "a null exports as the null text");
    assert_eq!(rows[2][5], "-2.25");

    let (status, _, body) = export_text(
        &app,
        &user,
        &format!("/api/v1/datasets/{id}/export?format=json&columns=name,id&offset=1&limit=1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let parsed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed, json!([{"name": "漢字", "id": 2}]));

    let options = crate::common::urlencode(r#"{"delimiter":";","header":false}"#);
    let (_, _, body) = export_text(
        &app,
        &user,
        &format!("/api/v1/datasets/{id}/export?format=csv&columns=id,score&options={options}"),
    )
    .await;
    assert_eq!(body.lines().collect::<Vec<_>>(), ["1;1.5", "2;", "3;-2.25"]);
}

async fn export_refusals_are_clear(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
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

    let response = app
        .as_user(
            &user,
            Method::GET,
            &format!("/api/v1/datasets/{id}/export?format=docx"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(response).await, "unknown_format");
    let response = app
        .as_user(
            &user,
            Method::GET,
            &format!("/api/v1/datasets/{id}/export?format=csv&columns=a,zzz"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = app
        .as_user(
            &user,
            Method::GET,
            &format!(
                "/api/v1/datasets/{id}/export?format=csv&options={}",
                crate::common::urlencode(r#"{"delimiter":"too long","header":"yes","colour":1}"#)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The host checks the options against the plugin's schema and names every problem.
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_export_options");
    let message = body["error"]["message"].as_str().unwrap();
    for part in ["options/delimiter", "options/header", "colour"] {
        assert!(message.contains(part), "{message} should name {part}");
    }
    // Issue 16: each option by the label the export form shows, and no regular expression.
    for label in ["“Delimiter”", "“Header row”"] {
        assert!(message.contains(label), "{message} should say {label}");
    }
    let response = app
        .as_user(
            &user,
            Method::GET,
            &format!(
                "/api/v1/datasets/{id}/export?format=csv&options={}",
                crate::common::urlencode(r#"{"null_text":"a\"b"}"#)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("“Text for empty cells”") && message.contains("not in the form"),
        "{message}"
    );
    assert!(
        !message.contains("^[^"),
        "a regular expression shown: {message}"
    );
    let stranger = app.user("bob@example.org").await;
    let response = app
        .as_user(
            &stranger,
            Method::GET,
            &format!("/api/v1/datasets/{id}/export?format=csv"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// Issue 15 (the plugin platform): the first-party formats derive their options schemas from
/// their options structs. What the export form and the host's refusals read must survive the
/// derivation: a one-word `type` (or an `enum`) per option, never `null` among the choices, help
/// text in one paragraph, and a schema that refuses unknown options.
async fn derived_options_schemas_keep_what_the_form_reads(backend: Backend) {
    let formats = [
        "csv",
        "json",
        "xlsx",
        "pdf",
        "parquet",
        "datapackage",
        "markdown",
    ];
    let Some(app) = app_with_plugins(backend, &formats, &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let listed = app.get_json(&user, "/api/v1/plugins").await;
    assert_eq!(listed.as_array().unwrap().len(), formats.len(), "{listed}");
    for format in listed.as_array().unwrap() {
        let id = &format["id"];
        let schema = &format["options_schema"];
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{id}"
        );
        assert_eq!(schema["additionalProperties"], false, "{id}");
        let properties = schema["properties"].as_object().unwrap();
        assert!(!properties.is_empty(), "{id}");
        for (name, property) in properties {
            let choices = property.get("enum").and_then(Value::as_array);
            let kind = property["type"].as_str();
            assert!(
                choices.is_some_and(|c| !c.is_empty() && c.iter().all(|v| !v.is_null()))
                    || matches!(kind, Some("boolean" | "integer" | "number" | "string")),
                "{id}: option {name} has no control in the export form: {property}"
            );
            let help = property["description"].as_str().unwrap_or_default();
            assert!(
                !help.is_empty() && !help.contains('\n'),
                "{id}: {name}'s help is not one paragraph: {help:?}"
            );
        }
    }
}

/// Each hostile plugin fails its own export with its own code; the host serves on.
async fn hostile_plugins_fail_alone(backend: Backend) {
    let Some(app) = app_with_plugins(
        backend,
        &["csv"],
        &[
            "trap", "spin", "hog", "flood", "garbage", "fs", "net", "hasher", "deflater",
        ],
    )
    .await
    else {
        return;
    };
    // A plugin whose description would smuggle a header or a path is refused at load.
    let formats = app
        .get_json(&app.user("root@example.org").await, "/api/v1/plugins")
        .await;
    assert!(
        formats
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != "garbage"),
        "{formats}"
    );
    let user = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&user, "d.csv", b"a,b\n1,2\n3,4\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let path = |format: &str| format!("/api/v1/datasets/{id}/export?format={format}");

    for (format, code) in [
        ("trap", "plugin_trapped"),
        ("spin", "plugin_timeout"),
        ("hog", "plugin_memory_limit"),
        ("flood", "plugin_bad_output"),
        // One host-side hasher more than an instance may hold.
        ("hasher", "plugin_trapped"),
        // One host-side DEFLATE stream more than an instance may hold.
        ("deflater", "plugin_trapped"),
    ] {
        let response = app
            .as_user(&user, Method::GET, &path(format))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{format}");
        assert_eq!(error_code(response).await, code, "{format}");
        // The host and the other formats carry on.
        let (status, _, body) = export_text(&app, &user, &path("csv")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "a,b\n1,2\n3,4\n");
    }

    // Reaching for a file or a socket it was not granted fails inside the plugin.
    let _ = std::fs::remove_file("/tmp/tessera-escape");
    for format in ["fs", "net"] {
        let response = app
            .as_user(&user, Method::GET, &path(format))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{format}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "plugin_failed", "{format}: {body}");
    }
    assert!(
        !Path::new("/tmp/tessera-escape").exists(),
        "the plugin wrote outside its sandbox"
    );
}

async fn export_config_filters_sorts_and_renames(backend: Backend) {
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
    let path = |query: String| format!("/api/v1/datasets/{id}/export?format=csv&{query}");

    let filter = crate::common::urlencode(
        r#"{"and": [{"column": "score", "op": "is_not_null"}, {"column": "active", "op": "=", "value": true}]}"#,
    );
    let rename = crate::common::urlencode(r#"{"id": "ID"}"#);
    let (status, _, body) = export_text(
        &app,
        &user,
        &path(format!(
            "columns=id,name&filter={filter}&sort=-id&rename={rename}"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "ID,name\n3,Åsa\n1,Zoë\n");

    let filter =
        crate::common::urlencode(r#"{"column": "born", "op": ">=", "value": "1990-01-01"}"#);
    let (_, _, body) = export_text(
        &app,
        &user,
        &path(format!("columns=id&filter={filter}&sort=born")),
    )
    .await;
    assert_eq!(body, "id\n1\n3\n");

    let filter = crate::common::urlencode(
        r#"{"column": "seen_at", "op": "<", "value": "2024-02-01T00:00:00"}"#,
    );
    let (_, _, body) = export_text(&app, &user, &path(format!("columns=id&filter={filter}"))).await;
    assert_eq!(body, "id\n1\n");

    let filter = crate::common::urlencode(
        r#"{"not": {"column": "name", "op": "in", "value": ["Zoë", "漢字"]}}"#,
    );
    let (_, _, body) = export_text(
        &app,
        &user,
        &path(format!("columns=name&filter={filter}&limit=5")),
    )
    .await;
    assert_eq!(body, "name\nÅsa\n");

    for (filter, mention) in [
        (r#"{"column": "nope", "op": "=", "value": 1}"#, "nope"),
        (r#"{"column": "id", "op": "~", "value": 1}"#, "unknown op"),
        (r#"{"column": "name", "op": ">", "value": 3}"#, "name"),
        (
            r#"{"column": "born", "op": "=", "value": "last tuesday"}"#,
            "born",
        ),
        (r#"[1, 2]"#, "object"),
    ] {
        let response = app
            .as_user(
                &user,
                Method::GET,
                &path(format!("filter={}", crate::common::urlencode(filter))),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{filter}"
        );
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(mention), "{filter}: {message}");
    }
    let response = app
        .as_user(&user, Method::GET, &path("sort=ghost".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// A Tessera with the built `csv` and `json` plugins, the `[exporter]` table of each manifest
/// replaced by `exporter[id]` (nothing: no table, one instance per export).
async fn app_with_exporter_tables(
    backend: Backend,
    exporter: [(&str, &str); 2],
) -> Option<TestApp> {
    let plugins = tempfile::tempdir().unwrap().keep();
    for (id, table) in exporter {
        let (from, to) = (built("dist").join(id), plugins.join(id));
        std::fs::create_dir_all(&to).unwrap();
        let component = format!("{id}.wasm");
        std::fs::copy(from.join(&component), to.join(&component)).unwrap();
        let manifest = std::fs::read_to_string(from.join("plugin.toml")).unwrap();
        let without = manifest.split("[exporter]").next().unwrap();
        std::fs::write(to.join("plugin.toml"), format!("{without}{table}")).unwrap();
    }
    TestApp::start_with(backend, |config| config.plugins_dir = plugins).await
}

/// 150,000 rows (three batches) of text that needs quoting and escaping, numbers, nulls and dates.
fn three_batches_csv() -> Vec<u8> {
    let mut csv = b"id,text,score,day\n".to_vec();
    for i in 0..150_000 {
        let text = match i % 5 {
            0 => format!("\"say \"\"{i}\"\", then, stop\""),
            1 => format!("\"two\nlines {i}\""),
            2 => "漢字 é".to_owned(),
            3 => String::new(),
            _ => format!("plain {i}"),
        };
        let score = if i % 7 == 0 {
            String::new()
        } else {
            format!("{}.{}", i / 3, i % 100)
        };
        let day = format!("20{:02}-{:02}-{:02}", i % 30, i % 12 + 1, i % 28 + 1);
        csv.extend_from_slice(format!("{i},{text},{score},{day}\n").as_bytes());
    }
    csv
}

async fn parallel_instances_write_what_one_instance_writes(backend: Backend) {
    let as_shipped = |id: &str| {
        let manifest = std::fs::read_to_string(built("dist").join(id).join("plugin.toml")).unwrap();
        let table = manifest
            .split_once("[exporter]")
            .expect("an [exporter] table")
            .1;
        format!("[exporter]{table}")
    };
    let (csv_table, json_table) = (as_shipped("csv"), as_shipped("json"));
    let Some(parallel) =
        app_with_exporter_tables(backend, [("csv", &csv_table), ("json", &json_table)]).await
    else {
        return;
    };
    let single = app_with_exporter_tables(backend, [("csv", ""), ("json", "")])
        .await
        .unwrap();
    let data = three_batches_csv();
    let mut outputs = Vec::new();
    for app in [&parallel, &single] {
        let user = app.user("ada@example.org").await;
        let created: Value = app
            .upload(&user, "big.csv", data.clone())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(created["rows"], 150_000);
        let id = created["id"].as_str().unwrap();
        let mut texts = Vec::new();
        for query in [
            "format=csv",
            "format=json&options=%7B%22structure%22%3A%22ndjson%22%7D",
            "format=json",
        ] {
            let (status, _, body) =
                export_text(app, &user, &format!("/api/v1/datasets/{id}/export?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            texts.push(body);
        }
        outputs.push(texts);
    }
    let (from_parallel, from_single) = (&outputs[0], &outputs[1]);
    assert_eq!(
        from_parallel[0].lines().count(),
        150_001 + 30_000,
        "header, rows, and the line breaks inside quotes"
    );
    assert!(from_parallel[0].starts_with("id,text,score,day\n0,\"say \"\"0\"\", then, stop\",,20"));
    assert_eq!(from_parallel[1].lines().count(), 150_000);
    for (index, (a, b)) in from_parallel.iter().zip(from_single).enumerate() {
        assert!(
            a == b,
            "export {index} differs between parallel and single instances"
        );
    }
}

/// A format that promises `parallel_batches` and cannot keep it fails with a clear code:
/// JSON's columnar structure writes every value at `finish`, so instances that each saw some
/// batches finish differently.
async fn a_broken_parallel_promise_is_caught(backend: Backend) {
    let Some(app) = app_with_exporter_tables(
        backend,
        [
            ("csv", ""),
            ("json", "[exporter]\nparallel_batches = true\n"),
        ],
    )
    .await
    else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&user, "big.csv", three_batches_csv())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let queued = app
        .post_json(
            &user,
            &format!("/api/v1/datasets/{id}/exports"),
            json!({"format": "json", "options": {"structure": "columnar"}}),
        )
        .await;
    let job = crate::exports::wait_for_end(&app, &user, queued["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "plugin_bad_output", "{job}");
    assert_eq!(job["download_url"], Value::Null);
}

/// The released contracts under `wit/`: for each file of each released `tessera:plugin`
/// package, its SHA-256 as `wit/released.sha256` records it.
fn released_contract_files() -> BTreeMap<String, String> {
    let listing = wit_dir().join("released.sha256");
    let text =
        std::fs::read_to_string(&listing).unwrap_or_else(|e| panic!("{}: {e}", listing.display()));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (sha256, path) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("`{line}` is not `<sha256>  <path>`"));
            (path.to_owned(), sha256.to_owned())
        })
        .collect()
}

fn wit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit")
}

/// Every file under `folder`, as paths relative to `root` with `/` between parts.
fn files_under(root: &Path, folder: &Path, into: &mut Vec<String>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(root, &path, into);
        } else {
            let relative = path.strip_prefix(root).unwrap();
            let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
            into.push(parts.join("/"));
        }
    }
}

/// Issue 15 ("the contract per version"): a released contract never changes. Plugins built
/// against `tessera:plugin@0.1.0` are out in the world; if its WIT changed, the host's bindings
/// would change under them. A change is a new versioned package beside the old one.
#[test]
fn released_contracts_never_change() {
    let released = released_contract_files();
    assert!(
        released.contains_key("tessera-plugin@0.1.0/types.wit"),
        "tessera:plugin@0.1.0 is released: wit/released.sha256 must list its files"
    );
    let packages: BTreeSet<&str> = released
        .keys()
        .map(|path| path.split('/').next().unwrap())
        .collect();
    let mut on_disk = Vec::new();
    for package in &packages {
        let folder = wit_dir().join(package);
        assert!(
            folder.is_dir(),
            "{} is released and must stay",
            folder.display()
        );
        files_under(&wit_dir(), &folder, &mut on_disk);
    }
    let mut problems = Vec::new();
    for (path, sha256) in &released {
        match std::fs::read(wit_dir().join(path)) {
            Ok(bytes) => {
                let now = hex::encode(Sha256::digest(&bytes));
                if now != *sha256 {
                    problems.push(format!(
                        "wit/{path} changed (SHA-256 {now}, released as {sha256})"
                    ));
                }
            }
            Err(e) => problems.push(format!("wit/{path} is gone ({e})")),
        }
    }
    for path in on_disk {
        if !released.contains_key(&path) {
            problems.push(format!("wit/{path} was added to a released package"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\nA released contract never changes: components built against it must keep \
         loading and exporting the same bytes. Put the change in a new versioned package \
         (wit/tessera-plugin@<next>/) with a bindings module of its own \
         (host/src/plugins/bindings/) and keep the released one as it is; see docs/plugins.md, \
         \"Versions of the contract\". wit/released.sha256 lists what was released.",
        problems.join("\n")
    );
}

/// Issue 15 ("the plugin platform, for a third party"): the SDK carries the contract it is built
/// against (`plugins/sdk/wit/`), so that it builds and packages outside this repository. The
/// copy must be a released version, byte for byte, and the one its bindings are generated from:
/// an SDK built against an edited copy would make components no host can load.
#[test]
fn the_sdk_bundles_a_released_contract_unchanged() {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk");
    let released = released_contract_files();
    let mut bundled = Vec::new();
    files_under(&sdk.join("wit"), &sdk.join("wit"), &mut bundled);
    assert!(!bundled.is_empty(), "plugins/sdk/wit/ holds no contract");
    for path in &bundled {
        let sha256 = released.get(path).unwrap_or_else(|| {
            panic!(
                "plugins/sdk/wit/{path} is not a file of a released contract (wit/released.sha256)"
            )
        });
        let bytes = std::fs::read(sdk.join("wit").join(path)).unwrap();
        assert_eq!(
            &hex::encode(Sha256::digest(&bytes)),
            sha256,
            "plugins/sdk/wit/{path} differs from wit/{path}: copy it again from wit/"
        );
    }
    let packages: BTreeSet<&str> = bundled
        .iter()
        .map(|path| path.split('/').next().unwrap())
        .collect();
    for package in &packages {
        let whole: Vec<&String> = released
            .keys()
            .filter(|path| path.starts_with(&format!("{package}/")))
            .collect();
        for path in whole {
            assert!(bundled.contains(path), "plugins/sdk/wit/{path} is missing");
        }
    }
    // The bindings are generated from the bundled copy, of exactly one version.
    let lib = std::fs::read_to_string(sdk.join("src/lib.rs")).unwrap();
    let [package] = packages.into_iter().collect::<Vec<_>>()[..] else {
        panic!("the SDK should bundle exactly one version of the contract");
    };
    assert!(
        lib.contains(&format!("path: \"wit/{package}\"")),
        "the SDK's bindings are not generated from its bundled wit/{package}"
    );
}

/// Plugins built against `tessera:plugin@0.1.0` when it was released, kept as built
/// components (never rebuilt), with the dataset they export and what they exported then.
fn fixtures_0_1_0() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugins-0.1.0")
}

/// Issue 15 ("the contract per version"): a component built against a released version of the
/// contract still loads and exports byte-identical output, whatever later versions add.
async fn plugins_built_for_0_1_0_export_the_same_bytes(backend: Backend) {
    let fixtures = fixtures_0_1_0();
    let plugins = tempfile::tempdir().unwrap().keep();
    for id in ["csv", "markdown"] {
        std::fs::create_dir_all(plugins.join(id)).unwrap();
        for entry in std::fs::read_dir(fixtures.join(id)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), plugins.join(id).join(entry.file_name())).unwrap();
        }
    }
    let Some(app) = TestApp::start_with(backend, |config| config.plugins_dir = plugins).await
    else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let formats = app.get_json(&user, "/api/v1/plugins").await;
    let loaded: Vec<(&str, &str)> = formats
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap(),
                p["api_version"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        loaded,
        [("csv", "0.1.0"), ("markdown", "0.1.0")],
        "{formats}"
    );

    let input = std::fs::read(fixtures.join("input.csv")).unwrap();
    let created: Value = app
        .upload(&user, "people.csv", input)
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let cases = [
        ("csv", "", "default.csv"),
        (
            "csv",
            r#"{"delimiter":";","header":false,"null_text":"NULL","line_ending":"crlf","bom":true,"date_format":"%d.%m.%Y"}"#,
            "options.csv",
        ),
        ("markdown", "", "default.md"),
        (
            "markdown",
            r#"{"null_text":"—","align_numbers":false}"#,
            "options.md",
        ),
    ];
    for (format, options, expected_file) in cases {
        let mut path = format!("/api/v1/datasets/{id}/export?format={format}");
        if !options.is_empty() {
            path.push_str(&format!("&options={}", crate::common::urlencode(options)));
        }
        let response = app.as_user(&user, Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{format} {options}");
        let actual = response.bytes().await.unwrap();
        let expected_path = fixtures.join("expected").join(expected_file);
        let expected = std::fs::read(&expected_path).unwrap_or_default();
        if actual[..] != expected[..] {
            // Left where it can be compared (or, for a new case, checked by eye and kept).
            let written = Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join("plugins-0.1.0")
                .join(expected_file);
            std::fs::create_dir_all(written.parent().unwrap()).unwrap();
            std::fs::write(&written, &actual).unwrap();
            panic!(
                "the 0.1.0 {format} plugin (options {options:?}) no longer exports {}: it \
                 wrote {} instead. A plugin built against a released contract must keep \
                 working unchanged (docs/plugins.md, \"Versions of the contract\").",
                expected_path.display(),
                written.display()
            );
        }
    }
}

/// Issue 17 ("the contract per version", again): the SDK moved to 0.3.0, whose exporter world is
/// 0.2.0's under another version, and the host calls a 0.2.0 exporter in 0.3.0's types. A
/// component built against 0.2.0 (`host/tests/fixtures/plugins-0.2.0/`) must export exactly what
/// the same format built against the newest version exports.
async fn plugins_built_for_0_2_0_export_what_the_newest_builds_do(backend: Backend) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugins-0.2.0");
    let old = tempfile::tempdir().unwrap().keep();
    for id in ["csv", "markdown"] {
        std::fs::create_dir_all(old.join(id)).unwrap();
        for entry in std::fs::read_dir(fixtures.join(id)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), old.join(id).join(entry.file_name())).unwrap();
        }
    }
    let Some(old_app) = TestApp::start_with(backend, |config| config.plugins_dir = old).await
    else {
        return;
    };
    let Some(new_app) = app_with_plugins(backend, &["csv", "markdown"], &[]).await else {
        return;
    };
    let input = std::fs::read(fixtures_0_1_0().join("input.csv")).unwrap();
    let mut exported = Vec::new();
    for (app, version) in [(&old_app, "0.2.0"), (&new_app, "0.3.0")] {
        let user = app.user("ada@example.org").await;
        let formats = app.get_json(&user, "/api/v1/plugins").await;
        assert!(
            formats
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["api_version"] == version),
            "{formats}"
        );
        let created: Value = app
            .upload(&user, "people.csv", input.clone())
            .await
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap();
        let mut outputs = Vec::new();
        for (format, options) in [
            ("csv", ""),
            (
                "csv",
                r#"{"delimiter":";","header":false,"null_text":"NULL","bom":true}"#,
            ),
            ("markdown", ""),
            ("markdown", r#"{"null_text":"—","align_numbers":false}"#),
        ] {
            let mut path = format!("/api/v1/datasets/{id}/export?format={format}");
            if !options.is_empty() {
                path.push_str(&format!("&options={}", crate::common::urlencode(options)));
            }
            let response = app.as_user(&user, Method::GET, &path).send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{version} {format} {options}"
            );
            outputs.push(response.bytes().await.unwrap());
        }
        exported.push(outputs);
    }
    assert_eq!(
        exported[0], exported[1],
        "0.2.0 and 0.3.0 builds export alike"
    );
}

crate::on_both_backends!(
    plugins_built_for_0_2_0_export_what_the_newest_builds_do,
    plugins_built_for_0_1_0_export_the_same_bytes,
    a_broken_parallel_promise_is_caught,
    parallel_instances_write_what_one_instance_writes,
    export_config_filters_sorts_and_renames,
    csv_and_json_exports_round_trip,
    export_refusals_are_clear,
    derived_options_schemas_keep_what_the_form_reads,
    hostile_plugins_fail_alone
);
