//! User groups: named sets of users that datasets can be shared with (sharing itself comes
//! with access control). Any user may create a group; its creator and site admins manage it.
//! A group made `managed` by a site admin is managed by site admins only, and only such groups
//! may appear in policy rules (see [`crate::access::rules`]).

use diesel::prelude::*;

use super::access_state::AccessState;
use super::ids::{GroupId, UserId};
use super::schema::{group_members, user_groups, users};
use super::users::User;
use super::{AnyConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_groups)]
pub struct UserGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    /// Made and managed by site admins; the only groups policy rules may name.
    pub managed: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_members)]
pub struct GroupMember {
    pub group_id: String,
    pub user_id: String,
    pub added_at: i64,
}

impl UserGroup {
    pub fn create(conn: &mut AnyConnection, group: &UserGroup) -> DbResult<UserGroup> {
        diesel::insert_into(user_groups::table)
            .values(group)
            .execute(conn)
            .map_err(|e| match DbError::from(e) {
                DbError::Conflict(_) => {
                    DbError::Conflict(format!("a group named '{}' already exists", group.name))
                }
                other => other,
            })?;
        Ok(group.clone())
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<UserGroup> {
        Ok(user_groups::table
            .find(id)
            .select(UserGroup::as_select())
            .get_result(conn)?)
    }

    /// The group of this name: the one spelt so, else the one spelt so in another case when
    /// only one is.
    pub fn find_by_name(conn: &mut AnyConnection, name: &str) -> DbResult<Option<UserGroup>> {
        let exact = user_groups::table
            .filter(user_groups::name.eq(name))
            .select(UserGroup::as_select())
            .first(conn)
            .optional()?;
        if exact.is_some() {
            return Ok(exact);
        }
        let mut alike: Vec<UserGroup> = user_groups::table
            .filter(super::lower(user_groups::name).eq(name.to_lowercase()))
            .select(UserGroup::as_select())
            .limit(2)
            .load(conn)?;
        Ok((alike.len() == 1).then(|| alike.remove(0)))
    }

    /// A group by id or by name.
    pub fn find_by_reference(conn: &mut AnyConnection, reference: &str) -> DbResult<UserGroup> {
        match UserGroup::find(conn, reference) {
            Err(DbError::NotFound) => {
                UserGroup::find_by_name(conn, reference)?.ok_or(DbError::NotFound)
            }
            other => other,
        }
    }

    /// The ids of admin-managed groups (the enforcer applies rules naming only these).
    pub fn managed_ids(conn: &mut AnyConnection) -> DbResult<Vec<String>> {
        Ok(user_groups::table
            .filter(user_groups::managed.eq(true))
            .select(user_groups::id)
            .load(conn)?)
    }

    /// The ids of the groups `user_id` made (and so manages, unless admin-managed).
    pub fn ids_made_by(conn: &mut AnyConnection, user_id: &str) -> DbResult<Vec<String>> {
        Ok(user_groups::table
            .filter(user_groups::created_by.eq(user_id))
            .select(user_groups::id)
            .load(conn)?)
    }

    pub fn ids_for_user(conn: &mut AnyConnection, user_id: &str) -> DbResult<Vec<String>> {
        Ok(group_members::table
            .filter(group_members::user_id.eq(user_id))
            .select(group_members::group_id)
            .load(conn)?)
    }

    /// Groups whose name, in lower case, matches the SQL `LIKE` pattern `pattern` (lower case,
    /// `\\` escaping), by name.
    pub fn matching(
        conn: &mut AnyConnection,
        pattern: &str,
        limit: i64,
    ) -> DbResult<Vec<UserGroup>> {
        Ok(user_groups::table
            .filter(super::lower(user_groups::name).like(pattern).escape('\\'))
            .order(user_groups::name.asc())
            .limit(limit)
            .select(UserGroup::as_select())
            .load(conn)?)
    }

    pub fn list_all(conn: &mut AnyConnection) -> DbResult<Vec<UserGroup>> {
        Ok(user_groups::table
            .order(user_groups::name.asc())
            .select(UserGroup::as_select())
            .load(conn)?)
    }

    pub fn is_member(
        conn: &mut AnyConnection,
        group_id: GroupId,
        user_id: UserId,
    ) -> DbResult<bool> {
        Ok(group_members::table
            .find((group_id.as_str(), user_id.as_str()))
            .count()
            .get_result::<i64>(conn)?
            > 0)
    }

    pub fn members(conn: &mut AnyConnection, group_id: &str) -> DbResult<Vec<(GroupMember, User)>> {
        Ok(group_members::table
            .inner_join(users::table)
            .filter(group_members::group_id.eq(group_id))
            .order(users::email.asc())
            .select((GroupMember::as_select(), User::as_select()))
            .load(conn)?)
    }

    /// Adds a member; adding one twice is not an error.
    pub fn add_member(conn: &mut AnyConnection, member: &GroupMember) -> DbResult<()> {
        let (group_id, user_id) = (GroupId::new(&member.group_id), UserId::new(&member.user_id));
        if !UserGroup::is_member(conn, group_id, user_id)? {
            diesel::insert_into(group_members::table)
                .values(member)
                .execute(conn)?;
            AccessState::bump(conn)?;
        }
        Ok(())
    }

    /// Removes the user from the group; `false` when they were not a member.
    pub fn remove_member(
        conn: &mut AnyConnection,
        group_id: GroupId,
        user_id: UserId,
    ) -> DbResult<bool> {
        let removed =
            diesel::delete(group_members::table.find((group_id.as_str(), user_id.as_str())))
                .execute(conn)?
                == 1;
        AccessState::bump(conn)?;
        Ok(removed)
    }

    pub fn delete(conn: &mut AnyConnection, id: &str) -> DbResult<bool> {
        let removed = diesel::delete(user_groups::table.find(id)).execute(conn)? == 1;
        AccessState::bump(conn)?;
        Ok(removed)
    }
}
