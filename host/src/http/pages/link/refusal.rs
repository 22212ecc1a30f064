//! A link that cannot be opened, said in words a person understands: expired, used up,
//! suspended, unknown, its version withdrawn, or too many attempts, each with what to do next.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;

use super::FALLBACK;
use super::password::password_prompt;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::pages::{html, render};

/// A refusal as a page a person understands.
pub fn refusal_page(slug: &str, err: &ApiError) -> HttpResponse {
    let status = err.code.status();
    let (heading, message) = match err.code {
        ErrorCode::LinkExpired => ("This link has expired", err.message.as_str()),
        ErrorCode::LinkUsedUp => (
            "This link has been used up",
            "It has been downloaded as many times as its owner allowed. Ask them for a new link.",
        ),
        // The message says which version, when and why.
        ErrorCode::VersionWithdrawn => ("This version was withdrawn", err.message.as_str()),
        ErrorCode::LinkSuspended => (
            "This link is suspended",
            "The person who made it no longer has the access it needs. Ask the dataset's owner.",
        ),
        ErrorCode::TooManyAttempts => (
            "Too many attempts",
            "Too many wrong links or passwords came from your network. Wait a few minutes and try again.",
        ),
        ErrorCode::PasswordRequired => {
            return html(
                StatusCode::UNAUTHORIZED,
                password_prompt(&format!("/s/{slug}"), false),
            );
        }
        ErrorCode::NotFound => (
            "No such link",
            "This link does not exist. It may have been mistyped, or its owner revoked it.",
        ),
        _ => ("This link cannot be opened", err.message.as_str()),
    };
    let mut response = html(status, refused(heading, message));
    if let Some(seconds) = err.retry_after
        && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The refusal page's body.
pub fn refused(heading: &str, message: &str) -> String {
    render(
        "link_refused.html",
        serde_json::json!({"heading": heading, "message": message}),
    )
    .unwrap_or_else(|_| FALLBACK.to_owned())
}
