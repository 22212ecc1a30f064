//! Issue 16: a dataset's versions cannot hurt anyone by surprise. An upload says how its
//! columns differ before it is committed, and a different schema needs a confirmation.

use reqwest::StatusCode;
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
    assert_eq!(app.stored_files(), files_before, "a refused upload leaves nothing");

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
    let direct = app
        .upload_to(&ada, &versions, "lake.csv", same, &[])
        .await;
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

crate::on_both_backends!(a_changed_schema_is_shown_before_and_needs_a_confirmation);
