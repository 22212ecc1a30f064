use actix_web::web;

use super::UserView;
use crate::access::Caller;
use crate::http::error::ApiResult;

/// The signed-in caller.
///
/// Any signed-in caller, with a session or a token of any scope: who the credentials belong
/// to. Changes nothing.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses(
    (status = 200, body = UserView),
    (status = 401, body = crate::http::error::ErrorBody),
))]
pub async fn get_me(caller: Caller) -> ApiResult<web::Json<UserView>> {
    Ok(web::Json(caller.user.into()))
}
