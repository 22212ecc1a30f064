//! Password-reset links a site admin gives out: only the token's SHA-256 is stored, so a leaked
//! database yields no usable link; each works once and until it expires.

use diesel::prelude::*;

use super::schema::password_resets;
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub token_hash: String,
    pub user_id: String,
    /// The site admin who made it.
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// When it was used; a used link works no more.
    pub used_at: Option<i64>,
}

impl PasswordReset {
    /// Stores a new link for its user, replacing any unused one they had: one live link each.
    pub fn replace(conn: &mut AnyConnection, reset: &PasswordReset) -> DbResult<()> {
        diesel::delete(
            password_resets::table
                .filter(password_resets::user_id.eq(&reset.user_id))
                .filter(password_resets::used_at.is_null()),
        )
        .execute(conn)?;
        diesel::insert_into(password_resets::table)
            .values(reset)
            .execute(conn)?;
        Ok(())
    }

    pub fn find(conn: &mut AnyConnection, token_hash: &str) -> DbResult<Option<PasswordReset>> {
        Ok(password_resets::table
            .find(token_hash)
            .select(PasswordReset::as_select())
            .get_result(conn)
            .optional()?)
    }

    /// Marks the link used, if it still was usable at `now`; whether it was. Two requests with
    /// one link cannot both spend it.
    pub fn spend(conn: &mut AnyConnection, token_hash: &str, now: i64) -> DbResult<bool> {
        let spent = diesel::update(
            password_resets::table
                .find(token_hash)
                .filter(password_resets::used_at.is_null())
                .filter(password_resets::expires_at.gt(now)),
        )
        .set(password_resets::used_at.eq(Some(now)))
        .execute(conn)?;
        Ok(spent == 1)
    }
}
