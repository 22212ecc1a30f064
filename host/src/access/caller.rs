//! The verified caller of a request, the subject of every access decision: who they are, how
//! they proved it (a session, or an API token and its scopes), where from, and the access
//! control that decides what they may do. Proven by [`crate::auth`] and built by the transport
//! layer (`crate::http::extract`) before any handler runs; defined here, beneath both, so that
//! the decisions can name it without importing the code that authenticates.

use std::sync::Arc;

use super::policy::AccessControl;
use crate::db::users::User;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum AuthMethod {
    Session {
        token_hash: String,
    },
    Token {
        id: String,
        scopes: Vec<Scope>,
        /// When the token stops working (milliseconds), if it ever does.
        expires_at: Option<i64>,
    },
}

/// A verified, active user making this request.
#[derive(Clone)]
pub struct Caller {
    pub user: User,
    pub method: AuthMethod,
    /// The client's address, as far as it can be trusted (see `crate::auth::client`).
    pub address: Option<String>,
    /// Decides what this caller may do; see [`crate::access`].
    pub access: Arc<AccessControl>,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("user", &self.user.id)
            .field("method", &self.method)
            .field("address", &self.address)
            .finish()
    }
}

impl Caller {
    pub fn id(&self) -> &str {
        &self.user.id
    }

    pub fn is_admin(&self) -> bool {
        self.user.is_admin
            && match &self.method {
                AuthMethod::Session { .. } => true,
                AuthMethod::Token { scopes, .. } => scopes.contains(&Scope::Admin),
            }
    }
}

/// A caller who is a site admin (and, with a token, holds the `admin` scope).
#[derive(Debug, Clone)]
pub struct AdminCaller(pub Caller);

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
