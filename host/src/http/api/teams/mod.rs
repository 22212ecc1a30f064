//! Teams: research groups owning datasets together. Any user may create a team and becomes
//! its owner; team owners and site admins rename it and manage membership.

pub mod add_member;
pub mod create;
pub mod get;
pub mod list;
pub mod remove_member;
pub mod update;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::teams::Team;
use crate::time::to_rfc3339;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f71-5d2c-7e40-a3b1-2c9d8e7f6a05",
    "name": "Limnology",
    "description": "Lake and river research",
    "created_at": "2026-03-02T09:30:00Z"
})))]
pub struct TeamView {
    pub id: String,
    pub name: String,
    pub description: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<Team> for TeamView {
    fn from(team: Team) -> Self {
        Self {
            id: team.id,
            name: team.name,
            description: team.description,
            created_at: to_rfc3339(team.created_at),
        }
    }
}
