//! Signing in and out with a plain form, so the way in needs no script.
//!
//! Two attacks on a sign-in form are closed here. **Open redirect**: `next` (where to go after
//! signing in) is parsed as a browser would parse it (the WHATWG URL standard) and must land on
//! this site; what is sent back is the parsed path, never the text given. **Login CSRF**: a
//! page elsewhere can auto-submit a form to `/login` with the attacker's own credentials, and
//! the victim's browser would be signed in to the attacker's account (and what they upload or
//! type lands there). Such a form can send any fields and follow redirects, but it cannot read
//! our pages or cookies, cannot set request headers, and its request carries no `SameSite`
//! cookie of ours. So the form carries a random token that must equal a `SameSite=Strict`,
//! HttpOnly cookie set with the form (a pre-session token), and a request a browser labels as
//! coming from another site (`Sec-Fetch-Site`) is refused outright, which also covers a cookie
//! planted by a sibling subdomain.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{html, render};
use crate::access::AuthMethod;
use crate::auth::{CSRF_COOKIE, SESSION_COOKIE, secrets, signin};
use crate::config::Config;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::extract::authenticate;
use crate::state::AppState;

use super::page::{error_page, see_other};

/// The sign-in form's pre-session token cookie (HttpOnly, `SameSite=Strict`, `/login` only).
pub const LOGIN_FORM_COOKIE: &str = "tessera_login";
/// Where people land when `next` says nothing.
const DEFAULT_NEXT: &str = "/datasets";

/// The way in: to the datasets for someone signed in, to sign in for anyone else.
pub async fn home(req: HttpRequest) -> HttpResponse {
    match authenticate(req).await {
        Ok(_) => see_other("/datasets"),
        Err(_) => see_other("/login"),
    }
}

/// `next` cannot be used: it is not a path on this site.
#[derive(Debug)]
pub struct ForeignNext;

/// The path to send someone to after signing in: `next` parsed against this site's origin as
/// a browser parses a `Location` (WHATWG URL, so `\`, tabs and newlines act as browsers make
/// them act), kept only when it stays on this origin, and given back re-serialised (path and
/// query, percent-encoded) rather than as written.
pub fn same_origin_path(next: Option<&str>) -> Result<String, ForeignNext> {
    let Some(next) = next.filter(|n| !n.is_empty()) else {
        return Ok(DEFAULT_NEXT.to_owned());
    };
    // Browsers drop tabs and newlines inside a URL, and CR/LF would end the header line: no
    // real link of ours contains a control character or a space, so none is accepted.
    if next.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ForeignNext);
    }
    // Any origin will do as the base: only whether the result stays on it matters.
    let base = url::Url::parse("http://tessera.invalid/").map_err(|_| ForeignNext)?;
    let target = base.join(next).map_err(|_| ForeignNext)?;
    if target.origin() != base.origin() || target.cannot_be_a_base() {
        return Err(ForeignNext);
    }
    // A path that starts with `//` after normalisation (`/.//evil`, `/x/..//evil`) would be
    // read as a host by the browser.
    let path = target.path();
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(ForeignNext);
    }
    Ok(match target.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    })
}

fn bad_next() -> HttpResponse {
    tracing::info!(
        decision = "deny",
        reason = "next is not a path on this site",
        "sign-in page refused"
    );
    error_page(
        None,
        &ApiError::bad_request(
            "This sign-in link would lead away from Tessera afterwards, so it was refused. \
             Open the sign-in page directly.",
        ),
    )
}

/// The form token to put in the page: the browser's current one, or a fresh one.
fn form_token(req: &HttpRequest) -> String {
    req.cookie(LOGIN_FORM_COOKIE)
        .map(|c| c.value().to_owned())
        // Only a value of the shape we hand out is reused (43 base64url characters).
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .unwrap_or_else(|| secrets::generate(""))
}

fn form_cookie(config: &Config, token: &str) -> Cookie<'static> {
    Cookie::build(LOGIN_FORM_COOKIE, token.to_owned())
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(config.secure_cookies)
        .max_age(CookieDuration::hours(12))
        .finish()
}

/// The sign-in page, with a form token and its cookie.
fn login_page_with(
    config: &Config,
    req: &HttpRequest,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> HttpResponse {
    let token = form_token(req);
    match render(
        "login.html",
        serde_json::json!({"next": next, "email": email, "error": error, "form_token": token}),
    ) {
        Ok(body) => {
            let mut response = html(status, body);
            if let Err(err) = response.add_cookie(&form_cookie(config, &token)) {
                return error_page(None, &ApiError::internal(err));
            }
            response
        }
        Err(err) => error_page(None, &err),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let Ok(next) = same_origin_path(query.next.as_deref()) else {
        return bad_next();
    };
    login_page_with(&state.config, &req, StatusCode::OK, &next, "", None)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
    form_token: Option<String>,
}

/// Whether the form was posted by our own page: the browser did not label the request as
/// cross-site, and the form's token equals the cookie set with it.
fn posted_by_our_page(req: &HttpRequest, token: Option<&str>) -> bool {
    // Fetch Metadata (W3C): `same-origin` from our pages, `none` when typed or bookmarked.
    // Browsers that send nothing fall back on the token alone.
    let site_ok = match req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(site) => matches!(site, "same-origin" | "none"),
    };
    let cookie = req.cookie(LOGIN_FORM_COOKIE);
    let token_ok = match (cookie.as_ref().map(|c| c.value()), token) {
        (Some(cookie), Some(token)) if !cookie.is_empty() => {
            secrets::hashes_equal(&secrets::hash(cookie), &secrets::hash(token))
        }
        _ => false,
    };
    site_ok && token_ok
}

/// The sign-in form, posted without any script: the same checks as `POST /api/v1/auth/login`.
pub async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let LoginForm {
        email,
        password,
        next,
        form_token,
    } = form.into_inner();
    let Ok(next) = same_origin_path(next.as_deref()) else {
        return bad_next();
    };
    if !posted_by_our_page(&req, form_token.as_deref()) {
        tracing::info!(
            decision = "deny",
            reason = "sign-in form without its token, or from another site",
            "sign-in refused"
        );
        return login_page_with(
            &state.config,
            &req,
            StatusCode::FORBIDDEN,
            &next,
            "",
            Some(
                "This sign-in did not come from this page (or the page was open too long). \
                 Sign in again here."
                    .to_owned(),
            ),
        );
    }
    match signin::sign_in(
        &state.db,
        &state.config,
        &state.password_gate,
        crate::http::client::address(&req, &state.config),
        email.clone(),
        password,
    )
    .await
    {
        Ok(signed) => {
            let [session, csrf] = crate::http::cookies::session_cookies(&state.config, &signed);
            let mut used = form_cookie(&state.config, "");
            used.make_removal();
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .cookie(session)
                .cookie(csrf)
                .cookie(used)
                .finish()
        }
        Err(err) => {
            let err = ApiError::from(err);
            let message = match err.code {
                ErrorCode::InvalidCredentials => {
                    "That email and password do not match an account. Check both and try again."
                        .to_owned()
                }
                ErrorCode::Forbidden => {
                    "This account is disabled. Ask a site admin to enable it again.".to_owned()
                }
                ErrorCode::TooManyAttempts => format!(
                    "Too many wrong passwords for this account or from your network. Wait {} \
                     before you try again.",
                    crate::human::wait_in_words(err.retry_after.unwrap_or(60))
                ),
                ErrorCode::Unavailable => format!(
                    "Tessera is busy checking other sign-ins. Try again in {}.",
                    crate::human::wait_in_words(err.retry_after.unwrap_or(5))
                ),
                _ => err.message.clone(),
            };
            let mut response = login_page_with(
                &state.config,
                &req,
                err.code.status(),
                &next,
                &email,
                Some(message),
            );
            if let Some(seconds) = err.retry_after
                && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

pub async fn logout(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Ok(caller) = authenticate(req.clone()).await
        && let AuthMethod::Session { token_hash } = caller.method
    {
        // The cookies go whatever happens: a session left in the database expires alone.
        let _ = crate::auth::signin::sign_out(&state.db, token_hash).await;
    }
    let mut session = actix_web::cookie::Cookie::new(SESSION_COOKIE, "");
    session.set_path("/");
    session.make_removal();
    let mut csrf = actix_web::cookie::Cookie::new(CSRF_COOKIE, "");
    csrf.set_path("/");
    csrf.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .cookie(session)
        .cookie(csrf)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        let ok = |next: &str| same_origin_path(Some(next)).ok();
        assert_eq!(
            ok("/datasets/42?offset=20").as_deref(),
            Some("/datasets/42?offset=20")
        );
        assert_eq!(ok("/shared").as_deref(), Some("/shared"));
        assert_eq!(same_origin_path(None).ok().as_deref(), Some("/datasets"));
        // Re-serialised, not echoed: dot segments resolved, unsafe bytes encoded.
        assert_eq!(ok("/a/../b").as_deref(), Some("/b"));
        assert_eq!(ok("/caf\u{e9}").as_deref(), Some("/caf%C3%A9"));
        // "http:evil" is a relative reference on an http base: a harmless path.
        assert_eq!(ok("http:evil.example").as_deref(), Some("/evil.example"));
        for foreign in [
            "//evil.example/",
            "///evil.example/",
            "/\\evil.example/",
            "\\\\evil.example",
            "/\t/evil.example/",
            "/\r\nSet-Cookie: x=1",
            "https:evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "data:text/html,x",
            "/.//evil.example",
            "/x/..//evil.example",
            "/%2e%2e//evil.example",
            " //evil.example",
            "//evil.example\u{3002}com",
        ] {
            assert!(same_origin_path(Some(foreign)).is_err(), "{foreign:?}");
        }
    }
}
