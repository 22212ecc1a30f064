//! A link's password form under attack: bursts of parallel guesses from one address and from
//! many, posts to links that have no password, and more guesses than the server can hash.

use futures_util::future::join_all;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser};

/// Someone who was only given the link: no cookies, no redirects followed. Each request on a
/// connection of its own: a kept-alive one the server closes while idle would make a request
/// of the next burst fail on the client's side.
fn stranger() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn link(app: &TestApp, owner: &TestUser, body: Value) -> String {
    let created: Value = app
        .upload(owner, "plankton.csv", b"site,count\nA,1\nB,2\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let dataset = created["id"].as_str().unwrap();
    let response = app
        .as_user(
            owner,
            Method::POST,
            &format!("/api/v1/datasets/{dataset}/links"),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let made: Value = response.json().await.unwrap();
    made["slug"].as_str().unwrap().to_owned()
}

async fn guess(
    app: &TestApp,
    client: &Client,
    slug: &str,
    from: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url(&format!("/s/{slug}")))
        .header("x-forwarded-for", from)
        .form(&[("password", password)])
        .send()
        .await
        .unwrap()
}

fn opened(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("tessera_link="))
}

/// How many answers had each status.
fn tally(responses: &[reqwest::Response]) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for response in responses {
        *counts.entry(response.status().as_u16()).or_insert(0) += 1;
    }
    counts
}

// Issue 14, item 4: check, then argon2, then count: a burst of 200 guesses had 171 checked
// against a limit of 10. And nothing capped guesses at one link from many addresses.
async fn a_burst_of_guesses_is_cut_off_at_the_limit_per_address_and_per_link(backend: Backend) {
    // Five sign-in failures make ten for links.
    let Some(app) = TestApp::start_with(backend, |c| {
        c.login_max_failures = 5;
        c.trusted_proxies = "127.0.0.1".into();
        // Every admitted guess is checked, however slowly this machine hashes.
        c.password_hash_queue = 1_000;
        c.password_hash_wait_ms = 600_000;
    })
    .await
    else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let slug = link(
        &app,
        &ada,
        json!({"level": "view", "password": "tide-pool-7"}),
    )
    .await;
    let client = stranger();

    // 200 parallel wrong guesses from one address: ten are checked, the rest refused unhashed.
    let burst = join_all((0..200).map(|n| {
        let (app, client, slug) = (&app, &client, &slug);
        async move { guess(app, client, slug, "198.51.100.66", &format!("guess-{n}")).await }
    }))
    .await;
    assert_eq!(
        tally(&burst),
        [(401, 10), (429, 190)].into_iter().collect(),
        "answers by status"
    );
    assert!(
        burst
            .iter()
            .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
            .all(|r| r.headers().contains_key("retry-after"))
    );
    assert!(!burst.iter().any(opened));
    // That address is slowed down, the right password included; another address gets in.
    let slowed = guess(&app, &client, &slug, "198.51.100.66", "tide-pool-7").await;
    assert_eq!(slowed.status(), StatusCode::TOO_MANY_REQUESTS);
    let right = guess(&app, &client, &slug, "203.0.113.7", "tide-pool-7").await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert!(opened(&right));

    // One link guessed from 80 addresses at once: the link's own cap (three addresses' worth)
    // stops it at thirty.
    let other = link(&app, &ada, json!({"level": "view", "password": "short-1"})).await;
    let spread = join_all((0..80).map(|n| {
        let (app, client, other) = (&app, &client, &other);
        async move {
            let from = format!("10.30.0.{}", n + 1);
            guess(app, client, other, &from, &format!("guess-{n}")).await
        }
    }))
    .await;
    assert_eq!(tally(&spread), [(401, 30), (429, 50)].into_iter().collect());
    // Capped for everyone until its wait passes.
    let blocked = guess(&app, &client, &other, "10.31.0.1", "short-1").await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
}

// Issue 14, item 5: posting a password to a link that has none hashed every time and was
// never counted.
async fn a_link_without_a_password_hashes_nothing(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let slug = link(&app, &ada, json!({"level": "view"})).await;
    let client = stranger();
    let before = app.state.password_gate.hashes_started();
    let posts = join_all((0..50).map(|n| {
        let (app, client, slug) = (&app, &client, &slug);
        async move { guess(app, client, slug, "198.51.100.9", &format!("anything-{n}")).await }
    }))
    .await;
    for response in &posts {
        // Nothing to unlock: back to the link's page, no session.
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], format!("/s/{slug}"));
        assert!(!opened(response));
    }
    assert_eq!(app.state.password_gate.hashes_started(), before);
    // The page itself still opens without a password.
    let page = client
        .get(app.url(&format!("/s/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
}

// Issue 14, item 5: link passwords hash behind the same bounded gate as sign-ins.
async fn more_link_guesses_than_the_server_hashes_at_once_are_turned_away(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |c| {
        // Throttles out of the way: this is about load, not guessing.
        c.login_max_failures = 1_000;
        c.trusted_proxies = "127.0.0.1".into();
        c.password_hash_concurrency = 1;
        c.password_hash_queue = 2;
        c.password_hash_wait_ms = 60_000;
    })
    .await
    else {
        return;
    };
    let ada = app.user("ada@example.org").await;
    let slug = link(
        &app,
        &ada,
        json!({"level": "view", "password": "tide-pool-7"}),
    )
    .await;
    let client = stranger();
    let answers = join_all((0..40).map(|n| {
        let (app, client, slug) = (&app, &client, &slug);
        async move {
            let from = format!("10.40.0.{}", n + 1);
            guess(app, client, slug, &from, "a wrong guess").await
        }
    }))
    .await;
    let counts = tally(&answers);
    assert!(counts.get(&503).copied().unwrap_or(0) > 0, "{counts:?}");
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        [401, 503],
        "{counts:?}"
    );
    assert!(
        answers
            .iter()
            .filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE)
            .all(|r| r.headers().contains_key("retry-after"))
    );
    assert_eq!(app.state.password_gate.most_at_once(), 1);
}

crate::on_both_backends!(
    a_burst_of_guesses_is_cut_off_at_the_limit_per_address_and_per_link,
    a_link_without_a_password_hashes_nothing,
    more_link_guesses_than_the_server_hashes_at_once_are_turned_away,
);
