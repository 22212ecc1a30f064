//! Sharing with an email address: the same answer whether or not the address has an account,
//! a pending share that applies once an account holds the address (however it is created),
//! listed and revocable like any share.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestUser};

async fn share(app: &TestApp, owner: &TestUser, dataset: &str, user: &str) -> reqwest::Response {
    app.as_user(
        owner,
        Method::POST,
        &format!("/api/v1/datasets/{dataset}/shares"),
    )
    .json(&json!({"user": user, "level": "view"}))
    .send()
    .await
    .unwrap()
}

async fn status(app: &TestApp, who: &TestUser, path: &str) -> StatusCode {
    app.as_user(who, Method::GET, path)
        .send()
        .await
        .unwrap()
        .status()
}

/// A share as JSON with what differs between any two shares (ids, times, the address) taken
/// out: what is left is what the answer says about the address.
fn shape(mut view: Value, address: &str) -> String {
    for key in ["id", "created_at", "updated_at"] {
        view[key] = Value::Null;
    }
    view.to_string().replace(address, "ADDRESS")
}

/// The row of the dataset page's "Who has access" table that names `address`, with the
/// address taken out.
fn holder_row(page: &str, address: &str) -> String {
    let table = &page[page.find("id=\"holders\"").expect("holders table")..];
    let at = table.find(address).expect("a row for the address");
    let start = table[..at].rfind("<tr>").unwrap();
    let end = at + table[at..].find("</tr>").unwrap();
    table[start..end].replace(address, "ADDRESS")
}

// Issue 14, item 15: sharing with an email told any user whether that address has an account
// (422 against 201).
async fn sharing_with_an_email_never_tells_whether_it_has_an_account(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.admin("root@example.org").await;
    let ada = app.user("ada@example.org").await;
    let bob = app.user("bob@example.org").await;
    let created: Value = app
        .upload(&ada, "plankton.csv", b"site,count\nA,1\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let dataset = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/datasets/{dataset}");

    // Bob has an account, Carol has none: the answers cannot be told apart.
    let known = share(&app, &ada, &dataset, "Bob@Example.org").await;
    let unknown = share(&app, &ada, &dataset, "carol@example.org").await;
    assert_eq!(known.status(), StatusCode::CREATED);
    assert_eq!(unknown.status(), StatusCode::CREATED);
    let known: Value = known.json().await.unwrap();
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(
        shape(known.clone(), "bob@example.org"),
        shape(unknown.clone(), "carol@example.org")
    );
    assert_eq!(known["subject"]["kind"], "email");
    assert_eq!(known["subject"]["name"], "bob@example.org");
    assert_eq!(known["pending"], true);
    // Nor can a second try: both are already shared.
    for address in ["bob@example.org", "carol@example.org"] {
        let again = share(&app, &ada, &dataset, address).await;
        assert_eq!(again.status(), StatusCode::CONFLICT, "{address}");
    }
    // Nor the listing, nor the dataset page's "Who has access".
    let listed = app.get_json(&ada, &format!("{path}/shares")).await;
    let listed = listed.as_array().unwrap();
    let find = |address: &str| {
        listed
            .iter()
            .find(|s| s["subject"]["name"] == address)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        shape(find("bob@example.org"), "bob@example.org"),
        shape(find("carol@example.org"), "carol@example.org")
    );
    let page = app.page_html(&ada, &format!("/datasets/{dataset}")).await;
    assert_eq!(
        holder_row(&page, "bob@example.org"),
        holder_row(&page, "carol@example.org")
    );

    // Bob's account holds the address, so the share reaches him at once.
    assert_eq!(status(&app, &bob, &path).await, StatusCode::OK);
    // Once he has seen it, it is no longer pending to Ada (he did something she can see).
    let mine = app.get_json(&bob, "/api/v1/shared-with-me").await;
    assert_eq!(mine[0]["dataset_name"], "plankton");
    let listed = app.get_json(&ada, &format!("{path}/shares")).await;
    let pending = |address: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subject"]["name"] == address)
            .unwrap()["pending"]
            .clone()
    };
    assert_eq!(pending("bob@example.org"), false);
    assert_eq!(pending("carol@example.org"), true);

    // Carol's account, made by an admin later, gets the share from its first request.
    let made = app
        .as_user(&root, Method::POST, "/api/v1/admin/users")
        .json(&json!({"email": "Carol@example.org", "name": "Carol", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let mut carol = TestUser {
        id: String::new(),
        email: "carol@example.org".into(),
        password: "a long enough password".into(),
        token: None,
        session: None,
    };
    assert_eq!(app.login(&mut carol).await.status(), StatusCode::OK);
    let carol_cookie = carol.session.clone().unwrap().cookie;
    let seen = app
        .request(Method::GET, &path)
        .header("cookie", &carol_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status(), StatusCode::OK);

    // An account made the way `tessera user create` makes it, likewise.
    let dave_share = share(&app, &ada, &dataset, "dave@example.org").await;
    assert_eq!(dave_share.status(), StatusCode::CREATED);
    let dave = app.user("dave@example.org").await;
    assert_eq!(status(&app, &dave, &path).await, StatusCode::OK);
    let why: Value = app
        .post_json(
            &root,
            "/api/v1/admin/policies/check",
            json!({"subject": "user:dave@example.org", "action": "view", "object": format!("dataset:{dataset}")}),
        )
        .await;
    assert_eq!(why["allowed"], true, "{why}");
    assert!(
        why["path"]
            .as_array()
            .unwrap()
            .iter()
            .any(|node| node == "email:dave@example.org"),
        "{why}"
    );

    // Revocable like any share, known address or not, before or after an account appears.
    let erin_share: Value = share(&app, &ada, &dataset, "erin@example.org")
        .await
        .json()
        .await
        .unwrap();
    for revoked in [&known, &erin_share] {
        let response = app
            .as_user(
                &ada,
                Method::DELETE,
                &format!("{path}/shares/{}", revoked["id"].as_str().unwrap()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(status(&app, &bob, &path).await, StatusCode::NOT_FOUND);
    let erin = app.user("erin@example.org").await;
    assert_eq!(status(&app, &erin, &path).await, StatusCode::NOT_FOUND);

    // What is not an address at all is still refused, whoever it is.
    let bad = share(&app, &ada, &dataset, "not an address@").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

crate::on_both_backends!(sharing_with_an_email_never_tells_whether_it_has_an_account);
