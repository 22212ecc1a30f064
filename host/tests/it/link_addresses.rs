//! Issue 16: a link's owners can copy its address again, and a database alone still gives no
//! working link: the address is kept sealed under a key outside the database, shown only to
//! the link's owners, each time audited, and never by a server holding another key.

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera::db::schema::share_links;
use tessera::db::share_links::ShareLink;

use crate::common::{Backend, TestApp, TestUser, error_code};

async fn address(app: &TestApp, who: &TestUser, link: &str) -> reqwest::Response {
    app.as_user(who, Method::GET, &format!("/api/v1/links/{link}/address"))
        .send()
        .await
        .unwrap()
}

async fn addresses_come_back_only_to_owners_and_only_under_their_key(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let eve = app.user("eve@example.org").await;
    let dataset = app
        .upload_dataset(&ada, "lake.csv", b"site,temp\nA,4.5\nB,5.1\n")
        .await;
    let made = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{dataset}/links"),
            json!({"level": "view"}),
        )
        .await;
    let (id, slug, url) = (
        made["id"].as_str().unwrap().to_owned(),
        made["slug"].as_str().unwrap().to_owned(),
        made["url"].as_str().unwrap().to_owned(),
    );
    assert_eq!(made["link"]["address_kept"], true);

    // The same address as at creation, as often as asked, and each time audited.
    for _ in 0..2 {
        let response = address(&app, &ada, &id).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["url"], url.as_str());
    }
    let audit = app
        .get_json(&root, "/api/v1/admin/audit?limit=200&action=link.address")
        .await;
    let reveals: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "link.address" && e["target"] == format!("link:{id}"))
        .collect();
    assert_eq!(reveals.len(), 2, "{audit}");
    // Site admins administer every dataset; someone without access is told nothing.
    assert_eq!(address(&app, &root, &id).await.status(), StatusCode::OK);
    let refused = address(&app, &eve, &id).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);

    // The dataset page lists it with the rows of "My links", offering its address again.
    for path in [format!("/datasets/{dataset}"), "/links".to_owned()] {
        let html = app.page_html(&ada, &path).await;
        assert!(html.contains(&format!("data-link=\"{id}\"")), "{path}");
        assert!(html.contains("Copy address"), "{path}");
        assert!(
            !html.contains(&slug),
            "{path}: the address is fetched, not in the page"
        );
    }

    // The row holds no usable address: neither the slug nor anything that gives it.
    let row = {
        let mut conn = app.state.db.get().unwrap();
        ShareLink::find(&mut conn, &id).unwrap()
    };
    let sealed = row.sealed_address.clone().unwrap();
    assert!(!format!("{row:?}").contains(&slug), "{row:?}");
    assert!(!sealed.contains(&slug));

    // A replica with the same key gives the same address; one with another key refuses,
    // saying why, and never gives another address. The link itself works on both.
    let same = app.replica().await;
    let body: Value = address(&same, &ada, &id).await.json().await.unwrap();
    assert_eq!(
        body["url"].as_str().unwrap().rsplit('/').next(),
        Some(slug.as_str())
    );
    let other_key = tempfile::tempdir().unwrap();
    let other = app
        .replica_with(|config| {
            config.link_address_key_file = other_key.path().join("link-address.key");
        })
        .await;
    let response = address(&other, &ada, &id).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("key"), "{message}");
    assert!(!message.contains(&slug), "{message}");
    let page = other
        .client
        .get(other.url(&format!("/s/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the link still opens");

    // A link made before addresses were kept has none to show.
    {
        let mut conn = app.state.db.get().unwrap();
        diesel::update(share_links::table.find(&id))
            .set(share_links::sealed_address.eq(None::<String>))
            .execute(&mut *conn)
            .unwrap();
    }
    let listed = app.get_json(&ada, &format!("/api/v1/links/{id}")).await;
    assert_eq!(listed["address_kept"], false);
    let response = address(&app, &ada, &id).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("made before addresses were kept"),
        "{body}"
    );
    {
        let mut conn = app.state.db.get().unwrap();
        diesel::update(share_links::table.find(&id))
            .set(share_links::sealed_address.eq(Some(sealed)))
            .execute(&mut *conn)
            .unwrap();
    }

    // A revoked link opens nothing: its address is not shown again.
    let revoked = app
        .as_user(&ada, Method::DELETE, &format!("/api/v1/links/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let response = address(&app, &ada, &id).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(response).await, "conflict");
}

/// What the list's "Change password" and "Remove password" send: a short password is refused
/// with a sentence the page shows beside the field; a new one asks visitors for it, and
/// removing it opens the link again. The address stays the same throughout.
async fn a_links_password_changes_and_goes_from_its_owners_list(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let dataset = app
        .upload_dataset(&ada, "lake.csv", b"site,temp\nA,4.5\n")
        .await;
    let made = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{dataset}/links"),
            json!({"level": "view"}),
        )
        .await;
    let id = made["id"].as_str().unwrap();
    let url = made["url"].as_str().unwrap();
    let change = |body: Value| {
        app.as_user(&ada, Method::PATCH, &format!("/api/v1/links/{id}"))
            .json(&body)
            .send()
    };
    let visit = || async {
        app.client
            .get(app.url(&format!("/s/{}", made["slug"].as_str().unwrap())))
            .send()
            .await
            .unwrap()
            .status()
    };

    let refused = change(json!({"password": "short"})).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation_failed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least 6 characters"),
        "{body}"
    );
    assert_eq!(visit().await, StatusCode::OK);

    let changed: Value = change(json!({"password": "tide-pool-7"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["has_password"], true);
    assert_eq!(visit().await, StatusCode::UNAUTHORIZED);

    let removed: Value = change(json!({"password": null}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(removed["has_password"], false);
    assert_eq!(visit().await, StatusCode::OK);

    let again: Value = address(&app, &ada, id).await.json().await.unwrap();
    assert_eq!(again["url"], url);
}

crate::on_both_backends!(
    addresses_come_back_only_to_owners_and_only_under_their_key,
    a_links_password_changes_and_goes_from_its_owners_list,
);
