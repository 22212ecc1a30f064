//! Accounts: who may sign in, and whether they are site admins.
//!
//! Both flags feed access decisions made on an account's behalf while it is not signed in (a
//! share link acts with its creator's rights), so changing them, or adding an account, bumps
//! the access version in the same transaction.

use diesel::prelude::*;

use super::access_state::AccessState;
use super::schema::users;
use super::{AnyConnection, DbError, DbResult, write_transaction};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Emails are compared case-insensitively; they are stored trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl User {
    /// Creates the account. Whichever way an account appears (an admin, `tessera user create`),
    /// it comes through here; the access version is bumped with it, so that shares made to its
    /// email address before it existed apply from its first request on every replica.
    pub fn create(conn: &mut AnyConnection, new: &NewUser) -> DbResult<User> {
        write_transaction(conn, |conn| {
            diesel::insert_into(users::table)
                .values(new)
                .execute(conn)
                .map_err(|e| match DbError::from(e) {
                    DbError::Conflict(_) => {
                        DbError::Conflict(format!("a user with email {} already exists", new.email))
                    }
                    other => other,
                })?;
            AccessState::bump(conn)?;
            User::find(conn, &new.id)
        })
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<User> {
        Ok(users::table
            .find(id)
            .select(User::as_select())
            .get_result(conn)?)
    }

    /// The names of the users `ids`, in one query; ids of deleted users are absent.
    pub fn names_of(
        conn: &mut AnyConnection,
        ids: &[String],
    ) -> DbResult<std::collections::HashMap<String, String>> {
        let mut names = std::collections::HashMap::new();
        // Bounded batches keep each statement within every backend's parameter limit.
        for batch in ids.chunks(500) {
            let found: Vec<(String, String)> = users::table
                .filter(users::id.eq_any(batch))
                .select((users::id, users::name))
                .load(conn)?;
            names.extend(found);
        }
        Ok(names)
    }

    pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> DbResult<Option<User>> {
        Ok(users::table
            .filter(users::email.eq(normalize_email(email)))
            .select(User::as_select())
            .first(conn)
            .optional()?)
    }

    /// Finds a user by id or, when the text has an `@`, by email.
    pub fn find_by_reference(conn: &mut AnyConnection, reference: &str) -> DbResult<User> {
        if reference.contains('@') {
            User::find_by_email(conn, reference)?.ok_or(DbError::NotFound)
        } else {
            User::find(conn, reference)
        }
    }

    pub fn count(conn: &mut AnyConnection) -> DbResult<i64> {
        Ok(users::table.count().get_result(conn)?)
    }

    pub fn list(conn: &mut AnyConnection, offset: i64, limit: i64) -> DbResult<Vec<User>> {
        Ok(users::table
            .order(users::email.asc())
            .offset(offset)
            .limit(limit)
            .select(User::as_select())
            .load(conn)?)
    }

    /// Active accounts whose name or email, in lower case, matches the SQL `LIKE` pattern
    /// `pattern` (lower case, `\\` escaping), by name; with `among`, only the members of those
    /// teams and groups (a search that never reaches past the people around someone).
    pub fn matching(
        conn: &mut AnyConnection,
        pattern: &str,
        among: Option<(&[String], &[String])>,
        except: &str,
        limit: i64,
    ) -> DbResult<Vec<User>> {
        use super::schema::{group_members, team_members};
        let mut query = users::table
            .filter(users::is_active.eq(true))
            .filter(users::id.ne(except))
            .filter(
                super::lower(users::name)
                    .like(pattern)
                    .escape('\\')
                    .or(super::lower(users::email).like(pattern).escape('\\')),
            )
            .into_boxed();
        if let Some((teams, groups)) = among {
            let teammates = team_members::table
                .filter(team_members::team_id.eq_any(teams.to_vec()))
                .select(team_members::user_id);
            let groupmates = group_members::table
                .filter(group_members::group_id.eq_any(groups.to_vec()))
                .select(group_members::user_id);
            query = query.filter(users::id.eq_any(teammates).or(users::id.eq_any(groupmates)));
        }
        Ok(query
            .order((users::name.asc(), users::email.asc()))
            .limit(limit)
            .select(User::as_select())
            .load(conn)?)
    }

    /// Every active account that is not a site admin, by email (site admins manage everything,
    /// so listing them against each dataset says nothing).
    pub fn active_people(conn: &mut AnyConnection) -> DbResult<Vec<User>> {
        Ok(users::table
            .filter(users::is_active.eq(true))
            .filter(users::is_admin.eq(false))
            .order(users::email.asc())
            .select(User::as_select())
            .load(conn)?)
    }

    pub fn set_flags(
        conn: &mut AnyConnection,
        id: &str,
        is_active: Option<bool>,
        is_admin: Option<bool>,
        now: i64,
    ) -> DbResult<User> {
        write_transaction(conn, |conn| {
            let user = User::find(conn, id)?;
            let (active, admin) = (
                is_active.unwrap_or(user.is_active),
                is_admin.unwrap_or(user.is_admin),
            );
            diesel::update(users::table.find(id))
                .set((
                    users::is_active.eq(active),
                    users::is_admin.eq(admin),
                    users::updated_at.eq(now),
                ))
                .execute(conn)?;
            if (active, admin) != (user.is_active, user.is_admin) {
                AccessState::bump(conn)?;
            }
            User::find(conn, id)
        })
    }

    pub fn set_password_hash(
        conn: &mut AnyConnection,
        id: &str,
        hash: &str,
        now: i64,
    ) -> DbResult<()> {
        diesel::update(users::table.find(id))
            .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
            .execute(conn)?;
        Ok(())
    }

    pub fn count_active_admins(conn: &mut AnyConnection) -> DbResult<i64> {
        Ok(users::table
            .filter(users::is_admin.eq(true))
            .filter(users::is_active.eq(true))
            .count()
            .get_result(conn)?)
    }
}
