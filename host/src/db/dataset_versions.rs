//! Immutable versions of a dataset: one Parquet file each, with its row count, schema and
//! SHA-256, so a recipient can verify what they were given.

use diesel::prelude::*;

use std::collections::HashMap;

use super::schema::{dataset_versions, datasets};
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dataset_versions)]
pub struct DatasetVersion {
    pub dataset_id: String,
    pub version: i32,
    /// Relative to the data folder.
    pub file_path: String,
    pub original_filename: String,
    pub source_format: String,
    pub row_count: i64,
    /// JSON array of `{name, type}`.
    pub schema_json: String,
    pub size_bytes: i64,
    pub source_bytes: i64,
    pub sha256: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    /// The uploader's change note: what changed and why (empty when none was given).
    pub message: String,
    /// When the version was withdrawn: its file is deleted and its data no longer served;
    /// the row, with its SHA-256, stays for the audit trail (issue 16).
    pub withdrawn_at: Option<i64>,
    /// Who withdrew it (a user id).
    pub withdrawn_by: Option<String>,
    /// Why, in the words of who withdrew it (absent when none was given).
    pub withdraw_reason: Option<String>,
}

impl DatasetVersion {
    pub fn find(
        conn: &mut AnyConnection,
        dataset_id: &str,
        version: i32,
    ) -> DbResult<DatasetVersion> {
        Ok(dataset_versions::table
            .find((dataset_id, version))
            .select(DatasetVersion::as_select())
            .get_result(conn)?)
    }

    /// Marks the version withdrawn; its file is removed by the caller after the commit.
    pub fn withdraw(
        conn: &mut AnyConnection,
        dataset_id: &str,
        version: i32,
        by: &str,
        reason: Option<&str>,
        now: i64,
    ) -> DbResult<DatasetVersion> {
        diesel::update(dataset_versions::table.find((dataset_id, version)))
            .set((
                dataset_versions::withdrawn_at.eq(now),
                dataset_versions::withdrawn_by.eq(by),
                dataset_versions::withdraw_reason.eq(reason),
            ))
            .execute(conn)?;
        Self::find(conn, dataset_id, version)
    }

    pub fn list(conn: &mut AnyConnection, dataset_id: &str) -> DbResult<Vec<DatasetVersion>> {
        Ok(dataset_versions::table
            .filter(dataset_versions::dataset_id.eq(dataset_id))
            .order(dataset_versions::version.asc())
            .select(DatasetVersion::as_select())
            .load(conn)?)
    }

    /// The row count of each given dataset's latest version, in one query (for lists).
    pub fn latest_row_counts(
        conn: &mut AnyConnection,
        dataset_ids: &[String],
    ) -> DbResult<HashMap<String, i64>> {
        Ok(Self::latest_sizes(conn, dataset_ids)?
            .into_iter()
            .map(|(id, (rows, _))| (id, rows))
            .collect())
    }

    /// Each dataset's latest version's row count and stored size in bytes, by dataset id.
    pub fn latest_sizes(
        conn: &mut AnyConnection,
        dataset_ids: &[String],
    ) -> DbResult<HashMap<String, (i64, i64)>> {
        let sizes: Vec<(String, i64, i64)> = dataset_versions::table
            .inner_join(datasets::table)
            .filter(dataset_versions::version.eq(datasets::latest_version))
            .filter(dataset_versions::dataset_id.eq_any(dataset_ids))
            .select((
                dataset_versions::dataset_id,
                dataset_versions::row_count,
                dataset_versions::size_bytes,
            ))
            .load(conn)?;
        Ok(sizes
            .into_iter()
            .map(|(id, rows, bytes)| (id, (rows, bytes)))
            .collect())
    }

    /// Every stored file path, for the start-up sweep of orphaned files.
    pub fn all_file_paths(conn: &mut AnyConnection) -> DbResult<Vec<String>> {
        Ok(dataset_versions::table
            .select(dataset_versions::file_path)
            .load(conn)?)
    }
}
