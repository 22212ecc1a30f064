//! Datasets: the metadata of an uploaded table. The data itself is a series of immutable
//! Parquet versions ([`super::dataset_versions`]); `latest_version` points at the newest.
//!
//! A deleted dataset goes to the trash first (`deleted_at` set): every query here but the
//! trash's own ([`Dataset::find_trashed`], [`Dataset::trashed`], [`Dataset::trashed_before`])
//! treats it as gone, so no list, search or access decision can reach it by accident.

use diesel::prelude::*;

use super::access_state::AccessState;
use super::dataset_versions::DatasetVersion;
use super::schema::{dataset_versions, datasets};
use super::{AnyConnection, DbError, DbResult, lower};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = datasets)]
pub struct Dataset {
    pub id: String,
    pub owner_id: String,
    pub team_id: Option<String>,
    pub name: String,
    pub description: String,
    /// JSON array of strings.
    pub tags: String,
    pub licence: Option<String>,
    pub latest_version: i32,
    pub created_at: i64,
    pub updated_at: i64,
    /// When it was moved to the trash; `None` while it is in use.
    pub deleted_at: Option<i64>,
    /// Who moved it to the trash.
    pub deleted_by: Option<String>,
}

/// A metadata change; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = datasets)]
pub struct DatasetChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<String>,
    pub licence: Option<Option<String>>,
    pub team_id: Option<Option<String>>,
    pub updated_at: i64,
}

/// Which datasets a listing may show, and how to narrow them.
#[derive(Debug, Clone, Default)]
pub struct DatasetFilter {
    /// `None`: every dataset (site admins). `Some`: only these datasets (the ones the
    /// enforcer lets the caller view).
    pub visible_to: Option<Vec<String>>,
    pub team_id: Option<String>,
    pub text: Option<String>,
    pub order: DatasetOrder,
}

/// The order of a list of datasets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DatasetOrder {
    /// The most recently changed first.
    #[default]
    NewestFirst,
    OldestFirst,
    /// By name, A to Z (letters' case aside), or Z to A.
    NameAscending,
    NameDescending,
}

impl DatasetOrder {
    /// The order a `sort` parameter names: `-updated` (the default), `updated`, `name`, `-name`.
    pub fn parse(text: &str) -> Option<DatasetOrder> {
        match text.trim() {
            "" | "-updated" => Some(DatasetOrder::NewestFirst),
            "updated" => Some(DatasetOrder::OldestFirst),
            "name" => Some(DatasetOrder::NameAscending),
            "-name" => Some(DatasetOrder::NameDescending),
            _ => None,
        }
    }

    /// As the `sort` parameter writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetOrder::NewestFirst => "-updated",
            DatasetOrder::OldestFirst => "updated",
            DatasetOrder::NameAscending => "name",
            DatasetOrder::NameDescending => "-name",
        }
    }
}

impl Dataset {
    /// Inserts a dataset with its first version, atomically.
    pub fn create(
        conn: &mut AnyConnection,
        dataset: &Dataset,
        first: &DatasetVersion,
    ) -> DbResult<()> {
        crate::db::write_transaction::<_, DbError, _>(conn, |conn| {
            diesel::insert_into(datasets::table)
                .values(dataset)
                .execute(conn)?;
            diesel::insert_into(dataset_versions::table)
                .values(first)
                .execute(conn)?;
            AccessState::bump(conn)?;
            Ok(())
        })
    }

    /// A dataset in use; one in the trash is [`DbError::NotFound`], as if it were gone.
    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<Dataset> {
        Ok(datasets::table
            .find(id)
            .filter(datasets::deleted_at.is_null())
            .select(Dataset::as_select())
            .get_result(conn)?)
    }

    /// A dataset in the trash; one in use (or unknown) is [`DbError::NotFound`].
    pub fn find_trashed(conn: &mut AnyConnection, id: &str) -> DbResult<Dataset> {
        Ok(datasets::table
            .find(id)
            .filter(datasets::deleted_at.is_not_null())
            .select(Dataset::as_select())
            .get_result(conn)?)
    }

    /// Moves a dataset in use to the trash.
    pub fn trash(conn: &mut AnyConnection, id: &str, by: &str, now: i64) -> DbResult<()> {
        crate::db::write_transaction::<_, DbError, _>(conn, |conn| {
            let moved = diesel::update(
                datasets::table
                    .find(id)
                    .filter(datasets::deleted_at.is_null()),
            )
            .set((
                datasets::deleted_at.eq(Some(now)),
                datasets::deleted_by.eq(Some(by)),
            ))
            .execute(conn)?;
            if moved == 0 {
                return Err(DbError::NotFound);
            }
            // Whoever reached it through its owner, a team or a share reaches it no longer.
            AccessState::bump(conn)?;
            Ok(())
        })
    }

    /// Takes a dataset out of the trash, as it was.
    pub fn restore(conn: &mut AnyConnection, id: &str) -> DbResult<Dataset> {
        crate::db::write_transaction::<_, DbError, _>(conn, |conn| {
            let restored = diesel::update(
                datasets::table
                    .find(id)
                    .filter(datasets::deleted_at.is_not_null()),
            )
            .set((
                datasets::deleted_at.eq(None::<i64>),
                datasets::deleted_by.eq(None::<String>),
            ))
            .execute(conn)?;
            if restored == 0 {
                return Err(DbError::NotFound);
            }
            AccessState::bump(conn)?;
            Dataset::find(conn, id)
        })
    }

    /// The datasets in the trash, most recently trashed first: `owner`'s, or every one.
    pub fn trashed(conn: &mut AnyConnection, owner: Option<&str>) -> DbResult<Vec<Dataset>> {
        let mut query = datasets::table
            .filter(datasets::deleted_at.is_not_null())
            .into_boxed();
        if let Some(owner) = owner {
            query = query.filter(datasets::owner_id.eq(owner.to_owned()));
        }
        Ok(query
            .order((datasets::deleted_at.desc(), datasets::id.asc()))
            .select(Dataset::as_select())
            .load(conn)?)
    }

    /// The ids of the datasets trashed before `cutoff`, for the sweep that empties the trash.
    pub fn trashed_before(conn: &mut AnyConnection, cutoff: i64) -> DbResult<Vec<String>> {
        Ok(datasets::table
            .filter(datasets::deleted_at.lt(cutoff))
            .select(datasets::id)
            .load(conn)?)
    }

    pub fn list(
        conn: &mut AnyConnection,
        filter: &DatasetFilter,
        offset: i64,
        limit: i64,
    ) -> DbResult<(Vec<Dataset>, i64)> {
        let query = || {
            let mut query = datasets::table
                .filter(datasets::deleted_at.is_null())
                .into_boxed();
            if let Some(ids) = &filter.visible_to {
                query = query.filter(datasets::id.eq_any(ids.clone()));
            }
            if let Some(team_id) = &filter.team_id {
                query = query.filter(datasets::team_id.eq(team_id.clone()));
            }
            if let Some(text) = filter
                .text
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
                query = query.filter(
                    lower(datasets::name)
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(datasets::description).like(pattern).escape('\\')),
                );
            }
            query
        };
        let total = query().count().get_result(conn)?;
        let ordered = match filter.order {
            DatasetOrder::NewestFirst => {
                query().order((datasets::updated_at.desc(), datasets::id.asc()))
            }
            DatasetOrder::OldestFirst => {
                query().order((datasets::updated_at.asc(), datasets::id.asc()))
            }
            DatasetOrder::NameAscending => {
                query().order((lower(datasets::name).asc(), datasets::id.asc()))
            }
            DatasetOrder::NameDescending => {
                query().order((lower(datasets::name).desc(), datasets::id.asc()))
            }
        };
        let items = ordered
            .offset(offset)
            .limit(limit)
            .select(Dataset::as_select())
            .load(conn)?;
        Ok((items, total))
    }

    pub fn update(
        conn: &mut AnyConnection,
        id: &str,
        changes: &DatasetChanges,
    ) -> DbResult<Dataset> {
        diesel::update(datasets::table.find(id))
            .set(changes)
            .execute(conn)?;
        // The team may have changed, and with it who reaches the dataset.
        AccessState::bump(conn)?;
        Dataset::find(conn, id)
    }

    /// Adds the next version. The version number is taken inside the transaction, so two
    /// concurrent uploads get consecutive numbers rather than one overwriting the other.
    pub fn add_version(
        conn: &mut AnyConnection,
        id: &str,
        build: impl FnOnce(i32) -> DatasetVersion,
        now: i64,
    ) -> DbResult<DatasetVersion> {
        crate::db::write_transaction::<_, DbError, _>(conn, |conn| {
            let current: i32 = datasets::table
                .find(id)
                .select(datasets::latest_version)
                .get_result(conn)?;
            let version = build(current + 1);
            let bumped = diesel::update(
                datasets::table
                    .find(id)
                    .filter(datasets::latest_version.eq(current)),
            )
            .set((
                datasets::latest_version.eq(version.version),
                datasets::updated_at.eq(now),
            ))
            .execute(conn)?;
            if bumped != 1 {
                return Err(DbError::Conflict(
                    "another version was uploaded at the same time; try again".into(),
                ));
            }
            diesel::insert_into(dataset_versions::table)
                .values(&version)
                .execute(conn)?;
            Ok(version)
        })
    }

    /// Deletes the dataset (in use or in the trash) and its version rows; returns the versions' file paths so that the
    /// caller removes the files after the commit.
    pub fn delete(conn: &mut AnyConnection, id: &str) -> DbResult<Vec<String>> {
        crate::db::write_transaction::<_, DbError, _>(conn, |conn| {
            let files = dataset_versions::table
                .filter(dataset_versions::dataset_id.eq(id))
                .select(dataset_versions::file_path)
                .load::<String>(conn)?;
            diesel::delete(dataset_versions::table.filter(dataset_versions::dataset_id.eq(id)))
                .execute(conn)?;
            let deleted = diesel::delete(datasets::table.find(id)).execute(conn)?;
            if deleted == 0 {
                return Err(DbError::NotFound);
            }
            AccessState::bump(conn)?;
            Ok(files)
        })
    }

    /// The datasets in use that `owner_id` owns, by name.
    pub fn owned_by(conn: &mut AnyConnection, owner_id: &str) -> DbResult<Vec<Dataset>> {
        Ok(datasets::table
            .filter(datasets::deleted_at.is_null())
            .filter(datasets::owner_id.eq(owner_id))
            .order((datasets::name.asc(), datasets::id.asc()))
            .select(Dataset::as_select())
            .load(conn)?)
    }

    /// The ids of the datasets in use.
    pub fn all_ids(conn: &mut AnyConnection) -> DbResult<Vec<String>> {
        Ok(datasets::table
            .filter(datasets::deleted_at.is_null())
            .select(datasets::id)
            .load(conn)?)
    }

    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
