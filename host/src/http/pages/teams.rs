//! The teams page: the reader's teams with their members, and the datasets the reader owns
//! with the team each belongs to. Reading needs no script; creating, renaming, managing
//! members and moving datasets go through `/api/v1` from `static/js/teams.js`.

use actix_web::{HttpResponse, web};

use crate::access::Caller;
use crate::db::datasets::Dataset;
use crate::db::teams::{ROLE_OWNER, Team};
use crate::http::error::ApiError;
use crate::state::AppState;

use super::page::{Page, error_page, respond, user_context};

pub async fn teams_page(page: Page<Caller>, state: web::Data<AppState>) -> HttpResponse {
    let Page(caller) = page;
    let reader = caller.clone();
    let found = state
        .db
        .run(move |conn| {
            // The teams the reader is in; a site admin manages every team, but this page is
            // about their own (the others are a search away in the API).
            let mut teams = Vec::new();
            let mut options = Vec::new();
            for team in Team::list_for_user(conn, &reader.user.id)? {
                let members = Team::members(conn, &team.id)?;
                let role = members
                    .iter()
                    .find(|(_, user)| user.id == reader.user.id)
                    .map(|(member, _)| member.role.clone())
                    .unwrap_or_default();
                let manages = role == ROLE_OWNER || reader.is_admin();
                let owners = members.iter().filter(|(m, _)| m.role == ROLE_OWNER).count();
                let members: Vec<serde_json::Value> = members
                    .into_iter()
                    .map(|(member, user)| {
                        serde_json::json!({
                            "id": user.id,
                            "name": user.name,
                            "email": user.email,
                            "role": member.role,
                            "is_self": user.id == reader.user.id,
                            // The last owner can neither leave nor be made a member.
                            "last_owner": member.role == ROLE_OWNER && owners <= 1,
                        })
                    })
                    .collect();
                options.push(serde_json::json!({"id": team.id, "name": team.name}));
                teams.push(serde_json::json!({
                    "id": team.id,
                    "name": team.name,
                    "description": team.description,
                    "role": role,
                    "manages": manages,
                    "members": members,
                }));
            }
            let datasets: Vec<serde_json::Value> = Dataset::owned_by(conn, &reader.user.id)?
                .into_iter()
                .map(|d| {
                    serde_json::json!({
                        "id": d.id,
                        "name": d.name,
                        "team": d.team_id.unwrap_or_default(),
                    })
                })
                .collect();
            Ok::<_, ApiError>((teams, options, datasets))
        })
        .await;
    let (teams, options, datasets) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "teams.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "teams",
            "teams": teams,
            "team_options": options,
            "datasets": datasets,
        }),
    )
}
