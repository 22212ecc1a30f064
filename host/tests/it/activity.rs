//! The event stream and the analytics read from it: every action an event in its own
//! transaction (none for an action refused or rolled back), the owner's and the admin's
//! reports counting views, downloads, unique visitors, exports by format and refusals by
//! reason, and raw events removed after their retention while the counts stay.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser};
use crate::exports::wait_for_end;
use crate::plugins::app_with_plugins;

const CSV: &[u8] = b"site,count\nA,1\nB,2\nC,3\n";

fn stranger() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Hands every queued event to its readers, as the background dispatcher does.
pub async fn dispatch(app: &TestApp) {
    app.state.db.run(tessera::dispatch::drain).await.unwrap();
}

/// The kinds of the events recorded so far, oldest first.
fn event_kinds(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    use tessera::db::schema::events;
    let mut conn = app.state.db.get().unwrap();
    events::table
        .order((events::at, events::id))
        .select(events::kind)
        .load(&mut *conn)
        .unwrap()
}

/// The dataset's report, once the dispatcher has caught up with `until` true of it (a
/// download is recorded once its body has gone out).
async fn report_when(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    until: impl Fn(&Value) -> bool,
) -> Value {
    let mut report = Value::Null;
    for _ in 0..100 {
        dispatch(app).await;
        report = app.get_json(user, path).await;
        if until(&report) {
            return report;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the report never showed what was expected: {report}");
}

async fn owner_sees_views_downloads_visitors_exports_and_refusals(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let created = app
        .make_link(
            &ada,
            &format!("/api/v1/datasets/{id}/links"),
            json!({"level": "download", "password": "tide-pool-7", "name": "For the lab"}),
        )
        .await;
    let slug = created["slug"].as_str().unwrap().to_owned();
    let link_id = created["link"]["id"].as_str().unwrap().to_owned();

    // Two wrong passwords, then the right one, a view and a download.
    for _ in 0..2 {
        let wrong = stranger()
            .post(app.url(&format!("/s/{slug}")))
            .form(&[("password", "guess")])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let right = stranger()
        .post(app.url(&format!("/s/{slug}")))
        .form(&[("password", "tide-pool-7")])
        .send()
        .await
        .unwrap();
    let cookie = right
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tessera_link="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("a link session");
    let page = stranger()
        .get(app.url(&format!("/s/{slug}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let download = stranger()
        .get(app.url(&format!("/s/{slug}/download")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    let body = download.bytes().await.unwrap();

    // An export through the API.
    let queued: Value = app
        .as_user(
            &ada,
            Method::POST,
            &format!("/api/v1/datasets/{id}/exports"),
        )
        .json(&json!({"format": "csv"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = wait_for_end(&app, &ada, queued["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done");

    let path = format!("/api/v1/datasets/{id}/activity");
    let report = report_when(&app, &ada, &path, |r| {
        r["totals"]["downloads"] == 1 && r["totals"]["exports"] == 1
    })
    .await;
    let totals = &report["totals"];
    assert_eq!(totals["views"], 1, "{report}");
    assert_eq!(
        totals["unique_visitors"], 1,
        "one address, one visitor: {report}"
    );
    assert_eq!(totals["bytes_downloaded"], body.len() as i64, "{report}");
    assert_eq!(totals["refusals"], 2, "{report}");
    assert_eq!(totals["links_created"], 1, "{report}");
    assert_eq!(
        report["refusals_by_reason"],
        json!([{"reason": "wrong_password", "count": 2}])
    );
    let csv = &report["exports_by_format"][0];
    assert_eq!(
        (
            csv["format"].as_str(),
            csv["started"].as_i64(),
            csv["done"].as_i64()
        ),
        (Some("csv"), Some(1), Some(1))
    );
    assert!(csv["average_ms"].as_i64().is_some(), "{report}");
    // Thirty days by default, today last, with every day there.
    let series = report["series"].as_array().unwrap();
    assert_eq!(series.len(), 30);
    let today = series.last().unwrap();
    assert_eq!(
        (today["views"].as_i64(), today["downloads"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["top_links"][0]["name"], "For the lab");

    // One link's report; a link of another dataset is not there.
    let of_link = app.get_json(&ada, &format!("{path}?link={link_id}")).await;
    assert_eq!(of_link["totals"]["downloads"], 1);
    let other = app.upload_dataset(&ada, "other.csv", CSV).await;
    let elsewhere = app
        .as_user(
            &ada,
            Method::GET,
            &format!("/api/v1/datasets/{other}/activity?link={link_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);

    // By week and by month, the same totals.
    for group in ["week", "month"] {
        let grouped = app.get_json(&ada, &format!("{path}?group={group}")).await;
        assert_eq!(grouped["totals"], report["totals"], "{group}");
        let sum: i64 = grouped["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["downloads"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 1, "{group}");
    }

    // Someone the dataset is shared with for viewing does not see who used it.
    let shared = app
        .as_user(&ada, Method::POST, &format!("/api/v1/datasets/{id}/shares"))
        .json(&json!({"user": bob.email, "level": "view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);
    let refused = app.as_user(&bob, Method::GET, &path).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Bad ranges are refused with the reason.
    for (query, words) in [
        ("from=2026-13-01", "from must be a date"),
        ("from=2026-12-07&to=2026-12-01", "must not be before"),
        ("from=2000-01-01&to=2026-01-01", "group by week or month"),
    ] {
        let bad = app
            .as_user(&ada, Method::GET, &format!("{path}?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(bad.text().await.unwrap().contains(words), "{query}");
    }
}

async fn every_action_is_one_event_and_a_refused_one_none(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    // Each test user signs in once as it is made.
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    let shares = format!("/api/v1/datasets/{id}/shares");
    let share: Value = app
        .post_json(&ada, &shares, json!({"user": bob.email, "level": "view"}))
        .await;
    // A share the request gets wrong: refused, and no event for it.
    let bad = app
        .as_user(&ada, Method::POST, &shares)
        .json(&json!({"user": bob.email, "level": "owner-of-everything"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let revoked = app
        .as_user(
            &ada,
            Method::DELETE,
            &format!("{shares}/{}", share["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    let deleted = app
        .as_user(&ada, Method::DELETE, &format!("/api/v1/datasets/{id}"))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success());
    assert_eq!(
        event_kinds(&app),
        [
            "user.signed_in",
            "user.signed_in",
            "dataset.created",
            "share.granted",
            "share.revoked",
            "dataset.deleted"
        ]
    );
    // Each has its actor, dataset and subject.
    use diesel::prelude::*;
    use tessera::db::schema::events;
    let mut conn = app.state.db.get().unwrap();
    let granted: (String, Option<String>, Option<String>) = events::table
        .filter(events::kind.eq("share.granted"))
        .select((events::actor, events::dataset_id, events::subject))
        .first(&mut *conn)
        .unwrap();
    assert_eq!(granted.0, format!("user:{}", ada.id));
    assert_eq!(granted.1.as_deref(), Some(id.as_str()));
    // A share with a person names them by address, as the share itself does.
    assert_eq!(granted.2, Some(format!("email:{}", bob.email)));
}

async fn admin_sees_the_installation_by_team_and_user(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let admin = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    app.make_link(
        &ada,
        &format!("/api/v1/datasets/{id}/links"),
        json!({"level": "view", "expires_in": 48}),
    )
    .await;
    dispatch(&app).await;

    let all = app.get_json(&admin, "/api/v1/admin/activity").await;
    // Each test user signs in once as it is made.
    assert_eq!(all["totals"]["sign_ins"], 2, "{all}");
    assert_eq!(all["totals"]["links_created"], 1, "{all}");
    assert_eq!(all["installation"]["active_links"], 1, "{all}");
    assert_eq!(
        all["installation"]["expiring_links"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let stored = &all["installation"]["storage_by_team"][0];
    assert_eq!(stored["datasets"], 1, "{all}");
    assert!(stored["bytes"].as_i64().unwrap() > 0);

    // What one user did: ada signed in and created a link; the admin's sign-in is not hers.
    let of_ada = app
        .get_json(&admin, &format!("/api/v1/admin/activity?user={}", ada.id))
        .await;
    assert_eq!(of_ada["totals"]["links_created"], 1);
    assert_eq!(of_ada["totals"]["sign_ins"], 1);

    // A team with nothing in it shows nothing.
    let team = app
        .post_json(&admin, "/api/v1/teams", json!({"name": "Empty lab"}))
        .await;
    let of_team = app
        .get_json(
            &admin,
            &format!(
                "/api/v1/admin/activity?team={}",
                team["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(of_team["totals"]["links_created"], 0);
    assert_eq!(of_team["installation"]["active_links"], 0);

    // Not for anyone else.
    let refused = app
        .as_user(&ada, Method::GET, "/api/v1/admin/activity")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn raw_events_go_after_their_retention_and_the_counts_stay(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
    app.make_link(
        &ada,
        &format!("/api/v1/datasets/{id}/links"),
        json!({"level": "view"}),
    )
    .await;
    dispatch(&app).await;
    let before = app
        .get_json(&ada, &format!("/api/v1/datasets/{id}/activity"))
        .await;
    assert_eq!(before["totals"]["links_created"], 1);

    // Forty days later, with a retention of thirty days.
    let later = tessera::time::now_millis() + 40 * 86_400_000;
    let swept = app
        .state
        .db
        .run(move |conn| tessera::activity::retention::sweep(conn, 30, later))
        .await
        .unwrap();
    assert_eq!(
        swept.events, 3,
        "the sign-in, dataset.created and link.created"
    );
    assert!(event_kinds(&app).is_empty());
    let after = app
        .get_json(&ada, &format!("/api/v1/datasets/{id}/activity"))
        .await;
    assert_eq!(after["totals"], before["totals"]);
}

crate::on_both_backends!(
    owner_sees_views_downloads_visitors_exports_and_refusals,
    every_action_is_one_event_and_a_refused_one_none,
    admin_sees_the_installation_by_team_and_user,
    raw_events_go_after_their_retention_and_the_counts_stay,
);

// Issue 17, "Analytics people can look at": the numbers downloaded as files, and the pages
// that show them (the dataset page's Activity tab, the admin's dashboard). The browser tests
// (host/tests/browser/activity.test.mjs) check the charts themselves.

/// The numbers of a report downloaded as a file, through the export plugins themselves (issue
/// 17, "a CSV/JSON download of the numbers through the export plugins"): the series as a
/// table, one row per period and one column per count, named as the JSON report names them.
mod downloads {
    use super::*;

    /// The columns of the downloaded table, in order.
    const COLUMNS: [&str; 12] = [
        "start",
        "views",
        "downloads",
        "unique_visitors",
        "bytes_downloaded",
        "exports",
        "export_failures",
        "refusals",
        "shares_granted",
        "links_created",
        "versions_added",
        "sign_ins",
    ];

    /// The answer to `path`: its media type, its file name (from `Content-Disposition`) and
    /// its body.
    async fn file(app: &TestApp, user: &TestUser, path: &str) -> (String, String, String) {
        let response = app.as_user(user, Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let (media_type, disposition) = (header("content-type"), header("content-disposition"));
        (media_type, disposition, response.text().await.unwrap())
    }

    async fn the_numbers_download_as_csv_and_json_through_the_plugins(backend: Backend) {
        let Some(app) = app_with_plugins(backend, &["csv", "json"], &[]).await else {
            return;
        };
        let ada = app.user("ada@example.org").await;
        let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
        let created = app
            .make_link(
                &ada,
                &format!("/api/v1/datasets/{id}/links"),
                json!({"level": "download", "name": "For the lab"}),
            )
            .await;
        let slug = created["slug"].as_str().unwrap().to_owned();
        let link_id = created["link"]["id"].as_str().unwrap().to_owned();
        // Three views and two downloads by someone without an account.
        for _ in 0..3 {
            let page = stranger()
                .get(app.url(&format!("/s/{slug}")))
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), StatusCode::OK);
        }
        for _ in 0..2 {
            let download = stranger()
                .get(app.url(&format!("/s/{slug}/download")))
                .send()
                .await
                .unwrap();
            assert_eq!(download.status(), StatusCode::OK);
            download.bytes().await.unwrap();
        }
        let path = format!("/api/v1/datasets/{id}/activity");
        let report = report_when(&app, &ada, &path, |r| {
            r["totals"]["views"] == 3 && r["totals"]["downloads"] == 2
        })
        .await;
        let series = report["series"].as_array().unwrap();
        let today = series.last().unwrap()["start"].as_str().unwrap().to_owned();

        // CSV: a header, then one row per day of the range, today's with the counts.
        let (media_type, disposition, text) = file(&app, &ada, &format!("{path}?format=csv")).await;
        assert!(media_type.starts_with("text/csv"), "{media_type}");
        assert!(
            disposition.contains("attachment")
                && disposition.contains(&format!(
                    "plankton-activity-{}-to-{today}.csv",
                    report["from"].as_str().unwrap()
                )),
            "{disposition}"
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, COLUMNS);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), series.len(), "{text}");
        for (row, period) in rows.iter().zip(series) {
            assert_eq!(&row[0], period["start"].as_str().unwrap());
            for (at, column) in COLUMNS.iter().enumerate().skip(1) {
                assert_eq!(
                    row[at].parse::<i64>().unwrap(),
                    period[*column].as_i64().unwrap(),
                    "{column} on {}",
                    &row[0]
                );
            }
        }
        let last = rows.last().unwrap();
        assert_eq!((&last[0], &last[1], &last[2]), (today.as_str(), "3", "2"));
        assert_eq!(&last[3], "1", "one address, one visitor");

        // JSON, by week: one record per week, the same totals.
        let (media_type, _, text) =
            file(&app, &ada, &format!("{path}?format=json&group=week")).await;
        assert!(media_type.starts_with("application/json"), "{media_type}");
        let records: Vec<Value> = serde_json::from_str(&text).unwrap();
        let weekly = app.get_json(&ada, &format!("{path}?group=week")).await;
        assert_eq!(records.len(), weekly["series"].as_array().unwrap().len());
        let names: Vec<&str> = records[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted = COLUMNS.to_vec();
        sorted.sort_unstable();
        let mut found = names.clone();
        found.sort_unstable();
        assert_eq!(found, sorted);
        let sum =
            |column: &str| -> i64 { records.iter().map(|r| r[column].as_i64().unwrap()).sum() };
        assert_eq!((sum("views"), sum("downloads")), (3, 2));
        assert_eq!(
            records.last().unwrap()["start"],
            weekly["series"].as_array().unwrap().last().unwrap()["start"]
        );

        // Narrowed to the link, and to a range of dates: the same numbers on today's row.
        let (_, _, text) = file(
            &app,
            &ada,
            &format!("{path}?format=csv&link={link_id}&from={today}&to={today}"),
        )
        .await;
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 1, "{text}");
        assert_eq!((&rows[0][1], &rows[0][2]), ("3", "2"));

        // The admin's numbers, the same way.
        let root = app.admin("root@example.org").await;
        let (media_type, _, text) = file(&app, &root, "/api/v1/admin/activity?format=csv").await;
        assert!(media_type.starts_with("text/csv"), "{media_type}");
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 30);
        let downloads: i64 = rows.iter().map(|r| r[2].parse::<i64>().unwrap()).sum();
        assert_eq!(downloads, 2);

        // A format not installed is named, with those that are; the rights are the report's.
        let unknown = app
            .as_user(&ada, Method::GET, &format!("{path}?format=yaml"))
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        let body: Value = unknown.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unknown_format");
        let bob = app.user("bob@example.org").await;
        let refused = app
            .as_user(&bob, Method::GET, &format!("{path}?format=csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        // An empty format is the report itself, as a plain form sends it.
        let plain = app.get_json(&ada, &format!("{path}?format=")).await;
        assert_eq!(plain["totals"], report["totals"]);
    }

    crate::on_both_backends!(the_numbers_download_as_csv_and_json_through_the_plugins);
}

/// The pages that show the reports: the dataset page's Activity tab, for those who may read
/// the dataset's report only, and the admin's tracking dashboard.
mod pages {
    use super::*;

    async fn the_activity_tab_and_the_dashboard_show_the_reports(backend: Backend) {
        let Some(app) = TestApp::start(backend).await else {
            return;
        };
        let root = app.admin("root@example.org").await;
        let ada = app.user("ada@example.org").await;
        let bob = app.user("bob@example.org").await;
        let id = app.upload_dataset(&ada, "plankton.csv", CSV).await;
        let created = app
            .make_link(
                &ada,
                &format!("/api/v1/datasets/{id}/links"),
                json!({"level": "view", "name": "For <the> lab"}),
            )
            .await;
        let link_id = created["link"]["id"].as_str().unwrap().to_owned();
        let viewed = stranger()
            .get(app.url(&format!("/s/{}", created["slug"].as_str().unwrap())))
            .send()
            .await
            .unwrap();
        assert_eq!(viewed.status(), StatusCode::OK);
        dispatch(&app).await;

        // The owner: the tab, its charts' numbers, the link to choose, the downloads.
        let page = app.page_html(&ada, &format!("/datasets/{id}")).await;
        assert!(
            page.contains(r##"<a href="#activity">Activity</a>"##),
            "{page}"
        );
        assert!(page.contains(r#"id="chart-link-use""#));
        assert!(page.contains(&format!(
            r#"<option value="{link_id}">For &lt;the&gt; lab</option>"#
        )));
        assert!(page.contains("format=csv") && page.contains("format=json"));
        // Each link of the list opens its own activity.
        assert!(page.contains(&format!("?link={link_id}#activity")));
        let of_link = app
            .page_html(&ada, &format!("/datasets/{id}?link={link_id}"))
            .await;
        assert!(of_link.contains("Activity of the link “For &lt;the&gt; lab”"));
        assert!(of_link.contains(&format!("link={link_id}&amp;format=csv")));
        // A link of another dataset, a range the report cannot show: said, and the default shown.
        let other = app.upload_dataset(&ada, "other.csv", CSV).await;
        let elsewhere = app
            .page_html(&ada, &format!("/datasets/{other}?link={link_id}"))
            .await;
        assert!(elsewhere.contains("That link is not one of this dataset"));
        let backwards = app
            .page_html(
                &ada,
                &format!("/datasets/{id}?range=dates&from=2026-12-07&to=2026-12-01"),
            )
            .await;
        assert!(backwards.contains("could not be shown as asked"));
        assert!(backwards.contains("“To” must not be before “From”."));

        // Someone it is shared with for viewing has no such tab.
        app.post_json(
            &ada,
            &format!("/api/v1/datasets/{id}/shares"),
            json!({"user": bob.email, "level": "view"}),
        )
        .await;
        let viewer = app.page_html(&bob, &format!("/datasets/{id}")).await;
        assert!(viewer.contains("plankton"), "{viewer}");
        assert!(!viewer.contains("#activity"));

        // The admin's dashboard, linked from the admin pages; by team and by person.
        let users = app.page_html(&root, "/admin/users").await;
        assert!(users.contains(r#"<a href="/admin/activity">Activity</a>"#));
        let dashboard = app.page_html(&root, "/admin/activity").await;
        for part in [
            "chart-link-use",
            "chart-work",
            "chart-storage",
            "For &lt;the&gt; lab",
        ] {
            assert!(dashboard.contains(part), "{part}: {dashboard}");
        }
        let nobody = app
            .page_html(&root, "/admin/activity?user=nobody%40example.org")
            .await;
        assert!(nobody.contains("No one has the address or id “nobody@example.org”."));
        let of_ada = app
            .page_html(&root, &format!("/admin/activity?user={}", ada.email))
            .await;
        assert!(of_ada.contains(", by Test User"), "{of_ada}");
        let refused = app
            .as_user(&ada, Method::GET, "/admin/activity")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }

    crate::on_both_backends!(the_activity_tab_and_the_dashboard_show_the_reports);
}
