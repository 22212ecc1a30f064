use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::TokenView;
use crate::access::{Caller, Scope};
use crate::auth::tokens::{self, NewToken};
use crate::http::access::deferred;
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "nightly sync", "scopes": ["read"], "expires_in": 7776000})))]
pub struct NewTokenRequest {
    /// A name to recognise the token by (trimmed; 1 to 100 characters).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// What the token may do; defaults to `["read"]`. `admin` only for site admins, and a
    /// token asking for another only within its own scopes.
    #[schema(min_items = 1)]
    pub scopes: Option<Vec<Scope>>,
    /// Seconds until the token expires, at most a hundred years. Give this or `expires_at`,
    /// not both; neither for a token without expiry (a token asking for one: its own expiry).
    #[schema(minimum = 1, maximum = 3153600000_u64)]
    pub expires_in: Option<u64>,
    /// When the token expires (RFC 3339, in the future, no later than the asking token's).
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "token": "tsr_Q2xp9vN4cT7mB1wZ8kR5yH3jL6dF0gS2aE9uP4oI7qW",
    "id": "01932f70-0b4e-7c31-8d2a-6b5e4f3a2c19",
    "name": "nightly sync",
    "prefix": "tsr_Q2xp9v",
    "scopes": ["read"],
    "created_at": "2026-03-02T09:20:00Z",
    "expires_at": "2026-05-31T09:20:00Z",
    "last_used_at": null,
    "revoked_at": null
})))]
pub struct CreatedTokenView {
    /// The secret, shown this once: send it as `Authorization: Bearer <token>`.
    pub token: String,
    #[serde(flatten)]
    pub details: TokenView,
}

/// Creates a personal API token; the secret is in this response only.
///
/// Any signed-in user, for themselves. Scopes: `read` lets the token make GET requests,
/// `write` also changes, `admin` also the admin API (only a site admin may ask for it: `403`).
/// A token asking for a token can give no scope it lacks and no life beyond its own (`403`);
/// without `expires_in` or `expires_at` the new token expires with it. The secret is shown once
/// and stored only as a hash. Every creation, and every refusal of one, is audited
/// (`token.create`). Not idempotent: each call makes another token.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = NewTokenRequest, responses(
    (status = 201, body = CreatedTokenView),
    (status = 403, description = "A scope or an expiry beyond the presenting token's own", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_token(
    caller: Caller,
    state: web::Data<AppState>,
    body: deferred::Json<NewTokenRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    let created = state
        .db
        .run(move |conn| {
            let new = NewToken {
                name: &body.name,
                scopes: body.scopes,
                expires_in: body.expires_in,
                expires_at: body.expires_at.as_deref(),
            };
            tokens::create(conn, &caller, new, now_millis())
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedTokenView {
        token: created.secret,
        details: created.token.into(),
    }))
}
