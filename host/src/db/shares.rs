//! Shares of a dataset with a user, a group, a team or an email address, at a level, until an
//! optional expiry. Each share becomes one link in the access graph the enforcer decides with.
//!
//! A share with an email address (`email`, the address lower-cased) is not bound to an account:
//! it grants to whichever account holds the address, now or once one is created, however it is
//! created. So sharing never needs to know whether an address has an account, and never tells.

use diesel::prelude::*;

use super::access_state::AccessState;
use super::ids::{DatasetId, ShareId};
use super::schema::shares;
use super::{AnyConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = shares)]
pub struct Share {
    pub id: String,
    pub dataset_id: String,
    /// `user`, `group`, `team` or `email`.
    pub subject_kind: String,
    pub subject_id: String,
    pub level: String,
    pub expires_at: Option<i64>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// For a share with an email address: when the account holding it first saw the share.
    pub accepted_at: Option<i64>,
}

/// The subject kind of a share with an email address.
pub const EMAIL: &str = "email";

impl Share {
    /// Whether the sharer should see this share as pending: made to an address, and not yet
    /// seen by an account holding it. (Whether such an account exists is never shown.)
    pub fn is_pending(&self) -> bool {
        self.subject_kind == EMAIL && self.accepted_at.is_none()
    }

    /// Marks the shares made to `email` as seen by its account; returns how many were new.
    pub fn accept_for_email(conn: &mut AnyConnection, email: &str, now: i64) -> DbResult<usize> {
        Ok(diesel::update(
            shares::table
                .filter(shares::subject_kind.eq(EMAIL))
                .filter(shares::subject_id.eq(super::users::normalize_email(email)))
                .filter(shares::accepted_at.is_null()),
        )
        .set(shares::accepted_at.eq(now))
        .execute(conn)?)
    }

    /// Whether any share made to `email` waits to be seen (so listing it needs a write).
    pub fn has_unseen_for_email(conn: &mut AnyConnection, email: &str) -> DbResult<bool> {
        Ok(shares::table
            .filter(shares::subject_kind.eq(EMAIL))
            .filter(shares::subject_id.eq(super::users::normalize_email(email)))
            .filter(shares::accepted_at.is_null())
            .count()
            .get_result::<i64>(conn)?
            > 0)
    }

    pub fn create(conn: &mut AnyConnection, share: &Share) -> DbResult<()> {
        diesel::insert_into(shares::table)
            .values(share)
            .execute(conn)
            .map_err(|e| match DbError::from(e) {
                DbError::Conflict(_) => DbError::Conflict(
                    "this dataset is already shared with them; change or revoke that share"
                        .to_owned(),
                ),
                other => other,
            })?;
        AccessState::bump(conn)
    }

    /// The share `id` of the dataset.
    pub fn find(conn: &mut AnyConnection, dataset_id: DatasetId, id: ShareId) -> DbResult<Share> {
        Ok(shares::table
            .find(id.as_str())
            .filter(shares::dataset_id.eq(dataset_id.as_str()))
            .select(Share::as_select())
            .get_result(conn)?)
    }

    pub fn update(conn: &mut AnyConnection, share: &Share) -> DbResult<()> {
        diesel::update(shares::table.find(&share.id))
            .set((
                shares::level.eq(&share.level),
                shares::expires_at.eq(share.expires_at),
                shares::updated_at.eq(share.updated_at),
            ))
            .execute(conn)?;
        AccessState::bump(conn)
    }

    pub fn delete(conn: &mut AnyConnection, id: &str) -> DbResult<bool> {
        let removed = diesel::delete(shares::table.find(id)).execute(conn)? > 0;
        if removed {
            AccessState::bump(conn)?;
        }
        Ok(removed)
    }

    pub fn for_dataset(conn: &mut AnyConnection, dataset_id: &str) -> DbResult<Vec<Share>> {
        Ok(shares::table
            .filter(shares::dataset_id.eq(dataset_id))
            .order(shares::created_at.asc())
            .select(Share::as_select())
            .load(conn)?)
    }

    /// Shares that have not expired at `now`; the enforcer is built from these.
    pub fn live(conn: &mut AnyConnection, now: i64) -> DbResult<Vec<Share>> {
        Ok(shares::table
            .filter(shares::expires_at.is_null().or(shares::expires_at.gt(now)))
            .select(Share::as_select())
            .load(conn)?)
    }

    /// Live shares whose subject is one of `subjects` (`(kind, id)` pairs; an email address
    /// is `("email", address)`).
    pub fn to_subjects(
        conn: &mut AnyConnection,
        subjects: &[(String, String)],
        now: i64,
    ) -> DbResult<Vec<Share>> {
        let mut found = Vec::new();
        for kind in ["user", "group", "team", EMAIL] {
            let ids: Vec<&String> = subjects
                .iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, id)| id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            found.extend(
                shares::table
                    .filter(shares::subject_kind.eq(kind))
                    .filter(shares::subject_id.eq_any(ids))
                    .filter(shares::expires_at.is_null().or(shares::expires_at.gt(now)))
                    .select(Share::as_select())
                    .load(conn)?,
            );
        }
        Ok(found)
    }
}
