//! Personal API tokens: created once with their secret shown, listed without it, revoked.

pub mod create;
pub mod list;
pub mod revoke;

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Scope, parse_scopes};
use crate::db::api_tokens::ApiToken;
use crate::time::to_rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<ApiToken> for TokenView {
    fn from(token: ApiToken) -> Self {
        Self {
            id: token.id,
            name: token.name,
            prefix: token.prefix,
            scopes: parse_scopes(&token.scopes),
            created_at: to_rfc3339(token.created_at),
            expires_at: token.expires_at.map(to_rfc3339),
            last_used_at: token.last_used_at.map(to_rfc3339),
            revoked_at: token.revoked_at.map(to_rfc3339),
        }
    }
}
