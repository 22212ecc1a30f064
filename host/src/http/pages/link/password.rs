//! A link's password form: a right password opens a session bound to the link and its
//! current password, kept in a cookie scoped to the link's address.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::FALLBACK;
use super::refusal::refusal_page;
use crate::http::pages::{html, render};
use crate::links::LINK_SESSION_COOKIE;
use crate::links::password::{self, Opened};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub password: String,
}

/// The password form: opens a session bound to this link and its current password
/// ([`password::open_session`]) and keeps it in a cookie scoped to the link's address.
pub async fn open_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    let slug = slug.into_inner();
    let given = form.into_inner().password;
    let visitor = crate::http::client::visitor(&req, &state.config);
    let opened = password::open_session(
        &state.db,
        &state.config,
        &state.password_gate,
        &slug,
        visitor,
        given,
    )
    .await;
    let back = format!("/s/{slug}");
    match opened {
        Ok(Opened::NoPassword) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, back))
            .finish(),
        Ok(Opened::Unlocked { session }) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, back.clone()))
            .cookie(
                Cookie::build(LINK_SESSION_COOKIE, session)
                    .path(back)
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(state.config.secure_cookies)
                    .finish(),
            )
            .finish(),
        Ok(Opened::WrongPassword) => html(StatusCode::UNAUTHORIZED, password_prompt(&back, true)),
        Err(err) => refusal_page(&slug, &err.into()),
    }
}

/// The password form posting to `action`, saying the last password was wrong if `wrong`.
pub fn password_prompt(action: &str, wrong: bool) -> String {
    render(
        "link_password.html",
        serde_json::json!({"action": action, "wrong": wrong}),
    )
    .unwrap_or_else(|_| FALLBACK.to_owned())
}
