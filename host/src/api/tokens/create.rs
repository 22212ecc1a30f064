use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::TokenView;
use crate::api::required_text;
use crate::auth::{Caller, Scope, secrets};
use crate::db::api_tokens::ApiToken;
use crate::db::new_id;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::{from_rfc3339, now_millis};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    pub name: String,
    /// Defaults to `["read"]`.
    pub scopes: Option<Vec<Scope>>,
    /// Seconds until the token expires.
    pub expires_in: Option<u64>,
    /// RFC 3339 expiry; give this or `expires_in`, or neither for a token without expiry.
    pub expires_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenView {
    /// The secret, shown this once: send it as `Authorization: Bearer <token>`.
    pub token: String,
    #[serde(flatten)]
    pub details: TokenView,
}

/// Creates a personal API token; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = NewTokenRequest, responses(
    (status = 201, body = CreatedTokenView),
    (status = 422, body = crate::error::ErrorBody),
))]
pub async fn create_token(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewTokenRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let name = required_text("name", &body.name, 100)?;
    let mut scopes = body.scopes.unwrap_or_else(|| vec![Scope::Read]);
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    if scopes.is_empty() {
        return Err(ApiError::validation(
            "scopes must name at least one of read, write, admin",
        ));
    }
    if scopes.contains(&Scope::Admin) && !caller.user.is_admin {
        return Err(ApiError::forbidden(
            "only site admins can create tokens with the admin scope",
        ));
    }
    let now = now_millis();
    let expires_at = match (body.expires_in, body.expires_at.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "give expires_in or expires_at, not both",
            ));
        }
        (Some(seconds), None) => Some(now.saturating_add((seconds as i64).saturating_mul(1000))),
        (None, Some(text)) => Some(from_rfc3339(text).ok_or_else(|| {
            ApiError::validation("expires_at must be an RFC 3339 time, e.g. 2027-01-31T12:00:00Z")
        })?),
        (None, None) => None,
    };
    if expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::validation("the expiry must be in the future"));
    }

    let secret = secrets::generate("tsr_");
    let token = ApiToken {
        id: new_id(),
        user_id: caller.user.id.clone(),
        name,
        token_hash: secrets::hash(&secret),
        prefix: secret.chars().take(10).collect(),
        scopes: scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        created_at: now,
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    let stored = token.clone();
    state
        .db
        .run(move |conn| ApiToken::create(conn, &stored))
        .await?;
    tracing::info!(user = %caller.user.id, token = %token.id, "API token created");
    Ok(HttpResponse::Created().json(CreatedTokenView {
        token: secret,
        details: token.into(),
    }))
}
