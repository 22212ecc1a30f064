//! Share links: an unguessable slug (kept only as a hash) and a Biscuit token that both grant
//! one item (a dataset or an export's file) at one level, with an optional expiry, download
//! limit, password and self-destruct. Download slots are taken and given back with single
//! conditional updates, so a limit holds exactly however many downloads race for it.
//!
//! A link acts with its creator's rights: `needs_level` is the level on `dataset_id` (set for
//! an export's link too) its creator must still hold at each request, decided in
//! [`crate::links`]; this table only stores it. The slug itself is never stored in clear:
//! `sealed_address` holds it encrypted under a key outside the database, for its owners only.

use diesel::prelude::*;

use super::ids::{ExportJobId, LinkId};
use super::prepared::{Kept, on_backend};
use super::schema::share_links;
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = share_links)]
pub struct ShareLink {
    pub id: String,
    pub owner_id: String,
    pub dataset_id: Option<String>,
    pub export_job_id: Option<String>,
    pub slug_hash: String,
    pub name: String,
    /// `view` or `download`.
    pub level: String,
    pub version: Option<i32>,
    /// JSON array of format ids, or none for every format.
    pub allowed_formats: Option<String>,
    /// JSON array of column names, or none for every column.
    pub allowed_columns: Option<String>,
    pub expires_at: Option<i64>,
    pub max_downloads: Option<i64>,
    pub downloads_taken: i64,
    pub downloads_completed: i64,
    pub password_hash: Option<String>,
    pub password_epoch: i64,
    pub self_destruct: bool,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub destroyed_at: Option<i64>,
    pub last_access_at: Option<i64>,
    /// The level on the dataset the creator must hold for the link to work: `admin`, or `view`
    /// for an export's file shared by whoever ran the export.
    pub needs_level: String,
    /// The slug, sealed under the link address key ([`crate::links::address`]); none for
    /// links made before addresses were kept.
    pub sealed_address: Option<String>,
}

/// Where a link stands, as its owner and its holders are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Expired,
    UsedUp,
    Revoked,
    /// Its creator no longer holds the level it needs; it works again if they get it back.
    Suspended,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Expired => "expired",
            LinkState::UsedUp => "used_up",
            LinkState::Revoked => "revoked",
            LinkState::Suspended => "suspended",
        }
    }
}

/// A stored list restriction: absent means no restriction; a JSON array of strings is the
/// list; anything else fails closed, as an empty list.
fn restriction(link: &str, field: &str, stored: Option<&str>) -> Option<Vec<String>> {
    let text = stored?;
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(list) => Some(list),
        Err(e) => {
            tracing::error!(link, field, error = %e, "unreadable link restriction: allowing nothing");
            Some(Vec::new())
        }
    }
}

impl ShareLink {
    /// Where the link stands by its own terms (the creator's rights aside: see
    /// [`crate::links::state_of`]).
    pub fn state(&self, now: i64) -> LinkState {
        if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if self.expires_at.is_some_and(|at| at <= now) {
            LinkState::Expired
        } else if self.destroyed_at.is_some()
            || self
                .max_downloads
                .is_some_and(|max| self.downloads_completed >= max)
        {
            LinkState::UsedUp
        } else {
            LinkState::Active
        }
    }

    pub fn downloads_left(&self) -> Option<i64> {
        self.max_downloads
            .map(|max| (max - self.downloads_completed).max(0))
    }

    /// The formats the link allows, `None` for every format. A stored restriction that cannot
    /// be read allows none (and is logged): a restriction must never widen into "everything".
    pub fn formats(&self) -> Option<Vec<String>> {
        restriction(&self.id, "allowed_formats", self.allowed_formats.as_deref())
    }

    /// The columns the link shows, `None` for every column; unreadable, none (see
    /// [`Self::formats`]).
    pub fn columns(&self) -> Option<Vec<String>> {
        restriction(&self.id, "allowed_columns", self.allowed_columns.as_deref())
    }

    pub fn create(conn: &mut AnyConnection, link: &ShareLink) -> DbResult<()> {
        diesel::insert_into(share_links::table)
            .values(link)
            .execute(conn)?;
        Ok(())
    }

    // The lookups and updates a download makes run on the backend's own connection, and the
    // updates are kept prepared (see `super::prepared`). `as_select` and `as_returning` name
    // their backend, so those queries are built in each arm.

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<ShareLink> {
        Ok(on_backend!(conn, c => share_links::table
            .find(id)
            .select(ShareLink::as_select())
            .get_result(c))?)
    }

    pub fn find_by_slug_hash(conn: &mut AnyConnection, hash: &str) -> DbResult<Option<ShareLink>> {
        Ok(on_backend!(conn, c => share_links::table
            .filter(share_links::slug_hash.eq(hash))
            .select(ShareLink::as_select())
            .get_result(c))
        .optional()?)
    }

    pub fn list_for_owner(conn: &mut AnyConnection, owner_id: &str) -> DbResult<Vec<ShareLink>> {
        Ok(share_links::table
            .filter(share_links::owner_id.eq(owner_id))
            .order(share_links::created_at.desc())
            .select(ShareLink::as_select())
            .load(conn)?)
    }

    /// Links made by `owner_id` or sharing one of `datasets`, newest first.
    pub fn list_for_owner_or_datasets(
        conn: &mut AnyConnection,
        owner_id: &str,
        datasets: &[String],
    ) -> DbResult<Vec<ShareLink>> {
        Ok(share_links::table
            .filter(
                share_links::owner_id
                    .eq(owner_id)
                    .or(share_links::dataset_id.eq_any(datasets)),
            )
            .order(share_links::created_at.desc())
            .select(ShareLink::as_select())
            .load(conn)?)
    }

    /// Every link sharing the dataset or one of its exports, whoever made it, newest first.
    pub fn list_for_dataset(
        conn: &mut AnyConnection,
        dataset_id: &str,
    ) -> DbResult<Vec<ShareLink>> {
        Ok(share_links::table
            .filter(share_links::dataset_id.eq(dataset_id))
            .order(share_links::created_at.desc())
            .select(ShareLink::as_select())
            .load(conn)?)
    }

    /// Every link, newest first (for site admins).
    pub fn list_all(conn: &mut AnyConnection) -> DbResult<Vec<ShareLink>> {
        Ok(share_links::table
            .order(share_links::created_at.desc())
            .select(ShareLink::as_select())
            .load(conn)?)
    }

    /// The datasets at least one link shares (through a link to them or to their exports).
    pub fn shared_datasets(conn: &mut AnyConnection) -> DbResult<Vec<String>> {
        Ok(share_links::table
            .filter(share_links::dataset_id.is_not_null())
            .select(share_links::dataset_id.assume_not_null())
            .distinct()
            .load(conn)?)
    }

    /// Pins every live link to the dataset itself that follows its latest version (not
    /// revoked, not destroyed) to `version`; returns how many were pinned.
    pub fn pin_following(
        conn: &mut AnyConnection,
        dataset_id: &str,
        version: i32,
    ) -> DbResult<usize> {
        Ok(diesel::update(
            share_links::table
                .filter(share_links::dataset_id.eq(dataset_id))
                .filter(share_links::export_job_id.is_null())
                .filter(share_links::version.is_null())
                .filter(share_links::revoked_at.is_null())
                .filter(share_links::destroyed_at.is_null()),
        )
        .set(share_links::version.eq(Some(version)))
        .execute(conn)?)
    }

    pub fn revoke(conn: &mut AnyConnection, id: &str, now: i64) -> DbResult<()> {
        diesel::update(
            share_links::table
                .find(id)
                .filter(share_links::revoked_at.is_null()),
        )
        .set(share_links::revoked_at.eq(Some(now)))
        .execute(conn)?;
        Ok(())
    }

    pub fn set_expiry(conn: &mut AnyConnection, id: &str, expires_at: Option<i64>) -> DbResult<()> {
        diesel::update(share_links::table.find(id))
            .set(share_links::expires_at.eq(expires_at))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_max_downloads(conn: &mut AnyConnection, id: &str, max: Option<i64>) -> DbResult<()> {
        diesel::update(share_links::table.find(id))
            .set(share_links::max_downloads.eq(max))
            .execute(conn)?;
        Ok(())
    }

    /// Sets (or clears) the password; sessions opened with the old one end.
    pub fn set_password(conn: &mut AnyConnection, id: &str, hash: Option<String>) -> DbResult<()> {
        diesel::update(share_links::table.find(id))
            .set((
                share_links::password_hash.eq(hash),
                share_links::password_epoch.eq(share_links::password_epoch + 1),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> DbResult<()> {
        diesel::update(share_links::table.find(id))
            .set(share_links::last_access_at.eq(Some(now)))
            .execute(conn)?;
        Ok(())
    }

    /// Takes a download slot if one is free: one statement, so concurrent takers cannot both
    /// see the last slot free. Links without a limit always have one. The same statement
    /// records the access time (what [`ShareLink::touch`] does), saving a download one write.
    pub fn take_slot(conn: &mut AnyConnection, id: &str, now: i64) -> DbResult<bool> {
        enum TakeSlot {}
        let query = Kept::<TakeSlot, _>::new(
            diesel::update(
                share_links::table
                    .find(id)
                    .filter(share_links::revoked_at.is_null())
                    .filter(share_links::destroyed_at.is_null())
                    .filter(
                        share_links::max_downloads
                            .is_null()
                            .or(share_links::downloads_taken
                                .lt(share_links::max_downloads.assume_not_null())),
                    ),
            )
            .set((
                share_links::downloads_taken.eq(share_links::downloads_taken + 1),
                share_links::last_access_at.eq(Some(now)),
            ))
            .returning(share_links::id),
        );
        let taken = on_backend!(conn, c => query.get_result::<String>(c)).optional()?;
        Ok(taken.is_some())
    }

    /// Gives back a slot taken by a download that broke off.
    pub fn give_back_slot(conn: &mut AnyConnection, id: &str) -> DbResult<()> {
        enum GiveBackSlot {}
        let query = Kept::<GiveBackSlot, _>::new(
            diesel::update(
                share_links::table
                    .find(id)
                    .filter(share_links::downloads_taken.gt(0)),
            )
            .set(share_links::downloads_taken.eq(share_links::downloads_taken - 1))
            .returning(share_links::id),
        );
        on_backend!(conn, c => query.get_result::<String>(c)).optional()?;
        Ok(())
    }

    /// Counts a completed download (its slot stays taken); returns the link as it is now, from
    /// the same statement.
    pub fn complete_download(conn: &mut AnyConnection, id: &str) -> DbResult<ShareLink> {
        enum CompleteDownload {}
        Ok(on_backend!(conn, c => Kept::<CompleteDownload, _>::new(
            diesel::update(share_links::table.find(id))
                .set(share_links::downloads_completed.eq(share_links::downloads_completed + 1))
                .returning(ShareLink::as_returning()),
        )
        .get_result(c))?)
    }

    pub fn destroy(conn: &mut AnyConnection, id: &str, now: i64) -> DbResult<()> {
        diesel::update(
            share_links::table
                .find(id)
                .filter(share_links::destroyed_at.is_null()),
        )
        .set(share_links::destroyed_at.eq(Some(now)))
        .execute(conn)?;
        Ok(())
    }

    /// Self-destructing links past their expiry and not yet destroyed.
    pub fn due_to_self_destruct(conn: &mut AnyConnection, now: i64) -> DbResult<Vec<ShareLink>> {
        Ok(share_links::table
            .filter(share_links::self_destruct.eq(true))
            .filter(share_links::destroyed_at.is_null())
            .filter(share_links::revoked_at.is_null())
            .filter(share_links::expires_at.le(now))
            .select(ShareLink::as_select())
            .load(conn)?)
    }

    /// Other live links to the same export's file (so a self-destructing link deletes the file
    /// only when it was made for that link alone).
    pub fn others_for_export(
        conn: &mut AnyConnection,
        export_job_id: ExportJobId,
        except: LinkId,
    ) -> DbResult<i64> {
        Ok(share_links::table
            .filter(share_links::export_job_id.eq(export_job_id.as_str()))
            .filter(share_links::id.ne(except.as_str()))
            .filter(share_links::revoked_at.is_null())
            .filter(share_links::destroyed_at.is_null())
            .count()
            .get_result(conn)?)
    }
}

#[cfg(test)]
mod tests {
    use super::restriction;

    // Issue 15 ("typed storage"): an unreadable restriction used to mean "every format" or
    // "every column".
    #[test]
    fn restrictions_fail_closed() {
        assert_eq!(restriction("l", "allowed_formats", None), None);
        assert_eq!(
            restriction("l", "allowed_formats", Some(r#"["csv","json"]"#)),
            Some(vec!["csv".to_owned(), "json".to_owned()])
        );
        for unreadable in ["", "csv", "{\"csv\": true}", "[1, 2]", "null"] {
            assert_eq!(
                restriction("l", "allowed_columns", Some(unreadable)),
                Some(Vec::new()),
                "{unreadable:?}"
            );
        }
    }
}
