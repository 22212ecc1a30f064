//! The sign-in form and the sign-in throttle, attacked as an outsider would: crafted `next`
//! links, cross-site auto-submitted forms, bursts of parallel guesses, a stranger hammering
//! someone else's account, and more sign-ins than the server can hash at once.

use futures_util::future::join_all;
use reqwest::{Client, Method, StatusCode, Url};
use serde_json::json;

use crate::common::{Backend, TestApp, error_code};

/// A browser: keeps nothing between requests unless told, follows no redirect.
fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of `name` in a `Set-Cookie` of the response, as `name=value`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// A hidden field's value in a page.
fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_owned())
}

/// Opens the sign-in page: its form token and the cookie that goes with it.
async fn form(app: &TestApp) -> (String, String) {
    let page = browser().get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = set_cookie(&page, "tessera_login").expect("form cookie");
    let token = hidden(&page.text().await.unwrap(), "form_token").expect("form token");
    (token, cookie)
}

/// Posts the sign-in form as our own page does (same origin, token and cookie).
async fn post_form(
    app: &TestApp,
    fields: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let (token, cookie) = form(app).await;
    let mut fields = fields.to_vec();
    fields.push(("form_token", &token));
    let mut request = browser()
        .post(app.url("/login"))
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-origin")
        .form(&fields);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

// Issue 14, item 8: `next=/%09/evil.example/` sent a real browser to another origin after
// signing in, and `next` with CR/LF answered 500.
async fn after_signing_in_only_paths_on_this_site_are_followed(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let ada = app.create_user("ada@example.org", false).await;
    let base = Url::parse(&app.base).unwrap();
    // The usual open-redirect payloads, as the form field carries them (already decoded).
    let payloads = [
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "https:evil.example",
        "https://evil.example/",
        "http://evil.example/",
        "javascript:alert(1)",
        "/.//evil.example/",
        "/%2e%2e//evil.example/",
        "/x/..//evil.example/",
        "%2F%2Fevil.example",
        " //evil.example/",
        "//evil.example\u{3002}org/",
    ];
    for payload in payloads {
        // The page a crafted link opens refuses, or carries only a path on this site.
        let mut url = base.join("/login").unwrap();
        url.query_pairs_mut().append_pair("next", payload);
        let page = browser().get(url).send().await.unwrap();
        match page.status() {
            StatusCode::BAD_REQUEST => {}
            StatusCode::OK => {
                let next = hidden(&page.text().await.unwrap(), "next").unwrap();
                let landed = base.join(&next).unwrap();
                assert_eq!(landed.origin(), base.origin(), "{payload:?} → {next:?}");
            }
            other => panic!("{payload:?}: {other}"),
        }
        // Signing in with it leads nowhere else: a browser resolves Location as `join` does.
        let response = post_form(
            &app,
            &[
                ("email", &ada.email),
                ("password", &ada.password),
                ("next", payload),
            ],
            &[],
        )
        .await;
        match response.status() {
            StatusCode::BAD_REQUEST => {
                assert!(set_cookie(&response, "tessera_session").is_none());
            }
            StatusCode::SEE_OTHER => {
                let location = response.headers()["location"].to_str().unwrap();
                let landed = base.join(location).unwrap();
                assert_eq!(landed.origin(), base.origin(), "{payload:?} → {location:?}");
            }
            other => panic!("{payload:?}: {other}"),
        }
    }
    // Header injection: CR/LF in `next` is refused with 400, on the page and on the form.
    for payload in [
        "/\r\nSet-Cookie: pwned=1",
        "/\nLocation: http://evil.example/",
    ] {
        let mut url = base.join("/login").unwrap();
        url.query_pairs_mut().append_pair("next", payload);
        let page = browser().get(url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{payload:?}");
        let response = post_form(
            &app,
            &[
                ("email", &ada.email),
                ("password", &ada.password),
                ("next", payload),
            ],
            &[],
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{payload:?}");
        assert!(
            response
                .headers()
                .get("set-cookie")
                .is_none_or(|c| !c.to_str().unwrap().contains("pwned"))
        );
    }
    // A path of ours is kept, query and all.
    let response = post_form(
        &app,
        &[
            ("email", &ada.email),
            ("password", &ada.password),
            ("next", "/datasets?q=plankton"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/datasets?q=plankton");
    assert!(set_cookie(&response, "tessera_session").is_some());
}

// Issue 14, item 8: a page elsewhere auto-submitted the sign-in form with the attacker's own
// credentials, signing the victim's browser in to the attacker's account.
async fn a_sign_in_form_from_another_site_signs_nobody_in(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let mallory = app.create_user("mallory@example.org", false).await;
    let fields = [
        ("email", mallory.email.as_str()),
        ("password", mallory.password.as_str()),
        ("next", "/datasets"),
    ];
    let no_session = |response: &reqwest::Response| {
        assert!(
            set_cookie(response, "tessera_session").is_none(),
            "a session was opened"
        );
    };

    // What a cross-site auto-submitted form sends: the fields, no cookie of ours (SameSite),
    // and the browser's own labels.
    let cross_site = browser()
        .post(app.url("/login"))
        .header("origin", "http://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    no_session(&cross_site);

    // An older browser sends no Fetch Metadata: the missing token still refuses it.
    let bare = browser()
        .post(app.url("/login"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    no_session(&bare);

    // A token the attacker fetched for themselves is useless without its cookie, and a token
    // that is not the cookie's is refused too.
    let (their_token, their_cookie) = form(&app).await;
    let (_, victims_cookie) = form(&app).await;
    for (token, cookie) in [
        (their_token.as_str(), None),
        (their_token.as_str(), Some(victims_cookie.as_str())),
        ("", Some(victims_cookie.as_str())),
    ] {
        let mut with_token = fields.to_vec();
        with_token.push(("form_token", token));
        let mut request = browser().post(app.url("/login")).form(&with_token);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{token} {cookie:?}"
        );
        no_session(&response);
    }

    // Token and cookie that match, planted from a sibling site: the browser's label refuses it.
    let mut with_token = fields.to_vec();
    with_token.push(("form_token", &their_token));
    for site in ["cross-site", "same-site"] {
        let planted = browser()
            .post(app.url("/login"))
            .header("cookie", &their_cookie)
            .header("sec-fetch-site", site)
            .form(&with_token)
            .send()
            .await
            .unwrap();
        assert_eq!(planted.status(), StatusCode::FORBIDDEN, "{site}");
        no_session(&planted);
    }

    // The refused page offers a working form again; our own page signs in.
    assert!(hidden(&bare.text().await.unwrap(), "form_token").is_some());
    let ours = post_form(&app, &fields, &[]).await;
    assert_eq!(ours.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&ours, "tessera_session").is_some());
    // The form cookie is HttpOnly, SameSite=Strict and only for /login.
    let page = browser().get(app.url("/login")).send().await.unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("tessera_login="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/login"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
}

async fn api_login(app: &TestApp, from: &str, email: &str, password: &str) -> reqwest::Response {
    // A client of its own per request: no kept-alive connection shared between bursts.
    browser()
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

// Issue 14, item 17: five wrong passwords locked an account for 900 s from every address, so a
// stranger could lock anyone out; and a burst of parallel guesses passed the check before the
// first was counted.
async fn a_stranger_slows_down_their_own_guessing_but_cannot_lock_the_owner_out(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |c| {
        c.login_max_failures = 3;
        c.trusted_proxies = "127.0.0.1".into();
        // Every admitted guess is checked, however slowly this machine hashes.
        c.password_hash_queue = 1_000;
        c.password_hash_wait_ms = 600_000;
    })
    .await
    else {
        return;
    };
    let ada = app.create_user("ada@example.org", false).await;
    let attacker = "198.51.100.66";

    // A burst of 40 parallel guesses: exactly the free attempts are checked, the rest are
    // refused before any hashing, each with Retry-After.
    let burst =
        join_all((0..40).map(|_| api_login(&app, attacker, &ada.email, "not it at all"))).await;
    let mut checked = 0;
    let mut throttled = 0;
    for response in burst {
        match response.status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let wait: u64 = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=900).contains(&wait), "{wait}");
                assert_eq!(error_code(response).await, "too_many_attempts");
                throttled += 1;
            }
            other => panic!("{other}"),
        }
    }
    assert_eq!((checked, throttled), (3, 37));

    // The attacker is slowed down, even with the right password...
    let slowed = api_login(&app, attacker, &ada.email, &ada.password).await;
    assert_eq!(slowed.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...while the owner, from an address that guessed nothing wrong, signs in.
    let owner = api_login(&app, "203.0.113.7", &ada.email, &ada.password).await;
    assert_eq!(owner.status(), StatusCode::OK);

    // The account itself stays slowed for guessers: a fresh address gets one guess, then
    // waits like the rest, so spreading guesses over many addresses buys one each.
    let fresh = "203.0.113.99";
    let first = api_login(&app, fresh, &ada.email, "another guess").await;
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    let second = api_login(&app, fresh, &ada.email, "a third guess").await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    // Unknown accounts behave the same (nothing tells them apart).
    let ghost =
        join_all((0..10).map(|_| api_login(&app, "192.0.2.5", "nobody@example.org", "whatever1")))
            .await;
    let ghost_checked = ghost
        .iter()
        .filter(|r| r.status() == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(ghost_checked, 3);

    // The sign-in page says how long to wait, in words, and sends Retry-After.
    let page = post_form(
        &app,
        &[("email", &ada.email), ("password", "not it at all")],
        &[("x-forwarded-for", attacker)],
    )
    .await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = page.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let text = page.text().await.unwrap();
    let words = tessera::human::wait_in_words(wait);
    assert!(
        text.contains(&format!("Wait {words} before you try again")),
        "{words}: {text}"
    );
}

// Issue 14, item 5: every sign-in hashed at once, so 200 parallel posts took the server to
// 3 GiB and its health check to seconds.
async fn more_sign_ins_than_the_server_hashes_at_once_are_turned_away(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |c| {
        c.trusted_proxies = "127.0.0.1".into();
        c.password_hash_concurrency = 1;
        c.password_hash_queue = 2;
        c.password_hash_wait_ms = 60_000;
    })
    .await
    else {
        return;
    };
    // Each from its own address and for its own (unknown) account: no throttle interferes.
    let requests = (0..40).map(|n| {
        let from = format!("10.20.{}.{}", n / 200, n % 200 + 1);
        let email = format!("nobody{n}@example.org");
        let app = &app;
        async move { api_login(app, &from, &email, "a wrong password").await }
    });
    let (answers, health) = tokio::join!(join_all(requests), async {
        app.request(Method::GET, "/healthz").send().await.unwrap()
    });
    assert_eq!(health.status(), StatusCode::OK);
    let mut checked = 0;
    let mut busy = 0;
    for response in answers {
        match response.status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(response.headers().contains_key("retry-after"));
                assert_eq!(error_code(response).await, "unavailable");
                busy += 1;
            }
            other => panic!("{other}"),
        }
    }
    assert!(busy > 0, "nothing was turned away ({checked} checked)");
    assert!(checked >= 1);
    assert_eq!(app.state.password_gate.most_at_once(), 1);
    // When the rush is over, people sign in again.
    let ada = app.create_user("ada@example.org", false).await;
    let response = api_login(&app, "10.20.0.1", &ada.email, &ada.password).await;
    assert_eq!(response.status(), StatusCode::OK);
}

crate::on_both_backends!(
    after_signing_in_only_paths_on_this_site_are_followed,
    a_sign_in_form_from_another_site_signs_nobody_in,
    a_stranger_slows_down_their_own_guessing_but_cannot_lock_the_owner_out,
    more_sign_ins_than_the_server_hashes_at_once_are_turned_away,
);
