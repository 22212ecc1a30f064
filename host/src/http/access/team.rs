//! `OnTeam<R>`: the team a path's `{id}` names, for its members ([`Member`]) or its owners
//! ([`Owner`]); site admins are both. Someone outside the team is told it does not exist
//! (`404` "team"); a member who is not an owner, asking for an owner's right, gets `403`. The
//! rules are the domain's ([`crate::teams`]); this puts them in a route's type.

use std::marker::PhantomData;

use actix_web::HttpRequest;
use futures_util::future::LocalBoxFuture;

use super::{Caller, Decide, decide_on_path};
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
        let team = decide_on_path(req, &caller, |conn, id, caller| {
            Ok(R::require(conn, TeamId::new(id), caller)?)
        });
        Box::pin(async move {
            Ok(OnTeam {
                team: team.await?,
                caller,
                role: PhantomData,
            })
        })
    }
}

super::access_extractor!(OnTeam<R: TeamRole>);
