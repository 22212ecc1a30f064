use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::TeamView;
use crate::http::access::{OnTeam, Owner, deferred};
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::teams;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Limnology and rivers", "description": "Lake and river research"})))]
pub struct TeamUpdateRequest {
    /// The new name: unique among teams, 1 to 100 characters once trimmed; absent keeps it.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// The new description (trimmed, cut at 2,000 characters); absent keeps it.
    pub description: Option<String>,
}

/// Renames a team or changes its description (team owners and site admins).
///
/// For the team's owners and site admins: a member who is not an owner gets `403`, anyone else
/// `404`. A name another team has is a conflict (`409`), an empty one is refused (`422`).
/// Datasets, members and shares stay with the team, which keeps its id. Audited (`team.update`).
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = String, Path)),
    request_body = TeamUpdateRequest, responses(
    (status = 200, body = TeamView),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn update_team(
    on: OnTeam<Owner>,
    state: web::Data<AppState>,
    body: deferred::Json<TeamUpdateRequest>,
) -> ApiResult<web::Json<TeamView>> {
    let body = body.read().await?.into_inner();
    let OnTeam { team, caller, .. } = on;
    let updated = state
        .db
        .run(move |conn| {
            teams::update(
                conn,
                &caller,
                &team,
                body.name.as_deref(),
                body.description.as_deref(),
            )
        })
        .await?;
    Ok(web::Json(updated.into()))
}
