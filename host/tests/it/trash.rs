//! Issue 16: deleting a dataset moves it to its owner's trash. There it is gone from every
//! list, search, decision, link and export, yet its owner (or a site admin) can restore it, or
//! delete it for good, until the trash sweep does so `trash_days` later.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp};
use crate::plugins::app_with_plugins;

const CSV: &[u8] = b"site,count\nA,1\nB,2\n";

async fn status(
    app: &TestApp,
    user: &crate::common::TestUser,
    method: Method,
    path: &str,
) -> StatusCode {
    app.as_user(user, method, path)
        .send()
        .await
        .unwrap()
        .status()
}

async fn link_download(app: &TestApp, slug: &str) -> StatusCode {
    reqwest::Client::new()
        .get(app.url(&format!("/s/{slug}/download")))
        .send()
        .await
        .unwrap()
        .status()
}

async fn audited(
    app: &TestApp,
    admin: &crate::common::TestUser,
    action: &str,
    id: &str,
) -> Vec<Value> {
    let log = app
        .get_json(admin, &format!("/api/v1/admin/audit?action={action}"))
        .await;
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == format!("dataset:{id}"))
        .cloned()
        .collect()
}

async fn a_deleted_dataset_waits_in_the_trash(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let path = format!("/api/v1/datasets/{id}");
    let shared = app
        .as_user(&ada, Method::POST, &format!("{path}/shares"))
        .json(&json!({"user": bob.id, "level": "view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);
    let link = app
        .make_link(&ada, &format!("{path}/links"), json!({"level": "download"}))
        .await;
    let slug = link["slug"].as_str().unwrap().to_owned();
    assert_eq!(link_download(&app, &slug).await, StatusCode::OK);

    assert_eq!(
        status(&app, &ada, Method::DELETE, &path).await,
        StatusCode::NO_CONTENT
    );

    // Gone from everything: the dataset, lists, search, shares, links and exports.
    for user in [&ada, &bob, &root] {
        assert_eq!(
            status(&app, user, Method::GET, &path).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.get_json(user, "/api/v1/datasets").await["total"], 0);
        assert_eq!(
            app.get_json(user, "/api/v1/datasets?q=plankton").await["total"],
            0
        );
    }
    assert_eq!(
        app.get_json(&bob, "/api/v1/shared-with-me").await["items"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0),
        0
    );
    assert_eq!(link_download(&app, &slug).await, StatusCode::NOT_FOUND);
    let export = app
        .as_user(&ada, Method::POST, &format!("{path}/exports"))
        .json(&json!({"format": "csv"}))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        status(&app, &ada, Method::DELETE, &path).await,
        StatusCode::NOT_FOUND
    );
    let page = app.page_html(&ada, "/datasets").await;
    assert!(!page.contains("plankton"), "{page}");

    // In the trash: the owner's and the site admin's, no one else's.
    let trash = app.get_json(&ada, "/api/v1/trash").await;
    assert_eq!(trash["trash_days"], 30);
    let items = trash["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{trash}");
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["deleted_by"], ada.id.as_str());
    assert!(items[0]["purge_at"].as_str().unwrap() > items[0]["deleted_at"].as_str().unwrap());
    assert_eq!(
        app.get_json(&root, "/api/v1/trash").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get_json(&bob, "/api/v1/trash").await["items"],
        json!([])
    );
    let page = app.page_html(&ada, "/trash").await;
    assert!(
        page.contains("plankton") && page.contains("Restore"),
        "{page}"
    );
    assert!(!app.page_html(&bob, "/trash").await.contains("plankton"));

    // Only its owner or a site admin restores it or deletes it for good.
    let restore = format!("{path}/restore");
    let purge = format!("/api/v1/trash/{id}");
    assert_eq!(
        status(&app, &bob, Method::POST, &restore).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&app, &bob, Method::DELETE, &purge).await,
        StatusCode::NOT_FOUND
    );

    // Restored as it was: shares and links work again.
    let restored = app
        .as_user(&ada, Method::POST, &restore)
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), StatusCode::OK);
    assert_eq!(restored.json::<Value>().await.unwrap()["name"], "plankton");
    assert_eq!(app.get_json(&bob, &path).await["access"], "view");
    assert_eq!(link_download(&app, &slug).await, StatusCode::OK);
    assert_eq!(
        status(&app, &ada, Method::POST, &restore).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_json(&ada, "/api/v1/trash").await["items"],
        json!([])
    );

    // A site admin trashes it and deletes it for good: files and all.
    assert_ne!(app.stored_files(), Vec::<String>::new());
    assert_eq!(
        status(&app, &root, Method::DELETE, &path).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get_json(&ada, "/api/v1/trash").await["items"][0]["deleted_by"],
        root.id.as_str()
    );
    assert_eq!(
        status(&app, &root, Method::DELETE, &purge).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.stored_files(), Vec::<String>::new());
    assert_eq!(app.dataset_count(), 0);
    assert_eq!(
        status(&app, &ada, Method::POST, &restore).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(link_download(&app, &slug).await, StatusCode::NOT_FOUND);

    assert_eq!(audited(&app, &root, "dataset.trash", &id).await.len(), 2);
    assert_eq!(audited(&app, &root, "dataset.restore", &id).await.len(), 1);
    let purged = audited(&app, &root, "dataset.purge", &id).await;
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0]["actor"], format!("user:{}", root.id));
}

async fn the_trash_is_emptied_after_trash_days(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |config| config.trash_days = 2).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let old = app.upload_dataset(&ada, "old.csv", CSV).await;
    let recent = app.upload_dataset(&ada, "recent.csv", CSV).await;
    for id in [&old, &recent] {
        let path = format!("/api/v1/datasets/{id}");
        assert_eq!(
            status(&app, &ada, Method::DELETE, &path).await,
            StatusCode::NO_CONTENT
        );
    }
    // `old` went to the trash three days ago.
    {
        use diesel::prelude::*;
        use tessera::db::schema::datasets;
        let mut conn = app.state.db.get().unwrap();
        let three_days_ago = tessera::time::now_millis() - 3 * 24 * 3600 * 1000;
        diesel::update(datasets::table.find(&old))
            .set(datasets::deleted_at.eq(Some(three_days_ago)))
            .execute(&mut *conn)
            .unwrap();
    }
    let files_before = app.stored_files();
    tessera::background::empty_trash(&app.state).await;

    let trash = app.get_json(&ada, "/api/v1/trash").await;
    let left: Vec<&str> = trash["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, [recent.as_str()]);
    assert_eq!(app.dataset_count(), 1);
    let files_after = app.stored_files();
    assert!(files_after.len() < files_before.len());
    assert!(
        files_after.iter().all(|f| !f.contains(&old)),
        "{files_after:?}"
    );
    let purged = audited(&app, &root, "dataset.purge", &old).await;
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0]["actor"], "system");
}

/// The datasets list offers Delete on the rows the reader owns, and links to the trash.
async fn the_datasets_list_offers_delete_on_owned_rows(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let mine = app.upload_dataset(&ada, "mine.csv", CSV).await;
    let theirs = app.upload_dataset(&bob, "theirs.csv", CSV).await;
    let shared = app
        .as_user(
            &bob,
            Method::POST,
            &format!("/api/v1/datasets/{theirs}/shares"),
        )
        .json(&json!({"user": ada.id, "level": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);
    let page = app.page_html(&ada, "/datasets").await;
    assert!(page.contains("href=\"/trash\""), "{page}");
    assert!(page.contains("/static/js/trash.js"), "{page}");
    assert!(page.contains("aria-label=\"Delete mine\""), "{page}");
    assert!(!page.contains("aria-label=\"Delete theirs\""), "{page}");
    assert!(page.contains(&format!("data-dataset=\"{mine}\"")), "{page}");
    let script = app
        .client
        .get(app.url("/static/js/trash.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
}

crate::on_both_backends!(
    a_deleted_dataset_waits_in_the_trash,
    the_trash_is_emptied_after_trash_days,
    the_datasets_list_offers_delete_on_owned_rows,
);
