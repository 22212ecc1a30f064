use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::signin;
use crate::http::api::users::UserView;
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::to_rfc3339;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(examples(json!({"email": "ada@example.org", "password": "correct horse battery staple"})))]
pub struct LoginRequest {
    /// The account's email address (compared without regard to case).
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "user": {
        "id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "email": "ada@example.org",
        "name": "Ada Lovelace",
        "is_admin": false,
        "is_active": true,
        "created_at": "2026-03-02T09:15:00Z"
    },
    "csrf_token": "Xq3v9Zp2Lr7Tn1Wk5Yb8Hc4Fd6Gs0Mj",
    "expires_at": "2026-03-09T09:15:00Z"
})))]
pub struct LoginView {
    pub user: UserView,
    /// Send this as `X-CSRF-Token` with every cookie-authenticated change.
    pub csrf_token: String,
    /// When the session ends (`session_ttl_hours` after sign-in).
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// Signs in; sets the HttpOnly session cookie and returns the CSRF token.
///
/// Anyone may call it. An unknown email and a wrong password answer alike (`401
/// invalid_credentials`) and take the same time. Wrong passwords slow later attempts down, per
/// client address and per account (`429` with `Retry-After`: nothing is checked); an address
/// with no wrong guess still gets its attempt. When more sign-ins arrive than the server checks
/// at once, the surplus gets `503` with `Retry-After`. A deactivated account is refused with
/// `403`, and only after its right password. On success the session cookie (HttpOnly) and the
/// CSRF cookie are set; send the answer's `csrf_token` as `X-CSRF-Token` with every change made
/// with the cookie. Every sign-in, successful or not, is audited (`login.success`,
/// `login.fail`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginRequest, responses(
    (status = 200, body = LoginView),
    (status = 401, description = "`invalid_credentials`: wrong email or password", body = crate::http::error::ErrorBody),
    (status = 403, description = "`forbidden`: the account is deactivated (said only to its right password)", body = crate::http::error::ErrorBody),
    (status = 429, description = "Too many wrong passwords from this address or for this account; nothing was checked. See Retry-After", body = crate::http::error::ErrorBody),
    (status = 503, description = "More sign-ins than the server checks at once; nothing was checked. See Retry-After", body = crate::http::error::ErrorBody),
))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { email, password } = body.into_inner();
    let signed = signin::sign_in(
        &state.db,
        &state.config,
        &state.password_gate,
        crate::http::client::address(&req, &state.config),
        email,
        password,
    )
    .await?;
    let [session, csrf] = crate::http::cookies::session_cookies(&state.config, &signed);
    Ok(HttpResponse::Ok()
        .cookie(session)
        .cookie(csrf)
        .json(LoginView {
            user: signed.user.into(),
            csrf_token: signed.csrf_token,
            expires_at: to_rfc3339(signed.expires_at),
        }))
}
