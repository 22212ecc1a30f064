//! Personal API tokens: created once with their secret shown, listed without it, revoked.

pub mod create;
pub mod list;
pub mod revoke;

use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{Scope, parse_scopes};
use crate::db::api_tokens::ApiToken;
use crate::time::to_rfc3339;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f70-0b4e-7c31-8d2a-6b5e4f3a2c19",
    "name": "nightly sync",
    "prefix": "tsr_Q2xp9v",
    "scopes": ["read"],
    "created_at": "2026-03-02T09:20:00Z",
    "expires_at": "2026-05-31T09:20:00Z",
    "last_used_at": null,
    "revoked_at": null
})))]
pub struct TokenView {
    pub id: String,
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it stops working; `null` for never.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Last use, to the minute.
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
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
