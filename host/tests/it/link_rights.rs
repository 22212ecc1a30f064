//! A share link acts with its creator's rights at the moment of each request, never more:
//! a creator who loses the level the link needs (a revoked or narrowed share, a deactivated
//! account) takes the link down with them until the right comes back; and whoever administers
//! the dataset sees and can revoke every link on it, whoever made it.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser, error_code};
use crate::exports::wait_for_end;
use crate::plugins::app_with_plugins;

const CSV: &[u8] = b"site,count\nA,1\nB,2\n";

fn stranger() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn share(app: &TestApp, owner: &TestUser, dataset: &str, with: &TestUser, level: &str) {
    let response = app
        .as_user(
            owner,
            Method::POST,
            &format!("/api/v1/datasets/{dataset}/shares"),
        )
        .json(&json!({"user": with.email, "level": level}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn share_id(app: &TestApp, owner: &TestUser, dataset: &str, with: &TestUser) -> String {
    let shares = app
        .get_json(owner, &format!("/api/v1/datasets/{dataset}/shares"))
        .await;
    shares
        .as_array()
        .unwrap()
        .iter()
        // Shared by email address, the share names the address.
        .find(|s| {
            s["subject"]["id"] == with.id.as_str() || s["subject"]["id"] == with.email.as_str()
        })
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .expect("the share")
}

async fn send(app: &TestApp, user: &TestUser, method: Method, path: &str) -> StatusCode {
    app.as_user(user, method, path)
        .send()
        .await
        .unwrap()
        .status()
}

/// What a holder of the link's address gets for a download.
async fn download_by_slug(app: &TestApp, slug: &str) -> reqwest::Response {
    stranger()
        .get(app.url(&format!("/s/{slug}/download")))
        .send()
        .await
        .unwrap()
}

async fn download_by_token(app: &TestApp, token: &str) -> reqwest::Response {
    stranger()
        .get(app.url("/api/v1/link/download"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Asserts the link is suspended on every way a holder reaches it: 410 `link_suspended`.
async fn assert_suspended(app: &TestApp, slug: &str, token: &str) {
    let by_slug = download_by_slug(app, slug).await;
    assert_eq!(by_slug.status(), StatusCode::GONE);
    assert_eq!(error_code(by_slug).await, "link_suspended");
    let by_token = download_by_token(app, token).await;
    assert_eq!(by_token.status(), StatusCode::GONE);
    assert_eq!(error_code(by_token).await, "link_suspended");
    let info = stranger()
        .get(app.url("/api/v1/link"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::GONE);
    let page = stranger()
        .get(app.url(&format!("/s/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("suspended"));
}

async fn assert_works(app: &TestApp, slug: &str, token: &str) {
    let by_slug = download_by_slug(app, slug).await;
    assert_eq!(by_slug.status(), StatusCode::OK);
    assert!(by_slug.text().await.unwrap().starts_with("site,count"));
    assert_eq!(download_by_token(app, token).await.status(), StatusCode::OK);
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

// Issue 14, item 1: a recipient with admin level makes a link; losing the share, being
// deactivated or being narrowed to view suspends it (410 to holders, "suspended" to the
// owner, no PATCH), getting the right back restores it; the dataset's owner and site admins
// see and revoke it.
async fn a_link_lives_and_dies_with_its_creators_rights(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let root = app.admin("root@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    share(&app, &ada, &id, &bob, "admin").await;
    let created: Value = app
        .post_json(
            &bob,
            &format!("/api/v1/datasets/{id}/links"),
            json!({"level": "download", "max_downloads": 50, "expires_in": 3600}),
        )
        .await;
    let link_id = created["id"].as_str().unwrap().to_owned();
    let slug = created["slug"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();
    assert_works(&app, &slug, &token).await;

    // The owner finds it: in their list, filtered by dataset, and on the dataset itself.
    let listed = app.get_json(&ada, "/api/v1/links").await;
    assert!(ids(&listed).contains(&link_id), "{listed}");
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == link_id.as_str())
        .unwrap();
    assert_eq!(mine["created_by"]["id"], bob.id.as_str());
    assert_eq!(mine["state"], "active");
    let filtered = app
        .get_json(&ada, &format!("/api/v1/links?dataset={id}"))
        .await;
    assert_eq!(ids(&filtered), vec![link_id.clone()]);
    let on_dataset = app
        .get_json(&ada, &format!("/api/v1/datasets/{id}/links"))
        .await;
    assert_eq!(ids(&on_dataset), vec![link_id.clone()]);
    let one = format!("/api/v1/links/{link_id}");
    assert_eq!(send(&app, &ada, Method::GET, &one).await, StatusCode::OK);
    let log = format!("/api/v1/links/{link_id}/access-log");
    assert_eq!(send(&app, &ada, Method::GET, &log).await, StatusCode::OK);
    // Someone without admin on the dataset still cannot tell the link exists.
    let eve = app.user("eve@example.org").await;
    assert_eq!(
        send(&app, &eve, Method::GET, &one).await,
        StatusCode::NOT_FOUND
    );
    assert!(ids(&app.get_json(&eve, "/api/v1/links").await).is_empty());
    assert_eq!(
        send(
            &app,
            &eve,
            Method::GET,
            &format!("/api/v1/links?dataset={id}")
        )
        .await,
        StatusCode::NOT_FOUND
    );

    // Bob's share is revoked: the link stops, and Bob cannot widen it.
    let bobs_share = share_id(&app, &ada, &id, &bob).await;
    let revoke_share = format!("/api/v1/datasets/{id}/shares/{bobs_share}");
    assert_eq!(
        send(&app, &ada, Method::DELETE, &revoke_share).await,
        StatusCode::NO_CONTENT
    );
    assert_suspended(&app, &slug, &token).await;
    let widened = app
        .as_user(&bob, Method::PATCH, &one)
        .json(&json!({"max_downloads": null, "expires_at": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(widened.status(), StatusCode::FORBIDDEN);
    let seen = app.get_json(&ada, &one).await;
    assert_eq!(seen["state"], "suspended", "{seen}");
    assert_eq!(
        seen["max_downloads"], 50,
        "the refused change left no trace"
    );
    assert!(!seen["expires_at"].is_null());
    // The refusals are audited with the rule that decided.
    let audit = app
        .get_json(
            &root,
            &format!("/api/v1/admin/audit?limit=200&target=link:{link_id}&outcome=denied"),
        )
        .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"]["code"] == "link_suspended"
                && e["detail"]["creator"] == bob.id.as_str()),
        "{audit}"
    );

    // Access comes back: so does the link.
    share(&app, &ada, &id, &bob, "admin").await;
    assert_works(&app, &slug, &token).await;
    assert_eq!(app.get_json(&ada, &one).await["state"], "active");

    // Narrowed to view (a changed share): a dataset link needs admin, as making it did.
    let bobs_share = share_id(&app, &ada, &id, &bob).await;
    let narrowed = app
        .as_user(
            &ada,
            Method::PATCH,
            &format!("/api/v1/datasets/{id}/shares/{bobs_share}"),
        )
        .json(&json!({"level": "view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(narrowed.status(), StatusCode::OK);
    assert_suspended(&app, &slug, &token).await;
    let back = app
        .as_user(
            &ada,
            Method::PATCH,
            &format!("/api/v1/datasets/{id}/shares/{bobs_share}"),
        )
        .json(&json!({"level": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::OK);
    assert_works(&app, &slug, &token).await;

    // Bob is deactivated: the link and its token stop; reactivated, they work again.
    let account = format!("/api/v1/admin/users/{}", bob.id);
    for (active, works) in [(false, false), (true, true)] {
        let changed = app
            .as_user(&root, Method::PATCH, &account)
            .json(&json!({"is_active": active}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), StatusCode::OK);
        if works {
            assert_works(&app, &slug, &token).await;
        } else {
            assert_suspended(&app, &slug, &token).await;
        }
    }

    // A site admin sees every link, and the owner revokes Bob's link.
    assert!(ids(&app.get_json(&root, "/api/v1/links").await).contains(&link_id));
    assert_eq!(send(&app, &root, Method::GET, &one).await, StatusCode::OK);
    assert_eq!(
        send(&app, &ada, Method::DELETE, &one).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        download_by_slug(&app, &slug).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get_json(&ada, &one).await["state"], "revoked");
}

// Issue 14, item 1: an export's file shared by whoever ran the export needs that person to
// keep view on the dataset; one shared by somebody else needs admin, as making it did.
async fn an_export_link_needs_its_creators_view(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let cy = app.user("cy@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    share(&app, &ada, &id, &cy, "view").await;
    let job: Value = app
        .post_json(
            &cy,
            &format!("/api/v1/datasets/{id}/exports"),
            json!({"format": "csv"}),
        )
        .await;
    let job_id = job["job_id"].as_str().unwrap().to_owned();
    assert_eq!(wait_for_end(&app, &cy, &job_id).await["status"], "done");
    let created: Value = app
        .post_json(
            &cy,
            &format!("/api/v1/exports/{job_id}/links"),
            json!({"level": "download"}),
        )
        .await;
    let link_id = created["id"].as_str().unwrap().to_owned();
    let slug = created["slug"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();
    assert_works(&app, &slug, &token).await;
    // The owner finds the export's link on the dataset too.
    let on_dataset = app
        .get_json(&ada, &format!("/api/v1/datasets/{id}/links"))
        .await;
    assert_eq!(ids(&on_dataset), vec![link_id.clone()]);
    assert_eq!(on_dataset[0]["item"]["kind"], "export");

    let cys_share = share_id(&app, &ada, &id, &cy).await;
    assert_eq!(
        send(
            &app,
            &ada,
            Method::DELETE,
            &format!("/api/v1/datasets/{id}/shares/{cys_share}")
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert_suspended(&app, &slug, &token).await;
    assert_eq!(
        app.get_json(&ada, &format!("/api/v1/links/{link_id}"))
            .await["state"],
        "suspended"
    );
}

crate::on_both_backends!(
    a_link_lives_and_dies_with_its_creators_rights,
    an_export_link_needs_its_creators_view,
);
