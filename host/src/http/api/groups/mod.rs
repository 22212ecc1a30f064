//! User groups: named sets of users to share with. Any user may create one; its creator and
//! site admins manage it; every signed-in user may list groups to share with them.
//!
//! Site admins may create *admin-managed* groups (`managed: true`): only site admins change
//! their members or delete them, and only they may be named in policy rules. Rules are about
//! whole classes of datasets (`dataset:*`), so the group a rule names must be one no user can
//! make or join on their own; see [`crate::access::rules`] for why names alone were not enough.

pub mod add_member;
pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod remove_member;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::groups::UserGroup;
use crate::time::to_rfc3339;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f72-9e1f-7a53-b8c2-4d5e6f7a8b90",
    "name": "Field team",
    "description": "Everyone who samples on site",
    "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "created_at": "2026-03-02T09:35:00Z",
    "managed": false
})))]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The creator's user id (`null` once that account is gone).
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Managed by site admins; the only groups policy rules may name.
    pub managed: bool,
}

impl From<UserGroup> for GroupView {
    fn from(group: UserGroup) -> Self {
        Self {
            id: group.id,
            name: group.name,
            description: group.description,
            created_by: group.created_by,
            created_at: to_rfc3339(group.created_at),
            managed: group.managed,
        }
    }
}
