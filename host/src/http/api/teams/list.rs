use actix_web::web;

use super::TeamView;
use crate::access::Caller;
use crate::db::teams::Team;
use crate::http::error::ApiResult;
use crate::state::AppState;

/// Teams the caller belongs to (site admins: all teams).
///
/// Any signed-in caller; a site admin (with the `admin` scope, for a token) sees every team.
/// By name; not paged. Changes nothing.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", responses((status = 200, body = Vec<TeamView>)))]
pub async fn list_teams(
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<TeamView>>> {
    let admin = caller.is_admin();
    let user_id = caller.user.id.clone();
    let teams = state
        .db
        .run(move |conn| {
            if admin {
                Team::list_all(conn)
            } else {
                Team::list_for_user(conn, &user_id)
            }
        })
        .await?;
    Ok(web::Json(teams.into_iter().map(TeamView::from).collect()))
}
