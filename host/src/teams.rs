//! Teams: research groups that hold datasets together, and the rules they live by. Anyone may
//! create a team and becomes its owner; its owners (and site admins) put members in, change
//! their roles and remove them; leaving is one's own business; a team keeps at least one owner.
//! Someone outside a team is not told it exists.
//!
//! The rules are here, beneath the transport layer, so that every way in applies the same ones:
//! the JSON API, and the extractors that decide a route's access (`crate::http::access`), which
//! call [`require_member`] and [`require_owner`] before a handler runs. Each change to who
//! belongs is written to the audit log in its transaction, and holds on the next request, on
//! every replica. What a team may do with a dataset is decided in [`crate::access`].

use serde_json::json;

use crate::access::{Caller, audit};
use crate::db::ids::{TeamId, UserId};
use crate::db::teams::{ROLE_MEMBER, ROLE_OWNER, Team, TeamMember};
use crate::db::users::User;
use crate::db::{AnyConnection, DbError, new_id, write_transaction};

/// Why a team could not be found, made or changed.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// No such team, or one the caller is not in (an outsider is not told it exists).
    #[error("team not found")]
    NotFound,
    /// The user is not a member of the team.
    #[error("team member not found")]
    NoSuchMember,
    /// A member, not an owner, asking for what only the team's owners may do.
    #[error("only the team's owners can manage its members")]
    NotAnOwner,
    /// The change would leave the team without an owner.
    #[error("a team needs at least one owner")]
    LastOwner,
    /// The user named (by id or email) has no account.
    #[error("there is no user '{0}'")]
    NoSuchUser(String),
    /// The team named (by id or name) does not exist.
    #[error("there is no team '{0}'")]
    NoSuchTeam(String),
    /// The team named (here by its name) does not count the caller among its members.
    #[error("you are not a member of team '{0}'")]
    NotAMember(String),
    /// The request is malformed: the sentence says how.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A team about to be made, as its creator describes it.
pub struct NewTeam<'a> {
    /// Unique among teams; trimmed, 1 to 100 characters.
    pub name: &'a str,
    /// Trimmed; anything past 2,000 characters is cut off.
    pub description: &'a str,
}

/// Makes a team with `caller` as its only owner. A name in use is a conflict.
pub fn create(
    conn: &mut AnyConnection,
    caller: &Caller,
    new: NewTeam,
    now: i64,
) -> Result<Team, TeamError> {
    let team = Team {
        id: new_id(),
        name: crate::human::required_text("name", new.name, 100).map_err(TeamError::Invalid)?,
        description: new.description.trim().chars().take(2000).collect(),
        created_by: Some(caller.user.id.clone()),
        created_at: now,
    };
    let team = Team::create(conn, &team, &caller.user.id)?;
    tracing::info!(user = %caller.user.id, team = %team.id, "team created");
    Ok(team)
}

/// Renames `team` or changes its description (`None` keeps either as it is). For the team's
/// owners and site admins, which the caller has decided ([`require_owner`]); the rules are
/// [`create`]'s. Audited (`team.update`).
pub fn update(
    conn: &mut AnyConnection,
    caller: &Caller,
    team: &Team,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<Team, TeamError> {
    let name = match name {
        Some(name) => crate::human::required_text("name", name, 100).map_err(TeamError::Invalid)?,
        None => team.name.clone(),
    };
    let description: String = match description {
        Some(description) => description.trim().chars().take(2000).collect(),
        None => team.description.clone(),
    };
    write_transaction(conn, |conn| {
        let updated = Team::rename(conn, &team.id, &name, &description)?;
        audit::caller_action(
            conn,
            caller,
            "team.update",
            format!("team:{}", team.id),
            json!({"name": updated.name, "previous_name": team.name}),
        )?;
        Ok(updated)
    })
}

/// The team, if `caller` is one of its members or a site admin; anyone else is told it does
/// not exist.
pub fn require_member(
    conn: &mut AnyConnection,
    team_id: TeamId,
    caller: &Caller,
) -> Result<Team, TeamError> {
    let team = find(conn, team_id)?;
    if !caller.is_admin() && Team::role_of(conn, team.team_id(), caller.user.user_id())?.is_none() {
        return Err(TeamError::NotFound);
    }
    Ok(team)
}

/// The team, if `caller` owns it or is a site admin: [`TeamError::NotAnOwner`] for a member
/// who does not own it, [`TeamError::NotFound`] for anyone else.
pub fn require_owner(
    conn: &mut AnyConnection,
    team_id: TeamId,
    caller: &Caller,
) -> Result<Team, TeamError> {
    let team = find(conn, team_id)?;
    if caller.is_admin() {
        return Ok(team);
    }
    match Team::role_of(conn, team.team_id(), caller.user.user_id())?.as_deref() {
        Some(ROLE_OWNER) => Ok(team),
        Some(_) => Err(TeamError::NotAnOwner),
        None => Err(TeamError::NotFound),
    }
}

/// The team a caller names (by id or by name) to give a dataset to: it must exist and, unless
/// the caller is a site admin, count them among its members.
pub fn named(
    conn: &mut AnyConnection,
    caller: &Caller,
    reference: &str,
) -> Result<Team, TeamError> {
    let team = Team::find_by_reference(conn, reference.trim())
        .map_err(|_| TeamError::NoSuchTeam(reference.to_owned()))?;
    if !caller.is_admin() && Team::role_of(conn, team.team_id(), caller.user.user_id())?.is_none() {
        return Err(TeamError::NotAMember(team.name));
    }
    Ok(team)
}

/// Puts the user `user` (an id, an email, or the name of someone who shares a team or a group
/// with the caller) in the team with `role` (`member` unless given), or
/// changes their role: the same call twice leaves the same membership. For the team's owners
/// and site admins, which the caller has decided ([`require_owner`]). The last owner cannot be
/// made a member. Audited (`team.member.put`).
pub fn put_member(
    conn: &mut AnyConnection,
    caller: &Caller,
    team_id: TeamId,
    user: &str,
    role: Option<&str>,
    now: i64,
) -> Result<(), TeamError> {
    let role = role.unwrap_or(ROLE_MEMBER);
    if role != ROLE_OWNER && role != ROLE_MEMBER {
        return Err(TeamError::Invalid(
            "role must be 'owner' or 'member'".to_owned(),
        ));
    }
    let user = person(conn, caller, user)?;
    if role == ROLE_MEMBER && is_last_owner(conn, team_id, user.user_id())? {
        return Err(TeamError::LastOwner);
    }
    let member = TeamMember {
        team_id: team_id.as_str().to_owned(),
        user_id: user.id,
        role: role.to_owned(),
        added_at: now,
    };
    write_transaction(conn, |conn| {
        Team::put_member(conn, &member)?;
        audit::caller_action(
            conn,
            caller,
            "team.member.put",
            format!("team:{}", member.team_id),
            json!({"user": member.user_id, "role": member.role}),
        )?;
        Ok(())
    })
}

/// Removes the user `user_id` from the team: any member may leave; removing someone else is
/// for the team's owners and site admins ([`require_owner`]). The last owner can neither leave
/// nor be removed. Audited (`team.member.remove`).
pub fn remove_member(
    conn: &mut AnyConnection,
    caller: &Caller,
    team_id: TeamId,
    user_id: UserId,
) -> Result<(), TeamError> {
    // Leaving a team is one's own business; removing someone else is an owner's.
    if user_id != caller.user.user_id() {
        require_owner(conn, team_id, caller)?;
    }
    if is_last_owner(conn, team_id, user_id)? {
        return Err(TeamError::LastOwner);
    }
    write_transaction(conn, |conn| {
        if !Team::remove_member(conn, team_id, user_id)? {
            return Err(TeamError::NoSuchMember);
        }
        audit::caller_action(
            conn,
            caller,
            "team.member.remove",
            format!("team:{team_id}"),
            json!({"user": user_id.as_str()}),
        )?;
        Ok(())
    })
}

/// The person `reference` names: an email, an id, or (failing that) the name of the one person
/// so called who shares a team or a group with the caller.
fn person(conn: &mut AnyConnection, caller: &Caller, reference: &str) -> Result<User, TeamError> {
    let reference = reference.trim();
    match User::find_by_reference(conn, reference) {
        Ok(user) => return Ok(user),
        Err(DbError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    if reference.contains('@') {
        return Err(TeamError::NoSuchUser(reference.to_owned()));
    }
    let mut found = crate::accounts::people_named(conn, &caller.user.id, reference)?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(TeamError::NoSuchUser(reference.to_owned())),
        n => Err(TeamError::Invalid(format!(
            "{n} people called '{reference}' share a team or a group with you; add the one you \
             mean by their email address"
        ))),
    }
}

fn find(conn: &mut AnyConnection, team_id: TeamId) -> Result<Team, TeamError> {
    Team::find(conn, team_id.as_str()).map_err(|e| match e {
        DbError::NotFound => TeamError::NotFound,
        other => other.into(),
    })
}

/// Whether the user is the team's only owner, whom it cannot lose.
fn is_last_owner(
    conn: &mut AnyConnection,
    team_id: TeamId,
    user_id: UserId,
) -> Result<bool, DbError> {
    Ok(
        Team::role_of(conn, team_id, user_id)?.as_deref() == Some(ROLE_OWNER)
            && Team::count_owners(conn, team_id.as_str())? <= 1,
    )
}
