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

/// A server with the email, webhook and rogue notifiers, mail through `smtp` and loopback
/// allowed for outbound requests, as an operator testing on one machine would set it.
async fn app_with_channels(backend: Backend, smtp_port: u16) -> Option<TestApp> {
    let plugins = tempfile::tempdir().unwrap().keep();
    for (folder, id) in [
        ("dist", "email"),
        ("dist", "webhook"),
        ("dist-test", "rogue"),
    ] {
        let from = crate::plugins::built(folder).join(id);
        let to = plugins.join(id);
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(&from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    TestApp::start_with(backend, |config| {
        config.plugins_dir = plugins;
        config.smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
        config.mail_from = "Tessera <tessera@example.org>".to_owned();
        config.outbound_allow = "127.0.0.1".to_owned();
    })
    .await
}

/// One pass of the delivery worker.
async fn deliver(app: &TestApp) -> tessera::notifications::delivery::Sent {
    let state = app.state.clone();
    tokio::task::spawn_blocking(move || tessera::background::deliver_next(&state))
        .await
        .unwrap()
        .unwrap()
}

/// Makes every pending delivery due now, as if its wait had passed.
fn make_due(app: &TestApp) {
    use diesel::prelude::*;
    use tessera::db::schema::notification_deliveries as d;
    let mut conn = app.state.db.get().unwrap();
    diesel::update(d::table.filter(d::status.eq("pending")))
        .set(d::due_at.eq(0_i64))
        .execute(&mut *conn)
        .unwrap();
}

async fn channels_deliver_by_mail_and_signed_webhook_with_retries(backend: Backend) {
    use crate::notifiers::{http_receiver, start, webhook_secret};
    use tessera::notifications::delivery::Sent;
    let smtp = start("aiosmtpd", "smtp_receiver.py", &[]);
    let secret = webhook_secret();
    let hook = http_receiver("500,200", Some(&secret));
    let Some(app) = app_with_channels(backend, smtp.port).await else {
        return;
    };
    let admin = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;

    // Bob sets up two channels; settings the plugin refuses are refused with the reason.
    let bad = app
        .as_user(&bob, Method::POST, "/api/v1/notifications/channels")
        .json(&json!({"plugin": "webhook", "label": "Lab hook", "settings": {"url": "not a url", "secret": secret}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("settings for webhook"));
    let mail: Value = app
        .post_json(
            &bob,
            "/api/v1/notifications/channels",
            json!({"plugin": "email", "label": "Work mail", "settings": {}}),
        )
        .await;
    let webhook: Value = app
        .post_json(
            &bob,
            "/api/v1/notifications/channels",
            json!({"plugin": "webhook", "label": "Lab hook", "settings": {"url": hook.url("/hooks"), "secret": secret}}),
        )
        .await;
    assert!(
        mail["id"].is_string() && webhook["id"].is_string(),
        "{mail} {webhook}"
    );

    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    app.as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/shares"))
        .json(&json!({"user": bob.email, "level": "view"}))
        .send()
        .await
        .unwrap();
    dispatch(&app).await;

    // Two deliveries: the mail goes through, the webhook's receiver answers 500 first.
    let mut outcomes = vec![deliver(&app).await, deliver(&app).await];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert!(matches!(outcomes[0], Sent::Delivered(_)), "{outcomes:?}");
    assert!(
        matches!(&outcomes[1], Sent::Retry(why) if why.contains("500")),
        "{outcomes:?}"
    );
    assert_eq!(
        deliver(&app).await,
        Sent::Nothing,
        "the retry waits its turn"
    );

    let arrived = smtp.mail(1);
    assert_eq!(arrived["rcpt_tos"], json!([bob.email]));
    let subject = arrived["headers"]["subject"].as_str().unwrap().to_owned();
    assert!(subject.contains("shared “plankton” with you"), "{subject}");
    let text = arrived["text"].as_str().unwrap().to_owned();
    assert!(text.contains(&format!("/datasets/{id}")), "{text}");
    let html = arrived["html"].as_str().unwrap();
    assert!(
        html.contains("You can view it.") && html.contains(&format!("/datasets/{id}")),
        "{html}"
    );

    // The retry, once due, is taken under the same id and verified by the reference library.
    make_due(&app);
    assert!(matches!(deliver(&app).await, Sent::Delivered(_)));
    let requests = hook.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0]["headers"]["webhook-id"],
        requests[1]["headers"]["webhook-id"]
    );
    assert_eq!(requests[1]["signature"], "verified", "{}", requests[1]);
    assert_eq!(
        requests[0]["signature"], "verified",
        "the first attempt was signed too"
    );
    let body: Value = serde_json::from_str(requests[1]["body"].as_str().unwrap()).unwrap();
    assert!(body.to_string().contains("plankton"), "{body}");
    // Delivered is never sent again.
    make_due(&app);
    assert_eq!(deliver(&app).await, Sent::Nothing);

    // The admin sees each delivery with its attempts.
    let delivered = app
        .get_json(
            &admin,
            "/api/v1/admin/notifications/deliveries?status=delivered",
        )
        .await;
    let hooked = delivered
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["plugin"] == "webhook")
        .unwrap();
    let outcomes: Vec<&str> = hooked["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["retry", "delivered"]);

    // The unsubscribe link in the mail asks first, then turns the kind off for that channel.
    let link = arrived["headers"]["list-unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(|c| c == '<' || c == '>')
        .to_owned();
    assert!(
        link.contains("/notifications/unsubscribe?token=tsu_"),
        "{link}"
    );
    let path = &link[link.find("/notifications/").unwrap()..];
    let asked = app.request(Method::GET, path).send().await.unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(asked.text().await.unwrap().contains("Unsubscribe</button>"));
    let token = link.split("token=").nth(1).unwrap();
    let done = app
        .request(Method::POST, "/notifications/unsubscribe")
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert!(
        done.text()
            .await
            .unwrap()
            .contains("will no longer come through Work mail")
    );
    let prefs = app
        .get_json(&bob, "/api/v1/notifications/preferences")
        .await;
    let shares = prefs["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "share_received")
        .unwrap()
        .clone();
    assert_eq!(shares["channels"][mail["id"].as_str().unwrap()], "off");
    assert_eq!(
        shares["channels"][webhook["id"].as_str().unwrap()],
        "immediate"
    );
    assert_eq!(shares["app"], true);
}

async fn a_failing_channel_ends_in_the_dead_letters_an_admin_can_retry(backend: Backend) {
    use tessera::notifications::delivery::Sent;
    let Some(app) = app_with_channels(backend, 9).await else {
        return;
    };
    let admin = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    app.post_json(
        &bob,
        "/api/v1/notifications/channels",
        json!({"plugin": "rogue", "label": "Trap", "settings": {"act": "trap"}}),
    )
    .await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    app.as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/shares"))
        .json(&json!({"user": bob.email, "level": "view"}))
        .send()
        .await
        .unwrap();
    dispatch(&app).await;
    // The plugin traps: its delivery fails for good; the app's notification is there all the same.
    assert!(matches!(deliver(&app).await, Sent::Dead(_)));
    assert_eq!(notifications(&app, &bob).await["unread"], 1);
    let dead = app
        .get_json(&admin, "/api/v1/admin/notifications/deliveries")
        .await;
    assert_eq!(dead.as_array().unwrap().len(), 1, "{dead}");
    assert_eq!(dead[0]["plugin"], "rogue");
    let delivery = dead[0]["id"].as_str().unwrap();
    let retried = app
        .as_user(
            &admin,
            Method::POST,
            &format!("/api/v1/admin/notifications/deliveries/{delivery}/retry"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), StatusCode::ACCEPTED);
    let again = app
        .as_user(
            &admin,
            Method::POST,
            &format!("/api/v1/admin/notifications/deliveries/{delivery}/retry"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "only a dead one"
    );
    assert!(matches!(deliver(&app).await, Sent::Dead(_)));
    let not_admin = app
        .as_user(&bob, Method::GET, "/api/v1/admin/notifications/deliveries")
        .send()
        .await
        .unwrap();
    assert_eq!(not_admin.status(), StatusCode::FORBIDDEN);
}

mod channels {
    use super::*;
    crate::on_both_backends!(
        channels_deliver_by_mail_and_signed_webhook_with_retries,
        a_failing_channel_ends_in_the_dead_letters_an_admin_can_retry,
    );
}
