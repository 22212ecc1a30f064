//! User groups: named sets of users to share with. Any user may create one; its creator and
//! site admins manage it; every signed-in user may list groups to share with them.
//!
//! Site admins may create *admin-managed* groups (`managed: true`): only site admins change
//! their members or delete them, and only they may be named in policy rules. Rules are about
//! whole classes of datasets (`dataset:*`), so the group a rule names must be one no user can
//! make or join on their own; see [`crate::access::rules`] for why names alone were not enough.

use serde_json::json;

use crate::access::audit;
use crate::db::write_transaction;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::api::not_found_as;
use crate::http::api::required_text;
use crate::http::api::users::UserRef;
use crate::auth::Caller;
use crate::http::access::{OnGroup, deferred, require_group_manager};
use crate::db::groups::{GroupMember, UserGroup};
use crate::db::users::User;
use crate::db::{DbError, new_id};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f72-9e1f-7a53-b8c2-4d5e6f7a8b90",
    "name": "Field team",
    "description": "Everyone who samples on site",
    "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "created_at": "2026-03-02T09:35:00Z",
    "managed": false
})))]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The creator's user id (`null` once that account is gone).
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Managed by site admins; the only groups policy rules may name.
    pub managed: bool,
}

impl From<UserGroup> for GroupView {
    fn from(group: UserGroup) -> Self {
        Self {
            id: group.id,
            name: group.name,
            description: group.description,
            created_by: group.created_by,
            created_at: to_rfc3339(group.created_at),
            managed: group.managed,
        }
    }
}

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Field team", "description": "Everyone who samples on site"})))]
pub struct NewGroupRequest {
    /// Unique among groups of both kinds (trimmed; 1 to 100 characters).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Trimmed; anything past 2,000 characters is cut off.
    #[serde(default)]
    pub description: String,
    /// An admin-managed group (site admins only): members changed by site admins alone, and
    /// usable in policy rules.
    #[serde(default)]
    pub managed: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"user": "colleague@example.org"})))]
pub struct GroupMemberRequest {
    /// The user's id or email; an account that does not exist is refused (`422`).
    #[schema(min_length = 1)]
    pub user: String,
}

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

/// Creates a group managed by the caller (or, for site admins asking `managed`, by site admins).
///
/// Any signed-in caller; `managed: true` only for site admins (`403` otherwise, with the admin
/// scope for a token). The group starts empty. Only admin-managed groups may be named in policy
/// rules, so that nobody gains a rule's grant by making or joining a group of the right name.
/// Names are unique across both kinds (`409`). Audited (`group.create`). Not idempotent.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = NewGroupRequest, responses(
    (status = 201, body = GroupView),
    (status = 403, description = "`managed` asked by someone who is not a site admin", body = crate::http::error::ErrorBody),
    (status = 409, description = "`conflict`: a group has this name already", body = crate::http::error::ErrorBody),
))]
pub async fn create_group(
    caller: Caller,
    state: web::Data<AppState>,
    body: deferred::Json<NewGroupRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    if body.managed && !caller.is_admin() {
        tracing::info!(
            decision = "deny",
            user = %caller.user.id,
            reason = "not a site admin",
            "admin-managed group refused"
        );
        return Err(ApiError::forbidden(
            "only site admins create admin-managed groups",
        ));
    }
    let group = UserGroup {
        id: new_id(),
        name: required_text("name", &body.name, 100)?,
        description: body.description.trim().chars().take(2000).collect(),
        created_by: Some(caller.user.id.clone()),
        created_at: now_millis(),
        managed: body.managed,
    };
    let audited = caller.clone();
    let group = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let group = UserGroup::create(conn, &group)?;
                audit::caller_action(
                    conn,
                    &audited,
                    "group.create",
                    format!("group:{}", group.id),
                    json!({"name": group.name, "managed": group.managed}),
                )?;
                Ok::<_, ApiError>(group)
            })
        })
        .await?;
    tracing::info!(user = %caller.user.id, group = %group.id, managed = group.managed, "group created");
    Ok(HttpResponse::Created().json(GroupView::from(group)))
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

/// Deletes a group (its creator or a site admin).
///
/// For its creator and site admins; an admin-managed group for site admins only (`403`
/// otherwise). Its memberships go with it, so what was shared with the group is held by nobody
/// from the next request on (such shares stay listed, as a deleted group, until revoked).
/// Audited (`group.delete`). A second delete answers `404`.
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn delete_group(
    on: OnGroup,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let OnGroup { group, caller } = on;
    let id = group.id;
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                UserGroup::delete(conn, &id)?;
                audit::caller_action(
                    conn,
                    &caller,
                    "group.delete",
                    format!("group:{id}"),
                    json!({}),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
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

/// Removes a member (the group's creator, a site admin, or the member themselves).
///
/// For the group's creator and site admins, and for any member leaving (`user_id` their own
/// id), admin-managed groups included. Someone else gets `403`. A user who is not a member
/// answers `404`, so a second removal does too. Audited (`group.member.remove`).
#[utoipa::path(delete, path = "/api/v1/groups/{id}/members/{user_id}", tag = "groups",
    params(("id" = String, Path), ("user_id" = String, Path, description = "The member's user id")), responses(
    (status = 204, description = "Removed"),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn remove_group_member(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (group_id, user_id) = path.into_inner();
    state
        .db
        .run(move |conn| {
            // Leaving a group is one's own business; removing someone else is its manager's.
            if user_id != caller.user.id {
                require_group_manager(conn, &group_id, &caller)?;
            }
            write_transaction(conn, |conn| {
                if !UserGroup::remove_member(conn, &group_id, &user_id)? {
                    return Err(ApiError::not_found("group member"));
                }
                audit::caller_action(
                    conn,
                    &caller,
                    "group.member.remove",
                    format!("group:{group_id}"),
                    json!({"user": user_id}),
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
