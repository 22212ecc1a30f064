//! Queued exports. Every state change is a conditional update (`... WHERE status = ...`), so
//! replicas sharing the database never run one job twice, and a cancelled job stays cancelled.

use diesel::prelude::*;

use super::schema::export_jobs;
use super::{AnyConnection, DbResult};

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";
pub const EXPIRED: &str = "expired";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = export_jobs)]
pub struct ExportJob {
    pub id: String,
    pub dataset_id: String,
    pub version: i32,
    pub format: String,
    /// The export spec as JSON.
    pub spec: String,
    pub status: String,
    pub total_rows: Option<i64>,
    pub rows_done: i64,
    pub bytes_done: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Relative to the data folder.
    pub artifact_path: Option<String>,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    /// The artifact's manifest as JSON.
    pub manifest: Option<String>,
    pub attempts: i32,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub heartbeat_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// What a finished job records.
#[derive(Debug, Clone)]
pub struct JobResult {
    pub artifact_path: String,
    pub file_name: String,
    pub media_type: String,
    pub manifest: String,
    pub rows: i64,
    pub bytes: i64,
    pub expires_at: i64,
}

impl ExportJob {
    pub fn create(conn: &mut AnyConnection, job: &ExportJob) -> DbResult<()> {
        diesel::insert_into(export_jobs::table)
            .values(job)
            .execute(conn)?;
        Ok(())
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<ExportJob> {
        // Every download through an export's link asks: run on the backend's own connection.
        // (`as_select` names its backend, so the query is built in each arm.)
        Ok(super::prepared::on_backend!(conn, c => export_jobs::table
            .find(id)
            .select(ExportJob::as_select())
            .get_result(c))?)
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), DONE | FAILED | CANCELLED | EXPIRED)
    }

    /// Takes the oldest queued job, or a running one whose worker stopped sending heartbeats
    /// (its process died), for this worker.
    pub fn claim_next(
        conn: &mut AnyConnection,
        now: i64,
        stale_before: i64,
    ) -> DbResult<Option<ExportJob>> {
        let candidates: Vec<ExportJob> = export_jobs::table
            .filter(
                export_jobs::status.eq(QUEUED).or(export_jobs::status
                    .eq(RUNNING)
                    .and(export_jobs::heartbeat_at.lt(stale_before))),
            )
            .order(export_jobs::created_at.asc())
            .limit(8)
            .select(ExportJob::as_select())
            .load(conn)?;
        for job in candidates {
            let claimed = diesel::update(
                export_jobs::table
                    .find(&job.id)
                    .filter(export_jobs::status.eq(&job.status))
                    .filter(export_jobs::attempts.eq(job.attempts)),
            )
            .set((
                export_jobs::status.eq(RUNNING),
                export_jobs::started_at.eq(now),
                export_jobs::heartbeat_at.eq(now),
                export_jobs::attempts.eq(job.attempts + 1),
                export_jobs::rows_done.eq(0),
                export_jobs::bytes_done.eq(0),
            ))
            .execute(conn)?;
            if claimed == 1 {
                return ExportJob::find(conn, &job.id).map(Some);
            }
        }
        Ok(None)
    }

    /// Records progress; `false` when the job is no longer this worker's to run (cancelled).
    pub fn progress(
        conn: &mut AnyConnection,
        id: &str,
        attempt: i32,
        rows: i64,
        bytes: i64,
        now: i64,
    ) -> DbResult<bool> {
        let updated = diesel::update(
            export_jobs::table
                .find(id)
                .filter(export_jobs::status.eq(RUNNING))
                .filter(export_jobs::attempts.eq(attempt)),
        )
        .set((
            export_jobs::rows_done.eq(rows),
            export_jobs::bytes_done.eq(bytes),
            export_jobs::heartbeat_at.eq(now),
        ))
        .execute(conn)?;
        Ok(updated == 1)
    }

    pub fn set_total(conn: &mut AnyConnection, id: &str, total: i64) -> DbResult<()> {
        diesel::update(export_jobs::table.find(id))
            .set(export_jobs::total_rows.eq(total))
            .execute(conn)?;
        Ok(())
    }

    /// Marks the job done; `false` if it was cancelled meanwhile (the caller removes the file).
    pub fn finish(
        conn: &mut AnyConnection,
        id: &str,
        attempt: i32,
        result: &JobResult,
        now: i64,
    ) -> DbResult<bool> {
        let updated = diesel::update(
            export_jobs::table
                .find(id)
                .filter(export_jobs::status.eq(RUNNING))
                .filter(export_jobs::attempts.eq(attempt)),
        )
        .set((
            export_jobs::status.eq(DONE),
            export_jobs::artifact_path.eq(&result.artifact_path),
            export_jobs::file_name.eq(&result.file_name),
            export_jobs::media_type.eq(&result.media_type),
            export_jobs::manifest.eq(&result.manifest),
            export_jobs::rows_done.eq(result.rows),
            export_jobs::bytes_done.eq(result.bytes),
            export_jobs::finished_at.eq(now),
            export_jobs::expires_at.eq(result.expires_at),
        ))
        .execute(conn)?;
        Ok(updated == 1)
    }

    pub fn fail(
        conn: &mut AnyConnection,
        id: &str,
        attempt: i32,
        code: &str,
        message: &str,
        now: i64,
    ) -> DbResult<()> {
        diesel::update(
            export_jobs::table
                .find(id)
                .filter(export_jobs::status.eq(RUNNING))
                .filter(export_jobs::attempts.eq(attempt)),
        )
        .set((
            export_jobs::status.eq(FAILED),
            export_jobs::error_code.eq(code),
            export_jobs::error_message.eq(message),
            export_jobs::finished_at.eq(now),
        ))
        .execute(conn)?;
        Ok(())
    }

    /// Cancels a queued or running job; `false` when it had already ended.
    pub fn cancel(conn: &mut AnyConnection, id: &str, now: i64) -> DbResult<bool> {
        let updated = diesel::update(
            export_jobs::table.find(id).filter(
                export_jobs::status
                    .eq(QUEUED)
                    .or(export_jobs::status.eq(RUNNING)),
            ),
        )
        .set((
            export_jobs::status.eq(CANCELLED),
            export_jobs::finished_at.eq(now),
        ))
        .execute(conn)?;
        Ok(updated == 1)
    }

    /// Done jobs whose artifacts have expired, marked expired; returns their artifact paths.
    pub fn expire(conn: &mut AnyConnection, now: i64) -> DbResult<Vec<String>> {
        let due: Vec<(String, Option<String>)> = export_jobs::table
            .filter(export_jobs::status.eq(DONE))
            .filter(export_jobs::expires_at.le(now))
            .select((export_jobs::id, export_jobs::artifact_path))
            .load(conn)?;
        let mut paths = Vec::new();
        for (id, path) in due {
            let updated = diesel::update(
                export_jobs::table
                    .find(&id)
                    .filter(export_jobs::status.eq(DONE)),
            )
            .set(export_jobs::status.eq(EXPIRED))
            .execute(conn)?;
            if updated == 1 {
                paths.extend(path);
            }
        }
        Ok(paths)
    }

    /// Ends one done job's artifact early (its self-destructing link was used up); returns
    /// the artifact's path for the caller to delete after the commit.
    pub fn expire_for_link(
        conn: &mut AnyConnection,
        id: &str,
        now: i64,
    ) -> DbResult<Option<String>> {
        let path: Option<String> = export_jobs::table
            .find(id)
            .filter(export_jobs::status.eq(DONE))
            .select(export_jobs::artifact_path)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten();
        let updated = diesel::update(
            export_jobs::table
                .find(id)
                .filter(export_jobs::status.eq(DONE)),
        )
        .set((
            export_jobs::status.eq(EXPIRED),
            export_jobs::expires_at.eq(Some(now)),
        ))
        .execute(conn)?;
        Ok(path.filter(|_| updated == 1))
    }

    /// A dataset's jobs, newest first; only those of `created_by` unless `None` (admins).
    pub fn list_for_dataset(
        conn: &mut AnyConnection,
        dataset_id: &str,
        created_by: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<ExportJob>> {
        let mut query = export_jobs::table
            .filter(export_jobs::dataset_id.eq(dataset_id))
            .into_boxed();
        if let Some(user) = created_by {
            query = query.filter(export_jobs::created_by.eq(user.to_owned()));
        }
        Ok(query
            .order((export_jobs::created_at.desc(), export_jobs::id.desc()))
            .limit(limit)
            .select(ExportJob::as_select())
            .load(conn)?)
    }

    /// Artifact paths of every job that still has one (the start-up sweep keeps these).
    pub fn live_artifact_paths(conn: &mut AnyConnection) -> DbResult<Vec<String>> {
        Ok(export_jobs::table
            .filter(export_jobs::status.eq(DONE))
            .filter(export_jobs::artifact_path.is_not_null())
            .select(export_jobs::artifact_path.assume_not_null())
            .load(conn)?)
    }
}
