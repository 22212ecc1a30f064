//! Who is calling: passwords, sessions, API tokens, CSRF and sign-in throttling.
//!
//! Authentication ends in a [`Caller`], which the transport layer's extractor builds and every
//! protected handler takes as an argument, so a handler cannot run without a verified caller. What that caller may do with
//! a given resource is decided in [`crate::access`].

pub mod caller;
pub mod client;
pub mod password;
pub mod secrets;
pub mod signin;
pub mod throttle;

pub use caller::{AdminCaller, AuthMethod, Caller};

/// The sign-in session cookie (HttpOnly).
pub const SESSION_COOKIE: &str = "tessera_session";
/// The CSRF token cookie, readable by the page's scripts, echoed in [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "tessera_csrf";
/// Cookie-authenticated writes must carry the session's CSRF token in this header.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What an API token may be used for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read-only requests (GET, HEAD).
    Read,
    /// Also requests that change something.
    Write,
    /// Also the admin API (only for site admins).
    Admin,
}

impl Scope {
    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

/// Parses the stored, space-separated scope list.
pub fn parse_scopes(stored: &str) -> Vec<Scope> {
    stored.split_whitespace().filter_map(Scope::parse).collect()
}
