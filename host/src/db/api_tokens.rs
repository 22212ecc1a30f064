//! Personal API tokens for scripts. The secret is shown once at creation; only its SHA-256
//! and a short display prefix are kept.

use diesel::prelude::*;

use super::ids::{TokenId, UserId};
use super::schema::api_tokens;
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    /// Space-separated scope names.
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiToken {
    pub fn create(conn: &mut AnyConnection, token: &ApiToken) -> DbResult<()> {
        diesel::insert_into(api_tokens::table)
            .values(token)
            .execute(conn)?;
        Ok(())
    }

    /// The token with this hash if it is neither revoked nor expired.
    pub fn find_usable(
        conn: &mut AnyConnection,
        token_hash: &str,
        now: i64,
    ) -> DbResult<Option<ApiToken>> {
        Ok(api_tokens::table
            .filter(api_tokens::token_hash.eq(token_hash))
            .filter(api_tokens::revoked_at.is_null())
            .filter(
                api_tokens::expires_at
                    .is_null()
                    .or(api_tokens::expires_at.gt(now)),
            )
            .select(ApiToken::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn list_for_user(conn: &mut AnyConnection, user_id: &str) -> DbResult<Vec<ApiToken>> {
        Ok(api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .order(api_tokens::created_at.desc())
            .select(ApiToken::as_select())
            .load(conn)?)
    }

    /// Revokes one of the user's tokens; `false` when the user has no such token.
    pub fn revoke(
        conn: &mut AnyConnection,
        user_id: UserId,
        id: TokenId,
        now: i64,
    ) -> DbResult<bool> {
        let changed = diesel::update(
            api_tokens::table
                .filter(api_tokens::id.eq(id.as_str()))
                .filter(api_tokens::user_id.eq(user_id.as_str()))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(now))
        .execute(conn)?;
        Ok(changed == 1)
    }

    pub fn revoke_all_for_user(
        conn: &mut AnyConnection,
        user_id: &str,
        now: i64,
    ) -> DbResult<usize> {
        Ok(diesel::update(
            api_tokens::table
                .filter(api_tokens::user_id.eq(user_id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(now))
        .execute(conn)?)
    }

    pub fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> DbResult<()> {
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::last_used_at.eq(now))
            .execute(conn)?;
        Ok(())
    }
}
