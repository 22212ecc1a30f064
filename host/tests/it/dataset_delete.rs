//! Who may delete a dataset: its owner or a site admin, and nobody else, whatever level a share
//! gives them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, error_code};

// Issue 14, item 20: an admin-level recipient could delete a dataset that docs/api.md says only
// its owner or a site admin may delete.
async fn only_the_owner_or_a_site_admin_deletes_a_dataset(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let upload = |name: &'static str| {
        let app = &app;
        let ada = &ada;
        async move {
            let created: Value = app
                .upload(ada, name, b"site,count\nA,1\n".to_vec())
                .await
                .json()
                .await
                .unwrap();
            created["id"].as_str().unwrap().to_owned()
        }
    };
    let first = upload("first.csv").await;
    let path = format!("/api/v1/datasets/{first}");
    let shared = app
        .as_user(&ada, Method::POST, &format!("{path}/shares"))
        .json(&json!({"user": bob.id, "level": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);
    assert_eq!(app.get_json(&bob, &path).await["access"], "admin");

    // Admin through a share: everything but deleting.
    let refused = app
        .as_user(&bob, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(refused).await, "forbidden");
    let still = app.as_user(&ada, Method::GET, &path).send().await.unwrap();
    assert_eq!(still.status(), StatusCode::OK);
    // The refusal is in the audit log, with its reason (deleting moves to the trash since
    // issue 16, hence the action's name).
    let denied = app
        .get_json(
            &root,
            &format!(
                "/api/v1/admin/audit?action=dataset.trash&outcome=denied&actor=user:{}",
                bob.id
            ),
        )
        .await;
    assert_eq!(denied["items"].as_array().unwrap().len(), 1, "{denied}");

    // The owner may.
    let deleted = app
        .as_user(&ada, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    // So may a site admin, on someone else's dataset.
    let second = upload("second.csv").await;
    let deleted = app
        .as_user(&root, Method::DELETE, &format!("/api/v1/datasets/{second}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    // Someone without any access still learns nothing.
    let third = upload("third.csv").await;
    let eve = app.user("eve@example.org").await;
    let hidden = app
        .as_user(&eve, Method::DELETE, &format!("/api/v1/datasets/{third}"))
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
}

crate::on_both_backends!(only_the_owner_or_a_site_admin_deletes_a_dataset);
