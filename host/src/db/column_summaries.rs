//! The cache of each version's column summaries, shared by every replica: computing them reads
//! the whole version, and a version never changes.

use diesel::prelude::*;

use super::schema::column_summaries;
use super::{AnyConnection, DbError, DbResult};

pub struct ColumnSummaryCache;

impl ColumnSummaryCache {
    /// The stored summaries of the version (JSON), if computed already.
    pub fn get(
        conn: &mut AnyConnection,
        dataset_id: &str,
        version: i32,
    ) -> DbResult<Option<String>> {
        Ok(column_summaries::table
            .find((dataset_id, version))
            .select(column_summaries::summary_json)
            .get_result(conn)
            .optional()?)
    }

    /// Stores the summaries; a replica that computed them at the same moment stored the same.
    pub fn put(
        conn: &mut AnyConnection,
        dataset_id: &str,
        version: i32,
        summary_json: &str,
        now: i64,
    ) -> DbResult<()> {
        let inserted = diesel::insert_into(column_summaries::table)
            .values((
                column_summaries::dataset_id.eq(dataset_id),
                column_summaries::version.eq(version),
                column_summaries::summary_json.eq(summary_json),
                column_summaries::computed_at.eq(now),
            ))
            .execute(conn);
        match inserted.map_err(DbError::from) {
            Ok(_) | Err(DbError::Conflict(_)) => Ok(()),
            Err(other) => Err(other),
        }
    }
}
