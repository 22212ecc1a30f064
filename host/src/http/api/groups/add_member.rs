use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::groups;
use crate::http::access::{OnGroup, deferred};
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"user": "colleague@example.org"})))]
pub struct GroupMemberRequest {
    /// The user's id or email; an account that does not exist is refused (`422`).
    #[schema(min_length = 1)]
    pub user: String,
}

/// Adds a member (the group's creator or a site admin).
///
/// For the group's creator and site admins; an admin-managed group's members for site admins
/// only (`403` otherwise). A user who does not exist is refused (`422`). Adding a member twice
/// changes nothing (idempotent). Audited (`group.member.add`); what the group is given holds
/// for the new member on the next request.
#[utoipa::path(post, path = "/api/v1/groups/{id}/members", tag = "groups", params(("id" = String, Path)),
    request_body = GroupMemberRequest, responses(
    (status = 204, description = "Added"),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn add_group_member(
    on: OnGroup,
    state: web::Data<AppState>,
    body: deferred::Json<GroupMemberRequest>,
) -> ApiResult<HttpResponse> {
    let user = body.read().await?.into_inner().user;
    let OnGroup { group, caller } = on;
    state
        .db
        .run(move |conn| groups::add_member(conn, &caller, group.group_id(), &user, now_millis()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
