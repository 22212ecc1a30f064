use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::AdminCaller;
use crate::db::users::User;
use crate::http::access::deferred;
use crate::http::api::pagination::Page;
use crate::http::api::users::UserView;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

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
