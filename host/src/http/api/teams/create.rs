use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::TeamView;
use crate::access::Caller;
use crate::http::access::deferred;
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::teams::{self, NewTeam};
use crate::time::now_millis;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Limnology", "description": "Lake and river research"})))]
pub struct NewTeamRequest {
    /// Unique among teams (trimmed; 1 to 100 characters).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Trimmed; anything past 2,000 characters is cut off.
    #[serde(default)]
    pub description: String,
}

/// Creates a team with the caller as its owner.
///
/// Any signed-in caller. The caller becomes the team's only owner; owners manage its members,
/// and datasets given to the team are `edit` for its members and `admin` for its owners.
/// Names are unique: a name in use answers `409`. Not idempotent: each call makes a team (or
/// the `409`).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = NewTeamRequest, responses(
    (status = 201, body = TeamView),
    (status = 409, description = "`conflict`: a team has this name already", body = crate::http::error::ErrorBody),
))]
pub async fn create_team(
    caller: Caller,
    state: web::Data<AppState>,
    body: deferred::Json<NewTeamRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    let team = state
        .db
        .run(move |conn| {
            let new = NewTeam {
                name: &body.name,
                description: &body.description,
            };
            teams::create(conn, &caller, new, now_millis())
        })
        .await?;
    Ok(HttpResponse::Created().json(TeamView::from(team)))
}
