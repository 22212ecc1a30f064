use crate::access::audit::{self, AuditEvent};
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::users::UserView;
use crate::auth::{CSRF_COOKIE, SESSION_COOKIE, password, secrets, throttle};
use crate::db::DbError;
use crate::db::login_throttle::LoginThrottle;
use crate::db::sessions::Session;
use crate::db::users::User;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    pub user: UserView,
    /// Send this as `X-CSRF-Token` with every cookie-authenticated change.
    pub csrf_token: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// Signs in; sets the HttpOnly session cookie and returns the CSRF token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginRequest, responses(
    (status = 200, body = LoginView),
    (status = 401, description = "Wrong email or password", body = crate::error::ErrorBody),
    (status = 429, description = "Too many failed attempts; see Retry-After", body = crate::error::ErrorBody),
))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest {
        email,
        password: given,
    } = body.into_inner();
    let account_key = throttle::account_key(&email);
    let client = crate::auth::client::address(&req, &state.config);
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

    let max_age = CookieDuration::hours(config.session_ttl_hours as i64);
    let session_cookie = Cookie::build(SESSION_COOKIE, session_token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies)
        .max_age(max_age)
        .finish();
    let csrf_cookie = Cookie::build(CSRF_COOKIE, csrf_token.clone())
        .path("/")
        .same_site(SameSite::Strict)
        .secure(config.secure_cookies)
        .max_age(max_age)
        .finish();
    Ok(HttpResponse::Ok()
        .cookie(session_cookie)
        .cookie(csrf_cookie)
        .json(LoginView {
            user: user.into(),
            csrf_token,
            expires_at: to_rfc3339(expires_at),
        }))
}
