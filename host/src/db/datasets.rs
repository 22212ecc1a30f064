//! Datasets: the metadata of an uploaded table. The data itself is a series of immutable
//! Parquet versions ([`super::dataset_versions`]); `latest_version` points at the newest.

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

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<Dataset> {
        Ok(datasets::table
            .find(id)
            .select(Dataset::as_select())
            .get_result(conn)?)
    }

    pub fn list(
        conn: &mut AnyConnection,
        filter: &DatasetFilter,
        offset: i64,
        limit: i64,
    ) -> DbResult<(Vec<Dataset>, i64)> {
        let query = || {
            let mut query = datasets::table.into_boxed();
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
        let items = query()
            .order((datasets::updated_at.desc(), datasets::id.asc()))
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

    /// Deletes the dataset and its version rows; returns the versions' file paths so that the
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

    pub fn all_ids(conn: &mut AnyConnection) -> DbResult<Vec<String>> {
        Ok(datasets::table.select(datasets::id).load(conn)?)
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
