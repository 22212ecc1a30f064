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
