use actix_web::cookie::Cookie;
use actix_web::{HttpResponse, web};

use crate::access::{AuthMethod, Caller};
use crate::auth::signin;
use crate::auth::{CSRF_COOKIE, SESSION_COOKIE};
use crate::http::error::ApiResult;
use crate::state::AppState;

/// Ends the current session (its cookie stops working at once, on every replica).
///
/// Any signed-in caller. With the session cookie (and its `X-CSRF-Token`), the session is
/// deleted and both cookies are cleared; with an API token nothing is deleted (revoke a token
/// with `DELETE /api/v1/tokens/{id}`), and the answer is the same. Idempotent in effect: a
/// second call has no session left and gets `401`.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", responses(
    (status = 204, description = "Signed out"),
    (status = 401, body = crate::http::error::ErrorBody),
))]
pub async fn logout(caller: Caller, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if let AuthMethod::Session { token_hash } = caller.method {
        signin::sign_out(&state.db, token_hash).await?;
    }
    let mut expired_session = Cookie::new(SESSION_COOKIE, "");
    expired_session.set_path("/");
    expired_session.make_removal();
    let mut expired_csrf = Cookie::new(CSRF_COOKIE, "");
    expired_csrf.set_path("/");
    expired_csrf.make_removal();
    Ok(HttpResponse::NoContent()
        .cookie(expired_session)
        .cookie(expired_csrf)
        .finish())
}
