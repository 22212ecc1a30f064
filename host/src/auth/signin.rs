//! Signing in with an email and a password: throttled per account and per address, audited,
//! ending in a session. The API's login and the sign-in page share it.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, web};

use super::{CSRF_COOKIE, SESSION_COOKIE, password, secrets, throttle};
use crate::access::audit::{self, AuditEvent};
use crate::config::Config;
use crate::db::DbError;
use crate::db::login_throttle::LoginThrottle;
use crate::db::sessions::Session;
use crate::db::users::User;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::time::now_millis;

/// A new session, its secrets shown once.
pub struct SignedIn {
    pub user: User,
    pub session_token: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Checks the password and opens a session.
pub async fn sign_in(
    state: &AppState,
    req: &HttpRequest,
    email: String,
    given: String,
) -> Result<SignedIn, ApiError> {
    let account_key = throttle::account_key(&email);
    let client = crate::auth::client::address(req, &state.config);
    let address_key = throttle::address_key(client);
    let logged_address = crate::auth::client::for_log(client, &state.config);
    let config = state.config.clone();
    let now = now_millis();

    let keys = (account_key.clone(), address_key.clone());
    let (locked, user) = state
        .db
        .run(move |conn| {
            let locked = [&keys.0, &keys.1]
                .into_iter()
                .filter_map(|k| LoginThrottle::locked_for(conn, k, now).transpose())
                .collect::<Result<Vec<u64>, _>>()?
                .into_iter()
                .max();
            Ok::<_, DbError>((locked, User::find_by_email(conn, &email)?))
        })
        .await?;
    if let Some(seconds) = locked {
        tracing::info!(decision = "deny", reason = "throttled", key = %account_key, "sign-in refused");
        return Err(ApiError::too_many_attempts(seconds));
    }

    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = web::block(move || password::verify(&given, stored.as_deref())).await?;
    let Some(user) = user.filter(|_| matches) else {
        let window = (config.login_lockout_seconds * 1000) as i64;
        let max = config.login_max_failures;
        let account = account_key.clone();
        state
            .db
            .run(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    LoginThrottle::record_failure(conn, &account_key, now, max, window)?;
                    LoginThrottle::record_failure(conn, &address_key, now, max, window)?;
                    audit::record(
                        conn,
                        now,
                        AuditEvent::new("anonymous", "login.fail", account)
                            .outcome("denied")
                            .detail(serde_json::json!({"reason": "wrong email or password"}))
                            .address(logged_address),
                    )
                    .map(|_| ())
                })
            })
            .await?;
        tracing::info!(
            decision = "deny",
            reason = "wrong email or password",
            "sign-in refused"
        );
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "wrong email or password",
        ));
    };
    if !user.is_active {
        tracing::info!(decision = "deny", user = %user.id, reason = "deactivated", "sign-in refused");
        return Err(ApiError::forbidden(
            "this account is deactivated; ask an administrator",
        ));
    }

    let success_address = crate::auth::client::for_log(client, &state.config);
    let session_token = secrets::generate("tss_");
    let csrf_token = secrets::generate("");
    let expires_at = now + (config.session_ttl_hours * 3600 * 1000) as i64;
    let session = Session {
        token_hash: secrets::hash(&session_token),
        user_id: user.id.clone(),
        csrf_hash: secrets::hash(&csrf_token),
        created_at: now,
        expires_at,
    };
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                LoginThrottle::clear(conn, &account_key)?;
                Session::delete_expired(conn, now)?;
                Session::create(conn, &session)?;
                audit::record(
                    conn,
                    now,
                    AuditEvent::new(
                        audit::actor_user(&session.user_id),
                        "login.success",
                        account_key,
                    )
                    .outcome("granted")
                    .address(success_address),
                )
                .map(|_| ())
            })
        })
        .await?;
    tracing::info!(decision = "grant", user = %user.id, "signed in");

    Ok(SignedIn {
        user,
        session_token,
        csrf_token,
        expires_at,
    })
}

/// The session cookie (HttpOnly) and the CSRF cookie the page's scripts echo.
pub fn session_cookies(config: &Config, signed: &SignedIn) -> [Cookie<'static>; 2] {
    let max_age = CookieDuration::hours(config.session_ttl_hours as i64);
    let session = Cookie::build(SESSION_COOKIE, signed.session_token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies)
        .max_age(max_age)
        .finish();
    let csrf = Cookie::build(CSRF_COOKIE, signed.csrf_token.clone())
        .path("/")
        .same_site(SameSite::Strict)
        .secure(config.secure_cookies)
        .max_age(max_age)
        .finish();
    [session, csrf]
}
