use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::access::AdminCaller;
use crate::http::access::deferred;
use crate::http::api::users::UserView;
use crate::http::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "email": "grace@example.org",
    "name": "Grace Hopper",
    "password": "a long and private passphrase",
    "is_admin": false
})))]
pub struct NewUserRequest {
    /// Unique; trimmed and stored in lower case. An address: something before the first `@`,
    /// a domain after it that neither starts nor ends with `.`, no spaces, at most 254 bytes.
    #[schema(
        min_length = 3,
        max_length = 254,
        pattern = r"^\s*[^@\s]+@[^\s.](\S*[^\s.])?\s*$"
    )]
    pub email: String,
    /// Trimmed; 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// 8 to 1,024 characters; stored only as an argon2id hash.
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    /// A site admin (default `false`).
    #[serde(default)]
    pub is_admin: bool,
}

/// Creates an account.
///
/// Site admins only (`admin` scope). The email must look like an address and be free (`409`
/// if an account has it), the name 1 to 200 characters, the password 8 to 1,024 (`422`
/// otherwise). What was shared with the address before the account existed applies to it at
/// once. Audited (`admin.user.create`). Not idempotent: the same request again answers `409`.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", request_body = NewUserRequest, responses(
    (status = 201, body = UserView),
    (status = 409, description = "`conflict`: an account has this email already", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_user(
    admin: AdminCaller,
    state: web::Data<AppState>,
    body: deferred::Json<NewUserRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    let user = crate::accounts::create_user(
        &state.db,
        Some(&admin.0),
        &body.email,
        &body.name,
        &body.password,
        body.is_admin,
    )
    .await?;
    tracing::info!(admin = %admin.0.user.id, user = %user.id, "user created");
    Ok(HttpResponse::Created().json(UserView::from(user)))
}
