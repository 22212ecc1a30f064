//! Queued exports. Every state change is a conditional update (`... WHERE status = ...`), so
//! replicas sharing the database never run one job twice, and a cancelled job stays cancelled.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use super::schema::export_jobs;
use super::{AnyConnection, DbResult};

/// Where a job is in its life, stored as its name. A stored name this host does not know is
/// an error when the row is read, never a status guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
    Expired,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Failed,
        JobStatus::Cancelled,
        JobStatus::Expired,
    ];

    /// The name stored and shown in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Expired => "expired",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }

    /// Whether the job has ended: nothing more will happen to it but expiry.
    pub fn is_terminal(self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<DB: Backend> ToSql<Text, DB> for JobStatus
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

impl<DB: Backend> FromSql<Text, DB> for JobStatus
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let name = String::from_sql(bytes)?;
        Self::parse(&name).ok_or_else(|| format!("unknown export job status '{name}'").into())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = export_jobs)]
pub struct ExportJob {
    pub id: String,
    pub dataset_id: String,
    pub version: i32,
    pub format: String,
    /// The export spec as JSON.
    pub spec: String,
    pub status: JobStatus,
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
        self.status.is_terminal()
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
                export_jobs::status
                    .eq(JobStatus::Queued)
                    .or(export_jobs::status
                        .eq(JobStatus::Running)
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
                    .filter(export_jobs::status.eq(job.status))
                    .filter(export_jobs::attempts.eq(job.attempts)),
            )
            .set((
                export_jobs::status.eq(JobStatus::Running),
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
                .filter(export_jobs::status.eq(JobStatus::Running))
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
                .filter(export_jobs::status.eq(JobStatus::Running))
                .filter(export_jobs::attempts.eq(attempt)),
        )
        .set((
            export_jobs::status.eq(JobStatus::Done),
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
                .filter(export_jobs::status.eq(JobStatus::Running))
                .filter(export_jobs::attempts.eq(attempt)),
        )
        .set((
            export_jobs::status.eq(JobStatus::Failed),
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
                    .eq(JobStatus::Queued)
                    .or(export_jobs::status.eq(JobStatus::Running)),
            ),
        )
        .set((
            export_jobs::status.eq(JobStatus::Cancelled),
            export_jobs::finished_at.eq(now),
        ))
        .execute(conn)?;
        Ok(updated == 1)
    }

    /// Done jobs whose artifacts have expired, marked expired; returns their artifact paths.
    pub fn expire(conn: &mut AnyConnection, now: i64) -> DbResult<Vec<String>> {
        let due: Vec<(String, Option<String>)> = export_jobs::table
            .filter(export_jobs::status.eq(JobStatus::Done))
            .filter(export_jobs::expires_at.le(now))
            .select((export_jobs::id, export_jobs::artifact_path))
            .load(conn)?;
        let mut paths = Vec::new();
        for (id, path) in due {
            let updated = diesel::update(
                export_jobs::table
                    .find(&id)
                    .filter(export_jobs::status.eq(JobStatus::Done)),
            )
            .set(export_jobs::status.eq(JobStatus::Expired))
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
            .filter(export_jobs::status.eq(JobStatus::Done))
            .select(export_jobs::artifact_path)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten();
        let updated = diesel::update(
            export_jobs::table
                .find(id)
                .filter(export_jobs::status.eq(JobStatus::Done)),
        )
        .set((
            export_jobs::status.eq(JobStatus::Expired),
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
            .filter(export_jobs::status.eq(JobStatus::Done))
            .filter(export_jobs::artifact_path.is_not_null())
            .select(export_jobs::artifact_path.assume_not_null())
            .load(conn)?)
    }
}

#[cfg(test)]
mod tests {
    use super::JobStatus;

    #[test]
    fn statuses_read_back_as_stored_and_unknown_names_are_refused() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("Done"), None);
        assert_eq!(JobStatus::parse("finished"), None);
        let ended: Vec<&str> = JobStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .map(JobStatus::as_str)
            .collect();
        assert_eq!(ended, ["done", "failed", "cancelled", "expired"]);
    }
}
