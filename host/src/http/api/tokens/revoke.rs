use actix_web::{HttpResponse, web};

use crate::access::Caller;
use crate::auth::tokens;
use crate::db::ids::TokenId;
use crate::http::error::ApiResult;
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
    let id = id.into_inner();
    state
        .db
        .run(move |conn| tokens::revoke(conn, &caller, TokenId::new(&id), now_millis()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
