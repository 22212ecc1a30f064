use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::access::audit;
use crate::db::groups::{GroupMember, UserGroup};
use crate::db::users::User;
use crate::db::{DbError, write_transaction};
use crate::http::access::{OnGroup, deferred};
use crate::http::error::{ApiError, ApiResult};
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
    let reference = body.read().await?.into_inner().user;
    let OnGroup { group, caller } = on;
    let group_id = group.id;
    state
        .db
        .run(move |conn| {
            let user = User::find_by_reference(conn, &reference).map_err(|e| match e {
                DbError::NotFound => {
                    ApiError::validation(format!("there is no user '{reference}'"))
                }
                other => other.into(),
            })?;
            let member = GroupMember {
                group_id,
                user_id: user.id,
                added_at: now_millis(),
            };
            write_transaction(conn, |conn| {
                UserGroup::add_member(conn, &member)?;
                audit::caller_action(
                    conn,
                    &caller,
                    "group.member.add",
                    format!("group:{}", member.group_id),
                    json!({"user": member.user_id}),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
