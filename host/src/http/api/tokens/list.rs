use actix_web::web;

use super::TokenView;
use crate::access::Caller;
use crate::db::api_tokens::ApiToken;
use crate::http::error::ApiResult;
use crate::state::AppState;

/// The caller's tokens, newest first, without their secrets.
///
/// Any signed-in caller, for their own tokens only, revoked and expired ones included (see
/// `revoked_at`, `expires_at`). Not paged: a person holds few tokens. Changes nothing.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", responses((status = 200, body = Vec<TokenView>)))]
pub async fn list_tokens(
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<TokenView>>> {
    let user_id = caller.user.id.clone();
    let tokens = state
        .db
        .run(move |conn| ApiToken::list_for_user(conn, &user_id))
        .await?;
    Ok(web::Json(tokens.into_iter().map(TokenView::from).collect()))
}
