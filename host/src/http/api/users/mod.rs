//! Users as the API shows them: [`UserView`] to the account's holder and site admins,
//! [`UserRef`] to everyone else (teams and groups list their members by it); and the caller's
//! own account (`GET /api/v1/me`).

pub mod me;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::users::User;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "email": "ada@example.org",
    "name": "Ada Lovelace",
    "is_admin": false,
    "is_active": true,
    "created_at": "2026-03-02T09:15:00Z"
})))]
pub struct UserView {
    pub id: String,
    /// Lower-case, as stored.
    pub email: String,
    pub name: String,
    /// A site admin: manages accounts, plugins, policies and every dataset.
    pub is_admin: bool,
    /// `false` for a deactivated account, which can neither sign in nor use its tokens.
    pub is_active: bool,
    #[schema(format = DateTime)]
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
#[schema(examples(json!({
    "id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "email": "ada@example.org",
    "name": "Ada Lovelace"
})))]
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
