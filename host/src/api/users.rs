//! The caller's own account, and the public shape of a user.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::users::User;
use crate::error::ApiResult;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub is_active: bool,
    /// RFC 3339.
    pub created_at: String,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            name: user.name,
            is_admin: user.is_admin,
            is_active: user.is_active,
            created_at: crate::time::to_rfc3339(user.created_at),
        }
    }
}

/// A user as others see them (no account flags).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRef {
    pub id: String,
    pub email: String,
    pub name: String,
}

impl From<User> for UserRef {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            name: user.name,
        }
    }
}

/// The signed-in caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses(
    (status = 200, body = UserView),
    (status = 401, body = crate::error::ErrorBody),
))]
pub async fn get_me(caller: Caller) -> ApiResult<web::Json<UserView>> {
    Ok(web::Json(caller.user.into()))
}
