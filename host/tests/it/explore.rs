//! Looking into a dataset without exporting it: the rows API's filter, search, sort and facets,
//! each column's summary (kept per version), the `contains` comparison an export shares with the
//! page's search, and the dataset page whose address is its table's view.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, error_code, urlencode};
use crate::plugins::app_with_plugins;

/// Ten measurements at three lakes, one depth missing, names in three scripts.
const LAKES: &str = "id,lake,depth_m,measured_on,ok\n\
1,Étang de Thau,1.5,2024-01-01,true\n\
2,琵琶湖,,2024-01-02,false\n\
3,Lake Tahoe,-3.25,2024-01-03,true\n\
4,Lake Tahoe,10,2024-01-10,true\n\
5,Étang de Thau,2.5,2024-01-05,false\n\
6,Lake Tahoe,7,2024-02-01,true\n\
7,琵琶湖,4,2024-01-20,true\n\
8,Lake Tahoe,0,2024-01-21,false\n\
9,Étang de Thau,6,2024-01-22,true\n\
10,Lake Tahoe,5.5,2024-01-30,true\n";

fn column(rows: &Value, index: usize) -> Vec<Value> {
    rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[index].clone())
        .collect()
}

async fn rows_are_filtered_searched_sorted_and_faceted(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&user, "lakes.csv", LAKES.as_bytes())
        .await;

    // Sorted by depth, the empty one last; the window counts the kept rows.
    let sorted = app
        .get_json(
            &user,
            &format!("/api/v1/datasets/{id}/rows?sort=-depth_m&limit=3"),
        )
        .await;
    assert_eq!(column(&sorted, 2), [json!(10.0), json!(7.0), json!(6.0)]);
    assert_eq!(sorted["matching_rows"], 10);
    assert_eq!(sorted["total_rows"], 10);

    // A filter in the export's language, with the search, whatever the case: "TAHOE" keeps
    // Lake Tahoe's rows, the filter those at least 5 m deep.
    let filter = urlencode(r#"{"column":"depth_m","op":">=","value":5}"#);
    let found = app
        .get_json(
            &user,
            &format!("/api/v1/datasets/{id}/rows?filter={filter}&q=TAHOE&sort=id&facets=lake,ok"),
        )
        .await;
    assert_eq!(found["matching_rows"], 3);
    assert_eq!(column(&found, 0), [json!(4), json!(6), json!(10)]);
    assert_eq!(
        found["facets"],
        json!([
            {"column": "lake", "values": [{"value": "Lake Tahoe", "count": 3}]},
            {"column": "ok", "values": [{"value": true, "count": 3}]}
        ])
    );
    // Accented and CJK text is found as written, in any case.
    let thau = app
        .get_json(
            &user,
            &format!("/api/v1/datasets/{id}/rows?q={}", urlencode("ÉTANG")),
        )
        .await;
    assert_eq!(thau["matching_rows"], 3);
    let biwa = app
        .get_json(
            &user,
            &format!(
                "/api/v1/datasets/{id}/rows?q={}&facets=lake",
                urlencode("琵琶")
            ),
        )
        .await;
    assert_eq!(biwa["matching_rows"], 2);
    assert_eq!(
        biwa["facets"][0]["values"],
        json!([{"value": "琵琶湖", "count": 2}])
    );

    // Facets count every kept row, the most frequent first, empty cells as null.
    let all = app
        .get_json(
            &user,
            &format!("/api/v1/datasets/{id}/rows?facets=lake&limit=1"),
        )
        .await;
    assert_eq!(
        all["facets"][0]["values"],
        json!([
            {"value": "Lake Tahoe", "count": 5},
            {"value": "Étang de Thau", "count": 3},
            {"value": "琵琶湖", "count": 2}
        ])
    );

    // What cannot be served says which part is wrong.
    for (query, words) in [
        ("filter=%7Bnope", "filter is not valid JSON"),
        ("sort=nowhere", "no column 'nowhere'"),
        ("facets=nowhere", "no column 'nowhere'"),
        (
            &format!(
                "filter={}",
                urlencode(r#"{"column":"depth_m","op":"contains","value":"1"}"#)
            ),
            "'contains' looks in text",
        ),
    ] {
        let response = app
            .as_user(
                &user,
                Method::GET,
                &format!("/api/v1/datasets/{id}/rows?{query}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "validation_failed", "{query}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{query}: {message}");
    }
}

async fn columns_are_summarised_once_per_version(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&user, "lakes.csv", LAKES.as_bytes())
        .await;
    let summary = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/summary"))
        .await;
    assert_eq!(summary["version"], 1);
    assert_eq!(summary["rows"], 10);
    let columns = summary["columns"].as_array().unwrap();
    let named = |name: &str| columns.iter().find(|c| c["name"] == name).unwrap().clone();

    let depth = named("depth_m");
    assert_eq!(depth["type"], "float");
    assert_eq!(
        (depth["count"].clone(), depth["nulls"].clone()),
        (json!(9), json!(1))
    );
    assert_eq!(depth["distinct"], 9);
    assert_eq!(
        (depth["min"].clone(), depth["max"].clone()),
        (json!(-3.25), json!(10.0))
    );
    let mean = depth["mean"].as_f64().unwrap();
    assert!((mean - 33.25 / 9.0).abs() < 1e-9, "{mean}");
    // Twenty bars from the lowest value to the highest, holding every value once.
    let bins = depth["histogram"].as_array().unwrap();
    assert_eq!(bins.len(), 20);
    assert_eq!(bins[0]["from"], json!(-3.25));
    assert_eq!(bins[19]["to"], json!(10.0));
    assert_eq!(
        bins.iter()
            .map(|b| b["count"].as_i64().unwrap())
            .sum::<i64>(),
        9
    );
    assert_eq!(bins[19]["count"], 1, "the highest value joins the last bar");

    // Whole numbers spanning fewer values than bars get a bar each.
    let ids = named("id");
    let bars = ids["histogram"].as_array().unwrap();
    assert_eq!(bars.len(), 10);
    assert!(bars.iter().all(|b| b["count"] == 1 && b["from"] == b["to"]));

    // Dates: the range as dates, bars from the first day.
    let dates = named("measured_on");
    assert_eq!(
        (dates["min"].clone(), dates["max"].clone()),
        (json!("2024-01-01"), json!("2024-02-01"))
    );
    assert_eq!(dates["histogram"][0]["from"], "2024-01-01");

    // Text and booleans: the most frequent values.
    assert_eq!(
        named("lake")["top_values"],
        json!([
            {"value": "Lake Tahoe", "count": 5},
            {"value": "Étang de Thau", "count": 3},
            {"value": "琵琶湖", "count": 2}
        ])
    );
    assert_eq!(
        named("ok")["top_values"],
        json!([{"value": true, "count": 7}, {"value": false, "count": 3}])
    );

    // Kept per version: a new version is summarised on its own, the old one still answers.
    let changed = LAKES.replace("10,Lake Tahoe,5.5", "10,Lake Tahoe,55");
    let response = app
        .upload_to(
            &user,
            &format!("/api/v1/datasets/{id}/versions"),
            "lakes.csv",
            changed.into_bytes(),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let second = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/summary"))
        .await;
    assert_eq!(second["version"], 2);
    let depth2 = second["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "depth_m")
        .unwrap()
        .clone();
    assert_eq!(depth2["max"], json!(55.0));
    let first = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/summary?version=1"))
        .await;
    assert_eq!(first["columns"], summary["columns"]);

    // Nobody without access learns the summary exists.
    let stranger = app.user("eve@example.org").await;
    let refused = app
        .as_user(
            &stranger,
            Method::GET,
            &format!("/api/v1/datasets/{id}/summary"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(refused).await, "not_found");
}

async fn the_page_address_is_the_tables_view(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&user, "lakes.csv", LAKES.as_bytes())
        .await;
    let filter = urlencode(r#"{"column":"lake","op":"=","value":"Lake Tahoe"}"#);
    let html = app
        .page_html(
            &user,
            &format!("/datasets/{id}?filter={filter}&sort=-depth_m"),
        )
        .await;
    assert!(html.contains("Rows 1 to 5 of 5 kept (10 in all)"), "{html}");
    assert!(html.contains("lake is “Lake Tahoe”"));
    assert!(html.contains(r#"aria-sort="descending""#));
    // Facets link to the view with one more condition; their counts are the kept rows'.
    assert!(
        html.contains("Étang de Thau"),
        "the lake facet lists every lake"
    );

    // "Add a filter" sends the browser to the view with it; a value that does not fit stays on
    // the page, said beside its field.
    let added = app
        .as_user(
            &user,
            Method::GET,
            &format!("/datasets/{id}?add_column=depth_m&add_op=%3E%3D&add_value=5"),
        )
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    // (The client follows the redirect: it lands on the view's own address.)
    assert_eq!(added.status(), StatusCode::OK);
    let landed = added.url().clone();
    let filter = landed
        .query_pairs()
        .find(|(k, _)| k == "filter")
        .map(|(_, v)| v.into_owned());
    assert_eq!(
        filter.as_deref(),
        Some(r#"{"column":"depth_m","op":">=","value":5}"#),
        "{landed}"
    );
    assert!(!landed.as_str().contains("add_column"), "{landed}");
    let refused = app
        .page_html(
            &user,
            &format!("/datasets/{id}?add_column=depth_m&add_op=%3E&add_value=deep"),
        )
        .await;
    assert!(refused.contains(r#"aria-invalid="true""#));
    assert!(refused.contains("“deep” is not a number, and depth_m holds numbers."));

    // A view naming a column the version lacks shows every row, and says why.
    let odd = app
        .page_html(&user, &format!("/datasets/{id}?sort=nowhere"))
        .await;
    assert!(odd.contains("could not be shown as asked"), "{odd}");
    assert!(odd.contains("Rows 1 to 10 of 10"));
}

async fn an_export_keeps_rows_containing_a_text(backend: Backend) {
    let Some(app) = app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&user, "lakes.csv", LAKES.as_bytes())
        .await;
    let filter = urlencode(r#"{"column":"lake","op":"contains","value":"étang"}"#);
    let response = app
        .as_user(
            &user,
            Method::GET,
            &format!("/api/v1/datasets/{id}/export?format=csv&filter={filter}&columns=id"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "id\n1\n5\n9\n");

    // The dataset page hands its view to the export dialog: the search folded into the filter.
    let html = app
        .page_html(&user, &format!("/datasets/{id}?q=thau&sort=-depth_m"))
        .await;
    assert!(
        html.contains(r#"id="export-view-sort" name="sort" value="-depth_m""#),
        "{html}"
    );
    let contains = r#"{&quot;column&quot;:&quot;lake&quot;,&quot;op&quot;:&quot;contains&quot;,&quot;value&quot;:&quot;thau&quot;}"#;
    assert!(html.contains(contains), "{html}");
}

async fn a_new_versions_summary_is_ready_before_anyone_asks(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let id = app
        .upload_dataset(&user, "lakes.csv", LAKES.as_bytes())
        .await;
    // Computed in the background after the upload answered: wait for it, without asking.
    let mut kept = None;
    for _ in 0..200 {
        let mut conn = app.state.db.get().unwrap();
        kept = tessera::db::column_summaries::ColumnSummaryCache::get(&mut conn, &id, 1).unwrap();
        if kept.is_some() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let kept: Value = serde_json::from_str(&kept.expect("the summary was prepared")).unwrap();
    assert_eq!(kept.as_array().unwrap().len(), 5);
    assert_eq!(kept[0]["name"], "id");
}

crate::on_both_backends!(
    a_new_versions_summary_is_ready_before_anyone_asks,
    rows_are_filtered_searched_sorted_and_faceted,
    columns_are_summarised_once_per_version,
    the_page_address_is_the_tables_view,
    an_export_keeps_rows_containing_a_text,
);
