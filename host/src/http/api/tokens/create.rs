use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::TokenView;
use crate::access::audit::{self, AuditEvent};
use crate::access::{AuthMethod, Caller, Scope};
use crate::auth::secrets;
use crate::db::api_tokens::ApiToken;
use crate::db::{new_id, write_transaction};
use crate::http::access::deferred;
use crate::http::api::{MAX_EXPIRES_IN_SECONDS, required_text};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::{from_rfc3339, now_millis};

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
    let requested = match (body.expires_in, body.expires_at.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "give expires_in or expires_at, not both",
            ));
        }
        // Held to the same range as every other expiry: beyond it the time could not be
        // written back as RFC 3339, and past 2^63 the number would wrap.
        (Some(seconds), None) => match i64::try_from(seconds) {
            Ok(seconds) if (1..=MAX_EXPIRES_IN_SECONDS).contains(&seconds) => {
                Some(now + seconds * 1000)
            }
            _ => {
                return Err(ApiError::validation(
                    "expires_in must be a positive number of seconds (at most a hundred years)",
                ));
            }
        },
        (None, Some(text)) => Some(from_rfc3339(text).ok_or_else(|| {
            ApiError::validation("expires_at must be an RFC 3339 time, e.g. 2027-01-31T12:00:00Z")
        })?),
        (None, None) => None,
    };
    if requested.is_some_and(|t| t <= now) {
        return Err(ApiError::validation("the expiry must be in the future"));
    }
    let expires_at = match within_parent(&caller, &scopes, requested) {
        Ok(expires_at) => expires_at,
        Err(refusal) => {
            let event = token_event(
                &caller,
                "denied",
                &scopes,
                requested,
                ("reason", refusal.message.clone()),
            );
            state
                .db
                .run(move |conn| audit::record(conn, now, event))
                .await?;
            return Err(refusal);
        }
    };

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
    let event = token_event(
        &caller,
        "ok",
        &scopes,
        expires_at,
        ("token", token.id.clone()),
    );
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                ApiToken::create(conn, &stored)?;
                audit::record(conn, now, event)?;
                Ok::<_, crate::db::DbError>(())
            })
        })
        .await?;
    tracing::info!(user = %caller.user.id, token = %token.id, "API token created");
    Ok(HttpResponse::Created().json(CreatedTokenView {
        token: secret,
        details: token.into(),
    }))
}

/// The audit entry of a token's creation, or of its refusal.
fn token_event(
    caller: &Caller,
    outcome: &'static str,
    scopes: &[Scope],
    expires_at: Option<i64>,
    (key, value): (&str, String),
) -> AuditEvent {
    let by = match &caller.method {
        AuthMethod::Token { id, .. } => format!("token:{id}"),
        AuthMethod::Session { .. } => "session".to_owned(),
    };
    AuditEvent::new(
        audit::actor_user(&caller.user.id),
        "token.create",
        format!("user:{}", caller.user.id),
    )
    .outcome(outcome)
    .detail(serde_json::json!({
        "by": by,
        "scopes": scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "expires_at": expires_at.map(crate::time::to_rfc3339),
        key: value,
    }))
    .address(caller.address.clone())
}

/// A token may mint only what it could do itself: no scope beyond its own, no life beyond its
/// own. Without this, any token (a short-lived CI token, a read-write token of a site admin)
/// could mint a broader, longer-lived one and so outlive or outgrow what its owner gave it.
/// A signed-in session is bounded only by the account (admin scope for site admins).
///
/// Returns the expiry the new token gets: the one asked for, or the parent's when none was.
fn within_parent(
    caller: &Caller,
    scopes: &[Scope],
    requested: Option<i64>,
) -> Result<Option<i64>, ApiError> {
    let AuthMethod::Token {
        id,
        scopes: held,
        expires_at: parent_expiry,
    } = &caller.method
    else {
        return Ok(requested);
    };
    // Scopes are ordered by what they allow: read < write < admin, each including the ones
    // before (the extractor lets an admin-scoped token write). A token holds what its
    // broadest scope allows.
    let rank = |scope: &Scope| match scope {
        Scope::Read => 0,
        Scope::Write => 1,
        Scope::Admin => 2,
    };
    let broadest = held.iter().map(rank).max().unwrap_or(0);
    if let Some(beyond) = scopes.iter().find(|s| rank(s) > broadest) {
        tracing::info!(
            decision = "deny",
            user = %caller.user.id,
            token = %id,
            scope = beyond.as_str(),
            "token creation refused: scope beyond the presenting token's"
        );
        return Err(ApiError::forbidden(format!(
            "this API token cannot create a token with the '{}' scope, which it does not hold",
            beyond.as_str()
        )));
    }
    match (*parent_expiry, requested) {
        (None, requested) => Ok(requested),
        (Some(parent), None) => Ok(Some(parent)),
        (Some(parent), Some(asked)) if asked <= parent => Ok(Some(asked)),
        (Some(parent), Some(_)) => {
            tracing::info!(
                decision = "deny",
                user = %caller.user.id,
                token = %id,
                "token creation refused: expiry beyond the presenting token's"
            );
            Err(ApiError::forbidden(format!(
                "this API token expires at {}; it cannot create a token that lives longer",
                crate::time::to_rfc3339(parent)
            )))
        }
    }
}
