//! Teams: research groups that own datasets together. Members hold a role: `owner` (manages
//! membership) or `member`.

use diesel::prelude::*;

use super::access_state::AccessState;
use super::ids::{TeamId, UserId};
use super::schema::{team_members, teams, users};
use super::users::User;
use super::{AnyConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = team_members)]
pub struct TeamMember {
    pub team_id: String,
    pub user_id: String,
    pub role: String,
    pub added_at: i64,
}

pub const ROLE_OWNER: &str = "owner";
pub const ROLE_MEMBER: &str = "member";

impl Team {
    /// Creates the team with its creator as first owner.
    pub fn create(conn: &mut AnyConnection, team: &Team, owner_id: &str) -> DbResult<Team> {
        crate::db::write_transaction::<_, DbError, _>(conn, |conn| {
            diesel::insert_into(teams::table)
                .values(team)
                .execute(conn)
                .map_err(|e| match DbError::from(e) {
                    DbError::Conflict(_) => {
                        DbError::Conflict(format!("a team named '{}' already exists", team.name))
                    }
                    other => other,
                })?;
            diesel::insert_into(team_members::table)
                .values(&TeamMember {
                    team_id: team.id.clone(),
                    user_id: owner_id.to_owned(),
                    role: ROLE_OWNER.into(),
                    added_at: team.created_at,
                })
                .execute(conn)?;
            AccessState::bump(conn)?;
            Ok(team.clone())
        })
    }

    /// Renames the team and sets its description; a name another team has is a conflict.
    pub fn rename(
        conn: &mut AnyConnection,
        id: &str,
        name: &str,
        description: &str,
    ) -> DbResult<Team> {
        diesel::update(teams::table.find(id))
            .set((teams::name.eq(name), teams::description.eq(description)))
            .execute(conn)
            .map_err(|e| match DbError::from(e) {
                DbError::Conflict(_) => {
                    DbError::Conflict(format!("a team named '{name}' already exists"))
                }
                other => other,
            })?;
        Team::find(conn, id)
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<Team> {
        Ok(teams::table
            .find(id)
            .select(Team::as_select())
            .get_result(conn)?)
    }

    /// Finds a team by id or by exact name.
    /// A team by id or by name: the name spelt so, else spelt so in another case when only
    /// one team is.
    pub fn find_by_reference(conn: &mut AnyConnection, reference: &str) -> DbResult<Team> {
        let exact = teams::table
            .filter(teams::id.eq(reference).or(teams::name.eq(reference)))
            .select(Team::as_select())
            .first(conn)
            .optional()?;
        if let Some(team) = exact {
            return Ok(team);
        }
        let mut alike: Vec<Team> = teams::table
            .filter(super::lower(teams::name).eq(reference.to_lowercase()))
            .select(Team::as_select())
            .limit(2)
            .load(conn)?;
        if alike.len() == 1 {
            Ok(alike.remove(0))
        } else {
            Err(DbError::NotFound)
        }
    }

    /// Teams whose name, in lower case, matches the SQL `LIKE` pattern `pattern` (lower case,
    /// `\\` escaping), by name; with `member`, only the teams that user belongs to.
    pub fn matching(
        conn: &mut AnyConnection,
        pattern: &str,
        member: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<Team>> {
        let mut query = teams::table
            .filter(super::lower(teams::name).like(pattern).escape('\\'))
            .into_boxed();
        if let Some(user_id) = member {
            let theirs = team_members::table
                .filter(team_members::user_id.eq(user_id.to_owned()))
                .select(team_members::team_id);
            query = query.filter(teams::id.eq_any(theirs));
        }
        Ok(query
            .order(teams::name.asc())
            .limit(limit)
            .select(Team::as_select())
            .load(conn)?)
    }

    pub fn list_all(conn: &mut AnyConnection) -> DbResult<Vec<Team>> {
        Ok(teams::table
            .order(teams::name.asc())
            .select(Team::as_select())
            .load(conn)?)
    }

    pub fn list_for_user(conn: &mut AnyConnection, user_id: &str) -> DbResult<Vec<Team>> {
        Ok(teams::table
            .inner_join(team_members::table)
            .filter(team_members::user_id.eq(user_id))
            .order(teams::name.asc())
            .select(Team::as_select())
            .load(conn)?)
    }

    pub fn ids_for_user(conn: &mut AnyConnection, user_id: &str) -> DbResult<Vec<String>> {
        Ok(team_members::table
            .filter(team_members::user_id.eq(user_id))
            .select(team_members::team_id)
            .load(conn)?)
    }

    /// The user's role in the team, if a member.
    pub fn role_of(
        conn: &mut AnyConnection,
        team_id: TeamId,
        user_id: UserId,
    ) -> DbResult<Option<String>> {
        Ok(team_members::table
            .find((team_id.as_str(), user_id.as_str()))
            .select(team_members::role)
            .get_result(conn)
            .optional()?)
    }

    pub fn members(conn: &mut AnyConnection, team_id: &str) -> DbResult<Vec<(TeamMember, User)>> {
        Ok(team_members::table
            .inner_join(users::table)
            .filter(team_members::team_id.eq(team_id))
            .order(users::email.asc())
            .select((TeamMember::as_select(), User::as_select()))
            .load(conn)?)
    }

    /// Adds a member, or changes the role of an existing one.
    pub fn put_member(conn: &mut AnyConnection, member: &TeamMember) -> DbResult<()> {
        let updated = diesel::update(team_members::table.find((&member.team_id, &member.user_id)))
            .set(team_members::role.eq(&member.role))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(team_members::table)
                .values(member)
                .execute(conn)?;
        }
        AccessState::bump(conn)
    }

    /// Removes the user from the team; `false` when they were not a member.
    pub fn remove_member(
        conn: &mut AnyConnection,
        team_id: TeamId,
        user_id: UserId,
    ) -> DbResult<bool> {
        let removed =
            diesel::delete(team_members::table.find((team_id.as_str(), user_id.as_str())))
                .execute(conn)?
                == 1;
        AccessState::bump(conn)?;
        Ok(removed)
    }

    pub fn count_owners(conn: &mut AnyConnection, team_id: &str) -> DbResult<i64> {
        Ok(team_members::table
            .filter(team_members::team_id.eq(team_id))
            .filter(team_members::role.eq(ROLE_OWNER))
            .count()
            .get_result(conn)?)
    }
}
