//! Account management for site admins: list, create, deactivate, promote.

use crate::access::audit;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::api::not_found_as;
use crate::http::api::pagination::Page;
use crate::http::api::users::UserView;
use crate::auth::AdminCaller;
use crate::http::access::deferred;
use crate::db::api_tokens::ApiToken;
use crate::db::sessions::Session;
use crate::db::users::User;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"is_active": true, "is_admin": false})))]
pub struct UserChangesRequest {
    /// `false` deactivates: the user's sessions and tokens stop working at once, and so do the
    /// share links they made; `true` reactivates (revoked tokens stay revoked).
    pub is_active: Option<bool>,
    /// Promotes to site admin, or demotes.
    pub is_admin: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "items": [{
        "id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "email": "ada@example.org",
        "name": "Ada Lovelace",
        "is_admin": true,
        "is_active": true,
        "created_at": "2026-03-02T09:15:00Z"
    }],
    "total": 1,
    "offset": 0,
    "limit": 50
})))]
pub struct UserListView {
    pub items: Vec<UserView>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Every account, by email.
///
/// Site admins only (a token needs the `admin` scope); anyone else gets `403`, and the refusal
/// is audited. Paged with `offset` and `limit`; `total` counts every account. Changes nothing.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(Page), responses(
    (status = 200, body = UserListView),
    (status = 403, body = crate::http::error::ErrorBody),
))]
pub async fn list_users(
    _admin: AdminCaller,
    state: web::Data<AppState>,
    page: deferred::Query<Page>,
) -> ApiResult<web::Json<UserListView>> {
    let (offset, limit) = page.read().await?.resolve()?;
    let (users, total) = state
        .db
        .run(move |conn| Ok::<_, ApiError>((User::list(conn, offset, limit)?, User::count(conn)?)))
        .await?;
    Ok(web::Json(UserListView {
        items: users.into_iter().map(UserView::from).collect(),
        total,
        offset,
        limit,
    }))
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
        &body.email,
        &body.name,
        &body.password,
        body.is_admin,
    )
    .await?;
    tracing::info!(admin = %admin.0.user.id, user = %user.id, "user created");
    let (target, detail) = (
        format!("user:{}", user.id),
        serde_json::json!({"email": user.email, "is_admin": user.is_admin}),
    );
    state
        .db
        .run(move |conn| audit::caller_action(conn, &admin.0, "admin.user.create", target, detail))
        .await?;
    Ok(HttpResponse::Created().json(UserView::from(user)))
}

/// Deactivates, reactivates, promotes or demotes an account.
///
/// Site admins only (`admin` scope). Absent fields stay as they are. Deactivating ends the
/// account's sessions and revokes its tokens at once, and suspends the share links it made; the
/// last active site admin can be neither deactivated nor demoted (`409`). Audited
/// (`admin.user.update`); the change holds on every replica on the next request. Idempotent:
/// the same flags again change nothing more.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = String, Path)),
    request_body = UserChangesRequest, responses(
    (status = 200, body = UserView),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, body = crate::http::error::ErrorBody),
))]
pub async fn update_user(
    admin: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: deferred::Json<UserChangesRequest>,
) -> ApiResult<web::Json<UserView>> {
    let id = id.into_inner();
    let changes = body.read().await?.into_inner();
    let admin_id = admin.0.user.id.clone();
    let caller = admin.0.clone();
    let user = state
        .db
        .run(move |conn| {
            crate::db::write_transaction::<_, ApiError, _>(conn, |conn| {
                let now = now_millis();
                let before = User::find(conn, &id).map_err(|e| not_found_as(e, "user"))?;
                let user = User::set_flags(conn, &id, changes.is_active, changes.is_admin, now)?;
                if before.is_admin
                    && before.is_active
                    && !(user.is_admin && user.is_active)
                    && User::count_active_admins(conn)? == 0
                {
                    return Err(ApiError::conflict("this would leave no active site admin"));
                }
                if !user.is_active {
                    Session::delete_for_user(conn, &user.id)?;
                    ApiToken::revoke_all_for_user(conn, &user.id, now)?;
                }
                audit::caller_action(
                    conn,
                    &caller,
                    "admin.user.update",
                    format!("user:{}", user.id),
                    serde_json::json!({"is_active": user.is_active, "is_admin": user.is_admin}),
                )?;
                Ok(user)
            })
        })
        .await?;
    tracing::info!(admin = %admin_id, user = %user.id, active = user.is_active, admin_flag = user.is_admin, "user changed");
    Ok(web::Json(user.into()))
}
