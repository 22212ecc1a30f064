//! What every page shares: who is signed in (or where to send someone who is not), what they
//! may see ([`Page`]), rendering a template for them, and an error as a page with a sentence
//! instead of JSON.

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;

use time::OffsetDateTime;
use time::macros::format_description;

use super::{html, render};
use crate::access::Caller;
use crate::http::access::{Access, Decide};
use crate::http::error::{ApiError, ErrorCode};
use crate::http::extract::authenticate;

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

/// A page's access decision: the same extractors as the API's (`Page<Caller>`,
/// `Page<AdminCaller>`, `Page<OnDataset<View>>`, ...), taken for a browser. A visitor who is
/// not signed in is sent to sign in and brought back (`/login?next=...`); a refusal is shown as
/// a page with its sentence and status.
pub(super) struct Page<D>(pub D);

impl<D: Decide> FromRequest for Page<D> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Ok(caller) = authenticate(req.clone()).await else {
                let here = match req.uri().path_and_query() {
                    Some(pq) => pq.as_str().to_owned(),
                    None => req.path().to_owned(),
                };
                let to_sign_in = see_other(&format!("/login?next={}", encode(&here)));
                return Err(InternalError::from_response("not signed in", to_sign_in).into());
            };
            match D::decide_for_page(&req, caller.clone()).await {
                Ok(decided) => Ok(Page(decided)),
                Err(err) => {
                    let refusal = error_page(Some(&caller), &err);
                    Err(InternalError::from_response(err, refusal).into())
                }
            }
        })
    }
}

impl<D: Decide> Access for Page<D> {}

/// A failure as a page with a sentence, at its status.
pub(super) fn error_page(caller: Option<&Caller>, err: &ApiError) -> HttpResponse {
    failure_page(
        caller,
        err.code.status(),
        err.code == ErrorCode::Internal,
        &err.message,
    )
}

/// A failure at `status` as a page saying `message` (or, for an `internal` one, only that
/// the details are in the server's log).
pub fn failure_page(
    caller: Option<&Caller>,
    status: StatusCode,
    internal: bool,
    message: &str,
) -> HttpResponse {
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNAUTHORIZED => "Sign in first",
        StatusCode::GONE => "No longer available",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        StatusCode::SERVICE_UNAVAILABLE => "Try again in a moment",
        _ => "Something went wrong",
    };
    let message = if internal {
        "Tessera could not show this page. The details are in the server's log."
    } else {
        message
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
    html(status, body)
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
