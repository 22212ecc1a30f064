//! The root key that signs share-link tokens, shared by every replica through the database.
//! Whoever reads this table can mint tokens: it is as secret as the database itself.

use diesel::prelude::*;

use super::schema::{token_block_downloads, token_keys};
use super::{AnyConnection, DbError, DbResult};

/// The one row's id.
const ROOT: &str = "root";

pub struct TokenKeyRow;

impl TokenKeyRow {
    /// The stored private key, or `fresh` stored as the key if there is none yet. Two
    /// replicas starting at once agree on whichever was stored first.
    pub fn get_or_store(
        conn: &mut AnyConnection,
        fresh_private: &str,
        fresh_public: &str,
        now: i64,
    ) -> DbResult<String> {
        let existing: Option<String> = token_keys::table
            .find(ROOT)
            .select(token_keys::private_key)
            .get_result(conn)
            .optional()?;
        if let Some(key) = existing {
            return Ok(key);
        }
        let inserted = diesel::insert_into(token_keys::table)
            .values((
                token_keys::id.eq(ROOT),
                token_keys::private_key.eq(fresh_private),
                token_keys::public_key.eq(fresh_public),
                token_keys::created_at.eq(now),
            ))
            .execute(conn);
        match inserted.map_err(DbError::from) {
            Ok(_) | Err(DbError::Conflict(_)) => Ok(token_keys::table
                .find(ROOT)
                .select(token_keys::private_key)
                .get_result(conn)?),
            Err(other) => Err(other),
        }
    }
}

/// Completed downloads per token attenuation block, for blocks that limit downloads.
pub struct BlockDownloads;

impl BlockDownloads {
    pub fn counts(conn: &mut AnyConnection, revocation_ids: &[String]) -> DbResult<Vec<u64>> {
        let rows: Vec<(String, i64)> = token_block_downloads::table
            .filter(token_block_downloads::revocation_id.eq_any(revocation_ids))
            .select((
                token_block_downloads::revocation_id,
                token_block_downloads::completed,
            ))
            .load(conn)?;
        Ok(revocation_ids
            .iter()
            .map(|id| {
                rows.iter()
                    .find(|(r, _)| r == id)
                    .map_or(0, |(_, n)| (*n).max(0) as u64)
            })
            .collect())
    }

    pub fn add_completed(
        conn: &mut AnyConnection,
        link_id: &str,
        revocation_ids: &[String],
    ) -> DbResult<()> {
        for id in revocation_ids {
            let updated = diesel::update(token_block_downloads::table.find(id))
                .set(token_block_downloads::completed.eq(token_block_downloads::completed + 1))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(token_block_downloads::table)
                    .values((
                        token_block_downloads::revocation_id.eq(id),
                        token_block_downloads::link_id.eq(link_id),
                        token_block_downloads::completed.eq(1i64),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    }
}
