//! Browsers that gave a link's password. A session is bound to one link and to the password
//! epoch it was opened under, so changing the password ends every older session.

use diesel::prelude::*;

use super::schema::link_sessions;
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = link_sessions)]
pub struct LinkSession {
    pub token_hash: String,
    pub link_id: String,
    pub password_epoch: i64,
    pub expires_at: i64,
}

impl LinkSession {
    pub fn create(conn: &mut AnyConnection, session: &LinkSession) -> DbResult<()> {
        diesel::insert_into(link_sessions::table)
            .values(session)
            .execute(conn)?;
        Ok(())
    }

    /// Whether `token_hash` opens `link_id` at `epoch` now.
    pub fn is_valid(
        conn: &mut AnyConnection,
        token_hash: &str,
        link_id: &str,
        epoch: i64,
        now: i64,
    ) -> DbResult<bool> {
        let found: Option<LinkSession> = link_sessions::table
            .find(token_hash)
            .select(LinkSession::as_select())
            .get_result(conn)
            .optional()?;
        Ok(found.is_some_and(|s| {
            s.link_id == link_id && s.password_epoch == epoch && s.expires_at > now
        }))
    }
}
