//! Who is calling: passwords, sessions, API tokens (made and revoked in [`tokens`]), CSRF and
//! sign-in throttling.
//!
//! Authentication ends in a [`Caller`](crate::access::Caller) (defined with the access
//! decisions it is the subject of, in [`crate::access::caller`]), which the transport layer's extractor builds and every
//! protected handler takes as an argument. What that caller may do with a given resource is
//! decided in [`crate::access`].

pub mod password;
pub mod secrets;
pub mod signin;
pub mod throttle;
pub mod tokens;

/// The sign-in session cookie (HttpOnly).
pub const SESSION_COOKIE: &str = "tessera_session";
/// The CSRF token cookie, readable by the page's scripts, echoed in [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "tessera_csrf";
/// Cookie-authenticated writes must carry the session's CSRF token in this header.
pub const CSRF_HEADER: &str = "x-csrf-token";
