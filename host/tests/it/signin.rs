//! The sign-in form, attacked as an outsider would: crafted `next` links and cross-site
//! auto-submitted forms.

use reqwest::{Client, StatusCode, Url};

use crate::common::{Backend, TestApp};

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

crate::on_both_backends!(
    after_signing_in_only_paths_on_this_site_are_followed,
    a_sign_in_form_from_another_site_signs_nobody_in,
);
