//! Personal API tokens, made and revoked by their owner: what a new token may hold (its
//! scopes, its expiry, and no more than the token asking for it holds), its secret (generated
//! here, kept only as a hash), and the audit entry that each creation, and each refusal of a
//! token reaching beyond the one asking, leaves. Beneath the transport layer, so that these
//! rules read in one place; how a token is presented and checked on a request is the
//! transport layer's (`crate::http::extract`).

use crate::access::audit::{self, AuditEvent};
use crate::access::{AuthMethod, Caller, Scope};
use crate::auth::secrets;
use crate::db::api_tokens::ApiToken;
use crate::db::ids::TokenId;
use crate::db::{AnyConnection, DbError, new_id, write_transaction};
use crate::time::to_rfc3339;

/// Why a token could not be made or revoked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The request is malformed: the sentence says how.
    #[error("{0}")]
    Invalid(String),
    /// The `admin` scope, asked for by someone who is not a site admin.
    #[error("only site admins can create tokens with the admin scope")]
    AdminScope,
    /// A scope the token asking for a token does not hold.
    #[error("this API token cannot create a token with the '{0}' scope, which it does not hold")]
    ScopeBeyondParent(&'static str),
    /// A token that would outlive the token asking for it (which expires at the time given).
    #[error("this API token expires at {0}; it cannot create a token that lives longer")]
    ExpiryBeyondParent(String),
    /// None of the caller's tokens has this id, or it is revoked already.
    #[error("token not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A token as its owner asks for it.
pub struct NewToken<'a> {
    /// To recognise it by; trimmed, 1 to 100 characters.
    pub name: &'a str,
    /// What it may do; `read` unless given.
    pub scopes: Option<Vec<Scope>>,
    /// Seconds until it expires (not with `expires_at`).
    pub expires_in: Option<u64>,
    /// When it expires (RFC 3339). Neither given: no expiry, or the asking token's own.
    pub expires_at: Option<&'a str>,
}

/// A token just made, with its secret, which exists nowhere else: only its hash is stored.
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Makes a token for `caller`. The `admin` scope is for site admins only; a token asking for a
/// token can give no scope it lacks and no life beyond its own, and without an expiry the new
/// token expires with it. Audited (`token.create`), and so is a refusal for reaching beyond
/// the asking token.
pub fn create(
    conn: &mut AnyConnection,
    caller: &Caller,
    new: NewToken,
    now: i64,
) -> Result<CreatedToken, TokenError> {
    let name = crate::human::required_text("name", new.name, 100).map_err(TokenError::Invalid)?;
    let mut scopes = new.scopes.unwrap_or_else(|| vec![Scope::Read]);
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    if scopes.is_empty() {
        return Err(invalid(
            "scopes must name at least one of read, write, admin",
        ));
    }
    if scopes.contains(&Scope::Admin) && !caller.user.is_admin {
        return Err(TokenError::AdminScope);
    }
    let requested = requested_expiry(new.expires_in, new.expires_at, now)?;
    let expires_at = match within_parent(caller, &scopes, requested) {
        Ok(expires_at) => expires_at,
        Err(refusal) => {
            let event = token_event(
                caller,
                "denied",
                &scopes,
                requested,
                ("reason", refusal.to_string()),
            );
            audit::record(conn, now, event)?;
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
    let event = token_event(
        caller,
        "ok",
        &scopes,
        expires_at,
        ("token", token.id.clone()),
    );
    write_transaction(conn, |conn| {
        ApiToken::create(conn, &token)?;
        audit::record(conn, now, event)?;
        Ok::<_, TokenError>(())
    })?;
    tracing::info!(user = %caller.user.id, token = %token.id, "API token created");
    Ok(CreatedToken { token, secret })
}

/// Revokes one of `caller`'s tokens; it stops working at once. Another user's token is
/// [`TokenError::NotFound`], as an unknown one is, and so is one revoked already. A token may
/// revoke itself.
pub fn revoke(
    conn: &mut AnyConnection,
    caller: &Caller,
    token_id: TokenId,
    now: i64,
) -> Result<(), TokenError> {
    if !ApiToken::revoke(conn, caller.user.user_id(), token_id, now)? {
        return Err(TokenError::NotFound);
    }
    tracing::info!(user = %caller.user.id, token = %token_id, "API token revoked");
    Ok(())
}

fn invalid(message: &str) -> TokenError {
    TokenError::Invalid(message.to_owned())
}

/// The expiry a request gives, read as every other expiry is ([`crate::time::resolve_expiry`]);
/// seconds beyond what an `i64` holds are out of range like any beyond a hundred years.
fn requested_expiry(
    expires_in: Option<u64>,
    expires_at: Option<&str>,
    now: i64,
) -> Result<Option<i64>, TokenError> {
    let seconds = expires_in.map(|seconds| i64::try_from(seconds).unwrap_or(i64::MAX));
    crate::time::resolve_expiry(seconds, expires_at, now)
        .map_err(|refused| TokenError::Invalid(refused.to_string()))
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
        "expires_at": expires_at.map(to_rfc3339),
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
) -> Result<Option<i64>, TokenError> {
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
        return Err(TokenError::ScopeBeyondParent(beyond.as_str()));
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
            Err(TokenError::ExpiryBeyondParent(to_rfc3339(parent)))
        }
    }
}
