//! Issue 16: a dataset's versions cannot hurt anyone by surprise. An upload says how its
//! columns differ before it is committed, and a different schema needs a confirmation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, error_code};

/// A dry run answers the difference and both row counts, and stores nothing; the real upload
/// of a changed schema is refused until confirmed; the same schema uploads directly.
async fn a_changed_schema_is_shown_before_and_needs_a_confirmation(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&ada, "lake.csv", b"site,depth,note\nA,1,x\nB,2,y\n")
        .await;
    let versions = format!("/api/v1/datasets/{id}/versions");
    let changed = b"site,depth,temp\nA,1.5,4.2\nB,2,3.9\nC,3,4.0\n".to_vec();
    let files_before = app.stored_files();

    let check = app
        .upload_to(
            &ada,
            &format!("{versions}?dry_run=true"),
            "lake.csv",
            changed.clone(),
            &[],
        )
        .await;
    assert_eq!(check.status(), StatusCode::OK);
    let check: Value = check.json().await.unwrap();
    assert_eq!(
        check["schema_change"],
        json!({
            "added": [{"name": "temp", "type": "float"}],
            "removed": [{"name": "note", "type": "string"}],
            "retyped": [{"column": "depth", "from": "integer", "to": "float"}],
        })
    );
    assert_eq!(check["rows"], 3);
    assert_eq!(check["current_rows"], 2);
    assert_eq!(check["current_version"], 1);
    assert_eq!(app.stored_files(), files_before, "a dry run stores nothing");

    let refused = app
        .upload_to(&ada, &versions, "lake.csv", changed.clone(), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "schema_changed");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("added temp (float)")
            && message.contains("removed note")
            && message.contains("depth changed from integer to float")
            && message.contains("confirm_schema_change=true"),
        "{message}"
    );
    assert_eq!(
        app.stored_files(),
        files_before,
        "a refused upload leaves nothing"
    );

    let confirmed = app
        .upload_to(
            &ada,
            &format!("{versions}?confirm_schema_change=true"),
            "lake.csv",
            changed,
            &[("message", "Temperatures instead of notes")],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::CREATED);
    let confirmed: Value = confirmed.json().await.unwrap();
    assert_eq!(confirmed["version"], 2);

    // The same columns, in another order, need no confirmation; their dry run says so.
    let same = b"temp,site,depth\n5.0,D,4.5\n".to_vec();
    let check: Value = app
        .upload_to(
            &ada,
            &format!("{versions}?dry_run=true"),
            "lake.csv",
            same.clone(),
            &[],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        check["schema_change"],
        json!({"added": [], "removed": [], "retyped": []})
    );
    assert_eq!(check["current_rows"], 3);
    let direct = app.upload_to(&ada, &versions, "lake.csv", same, &[]).await;
    assert_eq!(direct.status(), StatusCode::CREATED);

    // A dry run needs the same access as an upload.
    let bob = app.user("bob@example.org").await;
    let stranger = app
        .upload_to(
            &bob,
            &format!("{versions}?dry_run=true"),
            "lake.csv",
            b"site\nA\n".to_vec(),
            &[],
        )
        .await;
    assert_eq!(error_code(stranger).await, "not_found");
}

/// A server with the first-party export formats, for exports and downloads.
async fn with_formats(backend: Backend) -> Option<TestApp> {
    TestApp::start_with(backend, |config| {
        config.plugins_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/dist").into();
    })
    .await
}

/// Uploads a dataset with two versions of the same columns; returns its id.
async fn two_versions(app: &TestApp, owner: &crate::common::TestUser) -> String {
    let id = app
        .upload_dataset(owner, "lake.csv", b"site,depth\nA,1\nB,2\n")
        .await;
    let second = app
        .upload_to(
            owner,
            &format!("/api/v1/datasets/{id}/versions"),
            "lake.csv",
            b"site,depth\nA,1\nB,2\nC,3\n".to_vec(),
            &[],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    id
}

/// A withdrawn version stays in the history with its checksum, its file is deleted, its data
/// is served nowhere, and a link pinned to it says why; links that follow the latest version
/// go on. Only owners and admins of the dataset withdraw, never the current version.
async fn a_withdrawn_version_is_kept_but_no_longer_served(backend: Backend) {
    let Some(app) = with_formats(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let root = app.admin("root@example.org").await;
    let id = two_versions(&app, &ada).await;
    let shared = app
        .as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/shares"))
        .json(&json!({"user": bob.id, "level": "edit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);
    let links = format!("/api/v1/datasets/{id}/links");
    let pinned = app
        .make_link(&ada, &links, json!({"level": "download", "version": 1}))
        .await;
    let following = app
        .make_link(&ada, &links, json!({"level": "download"}))
        .await;
    let before: Value = app.get_json(&ada, &format!("/api/v1/datasets/{id}")).await;
    let sha256 = before["versions"][0]["sha256"].clone();
    let withdraw = |number: i32| format!("/api/v1/datasets/{id}/versions/{number}/withdraw");

    // An editor may not; nor may anyone withdraw the current version.
    let refused = app
        .as_user(&bob, Method::POST, &withdraw(1))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let current = app
        .as_user(&ada, Method::POST, &withdraw(2))
        .send()
        .await
        .unwrap();
    assert_eq!(current.status(), StatusCode::CONFLICT);
    let missing = app
        .as_user(&ada, Method::POST, &withdraw(9))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let withdrawn = app
        .as_user(&ada, Method::POST, &withdraw(1))
        .json(&json!({"reason": "  Participant 12 withdrew consent "}))
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let withdrawn: Value = withdrawn.json().await.unwrap();
    assert_eq!(withdrawn["version"], 1);
    assert_eq!(withdrawn["withdrawn_by"], ada.id.as_str());
    assert_eq!(
        withdrawn["withdraw_reason"],
        "Participant 12 withdrew consent"
    );
    assert_eq!(withdrawn["sha256"], sha256, "the checksum is kept");
    assert!(withdrawn["withdrawn_at"].is_string());
    let files = app.stored_files();
    assert!(
        !files.iter().any(|f| f.ends_with("v1.parquet"))
            && files.iter().any(|f| f.ends_with("v2.parquet")),
        "{files:?}"
    );
    // Again: nothing changes.
    let again: Value = app
        .as_user(&ada, Method::POST, &withdraw(1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["withdrawn_at"], withdrawn["withdrawn_at"]);

    let detail: Value = app.get_json(&ada, &format!("/api/v1/datasets/{id}")).await;
    assert_eq!(
        detail["versions"][0]["withdrawn_at"],
        withdrawn["withdrawn_at"]
    );
    assert_eq!(detail["versions"][1]["withdrawn_at"], Value::Null);
    assert_eq!(detail["latest_version"], 2);

    // Its data is served nowhere.
    for path in [
        format!("/api/v1/datasets/{id}/rows?version=1"),
        format!("/api/v1/datasets/{id}/export?format=csv&version=1"),
    ] {
        let response = app.as_user(&ada, Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::GONE, "{path}");
        assert_eq!(error_code(response).await, "version_withdrawn");
    }
    let export = app
        .as_user(
            &ada,
            Method::POST,
            &format!("/api/v1/datasets/{id}/exports"),
        )
        .json(&json!({"format": "csv", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::GONE);
    let new_link = app
        .as_user(&ada, Method::POST, &links)
        .json(&json!({"level": "download", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(new_link.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let preview = app
        .as_user(&ada, Method::GET, &format!("/datasets/{id}?version=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), StatusCode::GONE);

    // The pinned link answers 410, and a browser reads when and why.
    let slug = pinned["slug"].as_str().unwrap();
    let page = app
        .client
        .get(app.url(&format!("/s/{slug}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("This version was withdrawn")
            && page.contains("Participant 12 withdrew consent")
            && page.contains(withdrawn["withdrawn_at"].as_str().unwrap()),
        "{page}"
    );
    let by_token = app
        .client
        .get(app.url("/api/v1/link/download?format=csv"))
        .bearer_auth(pinned["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), StatusCode::GONE);
    assert_eq!(error_code(by_token).await, "version_withdrawn");
    let by_address = app
        .client
        .get(app.url(&format!("/s/{slug}/download?format=csv")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(by_address.status(), StatusCode::GONE);
    // The link that follows the latest version goes on.
    let latest = app
        .client
        .get(app.url("/api/v1/link/download?format=csv"))
        .bearer_auth(following["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(latest.status(), StatusCode::OK);
    assert_eq!(latest.text().await.unwrap(), "site,depth\nA,1\nB,2\nC,3\n");

    // The version list marks it, with who, when and why; the audit trail keeps it.
    let page = app.page_html(&ada, &format!("/datasets/{id}")).await;
    assert!(
        page.contains("<strong>Withdrawn</strong> on ")
            && page.contains("by Test User: Participant 12 withdrew consent"),
        "{page}"
    );
    let audit = app
        .get_json(&root, "/api/v1/admin/audit?action=dataset.version.withdraw")
        .await;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{audit}");
    assert_eq!(items[0]["detail"]["version"], 1);
    assert_eq!(items[0]["detail"]["sha256"], sha256);
}

/// An older version becomes current again as a new version copying its file, with a change
/// note that says so; a withdrawn one cannot come back; a viewer may not restore.
async fn an_older_version_is_made_current_as_a_new_version(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let root = app.admin("root@example.org").await;
    let id = app
        .upload_dataset(&ada, "lake.csv", b"site,depth\nA,1\nB,2\n")
        .await;
    let versions = format!("/api/v1/datasets/{id}/versions");
    for csv in [
        &b"site,temp\nA,4.5\n"[..],
        &b"site,temp\nA,4.5\nB,5.0\n"[..],
    ] {
        let made = app
            .upload_to(
                &ada,
                &format!("{versions}?confirm_schema_change=true"),
                "lake.csv",
                csv.to_vec(),
                &[],
            )
            .await;
        assert_eq!(made.status(), StatusCode::CREATED);
    }
    let shared = app
        .as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/shares"))
        .json(&json!({"user": bob.id, "level": "view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);
    let restore = |number: i32| format!("{versions}/{number}/restore");
    let viewer = app
        .as_user(&bob, Method::POST, &restore(1))
        .send()
        .await
        .unwrap();
    assert_eq!(viewer.status(), StatusCode::FORBIDDEN);

    let restored = app
        .as_user(&ada, Method::POST, &restore(1))
        .json(&json!({"note": "the temperature probe was faulty"}))
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), StatusCode::CREATED);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(restored["version"], 4);
    assert_eq!(
        restored["message"],
        "Restored version 1: the temperature probe was faulty"
    );
    assert_eq!(restored["created_by"], ada.id.as_str());

    let detail: Value = app.get_json(&ada, &format!("/api/v1/datasets/{id}")).await;
    assert_eq!(detail["latest_version"], 4);
    assert_eq!(detail["rows"], 2);
    let listed = detail["versions"].as_array().unwrap();
    assert_eq!(listed[3]["sha256"], listed[0]["sha256"], "the same data");
    assert_eq!(listed[3]["columns"], listed[0]["columns"]);
    let rows: Value = app
        .get_json(&ada, &format!("/api/v1/datasets/{id}/rows"))
        .await;
    assert_eq!(rows["rows"], json!([["A", 1], ["B", 2]]));
    // Nothing was rewritten: every version keeps its own file.
    assert_eq!(
        app.stored_files()
            .iter()
            .filter(|f| f.ends_with(".parquet"))
            .count(),
        4
    );
    let plain: Value = app
        .as_user(&ada, Method::POST, &restore(2))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plain["message"], "Restored version 2");

    // A withdrawn version stays withdrawn.
    let withdrawn = app
        .as_user(&ada, Method::POST, &format!("{versions}/3/withdraw"))
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let refused = app
        .as_user(&ada, Method::POST, &restore(3))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::GONE);
    assert_eq!(error_code(refused).await, "version_withdrawn");

    let page = app.page_html(&ada, &format!("/datasets/{id}")).await;
    assert!(
        page.contains("Restored version 1: the temperature probe was faulty")
            && page.contains("data-restore=\"1\"")
            && !page.contains("data-restore=\"5\""),
        "{page}"
    );
    let audit = app
        .get_json(&root, "/api/v1/admin/audit?action=dataset.version.restore")
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{audit}");
}

/// Links say whether they follow the latest version or which one they are pinned to, and an
/// owner pins the following ones to a version, which a later upload no longer changes.
async fn following_links_are_said_so_and_can_be_pinned(backend: Backend) {
    let Some(app) = with_formats(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let root = app.admin("root@example.org").await;
    let id = two_versions(&app, &ada).await;
    let shared = app
        .as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/shares"))
        .json(&json!({"user": bob.id, "level": "edit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);
    let links = format!("/api/v1/datasets/{id}/links");
    let following = app
        .make_link(
            &ada,
            &links,
            json!({"level": "download", "name": "follower"}),
        )
        .await;
    app.make_link(&ada, &links, json!({"level": "view"})).await;
    app.make_link(&ada, &links, json!({"level": "download", "version": 1}))
        .await;
    let revoked = app
        .make_link(&ada, &links, json!({"level": "download"}))
        .await;
    let gone = app
        .as_user(
            &ada,
            Method::DELETE,
            &format!("/api/v1/links/{}", revoked["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);

    let page = app.page_html(&ada, &format!("/datasets/{id}")).await;
    assert!(
        page.contains("2 follow the latest version (a new upload changes what they serve); 1 pinned to version 1."),
        "{page}"
    );
    assert!(page.contains("data-pin=\"2\""), "{page}");
    let mine = app.page_html(&ada, "/links").await;
    assert!(
        mine.contains("(follows the latest version)") && mine.contains("(pinned to version 1)"),
        "{mine}"
    );

    let pin = |number: i32| format!("/api/v1/datasets/{id}/versions/{number}/pin-links");
    let editor = app
        .as_user(&bob, Method::POST, &pin(2))
        .send()
        .await
        .unwrap();
    assert_eq!(editor.status(), StatusCode::FORBIDDEN);
    let pinned: Value = app.post_json(&ada, &pin(2), json!(null)).await;
    assert_eq!(pinned, json!({"version": 2, "pinned": 2}));
    let again: Value = app.post_json(&ada, &pin(2), json!(null)).await;
    assert_eq!(again["pinned"], 0);
    let link: Value = app
        .get_json(
            &ada,
            &format!("/api/v1/links/{}", following["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(link["version"], 2);

    // A new upload no longer changes what the pinned link serves.
    let third = app
        .upload_to(
            &ada,
            &format!("/api/v1/datasets/{id}/versions"),
            "lake.csv",
            b"site,depth\nZ,9\n".to_vec(),
            &[],
        )
        .await;
    assert_eq!(third.status(), StatusCode::CREATED);
    let served = app
        .client
        .get(app.url("/api/v1/link/download?format=csv"))
        .bearer_auth(following["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(served.text().await.unwrap(), "site,depth\nA,1\nB,2\nC,3\n");
    let page = app.page_html(&ada, &format!("/datasets/{id}")).await;
    assert!(
        page.contains("0 follow the latest version; 1 pinned to version 1; 2 pinned to version 2."),
        "{page}"
    );

    // Not to a withdrawn version, nor one that does not exist.
    let withdrawn = app
        .as_user(
            &ada,
            Method::POST,
            &format!("/api/v1/datasets/{id}/versions/1/withdraw"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let refused = app
        .as_user(&ada, Method::POST, &pin(1))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let missing = app
        .as_user(&ada, Method::POST, &pin(9))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let audit = app
        .get_json(&root, "/api/v1/admin/audit?action=link.pin")
        .await;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{audit}");
}

crate::on_both_backends!(
    following_links_are_said_so_and_can_be_pinned,
    a_changed_schema_is_shown_before_and_needs_a_confirmation,
    a_withdrawn_version_is_kept_but_no_longer_served,
    an_older_version_is_made_current_as_a_new_version,
);
