//! `OnTeam<R>`: the team a path's `{id}` names, for its members ([`Member`]) or its owners
//! ([`Owner`]); site admins are both. Someone outside the team is told it does not exist
//! (`404` "team"); a member who is not an owner, asking for an owner's right, gets `403`.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{Access, Caller, Decide, app_state, decided, path_segment};
use crate::db::AnyConnection;
use crate::db::teams::{ROLE_OWNER, Team};
use crate::http::error::ApiError;
use crate::http::error::not_found_as;

/// A role in a team a route needs, as a type.
pub trait TeamRole: 'static {
    /// The team, if the caller holds the role in it.
    fn require(conn: &mut AnyConnection, team_id: &str, caller: &Caller) -> Result<Team, ApiError>;
}

/// Any member of the team.
pub struct Member;
/// An owner of the team.
pub struct Owner;

impl TeamRole for Member {
    fn require(conn: &mut AnyConnection, team_id: &str, caller: &Caller) -> Result<Team, ApiError> {
        let team = Team::find(conn, team_id).map_err(|e| not_found_as(e, "team"))?;
        if !caller.is_admin()
            && Team::role_of(conn, team.team_id(), caller.user.user_id())?.is_none()
        {
            return Err(ApiError::not_found("team"));
        }
        Ok(team)
    }
}

impl TeamRole for Owner {
    fn require(conn: &mut AnyConnection, team_id: &str, caller: &Caller) -> Result<Team, ApiError> {
        require_team_owner(conn, team_id, caller)
    }
}

/// The team, if the caller owns it (or is a site admin): `403` for a member who does not,
/// `404` for anyone else.
pub fn require_team_owner(
    conn: &mut AnyConnection,
    team_id: &str,
    caller: &Caller,
) -> Result<Team, ApiError> {
    let team = Team::find(conn, team_id).map_err(|e| not_found_as(e, "team"))?;
    if caller.is_admin() {
        return Ok(team);
    }
    match Team::role_of(conn, team.team_id(), caller.user.user_id())?.as_deref() {
        Some(ROLE_OWNER) => Ok(team),
        Some(_) => Err(ApiError::forbidden(
            "only the team's owners can manage its members",
        )),
        None => Err(ApiError::not_found("team")),
    }
}

/// The team of the path's `{id}`, for a caller holding the role `R` in it.
pub struct OnTeam<R> {
    pub team: Team,
    pub caller: Caller,
    role: PhantomData<fn() -> R>,
}

impl<R: TeamRole> Decide for OnTeam<R> {
    fn decide(
        req: &HttpRequest,
        caller: Caller,
    ) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        let id = path_segment(req, "id");
        let state = app_state(req);
        Box::pin(async move {
            let (id, state) = (id?, state?);
            let deciding = caller.clone();
            let team = state
                .db
                .run(move |conn| R::require(conn, &id, &deciding))
                .await?;
            Ok(OnTeam {
                team,
                caller,
                role: PhantomData,
            })
        })
    }
}

impl<R: TeamRole> FromRequest for OnTeam<R> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        decided(req)
    }
}

impl<R: TeamRole> Access for OnTeam<R> {}
