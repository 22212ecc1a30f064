//! Teams: research groups owning datasets together. Any user may create a team and becomes
//! its owner; team owners and site admins manage membership.

use serde_json::json;

use crate::access::audit;
use crate::db::write_transaction;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::api::users::UserRef;
use crate::http::api::required_text;
use crate::auth::Caller;
use crate::http::access::{Member, OnTeam, Owner, deferred, require_team_owner};
use crate::db::teams::{ROLE_MEMBER, ROLE_OWNER, Team, TeamMember};
use crate::db::users::User;
use crate::db::{DbError, new_id};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f71-5d2c-7e40-a3b1-2c9d8e7f6a05",
    "name": "Limnology",
    "description": "Lake and river research",
    "created_at": "2026-03-02T09:30:00Z"
})))]
pub struct TeamView {
    pub id: String,
    pub name: String,
    pub description: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<Team> for TeamView {
    fn from(team: Team) -> Self {
        Self {
            id: team.id,
            name: team.name,
            description: team.description,
            created_at: to_rfc3339(team.created_at),
        }
    }
}

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"user": "colleague@example.org", "role": "member"})))]
pub struct TeamMemberRequest {
    /// The user's id or email; an account that does not exist is refused (`422`).
    #[schema(min_length = 1)]
    pub user: String,
    /// The role to give, `member` unless said.
    #[schema(value_type = Option<crate::http::views::vocabulary::TeamRole>)]
    pub role: Option<String>,
}

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
    let body = body.read().await?;
    let team = Team {
        id: new_id(),
        name: required_text("name", &body.name, 100)?,
        description: body.description.trim().chars().take(2000).collect(),
        created_by: Some(caller.user.id.clone()),
        created_at: now_millis(),
    };
    let owner = caller.user.id.clone();
    let team = state
        .db
        .run(move |conn| Team::create(conn, &team, &owner))
        .await?;
    tracing::info!(user = %caller.user.id, team = %team.id, "team created");
    Ok(HttpResponse::Created().json(TeamView::from(team)))
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

/// Adds a member or changes a member's role (team owners and site admins).
///
/// For the team's owners and site admins: a member who is not an owner gets `403`, anyone else
/// `404`. Puts the user in the team with the role given (`member` unless said), or changes
/// their role; the same request twice leaves the same membership (idempotent). The last owner
/// cannot be made a member (`409`). A user who does not exist is refused (`422`). Audited
/// (`team.member.put`); the new rights hold on the next request, on every replica.
#[utoipa::path(post, path = "/api/v1/teams/{id}/members", tag = "teams", params(("id" = String, Path)),
    request_body = TeamMemberRequest, responses(
    (status = 204, description = "Member added or updated"),
    (status = 409, description = "`conflict`: the team would be left without an owner", body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn put_team_member(
    on: OnTeam<Owner>,
    state: web::Data<AppState>,
    body: deferred::Json<TeamMemberRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    let role = body.role.clone().unwrap_or_else(|| ROLE_MEMBER.to_owned());
    if role != ROLE_OWNER && role != ROLE_MEMBER {
        return Err(ApiError::validation("role must be 'owner' or 'member'"));
    }
    let OnTeam { team, caller, .. } = on;
    let team_id = team.id;
    let reference = body.user.clone();
    state
        .db
        .run(move |conn| {
            let user = User::find_by_reference(conn, &reference).map_err(|e| match e {
                DbError::NotFound => {
                    ApiError::validation(format!("there is no user '{reference}'"))
                }
                other => other.into(),
            })?;
            if role == ROLE_MEMBER
                && Team::role_of(conn, &team_id, &user.id)?.as_deref() == Some(ROLE_OWNER)
                && Team::count_owners(conn, &team_id)? <= 1
            {
                return Err(ApiError::conflict("a team needs at least one owner"));
            }
            let member = TeamMember {
                team_id,
                user_id: user.id,
                role,
                added_at: now_millis(),
            };
            write_transaction(conn, |conn| {
                Team::put_member(conn, &member)?;
                audit::caller_action(
                    conn,
                    &caller,
                    "team.member.put",
                    format!("team:{}", member.team_id),
                    json!({"user": member.user_id, "role": member.role}),
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a member (team owners, site admins, or members removing themselves).
///
/// For the team's owners and site admins, and for any member leaving (`user_id` their own id).
/// A member who is not an owner removing someone else gets `403`; a stranger, `404`. The last
/// owner cannot leave or be removed (`409`). A user who is not a member answers `404`, so a
/// second removal does too. Audited (`team.member.remove`); the rights they held through the
/// team end on the next request.
#[utoipa::path(delete, path = "/api/v1/teams/{id}/members/{user_id}", tag = "teams",
    params(("id" = String, Path), ("user_id" = String, Path, description = "The member's user id")), responses(
    (status = 204, description = "Removed"),
    (status = 409, description = "`conflict`: the team would be left without an owner", body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn remove_team_member(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (team_id, user_id) = path.into_inner();
    state
        .db
        .run(move |conn| {
            // Leaving a team is one's own business; removing someone else is an owner's.
            if user_id != caller.user.id {
                require_team_owner(conn, &team_id, &caller)?;
            }
            if Team::role_of(conn, &team_id, &user_id)?.as_deref() == Some(ROLE_OWNER)
                && Team::count_owners(conn, &team_id)? <= 1
            {
                return Err(ApiError::conflict("a team needs at least one owner"));
            }
            write_transaction(conn, |conn| {
                if !Team::remove_member(conn, &team_id, &user_id)? {
                    return Err(ApiError::not_found("team member"));
                }
                audit::caller_action(
                    conn,
                    &caller,
                    "team.member.remove",
                    format!("team:{team_id}"),
                    json!({"user": user_id}),
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The team a caller names (by id or name) for a dataset: it must exist and, unless the caller
/// is a site admin, count the caller among its members.
pub fn team_for_caller(
    conn: &mut crate::db::AnyConnection,
    caller: &Caller,
    reference: &str,
) -> Result<Team, ApiError> {
    let team = Team::find_by_reference(conn, reference.trim())
        .map_err(|_| ApiError::validation(format!("there is no team '{reference}'")))?;
    if !caller.is_admin() && Team::role_of(conn, &team.id, &caller.user.id)?.is_none() {
        return Err(ApiError::forbidden(format!(
            "you are not a member of team '{}'",
            team.name
        )));
    }
    Ok(team)
}
