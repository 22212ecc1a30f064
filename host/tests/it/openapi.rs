//! Snapshots of what must not drift unnoticed: the OpenAPI document and the configuration
//! table of the operator guide. Set `TESSERA_TEST_UPDATE_SNAPSHOTS=1` to rewrite the OpenAPI
//! snapshot after an intended change, then review the diff.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{Backend, TestApp};

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");

#[test]
fn openapi_document_matches_snapshot() {
    let generated = tessera::http::openapi::document();
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
            // Issue 14, item 25: the document says who may call it. A route anyone may call
            // lists the empty requirement; a protected one does not.
            let anonymous = item[method.as_str()]["security"]
                .as_array()
                .is_some_and(|all| {
                    all.iter()
                        .any(|r| r.as_object().is_some_and(|r| r.is_empty()))
                });
            let open_to_all = public.contains(&path.as_str()) && path != "/metrics";
            assert_eq!(
                anonymous, open_to_all,
                "{method} {path}: the document's security says anyone may call it: {anonymous}"
            );
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
    let doc: Value = serde_json::from_str(&tessera::http::openapi::document()).unwrap();
    let mut found = Vec::new();
    contradictory_all_ofs(&doc, &doc, "", &mut found);
    assert!(
        found.is_empty(),
        "contradictory allOf schemas:\n{}",
        found.join("\n")
    );
}

fn generated_document() -> Value {
    serde_json::from_str(&tessera::http::openapi::document()).unwrap()
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

/// A server seeded with what the examples name (the run of `scripts/test-api` seeds the same):
/// the account colleague@example.org, the team "Limnology", the group "Field team", a dataset
/// with the columns the examples use (in two versions), a share, a link and a finished export.
/// Returns the admin who made them and the value each path parameter takes.
async fn seeded_for_examples(
    app: &TestApp,
) -> (crate::common::TestUser, Vec<(&'static str, String)>) {
    let admin = app.admin("ada@example.org").await;
    let colleague = app.create_user("colleague@example.org", false).await;
    let csv = "id,site,measured_on,depth_m\n1,Étang de Thau,2024-01-01,1.5\n2,琵琶湖,2024-01-02,\n";
    let dataset: Value = app
        .upload(&admin, "lakes.csv", csv.as_bytes().to_vec())
        .await
        .json()
        .await
        .unwrap();
    let dataset = dataset["id"].as_str().unwrap().to_owned();
    let team = app
        .post_json(
            &admin,
            "/api/v1/teams",
            serde_json::json!({"name": "Limnology"}),
        )
        .await;
    let group = app
        .post_json(
            &admin,
            "/api/v1/groups",
            serde_json::json!({"name": "Field team"}),
        )
        .await;
    let share = app
        .post_json(
            &admin,
            &format!("/api/v1/datasets/{dataset}/shares"),
            serde_json::json!({"user": "reviewer@example.org", "level": "view"}),
        )
        .await;
    let link = app
        .post_json(
            &admin,
            &format!("/api/v1/datasets/{dataset}/links"),
            serde_json::json!({"level": "download"}),
        )
        .await;
    let export = app
        .post_json(
            &admin,
            &format!("/api/v1/datasets/{dataset}/exports"),
            serde_json::json!({"format": "csv"}),
        )
        .await;
    let export = export["job_id"].as_str().unwrap().to_owned();
    assert_eq!(
        crate::exports::wait_for_end(app, &admin, &export).await["status"],
        "done"
    );
    // A second version for the examples that withdraw or restore one: withdrawing it (once
    // restoring made a third) leaves the export's and the links' version 1 served.
    let second = app
        .upload_to(
            &admin,
            &format!("/api/v1/datasets/{dataset}/versions"),
            "lakes.csv",
            csv.as_bytes().to_vec(),
            &[],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let id = |value: &Value| value["id"].as_str().unwrap().to_owned();
    let parameters = vec![
        ("/api/v1/datasets/{id}", dataset),
        ("/api/v1/exports/{id}", export),
        ("/api/v1/links/{id}", id(&link)),
        ("/api/v1/groups/{id}", id(&group)),
        ("/api/v1/teams/{id}", id(&team)),
        ("/api/v1/admin/users/{id}", colleague.id.clone()),
        ("/api/v1/admin/plugins/{id}", "markdown".to_owned()),
        ("{share_id}", id(&share)),
        ("{user_id}", colleague.id),
        ("{version}", "2".to_owned()),
    ];
    (admin, parameters)
}

/// `path` with its parameters filled in from `parameters` (by the path they begin, or by name).
fn concrete(path: &str, parameters: &[(&str, String)]) -> String {
    let mut path = path.to_owned();
    for (pattern, value) in parameters {
        if let Some(prefix) = pattern.strip_suffix("{id}")
            && path.starts_with(&format!("{prefix}{{id}}"))
        {
            path = path.replacen("{id}", value, 1);
        } else if pattern.starts_with('{') {
            path = path.replace(pattern, value);
        }
    }
    path
}

/// Issue 14, item 25: the examples are real. Each documented request-body example, sent as it
/// is to a server holding what it names, is taken: not refused as malformed or invalid (400,
/// 413, 415, 422), and not missing its target (404). A 409 says it was valid and made already
/// (the fixtures made the team and the group the examples name); signing in as the example's
/// account, which does not exist here, is refused 401.
#[actix_web::test]
async fn every_request_example_is_accepted_by_the_server() {
    let Some(app) = crate::plugins::app_with_plugins(
        Backend::Sqlite,
        &["csv", "xlsx", "markdown", "email"],
        &[],
    )
    .await
    else {
        return;
    };
    let (admin, parameters) = seeded_for_examples(&app).await;
    let doc: Value = app
        .request(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut sent = 0;
    let mut refused = Vec::new();
    for (path, method, operation) in operations(&doc) {
        let media = &operation["requestBody"]["content"]["application/json"];
        if media.is_null() {
            continue;
        }
        let target = concrete(&path, &parameters);
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        for example in media_examples(&doc, media) {
            let response = app
                .as_user(&admin, method.clone(), &target)
                .json(&example)
                .send()
                .await
                .unwrap();
            sent += 1;
            let status = response.status();
            let expected = status.is_success()
                || status == StatusCode::CONFLICT
                || (path == "/api/v1/auth/login" && status == StatusCode::UNAUTHORIZED);
            if !expected {
                let body = response.text().await.unwrap_or_default();
                refused.push(format!("{method} {path} {example}: {status} {body}"));
            }
        }
    }
    assert!(sent >= 20, "only {sent} examples were sent");
    assert!(
        refused.is_empty(),
        "documented examples the server refused:\n{}",
        refused.join("\n")
    );
}

/// Issue 14, item 25: the fixed sets of words the document states are the server's own: every
/// word it promises is one the server takes (or sends), and every word the server knows is in
/// the document.
#[test]
fn the_documented_word_sets_are_the_servers() {
    use tessera::access::Level;
    use tessera::access::Scope;
    use tessera::access::token::Operation;
    use tessera::db::share_links::LinkState;
    let doc = generated_document();
    let words = |name: &str| -> Vec<String> {
        doc["components"]["schemas"][name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} states no set of words"))
            .iter()
            .map(|word| word.as_str().unwrap().to_owned())
            .collect()
    };
    let same = |name: &str, known: &[&str]| {
        let mut documented = words(name);
        documented.sort();
        let mut known: Vec<String> = known.iter().map(|w| (*w).to_owned()).collect();
        known.sort();
        assert_eq!(documented, known, "{name}");
    };
    for word in words("Level") {
        assert!(Level::parse(&word).is_some(), "Level promises {word}");
    }
    same(
        "Level",
        &[Level::View, Level::Edit, Level::Admin].map(Level::as_str),
    );
    for word in words("LinkLevel") {
        assert!(
            Operation::parse(&word).is_some(),
            "LinkLevel promises {word}"
        );
    }
    same(
        "LinkLevel",
        &[Operation::View, Operation::Download].map(Operation::as_str),
    );
    for word in words("Scope") {
        assert!(Scope::parse(&word).is_some(), "Scope promises {word}");
    }
    same(
        "Scope",
        &[Scope::Read, Scope::Write, Scope::Admin].map(Scope::as_str),
    );
    same(
        "LinkState",
        &[
            LinkState::Active,
            LinkState::Expired,
            LinkState::UsedUp,
            LinkState::Revoked,
            LinkState::Suspended,
        ]
        .map(LinkState::as_str),
    );
    same(
        "TeamRole",
        &[
            tessera::db::teams::ROLE_OWNER,
            tessera::db::teams::ROLE_MEMBER,
        ],
    );
    same(
        "ShareSubjectKind",
        &["user", "group", "team", tessera::db::shares::EMAIL],
    );
    {
        use tessera::db::export_jobs::JobStatus;
        for word in words("JobStatus") {
            assert!(
                JobStatus::parse(&word).is_some(),
                "JobStatus promises {word}"
            );
        }
        same("JobStatus", &JobStatus::ALL.map(JobStatus::as_str));
    }
    same(
        "PluginSource",
        &[
            tessera::db::plugins::SOURCE_FOLDER,
            tessera::db::plugins::SOURCE_INSTALLED,
        ],
    );
}

/// The values at and just past each bound `schema` states: (accepted, refused).
fn bound_values(schema: &Value) -> (Vec<Value>, Vec<Value>) {
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    let text = |n: u64, c: char| Value::String(std::iter::repeat_n(c, n as usize).collect());
    if let Some(min) = schema["minimum"].as_i64() {
        inside.push(min.into());
        outside.push((min - 1).into());
    }
    if let Some(max) = schema["maximum"].as_i64() {
        inside.push(max.into());
        outside.push((max + 1).into());
    }
    if let Some(min) = schema["minLength"].as_u64() {
        inside.push(text(min, 'x'));
        outside.push(text(min - 1, 'x'));
    }
    if let Some(max) = schema["maxLength"].as_u64() {
        inside.push(text(max, 'y'));
        outside.push(text(max + 1, 'y'));
    }
    if let Some(max) = schema["maxItems"].as_u64() {
        let items = |n: u64| Value::Array((0..n).map(|i| format!("t{i}").into()).collect());
        inside.push(items(max));
        outside.push(items(max + 1));
    }
    (inside, outside)
}

/// Issue 14, item 25: the limits the server enforces are in the document, and the document's
/// limits are the server's: for each bound a request field or paging parameter states, the
/// value at the bound is taken and the value just past it is refused with `422`.
#[actix_web::test]
async fn documented_ranges_are_the_ones_enforced() {
    use serde_json::json;
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let admin = app.admin("ada@example.org").await;
    let csv = "id,site\n1,Thau\n2,Biwa\n";
    let dataset: Value = app
        .upload(&admin, "lakes.csv", csv.as_bytes().to_vec())
        .await
        .json()
        .await
        .unwrap();
    let dataset = dataset["id"].as_str().unwrap().to_owned();
    let share = app
        .post_json(
            &admin,
            &format!("/api/v1/datasets/{dataset}/shares"),
            json!({"user": "reviewer@example.org", "level": "view"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = app
        .post_json(
            &admin,
            &format!("/api/v1/datasets/{dataset}/links"),
            json!({"level": "download"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc = generated_document();
    let schemas = &doc["components"]["schemas"];
    let links = format!("/api/v1/datasets/{dataset}/links");
    let shares = format!("/api/v1/datasets/{dataset}/shares");
    let this_link = format!("/api/v1/links/{link}");
    let this_share = format!("{shares}/{share}");
    let this_dataset = format!("/api/v1/datasets/{dataset}");
    // (method, path, schema, field, the rest of the body); `{n}` in the body is made unique.
    let body_fields: &[(Method, &str, &str, &str, Value)] = &[
        (
            Method::POST,
            "/api/v1/tokens",
            "NewTokenRequest",
            "expires_in",
            json!({"name": "t"}),
        ),
        (
            Method::POST,
            "/api/v1/tokens",
            "NewTokenRequest",
            "name",
            json!({}),
        ),
        (
            Method::POST,
            &shares,
            "ShareWithUser",
            "expires_in",
            json!({"user": "p{n}@example.org", "level": "view"}),
        ),
        (
            Method::PATCH,
            &this_share,
            "ShareChangeRequest",
            "expires_in",
            json!({}),
        ),
        (
            Method::POST,
            &links,
            "NewLinkRequest",
            "expires_in",
            json!({"level": "download"}),
        ),
        (
            Method::POST,
            &links,
            "NewLinkRequest",
            "max_downloads",
            json!({"level": "download"}),
        ),
        (
            Method::POST,
            &links,
            "NewLinkRequest",
            "password",
            json!({"level": "download"}),
        ),
        (
            Method::POST,
            &links,
            "NewLinkRequest",
            "version",
            json!({"level": "download"}),
        ),
        (
            Method::PATCH,
            &this_link,
            "LinkChangeRequest",
            "expires_in",
            json!({}),
        ),
        (
            Method::PATCH,
            &this_link,
            "LinkChangeRequest",
            "max_downloads",
            json!({}),
        ),
        (
            Method::PATCH,
            &this_link,
            "LinkChangeRequest",
            "password",
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/admin/users",
            "NewUserRequest",
            "password",
            json!({"email": "u{n}@example.org", "name": "U"}),
        ),
        (
            Method::POST,
            "/api/v1/admin/users",
            "NewUserRequest",
            "name",
            json!({"email": "u{n}@example.org", "password": "long enough"}),
        ),
        (
            Method::POST,
            "/api/v1/teams",
            "NewTeamRequest",
            "name",
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/groups",
            "NewGroupRequest",
            "name",
            json!({}),
        ),
        (
            Method::PATCH,
            &this_dataset,
            "DatasetChangesRequest",
            "name",
            json!({}),
        ),
        (
            Method::PATCH,
            &this_dataset,
            "DatasetChangesRequest",
            "description",
            json!({}),
        ),
        (
            Method::PATCH,
            &this_dataset,
            "DatasetChangesRequest",
            "tags",
            json!({}),
        ),
    ];
    let rows = format!("/api/v1/datasets/{dataset}/rows");
    // (path, documented path, parameter)
    let query_fields: &[(&str, &str, &str)] = &[
        ("/api/v1/datasets", "/api/v1/datasets", "offset"),
        ("/api/v1/datasets", "/api/v1/datasets", "limit"),
        ("/api/v1/admin/users", "/api/v1/admin/users", "limit"),
        ("/api/v1/people?q=a", "/api/v1/people", "limit"),
        ("/api/v1/admin/audit", "/api/v1/admin/audit", "offset"),
        ("/api/v1/admin/audit", "/api/v1/admin/audit", "limit"),
        (&rows, "/api/v1/datasets/{id}/rows", "offset"),
        (&rows, "/api/v1/datasets/{id}/rows", "limit"),
    ];
    let mut wrong = Vec::new();
    let mut unique = 0;
    for &(ref method, path, schema, field, ref base) in body_fields {
        let stated = &schemas[schema]["properties"][field];
        let (inside, outside) = bound_values(stated);
        assert!(!inside.is_empty(), "{schema}.{field} states no bound");
        for (value, taken) in inside
            .into_iter()
            .map(|v| (v, true))
            .chain(outside.into_iter().map(|v| (v, false)))
        {
            unique += 1;
            let mut body: Value =
                serde_json::from_str(&base.to_string().replace("{n}", &unique.to_string()))
                    .unwrap();
            body[field] = value.clone();
            let status = app
                .as_user(&admin, method.clone(), path)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status();
            let right = if taken {
                status.is_success()
            } else {
                status == StatusCode::UNPROCESSABLE_ENTITY
            };
            if !right {
                let shown = value.to_string().chars().take(40).collect::<String>();
                wrong.push(format!(
                    "{method} {path} {schema}.{field} = {shown}: {status}"
                ));
            }
        }
    }
    for &(path, documented, name) in query_fields {
        let parameters = doc["paths"][documented]["get"]["parameters"]
            .as_array()
            .unwrap();
        let stated = &parameters
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{documented} has no parameter {name}"))["schema"];
        let (inside, outside) = bound_values(stated);
        assert!(!inside.is_empty(), "{documented}?{name} states no bound");
        let joined = if path.contains('?') { '&' } else { '?' };
        for (value, taken) in inside
            .into_iter()
            .map(|v| (v, true))
            .chain(outside.into_iter().map(|v| (v, false)))
        {
            let status = app
                .as_user(
                    &admin,
                    Method::GET,
                    &format!("{path}{joined}{name}={value}"),
                )
                .send()
                .await
                .unwrap()
                .status();
            let right = if taken {
                status.is_success()
            } else {
                status == StatusCode::UNPROCESSABLE_ENTITY
            };
            if !right {
                wrong.push(format!("GET {documented}?{name}={value}: {status}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "bounds the document states but the server does not hold:\n{}",
        wrong.join("\n")
    );
}

/// Issue 14, item 25: a bound an operator sets is stated as set. With `max_preview_rows` at 7,
/// the served document says a window of rows is at most 7 long, and the server holds it.
#[actix_web::test]
async fn the_served_document_states_this_servers_row_window() {
    let Some(app) =
        TestApp::start_with(Backend::Sqlite, |config| config.max_preview_rows = 7).await
    else {
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
    for path in ["/api/v1/datasets/{id}/rows", "/api/v1/link/rows"] {
        let limit = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap()
            .clone();
        assert_eq!(limit["schema"]["maximum"], 7, "{path}: {limit}");
    }
    let admin = app.admin("ada@example.org").await;
    let dataset: Value = app
        .upload(&admin, "n.csv", b"n\n1\n2\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let rows = format!("/api/v1/datasets/{}/rows", dataset["id"].as_str().unwrap());
    for (limit, status) in [(7, StatusCode::OK), (8, StatusCode::UNPROCESSABLE_ENTITY)] {
        let answer = app
            .as_user(&admin, Method::GET, &format!("{rows}?limit={limit}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "limit={limit}");
    }
}

/// Every `$ref` in `value` that names nothing in the document.
fn dangling_references(doc: &Value, value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str)
                && doc.pointer(reference.trim_start_matches('#')).is_none()
            {
                found.push(reference.to_owned());
            }
            for child in map.values() {
                dangling_references(doc, child, found);
            }
        }
        Value::Array(items) => {
            for child in items {
                dangling_references(doc, child, found);
            }
        }
        _ => {}
    }
}

/// Issue 14, item 25: a parameter's set of words was a reference to a schema the document
/// did not hold, so validators and generators skipped it. Every reference resolves.
#[test]
fn every_reference_resolves() {
    let doc = generated_document();
    let mut found = Vec::new();
    dangling_references(&doc, &doc, &mut found);
    found.sort();
    found.dedup();
    assert!(found.is_empty(), "references to nothing: {found:?}");
}

/// Issue 14, item 25: an expiry is given in seconds or as a time, never both. The document
/// says so, as the server does: a body with both fails its schema and is refused with `422`;
/// with one of them it fits and is taken. A `null` next to the other counts as not given when
/// creating; in a change it means "no expiry", which seconds contradict (the change once
/// cleared the expiry and dropped the seconds unread, whatever they were).
#[actix_web::test]
async fn an_expiry_in_seconds_and_as_a_time_is_refused_by_the_document_too() {
    use serde_json::json;
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let admin = app.admin("ada@example.org").await;
    let dataset: Value = app
        .upload(&admin, "n.csv", b"n\n1\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let dataset = dataset["id"].as_str().unwrap().to_owned();
    let shares = format!("/api/v1/datasets/{dataset}/shares");
    let links = format!("/api/v1/datasets/{dataset}/links");
    let share = app
        .post_json(
            &admin,
            &shares,
            json!({"user": "r@example.org", "level": "view"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = app
        .post_json(&admin, &links, json!({"level": "download"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc: Value = app
        .request(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // (method, path, documented path, the rest of the body); `{n}` is made unique.
    let cases = [
        (
            Method::POST,
            "/api/v1/tokens".to_owned(),
            "/api/v1/tokens",
            json!({"name": "t"}),
        ),
        (
            Method::POST,
            shares.clone(),
            "/api/v1/datasets/{id}/shares",
            json!({"user": "s{n}@example.org", "level": "view"}),
        ),
        (
            Method::PATCH,
            format!("{shares}/{share}"),
            "/api/v1/datasets/{id}/shares/{share_id}",
            json!({}),
        ),
        (
            Method::POST,
            links,
            "/api/v1/datasets/{id}/links",
            json!({"level": "download"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/links/{link}"),
            "/api/v1/links/{id}",
            json!({}),
        ),
    ];
    let when = "2030-01-31T12:00:00Z";
    let mut unique = 0;
    for (method, path, documented, base) in cases {
        let schema = doc["paths"][documented][method.as_str().to_lowercase()]["requestBody"]
            ["content"]["application/json"]["schema"]
            .clone();
        assert!(!schema.is_null(), "{method} {documented} has no body");
        for (expiry, taken) in [
            (json!({"expires_in": 3600, "expires_at": when}), false),
            (json!({"expires_in": 3600}), true),
            (json!({"expires_at": when}), true),
            (
                json!({"expires_in": 3600, "expires_at": null}),
                method == Method::POST,
            ),
            (json!({"expires_in": 0, "expires_at": null}), false),
            (json!({"expires_in": null, "expires_at": when}), true),
        ] {
            unique += 1;
            let mut body: Value =
                serde_json::from_str(&base.to_string().replace("{n}", &unique.to_string()))
                    .unwrap();
            for (key, value) in expiry.as_object().unwrap() {
                body[key] = value.clone();
            }
            let fits = example_problems(&doc, &schema, &body).is_empty();
            assert_eq!(fits, taken, "{method} {path} {body}: the document");
            let status = app
                .as_user(&admin, method.clone(), &path)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status();
            if taken {
                assert!(status.is_success(), "{method} {path} {body}: {status}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{method} {path} {body}"
                );
            }
        }
    }
}
