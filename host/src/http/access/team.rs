//! `OnTeam<R>`: the team a path's `{id}` names, for its members ([`Member`]) or its owners
//! ([`Owner`]); site admins are both. Someone outside the team is told it does not exist
//! (`404` "team"); a member who is not an owner, asking for an owner's right, gets `403`. The
//! rules are the domain's ([`crate::teams`]); this puts them in a route's type.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{Access, Caller, Decide, app_state, decided, path_segment};
use crate::db::AnyConnection;
use crate::db::ids::TeamId;
use crate::db::teams::Team;
use crate::http::error::ApiError;
use crate::teams::{self, TeamError};

/// A role in a team a route needs, as a type.
pub trait TeamRole: 'static {
    /// The team, if the caller holds the role in it.
    fn require(
        conn: &mut AnyConnection,
        team_id: TeamId,
        caller: &Caller,
    ) -> Result<Team, TeamError>;
}

/// Any member of the team.
pub struct Member;
/// An owner of the team.
pub struct Owner;

impl TeamRole for Member {
    fn require(
        conn: &mut AnyConnection,
        team_id: TeamId,
        caller: &Caller,
    ) -> Result<Team, TeamError> {
        teams::require_member(conn, team_id, caller)
    }
}

impl TeamRole for Owner {
    fn require(
        conn: &mut AnyConnection,
        team_id: TeamId,
        caller: &Caller,
    ) -> Result<Team, TeamError> {
        teams::require_owner(conn, team_id, caller)
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
                .run(move |conn| R::require(conn, TeamId::new(&id), &deciding))
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
