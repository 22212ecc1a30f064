//! The verified caller of a request: who they are, how they proved it, where from, and the
//! access control that decides what they may do. Built by the transport layer
//! (`crate::http::extract`) before any handler runs.

use std::sync::Arc;

use super::Scope;
use crate::access::policy::AccessControl;
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
    /// The client's address, as far as it can be trusted (see [`super::client`]).
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

