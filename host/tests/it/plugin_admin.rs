//! Plugin administration at run time: install, enable, disable and remove through the admin
//! API and the `tessera plugin` command, with no restart, and the approval a scratch folder
//! needs.

use std::time::Duration;

use reqwest::{Method, StatusCode, multipart};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser, error_code};
use crate::plugins::{app_with_plugins, built};

/// The multipart form of a plugin built into `plugins/<folder>/<id>/`.
fn plugin_form(folder: &str, id: &str) -> multipart::Form {
    let dir = built(folder).join(id);
    let manifest = std::fs::read(dir.join("plugin.toml")).unwrap();
    let component = std::fs::read(dir.join(format!("{id}.wasm"))).unwrap();
    multipart::Form::new()
        .part(
            "manifest",
            multipart::Part::bytes(manifest).file_name("plugin.toml"),
        )
        .part(
            "component",
            multipart::Part::bytes(component).file_name(format!("{id}.wasm")),
        )
}

async fn install(
    app: &TestApp,
    admin: &TestUser,
    form: multipart::Form,
    query: &str,
) -> reqwest::Response {
    app.as_user(
        admin,
        Method::POST,
        &format!("/api/v1/admin/plugins{query}"),
    )
    .multipart(form)
    .send()
    .await
    .unwrap()
}

async fn format_ids(app: &TestApp, user: &TestUser) -> Vec<String> {
    app.get_json(user, "/api/v1/plugins")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn export_status(
    app: &TestApp,
    user: &TestUser,
    dataset: &str,
    format: &str,
) -> (StatusCode, String) {
    let response = app
        .as_user(
            user,
            Method::GET,
            &format!("/api/v1/datasets/{dataset}/export?format={format}"),
        )
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn post_json(app: &TestApp, user: &TestUser, path: &str, body: Value) -> reqwest::Response {
    app.as_user(user, Method::POST, path)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn plugins_install_and_go_without_a_restart(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let admin = app.admin("root@example.org").await;
    let user = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&user, "d.csv", b"a,b\n1,2\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let dataset = created["id"].as_str().unwrap().to_owned();

    // Only admins see and change plugin state.
    let response = app
        .as_user(&user, Method::GET, "/api/v1/admin/plugins")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = install(&app, &user, plugin_form("dist", "markdown"), "").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let listed = app.get_json(&admin, "/api/v1/admin/plugins").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], "csv");
    assert_eq!(listed[0]["source"], "folder");
    assert_eq!(listed[0]["enabled"], true);
    assert_eq!(listed[0]["loaded"], true);

    // Installed but not enabled: listed for admins, not offered to users.
    let response = install(&app, &admin, plugin_form("dist", "markdown"), "").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["id"], "markdown");
    assert_eq!(view["source"], "installed");
    assert_eq!(view["enabled"], false);
    assert_eq!(view["loaded"], true, "{view}");
    assert_eq!(format_ids(&app, &user).await, ["csv"]);
    let (status, _) = export_status(&app, &user, &dataset, "markdown").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Issue 14, item 26: a misspelt field is refused, not read as an empty body.
    let response = post_json(
        &app,
        &admin,
        "/api/v1/admin/plugins/markdown/enable",
        json!({"aprove": true}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(crate::common::error_code(response).await, "invalid_json");
    assert_eq!(format_ids(&app, &user).await, ["csv"]);

    let response = post_json(
        &app,
        &admin,
        "/api/v1/admin/plugins/markdown/enable",
        json!({}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(format_ids(&app, &user).await, ["csv", "markdown"]);
    let (status, body) = export_status(&app, &user, &dataset, "markdown").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("| a | b |"), "{body}");

    // A plugin of the plugins folder can be disabled, not removed.
    let response = post_json(&app, &admin, "/api/v1/admin/plugins/csv/disable", json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = export_status(&app, &user, &dataset, "csv").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app
        .as_user(&admin, Method::DELETE, "/api/v1/admin/plugins/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let response = post_json(&app, &admin, "/api/v1/admin/plugins/csv/enable", json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, body) = export_status(&app, &user, &dataset, "csv").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "a,b\n1,2\n"));

    // Removal takes an installed plugin away at once.
    let response = app
        .as_user(&admin, Method::DELETE, "/api/v1/admin/plugins/markdown")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = export_status(&app, &user, &dataset, "markdown").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app
        .as_user(&admin, Method::DELETE, "/api/v1/admin/plugins/markdown")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Every change an admin made is in the audit trail, in order, and nothing refused is.
    let trail = app
        .get_json(
            &admin,
            &format!("/api/v1/admin/audit?limit=50&actor=user:{}", admin.id),
        )
        .await;
    let mut changes: Vec<(String, String)> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("admin.plugin."))
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // The trail lists the newest first.
    changes.reverse();
    let expected = [
        ("admin.plugin.install", "plugin:markdown"),
        ("admin.plugin.enable", "plugin:markdown"),
        ("admin.plugin.disable", "plugin:csv"),
        ("admin.plugin.enable", "plugin:csv"),
        ("admin.plugin.remove", "plugin:markdown"),
    ];
    assert_eq!(
        changes,
        expected.map(|(a, t)| (a.to_owned(), t.to_owned())),
        "{trail}"
    );
}

async fn install_refuses_what_is_not_a_plugin(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let admin = app.admin("root@example.org").await;
    let manifest = std::fs::read_to_string(built("dist").join("markdown/plugin.toml")).unwrap();
    let component = std::fs::read(built("dist").join("markdown/markdown.wasm")).unwrap();
    let form = |manifest: String, component: Vec<u8>| {
        multipart::Form::new()
            .part("manifest", multipart::Part::text(manifest))
            .part("component", multipart::Part::bytes(component))
    };

    let cases = [
        // Not WebAssembly at all.
        (
            manifest.clone(),
            b"MZ not wasm".to_vec(),
            "not a valid WebAssembly component",
        ),
        // A manifest naming a different format than the component describes.
        (
            manifest.replace("id = \"markdown\"", "id = \"other\""),
            component.clone(),
            "manifest says 'other'",
        ),
        // A manifest for an API version this host does not speak.
        (
            manifest.replace("api_version = \"0.3.0\"", "api_version = \"9.0.0\""),
            component.clone(),
            "targets API 9.0.0",
        ),
        // A manifest naming a supported version other than the one the component was built
        // against: the host would speak the wrong bindings to it.
        (
            manifest.replace("api_version = \"0.3.0\"", "api_version = \"0.1.0\""),
            component.clone(),
            "the manifest says api_version 0.1.0, but the component was built against",
        ),
        // An exporter may not ask for the network.
        (
            format!("{manifest}\noutbound_hosts = [\"example.org\"]\n"),
            component.clone(),
            "outbound_hosts",
        ),
    ];
    for (manifest, component, reason) in cases {
        let response = install(&app, &admin, form(manifest, component), "").await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{reason}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_plugin");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{message} should say {reason}");
    }
    // The id of a plugin of the plugins folder is taken.
    let response = install(
        &app,
        &admin,
        form(
            manifest.replace("id = \"markdown\"", "id = \"csv\""),
            component,
        ),
        "",
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    // Nothing of the refused installs was kept.
    let listed = app.get_json(&admin, "/api/v1/admin/plugins").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}

/// A scratch folder is access an admin must approve; granted, it is private to one export,
/// confines the plugin, has a quota, and is gone afterwards.
async fn a_scratch_folder_needs_approval_and_holds(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let admin = app.admin("root@example.org").await;
    let response = install(
        &app,
        &admin,
        plugin_form("dist-test", "scratch"),
        "?enable=true",
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "approval_required");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("a scratch folder of 1 MiB"),
        "{body}"
    );
    let response = install(&app, &admin, plugin_form("dist-test", "scratch"), "").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = post_json(
        &app,
        &admin,
        "/api/v1/admin/plugins/scratch/enable",
        json!({}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(response).await, "approval_required");
    let response = post_json(
        &app,
        &admin,
        "/api/v1/admin/plugins/scratch/enable",
        json!({"approve": true}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["access_approved"], true);

    let user = app.user("ada@example.org").await;
    let created: Value = app
        .upload(&user, "d.csv", b"a,b\n1,2\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let dataset = created["id"].as_str().unwrap();
    let response = post_json(
        &app,
        &user,
        &format!("/api/v1/datasets/{dataset}/exports"),
        json!({"format": "scratch"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let job: Value = response.json().await.unwrap();
    let job = crate::exports::wait_for_end(&app, &user, job["job_id"].as_str().unwrap()).await;
    // Had the plugin climbed out of its folder, or found another export's files, it would have
    // failed in `begin` with plugin_failed; it got as far as overfilling its own folder.
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "plugin_disk_limit", "{job}");
    let leftovers: Vec<_> = std::fs::read_dir(app.data_dir.path().join("tmp"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("scratch-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A change made elsewhere (another replica, or the command line) reaches a running server.
async fn command_line_changes_reach_a_running_server(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let tessera = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .env("TESSERA_DATA_DIR", app.data_dir.path())
            .env("TESSERA_DATABASE_URL", &app.state.config.database_url)
            .env("TESSERA_PLUGINS_DIR", &app.state.config.plugins_dir)
            .env("TESSERA_LOG_LEVEL", "warn")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "tessera {args:?}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    };
    let markdown = built("dist").join("markdown");
    let out = tessera(&["plugin", "install", markdown.to_str().unwrap(), "--enable"]);
    assert!(out.contains("installed markdown"), "{out}");
    tessera(&["plugin", "disable", "csv"]);
    let listing = tessera(&["plugin", "list"]);
    assert!(
        listing.contains("markdown") && listing.contains("installed"),
        "{listing}"
    );

    let mut ids = Vec::new();
    for _ in 0..50 {
        ids = format_ids(&app, &user).await;
        if ids == ["markdown"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(ids, ["markdown"], "the server did not follow the database");
}

/// Runs the `tessera` binary against the app's database and plugins folder.
fn tessera_cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env("TESSERA_DATA_DIR", app.data_dir.path())
        .env("TESSERA_DATABASE_URL", &app.state.config.database_url)
        .env("TESSERA_PLUGINS_DIR", &app.state.config.plugins_dir)
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

/// Issue 15 (the plugin platform, "one command"): `tessera plugin new` makes a project ready to
/// build, and `tessera plugin install` takes what cargo leaves in it, without renaming or
/// copying. The project's own build is proved by `scripts/check-plugin-sdk` (it takes a minute
/// from a cold cache); here the component is the template's, already built, put where cargo
/// would put it.
async fn a_new_project_installs_from_cargos_output(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("markdown");
    let project_arg = project.to_str().unwrap();

    let (ok, out) = tessera_cli(&app, &["plugin", "new", "markdown", "--dir", project_arg]);
    assert!(ok, "{out}");
    assert!(
        out.contains("cargo build --release --target wasm32-wasip2"),
        "{out}"
    );
    let cargo_toml = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    assert!(
        cargo_toml.contains("name = \"tessera-plugin-markdown\""),
        "{cargo_toml}"
    );
    assert!(cargo_toml.contains("tessera-plugin-sdk = { path = \"sdk\" }"));
    for file in [
        "Cargo.lock",
        "plugin.toml",
        "README.md",
        "sdk/Cargo.toml",
        "sdk/README.md",
        "sdk/wit/tessera-plugin@0.3.0/types.wit",
    ] {
        assert!(project.join(file).is_file(), "{file} is missing");
    }
    let code = std::fs::read_to_string(project.join("src/lib.rs")).unwrap();
    assert!(code.contains("FormatInfo::new(\"markdown\","));
    assert!(
        code.contains("#[cfg(test)]"),
        "the project comes with its tests"
    );
    // A second `new` into the same folder leaves it alone.
    let (ok, out) = tessera_cli(&app, &["plugin", "new", "markdown", "--dir", project_arg]);
    assert!(!ok && out.contains("not empty"), "{out}");
    let (ok, out) = tessera_cli(&app, &["plugin", "new", "Not A Name", "--dir", project_arg]);
    assert!(!ok && out.contains("lower-case"), "{out}");

    // Not built yet: the refusal says how to build.
    let (ok, out) = tessera_cli(&app, &["plugin", "install", project_arg]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("cargo build --release --target wasm32-wasip2"),
        "{out}"
    );

    let built = project.join("target/wasm32-wasip2/release");
    std::fs::create_dir_all(&built).unwrap();
    std::fs::copy(
        crate::plugins::built("dist").join("markdown/markdown.wasm"),
        built.join("tessera_plugin_markdown.wasm"),
    )
    .unwrap();
    let (ok, out) = tessera_cli(&app, &["plugin", "install", project_arg, "--enable"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("installed markdown") && out.contains("tessera_plugin_markdown.wasm"),
        "{out}"
    );
    let mut ids = Vec::new();
    for _ in 0..50 {
        ids = format_ids(&app, &user).await;
        if ids.contains(&"markdown".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(ids.contains(&"markdown".to_owned()), "{ids:?}");

    // The same files named apart: an upgrade in place.
    let manifest = project.join("plugin.toml");
    let component = built.join("tessera_plugin_markdown.wasm");
    let (ok, out) = tessera_cli(
        &app,
        &[
            "plugin",
            "install",
            "--manifest",
            manifest.to_str().unwrap(),
            "--component",
            component.to_str().unwrap(),
        ],
    );
    assert!(ok && out.contains("installed markdown"), "{out}");
    // A component that is not the manifest's plugin is refused, as through the API.
    let (ok, out) = tessera_cli(
        &app,
        &[
            "plugin",
            "install",
            "--manifest",
            manifest.to_str().unwrap(),
            "--component",
            crate::plugins::built("dist")
                .join("csv/csv.wasm")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(!ok && out.contains("markdown"), "{out}");
}

crate::on_both_backends!(
    plugins_install_and_go_without_a_restart,
    install_refuses_what_is_not_a_plugin,
    a_scratch_folder_needs_approval_and_holds,
    command_line_changes_reach_a_running_server,
    a_new_project_installs_from_cargos_output
);
