//! The cookies a sign-in sets: the session (HttpOnly, so no script can read it) and the CSRF
//! token the page's scripts echo in a header (SameSite=Strict), with the session's lifetime.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use crate::auth::signin::SignedIn;
use crate::auth::{CSRF_COOKIE, SESSION_COOKIE};
use crate::config::Config;

/// The session cookie (HttpOnly) and the CSRF cookie the page's scripts echo.
pub fn session_cookies(config: &Config, signed: &SignedIn) -> [Cookie<'static>; 2] {
    let max_age = CookieDuration::hours(config.session_ttl_hours as i64);
    let session = Cookie::build(SESSION_COOKIE, signed.session_token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies)
        .max_age(max_age)
        .finish();
    let csrf = Cookie::build(CSRF_COOKIE, signed.csrf_token.clone())
        .path("/")
        .same_site(SameSite::Strict)
        .secure(config.secure_cookies)
        .max_age(max_age)
        .finish();
    [session, csrf]
}
