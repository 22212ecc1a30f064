use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::TeamView;
use crate::db::teams::Team;
use crate::http::access::{Member, OnTeam};
use crate::http::api::users::UserRef;
use crate::http::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberView {
    pub user: UserRef,
    #[schema(value_type = crate::http::views::vocabulary::TeamRole)]
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f71-5d2c-7e40-a3b1-2c9d8e7f6a05",
    "name": "Limnology",
    "description": "Lake and river research",
    "created_at": "2026-03-02T09:30:00Z",
    "members": [
        {"user": {"id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10", "email": "ada@example.org", "name": "Ada Lovelace"}, "role": "owner"},
        {"user": {"id": "01932f6f-8a3d-7b12-b4c6-1e2f3a4b5c6d", "email": "colleague@example.org", "name": "A Colleague"}, "role": "member"}
    ]
})))]
pub struct TeamDetailView {
    #[serde(flatten)]
    pub team: TeamView,
    pub members: Vec<TeamMemberView>,
}

/// A team with its members (members and site admins).
///
/// For the team's members and site admins; anyone else is told it does not exist (`404`).
/// Members are listed by email with their role. Changes nothing.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = String, Path)), responses(
    (status = 200, body = TeamDetailView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn get_team(
    on: OnTeam<Member>,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<TeamDetailView>> {
    let team = on.team;
    let team_id = team.id.clone();
    let members = state
        .db
        .run(move |conn| Team::members(conn, &team_id))
        .await?;
    Ok(web::Json(TeamDetailView {
        team: team.into(),
        members: members
            .into_iter()
            .map(|(m, u)| TeamMemberView {
                user: u.into(),
                role: m.role,
            })
            .collect(),
    }))
}
