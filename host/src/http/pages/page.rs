//! What every page shares: who is signed in (or where to send someone who is not), rendering
//! a template for them, and an error as a page with a sentence instead of JSON.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use time::OffsetDateTime;
use time::macros::format_description;

use super::{html, render};
use crate::auth::Caller;
use crate::http::extract::authenticate;
use crate::http::error::{ApiError, ErrorCode};

#[derive(Serialize)]
pub(super) struct UserContext {
    name: String,
    email: String,
    is_admin: bool,
}

pub(super) fn user_context(caller: &Caller) -> UserContext {
    UserContext {
        name: caller.user.name.clone(),
        email: caller.user.email.clone(),
        is_admin: caller.is_admin(),
    }
}

pub(super) fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// Percent-encodes `text` for a query value.
pub(super) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The signed-in caller, or where to send someone who is not.
pub(super) async fn signed_in(req: &HttpRequest) -> Result<Caller, HttpResponse> {
    authenticate(req.clone()).await.map_err(|_| {
        let here = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_owned(),
            None => req.path().to_owned(),
        };
        see_other(&format!("/login?next={}", encode(&here)))
    })
}

/// The signed-in site admin; anyone else is sent to sign in, or told the page is for admins.
pub(super) async fn admin_signed_in(req: &HttpRequest) -> Result<Caller, HttpResponse> {
    let caller = signed_in(req).await?;
    if caller.is_admin() {
        Ok(caller)
    } else {
        Err(error_page(
            Some(&caller),
            &ApiError::forbidden("This page is for site admins."),
        ))
    }
}

/// A failure as a page with a sentence, at its status.
pub(super) fn error_page(caller: Option<&Caller>, err: &ApiError) -> HttpResponse {
    let heading = match err.code.status() {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::SERVICE_UNAVAILABLE => "Try again in a moment",
        _ => "Something went wrong",
    };
    let message = if err.code == ErrorCode::Internal {
        "Tessera could not show this page. The details are in the server's log."
    } else {
        err.message.as_str()
    };
    let body = render(
        "link_refused.html",
        serde_json::json!({
            "heading": heading,
            "message": message,
            "user": caller.map(user_context),
        }),
    )
    .unwrap_or_else(|_| "Tessera could not show this page.".to_owned());
    html(err.code.status(), body)
}

/// A page for a signed-in caller, or the error page if the template fails.
pub(super) fn respond(caller: &Caller, template: &str, context: serde_json::Value) -> HttpResponse {
    match render(template, context) {
        Ok(body) => html(StatusCode::OK, body),
        Err(err) => error_page(Some(caller), &err),
    }
}

/// A stored time as people read it, in UTC: `2026-11-26 10:04 UTC`. Templates put the exact
/// RFC 3339 time beside it in `<time datetime>`.
pub(super) fn readable_time(millis: i64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
