use actix_web::{HttpResponse, web};

use crate::access::Caller;
use crate::db::api_tokens::ApiToken;
use crate::db::ids::{TokenId, UserId};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// Revokes one of the caller's tokens; it stops working at once.
///
/// Any signed-in caller, for their own tokens only: another user's token id answers `404`, as
/// an unknown one does, and so does a token already revoked. A token may revoke itself.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", params(("id" = String, Path)), responses(
    (status = 204, description = "Revoked"),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn revoke_token(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user_id = caller.user.id.clone();
    let id = id.into_inner();
    let token_id = id.clone();
    let revoked = state
        .db
        .run(move |conn| {
            let (user, token) = (UserId::new(&user_id), TokenId::new(&token_id));
            ApiToken::revoke(conn, user, token, now_millis())
        })
        .await?;
    if !revoked {
        return Err(ApiError::not_found("token"));
    }
    tracing::info!(user = %caller.user.id, token = %id, "API token revoked");
    Ok(HttpResponse::NoContent().finish())
}
