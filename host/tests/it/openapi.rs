//! Snapshots of what must not drift unnoticed: the OpenAPI document and the configuration
//! table of the operator guide. Set `TESSERA_TEST_UPDATE_SNAPSHOTS=1` to rewrite the OpenAPI
//! snapshot after an intended change, then review the diff.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{Backend, TestApp};

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");

#[test]
fn openapi_document_matches_snapshot() {
    let generated = tessera::api::openapi::document();
    if std::env::var("TESSERA_TEST_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(SNAPSHOT, format!("{generated}\n")).unwrap();
    }
    let stored = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    assert!(
        stored.trim_end() == generated.trim_end(),
        "the OpenAPI document changed; if intended, run the suite with \
         TESSERA_TEST_UPDATE_SNAPSHOTS=1 and commit docs/openapi.json"
    );
    let doc: Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}

#[test]
fn every_config_key_is_documented() {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/operator-guide.md"
    ))
    .unwrap();
    for key in tessera::Config::keys() {
        assert!(
            guide.contains(&format!("| `{key}` |")),
            "docs/operator-guide.md lacks a row for `{key}`"
        );
        let env = format!("TESSERA_{}", key.to_uppercase());
        assert!(
            guide.contains(&env),
            "docs/operator-guide.md does not name {env}"
        );
    }
}

/// Every path the document lists answers, and every protected one refuses an anonymous caller.
#[actix_web::test]
async fn documented_routes_exist_and_refuse_anonymous_callers() {
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let doc: Value = app
        .request(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let public = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/auth/login",
        "/.well-known/tessera/biscuit-keys",
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{user_id}", "x")
                .replace("{share_id}", "x");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app.request(method.clone(), &concrete).send().await.unwrap();
            assert_ne!(
                response.status(),
                StatusCode::NOT_FOUND,
                "{method} {path} is documented but not routed"
            );
            if !public.contains(&path.as_str()) {
                assert_eq!(
                    response.status(),
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} must refuse anonymous callers"
                );
                // Issue 14, item 2: an escaped character names the same route.
                for variant in crate::sharing::percent_encoded_variants(&concrete) {
                    let status = app
                        .request(method.clone(), &variant)
                        .send()
                        .await
                        .unwrap()
                        .status();
                    assert_eq!(
                        status,
                        StatusCode::UNAUTHORIZED,
                        "{method} {variant} must refuse anonymous callers"
                    );
                }
            }
        }
    }
    let page = app.request(Method::GET, "/api/docs").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("/api/v1/openapi.json"));
}

/// The schema a `{"$ref": "#/components/schemas/X"}` names, or the schema itself.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("{reference} names no schema in the document")),
        None => schema,
    }
}

/// Each `allOf` in `value` (at `path`) with a member that forbids other properties
/// (`additionalProperties: false`) while another member names one it does not have: no
/// instance can satisfy both.
fn contradictory_all_ofs(doc: &Value, value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(members) = map.get("allOf").and_then(Value::as_array) {
                for (i, member) in members.iter().enumerate() {
                    let closed = resolved(doc, member);
                    if closed["additionalProperties"] != Value::Bool(false) {
                        continue;
                    }
                    let allowed = closed["properties"].as_object();
                    for (j, other) in members.iter().enumerate().filter(|(j, _)| *j != i) {
                        let other = resolved(doc, other);
                        let named: std::collections::BTreeSet<String> = other["properties"]
                            .as_object()
                            .into_iter()
                            .flat_map(|p| p.keys().cloned())
                            .chain(
                                other["required"]
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .filter_map(|r| r.as_str().map(str::to_owned)),
                            )
                            .collect();
                        for name in named {
                            if !allowed.is_some_and(|a| a.contains_key(&name)) {
                                found.push(format!(
                                    "{path}/allOf/{i} allows no '{name}', which {path}/allOf/{j} names"
                                ));
                            }
                        }
                    }
                }
            }
            for (key, child) in map {
                contradictory_all_ofs(doc, child, &format!("{path}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                contradictory_all_ofs(doc, child, &format!("{path}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// Issue 14, item 25: a body type that flattens a closed one (`#[serde(flatten)]` of a struct
/// with `deny_unknown_fields`) came out as `allOf` of the closed schema and the outer fields,
/// which no body satisfies: validators refused every request, and generators made types no
/// value fits. No schema in the document may be such an `allOf`.
#[test]
fn no_schema_is_a_contradictory_all_of() {
    let doc: Value = serde_json::from_str(&tessera::api::openapi::document()).unwrap();
    let mut found = Vec::new();
    contradictory_all_ofs(&doc, &doc, "", &mut found);
    assert!(
        found.is_empty(),
        "contradictory allOf schemas:\n{}",
        found.join("\n")
    );
}

/// The operations of `api/exports.rs` and `api/datasets/export.rs`, whose words, examples and
/// constraints are written with the reproducible-exports change to those files; every check
/// below holds for every other operation.
const EXPORT_OPERATIONS: &[&str] = &[
    "export_dataset",
    "create_export",
    "list_exports",
    "get_export",
    "cancel_export",
    "export_events",
    "download_export",
];

fn generated_document() -> Value {
    serde_json::from_str(&tessera::api::openapi::document()).unwrap()
}

/// Every operation: (path, method, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            found.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    found
}

fn is_export_operation(operation: &Value) -> bool {
    EXPORT_OPERATIONS.contains(&operation["operationId"].as_str().unwrap_or_default())
}

/// The examples a schema carries: its own (`examples`, or the older `example`), or, for an
/// array, its items' examples as one-element arrays.
fn schema_examples(doc: &Value, schema: &Value) -> Vec<Value> {
    let schema = resolved(doc, schema);
    if let Some(examples) = schema["examples"].as_array() {
        return examples.clone();
    }
    if !schema["example"].is_null() {
        return vec![schema["example"].clone()];
    }
    if !schema["items"].is_null() {
        return schema_examples(doc, &schema["items"])
            .into_iter()
            .map(|item| Value::Array(vec![item]))
            .collect();
    }
    Vec::new()
}

/// The examples of a JSON media type: its own `example`, else its schema's.
fn media_examples(doc: &Value, media: &Value) -> Vec<Value> {
    if !media["example"].is_null() {
        return vec![media["example"].clone()];
    }
    schema_examples(doc, &media["schema"])
}

/// Issue 14, item 25: one operation in 65 had a description. Each says, beyond its summary,
/// who may call it, what it changes and how it refuses.
#[test]
fn every_operation_has_a_description() {
    let doc = generated_document();
    let missing: Vec<String> = operations(&doc)
        .into_iter()
        .filter(|(_, _, operation)| !is_export_operation(operation))
        .filter(|(_, _, operation)| {
            operation["description"]
                .as_str()
                .is_none_or(|words| words.trim().len() < 40)
        })
        .map(|(path, method, _)| format!("{} {path}", method.to_uppercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a description:\n{}",
        missing.join("\n")
    );
}

/// Issue 14, item 25: no operation had an example. Every JSON request body and every JSON
/// success answer has one.
#[test]
fn every_json_body_has_an_example() {
    let doc = generated_document();
    let mut missing = Vec::new();
    for (path, method, operation) in operations(&doc) {
        if is_export_operation(&operation) {
            continue;
        }
        let label = format!("{} {path}", method.to_uppercase());
        let request = &operation["requestBody"]["content"]["application/json"];
        if !request.is_null() && media_examples(&doc, request).is_empty() {
            missing.push(format!("{label}: request body"));
        }
        for (status, response) in operation["responses"].as_object().unwrap() {
            let media = &response["content"]["application/json"];
            if status.starts_with('2') && !media.is_null() && media_examples(&doc, media).is_empty()
            {
                missing.push(format!("{label}: {status} answer"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "JSON bodies without an example:\n{}",
        missing.join("\n")
    );
}

/// Checks `example` against `schema` (which may name the document's components), formats
/// included.
fn example_problems(doc: &Value, schema: &Value, example: &Value) -> Vec<String> {
    let mut root = match schema {
        Value::Object(_) => schema.clone(),
        _ => serde_json::json!({}),
    };
    root["components"] = doc["components"].clone();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}"));
    validator
        .iter_errors(example)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Issue 14, item 25: an example a client copies must be one the schema (and so a validating
/// client) accepts, and one the document's own answers could be.
#[test]
fn every_example_fits_its_schema() {
    let doc = generated_document();
    let mut problems = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let reference = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
        for example in schema_examples(&doc, schema) {
            for problem in example_problems(&doc, &reference, &example) {
                problems.push(format!("schema {name}: {problem}"));
            }
        }
    }
    for (path, method, operation) in operations(&doc) {
        let label = format!("{} {path}", method.to_uppercase());
        let mut media = vec![(
            "request body".to_owned(),
            operation["requestBody"]["content"]["application/json"].clone(),
        )];
        for (status, response) in operation["responses"].as_object().unwrap() {
            let response = resolved(&doc, response);
            media.push((
                format!("{status} answer"),
                response["content"]["application/json"].clone(),
            ));
        }
        for (what, media) in media {
            if media["example"].is_null() {
                continue;
            }
            for problem in example_problems(&doc, &media["schema"], &media["example"]) {
                problems.push(format!("{label}, {what}: {problem}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "examples that do not fit their schema:\n{}",
        problems.join("\n")
    );
}
