//! Share links and their tokens, tried as a holder and as an attacker would: expiry, limits,
//! passwords, levels, offline attenuation, revocation, exact counting under concurrency,
//! broken downloads, resumption, self-destruction and throttling.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use tessera::access::token::{self, Attenuation, Operation, TokenKeys};

use crate::common::{Backend, TestApp, error_code};
use crate::exports::wait_for_end;
use crate::plugins::app_with_plugins;

const CSV: &[u8] = b"site,count,note\nA,1,first\nB,2,second\nC,3,third\n";

/// A dataset large enough that its download outlasts the socket buffers: a reader that stops
/// reading holds the download open.
fn big_csv() -> Vec<u8> {
    let mut big = b"id,text\n".to_vec();
    for i in 0..400_000 {
        big.extend_from_slice(
            format!("{i},a line long enough to fill the pipes quickly\n").as_bytes(),
        );
    }
    big
}

/// A browser of someone who was only given the link: no account, no cookies unless set here.
fn stranger() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tessera_link="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

async fn open_with_password(app: &TestApp, slug: &str, password: &str) -> reqwest::Response {
    stranger()
        .post(app.url(&format!("/s/{slug}")))
        .form(&[("password", password)])
        .send()
        .await
        .unwrap()
}

async fn expiring_limited_password_link(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv", "json"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let created = app.make_link(
        &ada,
        &format!("/api/v1/datasets/{id}/links"),
        json!({"level": "download", "expires_in": 60, "max_downloads": 2, "password": "tide-pool-7"}),
    )
    .await;
    let slug = created["slug"].as_str().unwrap().to_owned();
    assert!(slug.len() >= 22, "a slug carries at least 128 bits");
    assert!(
        created["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/s/{slug}"))
    );
    assert_eq!(created["link"]["downloads_left"], 2);

    // Without the password: the page asks for it, and no sub-path lets anything through.
    let page = stranger()
        .get(app.url(&format!("/s/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
    assert!(page.text().await.unwrap().contains("name=\"password\""));
    for sub in ["download", "rows"] {
        let refused = stranger()
            .get(app.url(&format!("/s/{slug}/{sub}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            refused.status(),
            StatusCode::UNAUTHORIZED,
            "/s/{{slug}}/{sub}"
        );
        assert_eq!(error_code(refused).await, "password_required");
    }
    let wrong = open_with_password(&app, &slug, "guess").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong).is_none());
    assert!(wrong.text().await.unwrap().contains("not right"));

    let right = open_with_password(&app, &slug, "tide-pool-7").await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    let cookie = session_cookie(&right).expect("a session cookie for the link");
    let page = stranger()
        .get(app.url(&format!("/s/{slug}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("plankton")
            && html.contains("Downloads left")
            && html.contains(">Download</a>"),
        "{html}"
    );

    for _ in 0..2 {
        let download = stranger()
            .get(app.url(&format!("/s/{slug}/download")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), StatusCode::OK);
        let text = download.text().await.unwrap();
        assert!(
            text.starts_with("site,count,note") && text.contains("C,3,third"),
            "{text}"
        );
    }
    // The slot is counted once the body has gone out; give the server a moment to record it.
    let mut third = StatusCode::OK;
    for _ in 0..50 {
        let response = stranger()
            .get(app.url(&format!("/s/{slug}/download")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        third = response.status();
        if third == StatusCode::GONE {
            assert_eq!(error_code(response).await, "link_used_up");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(third, StatusCode::GONE);
    // The page counts completed downloads; the last completion is recorded just after its
    // last byte went out.
    let mut page = None;
    for _ in 0..50 {
        let response = stranger()
            .get(app.url(&format!("/s/{slug}")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::GONE {
            page = Some(response.text().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        page.expect("the page should say the link is used up")
            .contains("used up")
    );

    // The owner sees it all in the link's access log.
    let link_id = created["id"].as_str().unwrap();
    let log = app
        .get_json(&ada, &format!("/api/v1/links/{link_id}/access-log"))
        .await;
    let events: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == "download_completed")
            .count(),
        2
    );
    assert!(
        events.contains(&"refused") && events.contains(&"view"),
        "{events:?}"
    );
    let listed = app.get_json(&ada, "/api/v1/links").await;
    assert_eq!(listed[0]["state"], "used_up");
    assert_eq!(listed[0]["downloads_left"], 0);
}

async fn passwords_levels_expiry_and_revocation_guard_every_path(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv", "json"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let path = format!("/api/v1/datasets/{id}/links");

    // A changed password ends sessions opened with the old one.
    let protected = app
        .make_link(
            &ada,
            &path,
            json!({"level": "view", "password": "first-pass"}),
        )
        .await;
    let slug = protected["slug"].as_str().unwrap();
    let cookie = session_cookie(&open_with_password(&app, slug, "first-pass").await).unwrap();
    let rows = stranger()
        .get(app.url(&format!("/s/{slug}/rows")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(rows.status(), StatusCode::OK);
    let rows: Value = rows.json().await.unwrap();
    assert_eq!(rows["rows"].as_array().unwrap().len(), 3);
    let changed = app
        .as_user(
            &ada,
            Method::PATCH,
            &format!("/api/v1/links/{}", protected["id"].as_str().unwrap()),
        )
        .json(&json!({"password": "second-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let stale = stranger()
        .get(app.url(&format!("/s/{slug}/rows")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);

    // A view link cannot become a download by editing the URL.
    let viewing = app
        .make_link(&ada, &path, json!({"level": "view", "columns": ["site"]}))
        .await;
    let slug = viewing["slug"].as_str().unwrap();
    let edited = stranger()
        .get(app.url(&format!("/s/{slug}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::FORBIDDEN);
    let page = stranger()
        .get(app.url(&format!("/s/{slug}")))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("<th scope=\"col\">site</th>"));
    assert!(
        !html.contains("second"),
        "a column the link hides must not show"
    );

    // A late visitor is told the link expired, on every path.
    let brief = app
        .make_link(&ada, &path, json!({"level": "download", "expires_in": 1}))
        .await;
    let slug = brief["slug"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    for sub in ["", "/download", "/rows"] {
        let late = stranger()
            .get(app.url(&format!("/s/{slug}{sub}")))
            .send()
            .await
            .unwrap();
        assert_eq!(late.status(), StatusCode::GONE, "/s/{{slug}}{sub}");
    }

    // A revoked link and one that never existed look alike to a stranger.
    let doomed = app
        .make_link(&ada, &path, json!({"level": "download"}))
        .await;
    let revoked = app
        .as_user(
            &ada,
            Method::DELETE,
            &format!("/api/v1/links/{}", doomed["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let gone = stranger()
        .get(app.url(&format!("/s/{}/download", doomed["slug"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    let unknown = stranger()
        .get(app.url("/s/AAAAAAAAAAAAAAAAAAAAAA/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), unknown.status());
    assert_eq!(gone.text().await.unwrap(), unknown.text().await.unwrap());

    // Bad requests read as sentences; links are listed to and revocable by their owner only.
    let bad = app
        .as_user(&ada, Method::POST, &path)
        .json(&json!({"level": "download", "self_destruct": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bob = app.user("bob@example.org").await;
    assert_eq!(
        app.get_json(&bob, "/api/v1/links")
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let theft = app
        .as_user(
            &bob,
            Method::DELETE,
            &format!("/api/v1/links/{}", viewing["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(theft.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_json(&ada, "/api/v1/links")
            .await
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

async fn tokens_narrow_offline_and_die_with_their_link(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv", "json"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let created = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{id}/links"),
            json!({"level": "download", "formats": ["csv", "json"]}),
        )
        .await;
    let parent = created["token"].as_str().unwrap().to_owned();
    let get = |token: String, path: &'static str| {
        let app_url = app.url(path);
        async move {
            stranger()
                .get(app_url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let info: Value = get(parent.clone(), "/api/v1/link")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["level"], "download");
    assert_eq!(info["columns"], json!(["site", "count", "note"]));
    let whole = get(parent.clone(), "/api/v1/link/download").await;
    assert_eq!(whole.status(), StatusCode::OK);

    // Fewer columns, offline: the narrower token must name only those.
    let narrow = token::attenuate(
        &parent,
        &Attenuation {
            columns: Some(vec!["site".into()]),
            ..Attenuation::default()
        },
    )
    .unwrap();
    let refused = get(narrow.clone(), "/api/v1/link/download").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("column"),
        "{body}"
    );
    let allowed = get(narrow.clone(), "/api/v1/link/download?columns=site").await;
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.text().await.unwrap(), "site\nA\nB\nC\n");

    // Fewer downloads: one, then no more for this token or any derived from it.
    let once = token::attenuate(
        &parent,
        &Attenuation {
            max_downloads: Some(1),
            ..Attenuation::default()
        },
    )
    .unwrap();
    assert_eq!(
        get(once.clone(), "/api/v1/link/download").await.status(),
        StatusCode::OK
    );
    let mut second = StatusCode::OK;
    for _ in 0..50 {
        second = get(once.clone(), "/api/v1/link/download").await.status();
        if second == StatusCode::FORBIDDEN {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(second, StatusCode::FORBIDDEN);
    let rewrapped = token::attenuate(
        &once,
        &Attenuation {
            formats: Some(vec!["csv".into()]),
            ..Attenuation::default()
        },
    )
    .unwrap();
    assert_eq!(
        get(rewrapped, "/api/v1/link/download").await.status(),
        StatusCode::FORBIDDEN
    );
    // The parent is not affected.
    assert_eq!(
        get(parent.clone(), "/api/v1/link/download").await.status(),
        StatusCode::OK
    );

    // Earlier expiry, which a further attenuation cannot extend.
    let soon = token::attenuate(
        &parent,
        &Attenuation {
            expires_at: Some(time::OffsetDateTime::now_utc() + time::Duration::seconds(1)),
            ..Attenuation::default()
        },
    )
    .unwrap();
    let later = token::attenuate(
        &soon,
        &Attenuation {
            expires_at: Some(time::OffsetDateTime::now_utc() + time::Duration::hours(1)),
            ..Attenuation::default()
        },
    )
    .unwrap();
    assert_eq!(
        get(later.clone(), "/api/v1/link/download").await.status(),
        StatusCode::OK
    );
    // Token times have whole seconds: wait past the next full second after expiry.
    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    assert_eq!(
        get(later, "/api/v1/link/download").await.status(),
        StatusCode::FORBIDDEN
    );

    // A lower level: a view-only token cannot download, and a format the link forbids stays
    // forbidden.
    let viewer = token::attenuate(
        &parent,
        &Attenuation {
            operation: Some(Operation::View),
            ..Attenuation::default()
        },
    )
    .unwrap();
    assert_eq!(
        get(viewer, "/api/v1/link/download").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(parent.clone(), "/api/v1/link/download?format=parquet")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Tampered or foreign tokens are 401.
    let mut tampered = parent.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let response = get(tampered, "/api/v1/link/download").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(response).await, "invalid_token");
    let foreign = token::mint(
        &TokenKeys::generate(),
        created["id"].as_str().unwrap(),
        Operation::Download,
    )
    .unwrap();
    assert_eq!(
        get(foreign, "/api/v1/link/download").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // The token works on the link's own address too.
    let slug = created["slug"].as_str().unwrap();
    let by_slug = stranger()
        .get(app.url(&format!("/s/{slug}/download")))
        .bearer_auth(&narrow)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_slug.status(),
        StatusCode::FORBIDDEN,
        "the narrow token's column check applies there too"
    );

    // Revoking the link kills the token and everything derived from it.
    let revoked = app
        .as_user(
            &ada,
            Method::DELETE,
            &format!("/api/v1/links/{}", created["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    for token in [parent, narrow] {
        assert_eq!(
            get(token, "/api/v1/link/download").await.status(),
            StatusCode::NOT_FOUND
        );
    }
}

async fn parallel_downloads_complete_exactly_the_limit(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv", "json"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let created = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{id}/links"),
            json!({"level": "download", "max_downloads": 3}),
        )
        .await;
    let url = app.url(&format!(
        "/s/{}/download",
        created["slug"].as_str().unwrap()
    ));
    let attempts: Vec<_> = (0..24)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let response = stranger().get(url).send().await.unwrap();
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                (status, body)
            })
        })
        .collect();
    let mut completed = 0;
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        match status {
            StatusCode::OK => {
                assert!(body.ends_with("C,3,third\n"));
                completed += 1;
            }
            StatusCode::GONE => {}
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(completed, 3);
    // The counts are in the database: a restarted server refuses too.
    let link_id = created["id"].as_str().unwrap().to_owned();
    let mut left = Value::Null;
    for _ in 0..50 {
        left = app
            .get_json(&ada, &format!("/api/v1/links/{link_id}"))
            .await["downloads_left"]
            .clone();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0);
    // Every attempt is in the link's access log: three downloads started and completed, the
    // other 21 refused, whichever check refused them (the slot, or the link already used up).
    let log = app
        .get_json(&ada, &format!("/api/v1/links/{link_id}/access-log"))
        .await;
    let count = |event: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == event)
            .count()
    };
    assert_eq!(
        (
            count("download_started"),
            count("download_completed"),
            count("refused")
        ),
        (3, 3, 21),
        "{log}"
    );
    // The audit entries written alongside (each completion, each refusal at the door) chain.
    let root = app.admin("root@example.org").await;
    let report = app.get_json(&root, "/api/v1/admin/audit/verify").await;
    assert_eq!(report["intact"], true, "{report}");
    let restarted = app.replica().await;
    let again = stranger()
        .get(restarted.url(&format!(
            "/s/{}/download",
            created["slug"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
}

async fn a_broken_download_gives_its_slot_back(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv", "json"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let big = big_csv();
    let id = app.upload_dataset(&ada, "plankton.csv", &big).await;
    let created = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{id}/links"),
            json!({"level": "download", "max_downloads": 1}),
        )
        .await;
    let link_id = created["id"].as_str().unwrap().to_owned();
    let url = app.url(&format!(
        "/s/{}/download",
        created["slug"].as_str().unwrap()
    ));
    let mut response = stranger().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let first = response.chunk().await.unwrap().unwrap();
    assert!(!first.is_empty());
    drop(response);
    let mut broken = false;
    for _ in 0..100 {
        let log = app
            .get_json(&ada, &format!("/api/v1/links/{link_id}/access-log"))
            .await;
        if log
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "download_broken")
        {
            broken = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(broken, "the broken-off download was not recorded");
    let whole = stranger().get(&url).send().await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.bytes().await.unwrap().len(), big.len());
}

/// On SQLite, the slot-taking writes of concurrent downloads share commits. Taken from
/// many threads at once, a limit still holds exactly, and a write that fails after taking a
/// slot rolls back alone: the others of its commit keep theirs.
async fn grouped_writes_keep_limits_exact_and_fail_alone(backend: Backend) {
    use tessera::db::DbError;
    use tessera::db::share_links::ShareLink;

    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let created = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{id}/links"),
            json!({"level": "download", "max_downloads": 5}),
        )
        .await;
    let link_id = created["id"].as_str().unwrap().to_owned();
    let writers: Vec<_> = (0..32i64)
        .map(|i| {
            let (db, link_id) = (app.state.db.clone(), link_id.clone());
            std::thread::spawn(move || {
                db.write(None, move |conn| {
                    let taken = ShareLink::take_slot(conn, &link_id, i)?;
                    if i % 2 == 1 {
                        return Err(DbError::Conflict("refused on purpose".into()));
                    }
                    Ok(taken)
                })
            })
        })
        .collect();
    let (mut taken, mut full, mut failed) = (0, 0, 0);
    for (i, writer) in writers.into_iter().enumerate() {
        match writer.join().unwrap() {
            Ok(true) => taken += 1,
            Ok(false) => full += 1,
            Err(DbError::Conflict(_)) if i % 2 == 1 => failed += 1,
            Err(other) => panic!("writer {i}: {other}"),
        }
    }
    assert_eq!((taken, full, failed), (5, 11, 16));
    let taken_now = |db: &tessera::db::Database| {
        let mut conn = db.get().unwrap();
        ShareLink::find(&mut conn, &link_id)
            .unwrap()
            .downloads_taken
    };
    assert_eq!(taken_now(&app.state.db), 5);

    // A write alone in its transaction runs without a savepoint: failing, it is undone all
    // the same.
    let (db, id) = (app.state.db.clone(), link_id.clone());
    let failed = std::thread::spawn(move || {
        db.write(None, move |conn| {
            ShareLink::give_back_slot(conn, &id)?;
            Err::<(), _>(DbError::Conflict("refused on purpose".into()))
        })
    })
    .join()
    .unwrap();
    assert!(matches!(failed, Err(DbError::Conflict(_))));
    assert_eq!(taken_now(&app.state.db), 5);
}

/// A download's end is recorded without anyone waiting for it (on SQLite, queued straight to
/// the writer). Writes queued that way are not lost when the server stops right after: the
/// database's last handle waits for them as it closes, so counts survive a restart.
async fn queued_writes_are_committed_before_the_database_closes(backend: Backend) {
    use tessera::db::share_links::ShareLink;
    use tessera::db::{Database, DbError};

    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let created = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{id}/links"),
            json!({"level": "download"}),
        )
        .await;
    let link_id = created["id"].as_str().unwrap().to_owned();
    let url = app.state.config.effective_database_url();
    let (told_tx, told) = std::sync::mpsc::channel();
    let queued = link_id.clone();
    // A server of its own on the same database, stopped at once: the handle is dropped on a
    // thread without a runtime, as at the end of the process.
    std::thread::spawn(move || {
        let db = Database::connect(&url, 2).unwrap();
        for i in 0..50 {
            let (id, told) = (queued.clone(), told_tx.clone());
            db.write_in_background(
                move |conn| ShareLink::take_slot(conn, &id, i),
                move |taken: Result<bool, DbError>| {
                    let _ = told.send(taken.is_ok_and(|t| t));
                },
            );
        }
        drop(db);
    })
    .join()
    .unwrap();
    let mut conn = app.state.db.get().unwrap();
    let taken = ShareLink::find(&mut conn, &link_id)
        .unwrap()
        .downloads_taken;
    assert_eq!(taken, 50, "every queued write is in the database");
    assert_eq!(told.try_iter().filter(|&ok| ok).count(), 50);
}

/// A server that stops mid-download (killed, crashed) never records the download's end. Its
/// slot comes back once nobody has vouched for the download for a while; a download a live
/// server is still sending keeps its slot however long it takes.
async fn a_stopped_servers_downloads_give_their_slots_back(backend: Backend) {
    use tessera::db::link_downloads::{self, LinkDownload};
    use tessera::db::share_links::ShareLink;
    use tessera::links::download::{STALE_AFTER_MS, keep_alive, reclaim_stale};

    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let big = big_csv();
    let id = app.upload_dataset(&ada, "plankton.csv", &big).await;
    let links_path = format!("/api/v1/datasets/{id}/links");
    let limited = json!({"level": "download", "max_downloads": 1});
    let live = app.make_link(&ada, &links_path, limited.clone()).await;
    let crashed = app.make_link(&ada, &links_path, limited).await;
    let download_url =
        |link: &Value| app.url(&format!("/s/{}/download", link["slug"].as_str().unwrap()));

    // A live download, held open by a slow reader.
    let mut response = stranger().get(download_url(&live)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.chunk().await.unwrap().unwrap().is_empty());

    // What a killed server leaves: a slot taken and an active download nobody will end.
    let crashed_id = crashed["id"].as_str().unwrap().to_owned();
    let later = tessera::time::now_millis() + STALE_AFTER_MS + 60_000;
    {
        let mut conn = app.state.db.get().unwrap();
        assert!(ShareLink::take_slot(&mut conn, &crashed_id, 0).unwrap());
        LinkDownload::create(
            &mut conn,
            &LinkDownload {
                id: "left-by-a-killed-server".into(),
                link_id: crashed_id.clone(),
                state: link_downloads::ACTIVE.into(),
                holds_slot: true,
                size_bytes: -1,
                covered_to: 0,
                bytes_sent: 0,
                token_blocks: "[]".into(),
                started_at: tessera::time::now_millis(),
                updated_at: tessera::time::now_millis(),
                finished_at: None,
            },
        )
        .unwrap();
    }
    let refused = stranger().get(download_url(&crashed)).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::GONE, "the slot is held");

    // Long after: this process vouches for its own download; the other one is nobody's.
    {
        let mut conn = app.state.db.get().unwrap();
        keep_alive(&mut conn, later).unwrap();
        assert_eq!(reclaim_stale(&mut conn, later).unwrap(), 1);
        assert_eq!(reclaim_stale(&mut conn, later).unwrap(), 0, "once only");
    }
    let again = stranger().get(download_url(&crashed)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.bytes().await.unwrap().len(), big.len());
    let log = app
        .get_json(&ada, &format!("/api/v1/links/{crashed_id}/access-log"))
        .await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "download_broken"
                && e["reason"]
                    .as_str()
                    .unwrap_or("")
                    .contains("server serving it stopped")),
        "{log}"
    );

    // The live download kept its slot, and still completes.
    let still_held = stranger().get(download_url(&live)).send().await.unwrap();
    assert_eq!(still_held.status(), StatusCode::GONE);
    let mut received = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        received += chunk.len();
    }
    assert!(received > 0);
}

async fn export_links_resume_once_and_self_destruct(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv", "json"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let job: Value = app
        .post_json(
            &ada,
            &format!("/api/v1/datasets/{id}/exports"),
            json!({"format": "csv"}),
        )
        .await;
    let job_id = job["job_id"].as_str().unwrap().to_owned();
    assert_eq!(wait_for_end(&app, &ada, &job_id).await["status"], "done");
    let created = app
        .make_link(
            &ada,
            &format!("/api/v1/exports/{job_id}/links"),
            json!({"level": "download", "max_downloads": 1, "self_destruct": true}),
        )
        .await;
    let url = app.url(&format!(
        "/s/{}/download",
        created["slug"].as_str().unwrap()
    ));
    let middle = stranger()
        .get(&url)
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(middle.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // It says the file's length, as every 416 of a file does (RFC 9110 §15.5.17; issue 15).
    let length = middle.headers()["content-range"]
        .to_str()
        .unwrap()
        .strip_prefix("bytes */")
        .unwrap()
        .to_owned();
    // A resumed download (from byte 10 to the end) counts as the one download.
    let rest = stranger()
        .get(&url)
        .header("range", "bytes=10-")
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::PARTIAL_CONTENT);
    assert!(
        rest.headers()["content-range"]
            .to_str()
            .unwrap()
            .ends_with(&format!("/{length}"))
    );
    let tail = rest.text().await.unwrap();
    assert!(tail.ends_with("C,3,third\n"));
    let mut gone = StatusCode::OK;
    for _ in 0..50 {
        gone = stranger().get(&url).send().await.unwrap().status();
        if gone == StatusCode::GONE {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(gone, StatusCode::GONE);
    // Self-destructed: the file made for the link is gone, its history stays. The link is
    // used up as soon as its last download holds the slot; the file goes when that download's
    // end is recorded, just after its last byte.
    let mut download = StatusCode::OK;
    for _ in 0..50 {
        download = app
            .as_user(
                &ada,
                Method::GET,
                &format!("/api/v1/exports/{job_id}/download"),
            )
            .send()
            .await
            .unwrap()
            .status();
        if download == StatusCode::GONE {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(download, StatusCode::GONE);
    let log = app
        .get_json(
            &ada,
            &format!(
                "/api/v1/links/{}/access-log",
                created["id"].as_str().unwrap()
            ),
        )
        .await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "download_completed")
    );

    // At expiry a self-destructing link goes too, with the file made for it.
    let job: Value = app
        .post_json(
            &ada,
            &format!("/api/v1/datasets/{id}/exports"),
            json!({"format": "json"}),
        )
        .await;
    let job_id = job["job_id"].as_str().unwrap().to_owned();
    assert_eq!(wait_for_end(&app, &ada, &job_id).await["status"], "done");
    let brief = app
        .make_link(
            &ada,
            &format!("/api/v1/exports/{job_id}/links"),
            json!({"level": "download", "expires_in": 1, "self_destruct": true}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    // What the background sweep does every few seconds, done now.
    let job = {
        let mut conn = app.state.db.get().unwrap();
        let files =
            tessera::links::destroy_expired(&mut conn, tessera::time::now_millis()).unwrap();
        app.state.storage.remove_files(&files);
        tessera::db::export_jobs::ExportJob::find(&mut conn, &job_id).unwrap()
    };
    assert_eq!(job.status, tessera::db::export_jobs::JobStatus::Expired);
    let file = app
        .state
        .storage
        .absolute(job.artifact_path.as_deref().unwrap());
    assert!(!file.exists(), "{} should be gone", file.display());
    let link = app
        .get_json(
            &ada,
            &format!("/api/v1/links/{}", brief["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(link["state"], "expired");
    let late = stranger()
        .get(app.url(&format!("/s/{}/download", brief["slug"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::GONE);
    // Issue 16: the owner's list offers nothing that no longer makes sense for a link that
    // destroyed itself: it says so, with no Revoke and no Extend, only its access log.
    let mine = app.page_html(&ada, "/links").await;
    let brief_id = brief["id"].as_str().unwrap();
    let row_start = mine
        .find(&format!("<tr data-link=\"{brief_id}\">"))
        .expect("the link is listed");
    let row = &mine[row_start..row_start + mine[row_start..].find("</tr>").unwrap()];
    assert!(row.contains("self-destructed"), "{row}");
    assert!(
        !row.contains(">Revoke<") && !row.contains("Extend or change"),
        "{row}"
    );
    assert!(row.contains("Access log"), "{row}");
}

async fn guessing_is_throttled_per_address(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |config| {
        config.login_max_failures = 2;
        config.trusted_proxies = "127.0.0.1".into();
    })
    .await
    else {
        return;
    };
    // Behind a trusted proxy, the forwarded address counts; one IPv6 /64 is one address.
    let guess = |forwarded: &'static str, n: usize| {
        let url = app.url(&format!("/s/guess{n}AAAAAAAAAAAAAAAA"));
        async move {
            stranger()
                .get(url)
                .header("x-forwarded-for", forwarded)
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..4 {
        let status = guess("2001:db8:1:2::1", n).await.status();
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let throttled = guess("2001:db8:1:2::ffff", 9).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key("retry-after"));
    assert_eq!(
        guess("2001:db8:1:3::1", 10).await.status(),
        StatusCode::NOT_FOUND
    );

    // Without a trusted proxy the header is ignored: the connection's address counts.
    let Some(direct) = TestApp::start_with(backend, |config| config.login_max_failures = 2).await
    else {
        return;
    };
    for n in 0..4 {
        let forwarded = format!("10.0.0.{n}");
        let status = stranger()
            .get(direct.url(&format!("/s/guess{n}AAAAAAAAAAAAAAAA")))
            .header("x-forwarded-for", forwarded)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let throttled = stranger()
        .get(direct.url("/s/guess9AAAAAAAAAAAAAAAA"))
        .header("x-forwarded-for", "10.9.9.9")
        .send()
        .await
        .unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Issue 15: an export's file answers a range, an `If-Range` and its name alike whether its
/// owner downloads it or a link's holder does (one `http::download` serves both).
async fn export_and_link_downloads_answer_alike(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let created: Value = app
        .upload_to(
            &ada,
            "/api/v1/datasets",
            "lake.csv",
            CSV.to_vec(),
            &[("name", "琵琶湖 depths")],
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let job: Value = app
        .post_json(
            &ada,
            &format!("/api/v1/datasets/{id}/exports"),
            json!({"format": "csv"}),
        )
        .await;
    let job_id = job["job_id"].as_str().unwrap().to_owned();
    assert_eq!(wait_for_end(&app, &ada, &job_id).await["status"], "done");
    let link = app
        .make_link(
            &ada,
            &format!("/api/v1/exports/{job_id}/links"),
            json!({"level": "download"}),
        )
        .await;
    let job_path = format!("/api/v1/exports/{job_id}/download");
    let link_url = app.url(&format!("/s/{}/download", link["slug"].as_str().unwrap()));
    let ask = |headers: &[(&str, &str)]| {
        let mut owner = app.as_user(&ada, Method::GET, &job_path);
        let mut holder = stranger().get(&link_url);
        for (name, value) in headers {
            owner = owner.header(*name, *value);
            holder = holder.header(*name, *value);
        }
        [("owner", owner), ("holder", holder)]
    };
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("an ASCII header").to_owned())
    };

    let mut whole = Vec::new();
    let mut names = Vec::new();
    for (who, request) in ask(&[]) {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{who}");
        assert_eq!(
            header(&response, "accept-ranges").unwrap(),
            "bytes",
            "{who}"
        );
        assert_eq!(header(&response, "content-range"), None, "{who}");
        // The name beyond ASCII goes as RFC 8187's filename*, beside an ASCII filename.
        let name = header(&response, "content-disposition").unwrap();
        assert!(
            name.starts_with("attachment; filename=\"___"),
            "{who}: {name}"
        );
        assert!(
            name.contains("filename*=UTF-8''%E7%90%B5%E7%90%B6%E6%B9%96"),
            "{who}: {name}"
        );
        names.push(name);
        whole.push(response.bytes().await.unwrap());
    }
    assert_eq!(names[0], names[1]);
    // And an export made while it is sent names its file the same way.
    let direct = app
        .as_user(
            &ada,
            Method::GET,
            &format!("/api/v1/datasets/{id}/export?format=csv"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::OK);
    assert_eq!(header(&direct, "content-disposition").unwrap(), names[0]);
    assert_eq!(whole[0], whole[1]);
    let whole = whole.remove(0);
    let size = whole.len();

    for (who, request) in ask(&[("range", "bytes=10-")]) {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{who}");
        assert_eq!(
            header(&response, "content-range").unwrap(),
            format!("bytes 10-{}/{size}", size - 1),
            "{who}"
        );
        assert_eq!(response.bytes().await.unwrap(), whole.slice(10..), "{who}");
    }
    for (who, request) in ask(&[("range", "bytes=9999-")]) {
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{who}"
        );
        assert_eq!(
            header(&response, "content-range").unwrap(),
            format!("bytes */{size}"),
            "{who}"
        );
        assert_eq!(error_code(response).await, "range_not_satisfiable", "{who}");
    }
    // Both doors name the file's version alike, so a download begun at one resumes at either.
    let mut tags = Vec::new();
    for (who, request) in ask(&[]) {
        let response = request.send().await.unwrap();
        let etag = header(&response, "etag").expect("an ETag");
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "{who}: {etag}"
        );
        assert!(!etag.contains(&job_id), "{who}: the tag names the job");
        assert!(header(&response, "last-modified").is_some(), "{who}");
        tags.push((etag, header(&response, "last-modified").unwrap()));
    }
    assert_eq!(tags[0], tags[1]);
    let (etag, modified) = tags.remove(0);
    // An If-Range naming this file resumes it, by its tag or by its date.
    for validator in [etag.as_str(), modified.as_str()] {
        for (who, request) in ask(&[("range", "bytes=10-"), ("if-range", validator)]) {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{who}");
            assert_eq!(response.bytes().await.unwrap(), whole.slice(10..), "{who}");
        }
    }
    // One naming another file gets the whole file, not a part of one that may have changed
    // (RFC 9110 §13.1.5); so does a range in a unit other than bytes (§14.2).
    for headers in [
        &[("range", "bytes=10-"), ("if-range", "\"an-etag\"")][..],
        &[("range", "bytes=10-"), ("if-range", &format!("W/{etag}"))][..],
        &[("range", "items=0-4")][..],
    ] {
        for (who, request) in ask(headers) {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{who}: {headers:?}");
            assert_eq!(header(&response, "content-range"), None, "{who}");
            assert_eq!(response.bytes().await.unwrap(), whole, "{who}");
        }
    }
}

crate::on_both_backends!(
    export_and_link_downloads_answer_alike,
    expiring_limited_password_link,
    passwords_levels_expiry_and_revocation_guard_every_path,
    tokens_narrow_offline_and_die_with_their_link,
    parallel_downloads_complete_exactly_the_limit,
    grouped_writes_keep_limits_exact_and_fail_alone,
    queued_writes_are_committed_before_the_database_closes,
    a_broken_download_gives_its_slot_back,
    a_stopped_servers_downloads_give_their_slots_back,
    export_links_resume_once_and_self_destruct,
    guessing_is_throttled_per_address,
    the_command_line_reads_and_narrows_tokens,
);

async fn the_command_line_reads_and_narrows_tokens(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let created = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{id}/links"),
            json!({"level": "download"}),
        )
        .await;
    let parent = created["token"].as_str().unwrap();
    // No server, key or database needed: only the token.
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .env("TESSERA_LOG_LEVEL", "warn")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "tessera {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let narrow = run(&[
        "token",
        "attenuate",
        parent,
        "--columns",
        "site,note",
        "--max-downloads",
        "1",
    ]);
    let shown = run(&["token", "inspect", &narrow]);
    assert!(shown.contains(created["id"].as_str().unwrap()), "{shown}");
    assert!(
        shown.contains("check all column") && shown.contains("block_downloads"),
        "{shown}"
    );
    let download = stranger()
        .get(app.url("/api/v1/link/download?columns=site,note"))
        .bearer_auth(&narrow)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.text().await.unwrap(),
        "site,note\nA,first\nB,second\nC,third\n"
    );
    let wider = stranger()
        .get(app.url("/api/v1/link/download?columns=site,count"))
        .bearer_auth(&narrow)
        .send()
        .await
        .unwrap();
    assert_eq!(wider.status(), StatusCode::FORBIDDEN);
}
