//! Sign-in sessions. The cookie carries a random token; only its SHA-256 is stored, so a
//! leaked database cannot be replayed as cookies. Sessions live in the database so that every
//! replica accepts the same cookies.

use diesel::prelude::*;

use super::schema::sessions;
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub token_hash: String,
    pub user_id: String,
    pub csrf_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Session {
    pub fn create(conn: &mut AnyConnection, session: &Session) -> DbResult<()> {
        diesel::insert_into(sessions::table)
            .values(session)
            .execute(conn)?;
        Ok(())
    }

    /// The unexpired session with this token hash.
    pub fn find_active(
        conn: &mut AnyConnection,
        token_hash: &str,
        now: i64,
    ) -> DbResult<Option<Session>> {
        Ok(sessions::table
            .find(token_hash)
            .filter(sessions::expires_at.gt(now))
            .select(Session::as_select())
            .get_result(conn)
            .optional()?)
    }

    pub fn delete(conn: &mut AnyConnection, token_hash: &str) -> DbResult<()> {
        diesel::delete(sessions::table.find(token_hash)).execute(conn)?;
        Ok(())
    }

    pub fn delete_for_user(conn: &mut AnyConnection, user_id: &str) -> DbResult<usize> {
        Ok(diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?)
    }

    pub fn delete_expired(conn: &mut AnyConnection, now: i64) -> DbResult<usize> {
        Ok(diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?)
    }
}
