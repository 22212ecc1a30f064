use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::users::UserView;
use crate::auth::signin;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::time::to_rfc3339;

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
    (status = 429, description = "Too many wrong passwords from this address or for this account; nothing was checked. See Retry-After", body = crate::error::ErrorBody),
    (status = 503, description = "More sign-ins than the server checks at once; nothing was checked. See Retry-After", body = crate::error::ErrorBody),
))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { email, password } = body.into_inner();
    let signed = signin::sign_in(&state, &req, email, password).await?;
    let [session, csrf] = signin::session_cookies(&state.config, &signed);
    Ok(HttpResponse::Ok()
        .cookie(session)
        .cookie(csrf)
        .json(LoginView {
            user: signed.user.into(),
            csrf_token: signed.csrf_token,
            expires_at: to_rfc3339(signed.expires_at),
        }))
}
