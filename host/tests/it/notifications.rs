//! In-app notifications read from the event stream: who is told what (a share with you, your
//! group; a new version of a dataset you follow; your link's wrong passwords; your export),
//! nobody of their own action, the unread count live over server-sent events, marking read,
//! preferences per kind, and muting a dataset.

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::activity::dispatch;
use crate::common::{Backend, TestApp, TestUser};

const CSV: &[u8] = b"site,count\nA,1\nB,2\n";

async fn notifications(app: &TestApp, user: &TestUser) -> Value {
    app.get_json(user, "/api/v1/notifications").await
}

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn shares_versions_and_marking_read(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let shared = app
        .as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/shares"))
        .json(&json!({"user": bob.email, "level": "view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);
    dispatch(&app).await;

    let list = notifications(&app, &bob).await;
    assert_eq!(list["unread"], 1, "{list}");
    let first = &list["items"][0];
    assert_eq!(first["kind"], "share_received");
    assert!(
        first["title"].as_str().unwrap().contains("“plankton”")
            && first["title"].as_str().unwrap().ends_with("with you"),
        "{first}"
    );
    assert_eq!(first["url"], format!("/datasets/{id}"));
    // Nobody is told of their own action.
    assert_eq!(notifications(&app, &ada).await["total"], 0);

    // Bob follows the dataset: a new version tells him, not ada who uploaded it.
    let follow = app
        .as_user(&bob, Method::PUT, &format!("/api/v1/datasets/{id}/watch"))
        .json(&json!({"watch": "follow"}))
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status(), StatusCode::OK);
    let version = app
        .upload_to(
            &ada,
            &format!("/api/v1/datasets/{id}/versions"),
            "plankton.csv",
            b"site,count\nA,1\nB,2\nC,3\n".to_vec(),
            &[("message", "Added site C")],
        )
        .await;
    assert!(
        version.status().is_success(),
        "{}",
        version.text().await.unwrap()
    );
    dispatch(&app).await;
    let list = notifications(&app, &bob).await;
    assert_eq!(list["unread"], 2);
    assert_eq!(list["items"][0]["kind"], "dataset_new_version");
    assert_eq!(list["items"][0]["body"], "Added site C");
    assert_eq!(notifications(&app, &ada).await["total"], 0);

    // Marking one read, then all.
    let one = list["items"][0]["id"].as_str().unwrap();
    let marked: Value = app
        .post_json(&bob, "/api/v1/notifications/read", json!({"ids": [one]}))
        .await;
    assert_eq!(marked["unread"], 1);
    let unread_only = app
        .get_json(&bob, "/api/v1/notifications?unread_only=true")
        .await;
    assert_eq!(titles(&unread_only).len(), 1);
    let marked: Value = app
        .post_json(&bob, "/api/v1/notifications/read", json!({"all": true}))
        .await;
    assert_eq!(marked["unread"], 0);
    let empty = app
        .as_user(&bob, Method::POST, "/api/v1/notifications/read")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Muted, the dataset's versions are no longer told.
    app.as_user(&bob, Method::PUT, &format!("/api/v1/datasets/{id}/watch"))
        .json(&json!({"watch": "mute"}))
        .send()
        .await
        .unwrap();
    app.upload_to(
        &ada,
        &format!("/api/v1/datasets/{id}/versions"),
        "plankton.csv",
        b"site,count\nA,1\n".to_vec(),
        &[("confirm_schema_change", "true")],
    )
    .await;
    dispatch(&app).await;
    assert_eq!(notifications(&app, &bob).await["unread"], 0);

    // The notifications page lists them, read ones too.
    let html = app.page_html(&bob, "/notifications").await;
    assert!(
        html.contains("has a new version") && html.contains("Mark all read"),
        "{html}"
    );
}

async fn the_bell_counts_up_live(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let stream = app
        .as_user(&bob, Method::GET, "/api/v1/notifications/stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut body = stream.bytes_stream();
    let mut seen = String::new();
    let mut next_frame = async || loop {
        if let Some(end) = seen.find("\n\n") {
            let frame: String = seen.drain(..end + 2).collect();
            if frame.starts_with("event:") {
                return frame;
            }
            continue;
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), body.next())
            .await
            .expect("a frame within 10 s")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    };
    assert_eq!(
        next_frame().await,
        "event: unread\ndata: {\"unread\": 0}\n\n"
    );
    app.as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/shares"))
        .json(&json!({"user": bob.email, "level": "view"}))
        .send()
        .await
        .unwrap();
    dispatch(&app).await;
    assert_eq!(
        next_frame().await,
        "event: unread\ndata: {\"unread\": 1}\n\n"
    );
}

async fn preferences_decide_what_the_app_shows(backend: Backend) {
    let Some(app) = crate::plugins::app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let prefs = app
        .get_json(&ada, "/api/v1/notifications/preferences")
        .await;
    let kinds = prefs["kinds"].as_array().unwrap();
    let kind = |name: &str| kinds.iter().find(|k| k["kind"] == name).unwrap().clone();
    assert_eq!(kind("export_finished")["app"], true);
    assert_eq!(
        kind("link_downloaded")["app"],
        false,
        "each download is opt-in"
    );

    // Her export finishing is told by default; turned off, the next is not.
    let export = async |app: &TestApp| {
        let queued: Value = app
            .post_json(
                &ada,
                &format!("/api/v1/datasets/{id}/exports"),
                json!({"format": "csv"}),
            )
            .await;
        crate::exports::wait_for_end(app, &ada, queued["job_id"].as_str().unwrap()).await;
        dispatch(app).await;
    };
    export(&app).await;
    let list = notifications(&app, &ada).await;
    assert_eq!(list["items"][0]["kind"], "export_finished", "{list}");
    assert_eq!(list["items"][0]["url"], format!("/datasets/{id}#exports"));
    let set = app
        .as_user(&ada, Method::PUT, "/api/v1/notifications/preferences")
        .json(&json!({"kind": "export_finished", "channel": "app", "cadence": "off"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    export(&app).await;
    assert_eq!(notifications(&app, &ada).await["total"], 1);

    // Refused: a digest in the app, a channel that is not hers, a kind that does not exist.
    for (body, words) in [
        (
            json!({"kind": "export_finished", "channel": "app", "cadence": "daily"}),
            "at once or not at all",
        ),
        (
            json!({"kind": "export_finished", "channel": "nope", "cadence": "off"}),
            "no channel 'nope'",
        ),
        (
            json!({"kind": "export_eaten", "channel": "app", "cadence": "off"}),
            "export_eaten",
        ),
    ] {
        let refused = app
            .as_user(&ada, Method::PUT, "/api/v1/notifications/preferences")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(refused.status().is_client_error(), "{body}");
        assert!(refused.text().await.unwrap().contains(words), "{body}");
    }
}

async fn wrong_passwords_tell_the_owner_once(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let created = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{id}/links"),
            json!({"level": "view", "password": "tide-pool-7", "name": "Lab link"}),
        )
        .await;
    let slug = created["slug"].as_str().unwrap();
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..4 {
        stranger
            .post(app.url(&format!("/s/{slug}")))
            .form(&[("password", "guess")])
            .send()
            .await
            .unwrap();
    }
    dispatch(&app).await;
    let list = notifications(&app, &ada).await;
    assert_eq!(
        titles(&list),
        ["Wrong passwords were given to your link “Lab link” 3 times today"]
    );
    assert_eq!(list["items"][0]["url"], format!("/datasets/{id}#sharing"));
}

crate::on_both_backends!(
    shares_versions_and_marking_read,
    the_bell_counts_up_live,
    preferences_decide_what_the_app_shows,
    wrong_passwords_tell_the_owner_once,
);
