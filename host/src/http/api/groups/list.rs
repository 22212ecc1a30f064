use actix_web::web;

use super::GroupView;
use crate::access::Caller;
use crate::db::groups::UserGroup;
use crate::http::error::ApiResult;
use crate::state::AppState;

/// Every group (to pick one to share with).
///
/// Any signed-in caller sees every group of both kinds, by name, so as to share with it. Not
/// paged. Changes nothing.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", responses((status = 200, body = Vec<GroupView>)))]
pub async fn list_groups(
    _caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<GroupView>>> {
    let groups = state.db.run(UserGroup::list_all).await?;
    Ok(web::Json(groups.into_iter().map(GroupView::from).collect()))
}
