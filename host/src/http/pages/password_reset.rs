//! The page a password-reset link opens (`/reset-password/{token}`), open to anyone holding the
//! link: a form to choose a new password, then a page saying it is done. A link that does not
//! work (unknown, used, expired) is a page saying so and what to do. The rules are the
//! domain's ([`crate::accounts::reset_password`]); the token is the only credential, so the
//! page asks for no sign-in, and it tells the browser to send no `Referer` that would carry the
//! token to another site.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{html, render};
use crate::accounts::{self, AccountError, ResetLinkRefusal};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    password: String,
    confirm: String,
}

/// The page at `status`, with no referrer sent on.
fn page(status: StatusCode, context: serde_json::Value) -> HttpResponse {
    let mut response = match render("reset_password.html", context) {
        Ok(body) => html(status, body),
        Err(err) => {
            super::page::failure_page(None, StatusCode::INTERNAL_SERVER_ERROR, true, &err.message)
        }
    };
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    response
}

/// What a failure shows: a link that does not work, or a form to fill in again.
fn failed(err: AccountError, email: Option<String>) -> HttpResponse {
    match err {
        AccountError::ResetLink(refusal) => page(
            match refusal {
                ResetLinkRefusal::Unknown => StatusCode::NOT_FOUND,
                ResetLinkRefusal::Used | ResetLinkRefusal::Expired => StatusCode::GONE,
            },
            serde_json::json!({"refused": refusal.to_string()}),
        ),
        AccountError::Invalid(message) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({"email": email, "error": message}),
        ),
        other => {
            tracing::error!(error = %other, "password reset failed");
            super::page::failure_page(None, StatusCode::INTERNAL_SERVER_ERROR, true, "")
        }
    }
}

pub async fn reset_password_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> HttpResponse {
    let token = token.into_inner();
    let now = crate::time::now_millis();
    match state
        .db
        .run(move |conn| accounts::reset_link_user(conn, &token, now))
        .await
    {
        Ok(user) => page(StatusCode::OK, serde_json::json!({"email": user.email})),
        Err(err) => failed(err, None),
    }
}

pub async fn reset_password_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> HttpResponse {
    let token = token.into_inner();
    let ResetForm { password, confirm } = form.into_inner();
    let now = crate::time::now_millis();
    let checked = token.clone();
    let user = match state
        .db
        .run(move |conn| accounts::reset_link_user(conn, &checked, now))
        .await
    {
        Ok(user) => user,
        Err(err) => return failed(err, None),
    };
    if password != confirm {
        return failed(
            AccountError::Invalid("the two passwords differ; type the same one twice".into()),
            Some(user.email),
        );
    }
    let address = state
        .config
        .logged_address(crate::http::client::address(&req, &state.config));
    match accounts::reset_password(&state.db, &token, &password, address).await {
        Ok(user) => {
            tracing::info!(user = %user.id, "password reset through a link");
            page(
                StatusCode::OK,
                serde_json::json!({"done": true, "email": user.email}),
            )
        }
        Err(err) => failed(err, Some(user.email)),
    }
}
