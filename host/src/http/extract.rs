//! Who is calling: the [`Caller`] extractor verifies a session cookie or a bearer token before a
//! handler runs, and refuses deactivated accounts, expired or revoked credentials, cookie-borne
//! writes without their CSRF token, and tokens used beyond their scopes (`401`, `403`). What
//! the caller may then do is decided in [`crate::http::access`].

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::access::{AuthMethod, Caller, Scope, parse_scopes};
use crate::auth::{CSRF_HEADER, SESSION_COOKIE, secrets};
use crate::db::DbError;
use crate::db::api_tokens::ApiToken;
use crate::db::sessions::Session;
use crate::db::users::User;
use crate::http::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::time::now_millis;

/// The credential of an `Authorization: Bearer ...` header (RFC 6750, section 2.1; the scheme
/// is case-insensitive), whether an API token or a link's token.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Verifies the request's credentials: what the [`Caller`] extractor and every access
/// extractor built on it do first; pages call it to send a visitor to sign in instead.
pub async fn authenticate(req: HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let safe = is_safe(req.method());
    let address = state
        .config
        .logged_address(crate::http::client::address(&req, &state.config));
    let access = state.access.clone();
    let now = now_millis();

    if let Some(token) = bearer(&req) {
        let token_hash = secrets::hash(&token);
        let found = state
            .db
            .run(move |conn| {
                let Some(token) = ApiToken::find_usable(conn, &token_hash, now)? else {
                    return Ok::<_, DbError>(None);
                };
                let user = User::find(conn, &token.user_id)?;
                if token.last_used_at.is_none_or(|t| now - t > 60_000) {
                    ApiToken::touch(conn, &token.id, now)?;
                }
                Ok(Some((token, user)))
            })
            .await?;
        let Some((token, user)) = found else {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "the API token is invalid, expired or revoked",
            ));
        };
        check_active(&user)?;
        let scopes = parse_scopes(&token.scopes);
        if !safe
            && !scopes
                .iter()
                .any(|s| matches!(s, Scope::Write | Scope::Admin))
        {
            return Err(ApiError::new(
                ErrorCode::InsufficientScope,
                "this API token is read-only; create one with the 'write' scope to make changes",
            ));
        }
        return Ok(Caller {
            user,
            method: AuthMethod::Token {
                id: token.id,
                scopes,
                expires_at: token.expires_at,
            },
            address,
            access,
        });
    }

    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        let token_hash = secrets::hash(cookie.value());
        let lookup = token_hash.clone();
        let found = state
            .db
            .run(move |conn| {
                let Some(session) = Session::find_active(conn, &lookup, now)? else {
                    return Ok::<_, DbError>(None);
                };
                let user = User::find(conn, &session.user_id)?;
                Ok(Some((session, user)))
            })
            .await?;
        let Some((session, user)) = found else {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "your session has ended; sign in again",
            ));
        };
        check_active(&user)?;
        if !safe {
            let presented = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(secrets::hash);
            let valid = presented.is_some_and(|h| secrets::hashes_equal(&h, &session.csrf_hash));
            if !valid {
                return Err(ApiError::new(
                    ErrorCode::CsrfTokenMissing,
                    "this change needs the X-CSRF-Token header with the token given at sign-in",
                ));
            }
        }
        return Ok(Caller {
            user,
            method: AuthMethod::Session { token_hash },
            address,
            access,
        });
    }

    Err(ApiError::unauthenticated())
}

fn check_active(user: &User) -> Result<(), ApiError> {
    if user.is_active {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "this account is deactivated; ask an administrator",
        ))
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let result = authenticate(req.clone()).await;
            if let Err(err) = &result {
                tracing::info!(
                    decision = "deny",
                    path = %req.path(),
                    reason = %err.message,
                    "authentication refused"
                );
            }
            result
        })
    }
}
