use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::GroupView;
use crate::access::Caller;
use crate::db::groups::UserGroup;
use crate::http::api::users::UserRef;
use crate::http::error::not_found_as;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f72-9e1f-7a53-b8c2-4d5e6f7a8b90",
    "name": "Field team",
    "description": "Everyone who samples on site",
    "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "created_at": "2026-03-02T09:35:00Z",
    "managed": false,
    "members": [{"id": "01932f6f-8a3d-7b12-b4c6-1e2f3a4b5c6d", "email": "colleague@example.org", "name": "A Colleague"}]
})))]
pub struct GroupDetailView {
    #[serde(flatten)]
    pub group: GroupView,
    pub members: Vec<UserRef>,
}

/// A group with its members.
///
/// Any signed-in caller (groups are listed to everyone, to share with), members by email.
/// Changes nothing.
#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = String, Path)), responses(
    (status = 200, body = GroupDetailView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn get_group(
    _caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<GroupDetailView>> {
    let id = id.into_inner();
    let (group, members) = state
        .db
        .run(move |conn| {
            let group = UserGroup::find(conn, &id).map_err(|e| not_found_as(e, "group"))?;
            let members = UserGroup::members(conn, &group.id)?;
            Ok::<_, ApiError>((group, members))
        })
        .await?;
    Ok(web::Json(GroupDetailView {
        group: group.into(),
        members: members.into_iter().map(|(_, user)| user.into()).collect(),
    }))
}
