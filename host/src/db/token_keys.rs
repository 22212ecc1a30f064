//! The root key that signs share-link tokens, shared by every replica through the database.
//! Whoever reads this table can mint tokens: it is as secret as the database itself.

use diesel::prelude::*;

use super::prepared::on_backend;
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

/// A signing key's public half, as published for offline verification.
#[derive(Debug, Clone, Queryable)]
pub struct PublicTokenKey {
    pub id: String,
    /// Hex of the Ed25519 public key.
    pub public_key: String,
    pub created_at: i64,
}

impl PublicTokenKey {
    /// Every stored key's public half, oldest first.
    pub fn all(conn: &mut AnyConnection) -> DbResult<Vec<PublicTokenKey>> {
        Ok(token_keys::table
            .order(token_keys::created_at.asc())
            .select((
                token_keys::id,
                token_keys::public_key,
                token_keys::created_at,
            ))
            .load(conn)?)
    }
}

/// Download slots per token attenuation block (by the block's revocation id, which every token
/// derived from it shares): `taken` counts downloads under way or completed, `completed` the
/// completed ones.
///
/// A block's limit is Datalog the holder wrote, so the server cannot turn it into one
/// conditional update as it does a link's `max_downloads`. Instead a download's checks run
/// against the `taken` counts read before it, and [`BlockDownloads::take`] takes the slots only
/// if every count is still the one the checks saw (a compare-and-set per block, in the
/// download's start transaction); if another download took one in between, nothing is taken
/// and the checks run again on the new counts. So with a limit of k, exactly k downloads hold
/// slots however many race.
pub struct BlockDownloads;

impl BlockDownloads {
    /// Slots taken (downloads under way or completed) per block, in the order given.
    pub fn counts(conn: &mut AnyConnection, revocation_ids: &[String]) -> DbResult<Vec<u64>> {
        if revocation_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, i64)> = token_block_downloads::table
            .filter(token_block_downloads::revocation_id.eq_any(revocation_ids))
            .select((
                token_block_downloads::revocation_id,
                token_block_downloads::taken,
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

    /// Takes one slot on every block. With `expected` (the counts the token's checks saw, one
    /// per block), only if each count is still that; returns false, having changed nothing the
    /// caller's transaction keeps, when one moved. Call inside the download's transaction: a
    /// false answer leaves earlier blocks taken, for that transaction's rollback to undo.
    pub fn take(
        conn: &mut AnyConnection,
        link_id: &str,
        revocation_ids: &[String],
        expected: Option<&[u64]>,
    ) -> DbResult<bool> {
        for (index, id) in revocation_ids.iter().enumerate() {
            on_backend!(conn, c => diesel::insert_into(token_block_downloads::table)
                .values((
                    token_block_downloads::revocation_id.eq(id),
                    token_block_downloads::link_id.eq(link_id),
                    token_block_downloads::completed.eq(0i64),
                    token_block_downloads::taken.eq(0i64),
                ))
                .on_conflict_do_nothing()
                .execute(c))?;
            let row = token_block_downloads::table.find(id);
            let updated = match expected.and_then(|counts| counts.get(index)) {
                Some(&seen) => diesel::update(row.filter(
                    token_block_downloads::taken.eq(i64::try_from(seen).unwrap_or(i64::MAX)),
                ))
                .set(token_block_downloads::taken.eq(token_block_downloads::taken + 1))
                .execute(conn)?,
                None => diesel::update(row)
                    .set(token_block_downloads::taken.eq(token_block_downloads::taken + 1))
                    .execute(conn)?,
            };
            if updated == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A download made with these blocks completed: its slots stay taken.
    pub fn complete(conn: &mut AnyConnection, revocation_ids: &[String]) -> DbResult<()> {
        if revocation_ids.is_empty() {
            return Ok(());
        }
        diesel::update(
            token_block_downloads::table
                .filter(token_block_downloads::revocation_id.eq_any(revocation_ids)),
        )
        .set(token_block_downloads::completed.eq(token_block_downloads::completed + 1))
        .execute(conn)?;
        Ok(())
    }

    /// A download made with these blocks broke off: its slots are free again.
    pub fn give_back(conn: &mut AnyConnection, revocation_ids: &[String]) -> DbResult<()> {
        if revocation_ids.is_empty() {
            return Ok(());
        }
        diesel::update(
            token_block_downloads::table
                .filter(token_block_downloads::revocation_id.eq_any(revocation_ids))
                .filter(token_block_downloads::taken.gt(0)),
        )
        .set(token_block_downloads::taken.eq(token_block_downloads::taken - 1))
        .execute(conn)?;
        Ok(())
    }
}
