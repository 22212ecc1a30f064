//! Queued exports: a bounded pool of workers takes jobs from the database, runs them through
//! the same pipeline as a direct export into an artifact file, and records progress as it
//! goes. Everything lives in the database, so a job survives a restart: a worker that dies
//! stops sending heartbeats, and another worker (on any replica) runs the job again from the
//! start. The artifact is written beside its final name and renamed at the end, so a partial
//! file is never served.

use crate::activity::{Actor, Event, EventKind};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{ExportError, ExportSource, ExportSpec, export_to_file};
use crate::db::Database;
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::db::export_jobs::{ExportJob, JobResult};
use crate::plugins::PluginRegistry;
use crate::storage::Storage;
use crate::time::now_millis;

/// What running queued exports needs from the process: the database the queue lives in, the
/// data folder the versions and artifacts live in, the installed formats, and how long an
/// artifact is kept.
#[derive(Clone)]
pub struct JobRunner {
    pub db: Database,
    pub storage: Storage,
    pub plugins: PluginRegistry,
    pub artifact_ttl_hours: u64,
}

/// A running job's heartbeat interval; a job silent for [`STALE_AFTER`] is taken over.
pub const HEARTBEAT: Duration = Duration::from_millis(500);
pub const STALE_AFTER: Duration = Duration::from_secs(30);
/// Claims the next job to run, if any: a queued one, or one whose worker went silent.
pub async fn next_job(state: &JobRunner) -> Option<ExportJob> {
    let now = now_millis();
    let stale_before = now - STALE_AFTER.as_millis() as i64;
    match state
        .db
        .run(move |conn| ExportJob::claim_next(conn, now, stale_before))
        .await
    {
        Ok(job) => job,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for export jobs");
            None
        }
    }
}

/// An export job's event: by whoever queued it, about its dataset, its subject the job.
fn job_event(
    conn: &mut crate::db::AnyConnection,
    job: &ExportJob,
    kind: EventKind,
    payload: serde_json::Value,
    now: i64,
) -> Result<(), crate::db::DbError> {
    let actor = job.created_by.as_deref().map_or(Actor::System, Actor::user);
    crate::activity::record(
        conn,
        now,
        Event::new(kind, actor)
            .dataset(&job.dataset_id)
            .subject(format!("export:{}", job.id))
            .payload(payload),
    )?;
    Ok(())
}

/// Removes artifacts past their expiry.
pub async fn expire_artifacts(state: &JobRunner) {
    let now = now_millis();
    match state.db.run(move |conn| ExportJob::expire(conn, now)).await {
        Ok(paths) if !paths.is_empty() => {
            tracing::info!(count = paths.len(), "expired export artifacts removed");
            state.storage.remove_files(&paths);
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot expire export artifacts"),
    }
}

/// What a failed job tells its client: the text of a mistake the client can fix (a refused
/// option, a plugin's own message), but for a fault on our side only "internal error", as a
/// direct export answers; the cause, which may quote polars or name server paths, goes to the
/// log only.
fn client_message(err: &ExportError) -> String {
    match err {
        ExportError::Plugin(_) | ExportError::Invalid(_) => err.to_string(),
        ExportError::Data(_) | ExportError::Cancelled => INTERNAL_MESSAGE.to_owned(),
    }
}

/// The message of every `internal` failure, as in the API's error catalogue.
pub const INTERNAL_MESSAGE: &str = "internal error";

/// The error code a failed job records, the same catalogue as the API's.
fn error_code(err: &ExportError) -> String {
    err.kind().as_str()
}

/// Runs `job` to its end (blocking: call it from the blocking pool).
pub fn run_job(state: &JobRunner, job: ExportJob) -> Result<(), crate::db::DbError> {
    let mut conn = state.db.get()?;
    let attempt = job.attempts;
    let started = Instant::now();
    let fail = |conn: &mut crate::db::AnyConnection, err: &ExportError| {
        tracing::warn!(job = %job.id, error = %err, "export job failed");
        let now = now_millis();
        crate::db::write_transaction(conn, |conn| {
            ExportJob::fail(
                conn,
                &job.id,
                attempt,
                &error_code(err),
                &client_message(err),
                now,
            )?;
            job_event(
                conn,
                &job,
                EventKind::ExportFailed,
                json!({"format": job.format, "code": error_code(err), "message": client_message(err)}),
                now,
            )
        })
    };
    job_event(
        &mut conn,
        &job,
        EventKind::ExportStarted,
        json!({"format": job.format, "version": job.version, "attempt": attempt}),
        now_millis(),
    )?;

    let spec: ExportSpec = match serde_json::from_str(&job.spec) {
        Ok(spec) => spec,
        Err(e) => {
            return fail(
                &mut conn,
                &ExportError::Invalid(format!("stored spec unreadable: {e}")),
            );
        }
    };
    let Some(plugin) = state.plugins.get(&job.format) else {
        return fail(
            &mut conn,
            &ExportError::Invalid(format!(
                "the format '{}' is no longer installed",
                job.format
            )),
        );
    };
    // The export's time is the one asked for, else the request's, so that running the job
    // again (after a crash) or its manifest later gives the same bytes.
    let exported_at = match spec.export_time(job.created_at) {
        Ok(exported_at) => exported_at,
        Err(err) => return fail(&mut conn, &err),
    };
    let dataset = Dataset::find(&mut conn, &job.dataset_id)?;
    let version = DatasetVersion::find(&mut conn, &job.dataset_id, job.version)?;
    // Withdrawn after the job was queued: its file is gone, and its data is not to be served.
    if let Err(withdrawn) = crate::datasets::served(version.clone()) {
        return fail(&mut conn, &ExportError::Invalid(withdrawn.to_string()));
    }
    let source = ExportSource::new(
        &state.storage,
        dataset,
        version.clone(),
        exported_at.clone(),
    );
    let extension = plugin.output(spec.options.as_ref()).extension;
    let file_name = source.file_name(&extension);
    let artifact = format!("artifacts/{}.{extension}", job.id);
    let target = state.storage.absolute(&artifact);
    if let Some(folder) = target.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|e| crate::db::DbError::Unavailable(e.to_string()))?;
    }

    let mut last_beat = Instant::now();
    let mut total_recorded = false;
    let result = export_to_file(
        &state.plugins.runtime,
        &plugin,
        &source,
        &spec,
        &target,
        |summary, total| {
            if !total_recorded {
                total_recorded = true;
                let _ = ExportJob::set_total(&mut conn, &job.id, total as i64);
            }
            if last_beat.elapsed() < HEARTBEAT {
                return true;
            }
            last_beat = Instant::now();
            // `false` (cancelled, or taken over) stops the export.
            ExportJob::progress(
                &mut conn,
                &job.id,
                attempt,
                summary.rows as i64,
                summary.bytes as i64,
                now_millis(),
            )
            .unwrap_or(true)
        },
    );
    let exported = match result {
        Ok(exported) => exported,
        Err(ExportError::Cancelled) => {
            tracing::info!(job = %job.id, "export job cancelled");
            return Ok(());
        }
        Err(err) => return fail(&mut conn, &err),
    };

    let manifest = json!({
        "job_id": job.id,
        "dataset": {"id": job.dataset_id, "version": version.version, "sha256": version.sha256},
        "export": spec,
        "plugin": {
            "id": plugin.manifest.id,
            "version": plugin.manifest.version,
            "component_sha256": plugin.component_sha256,
        },
        "rows": exported.summary.rows,
        "output": {
            "file_name": file_name,
            "media_type": exported.media_type,
            "bytes": exported.summary.bytes,
            "sha256": exported.sha256,
        },
        "exported_at": exported_at,
    });
    let now = now_millis();
    let outcome = JobResult {
        artifact_path: artifact.clone(),
        file_name,
        media_type: exported.media_type,
        manifest: manifest.to_string(),
        rows: exported.summary.rows as i64,
        bytes: exported.summary.bytes as i64,
        expires_at: now + (state.artifact_ttl_hours * 3600 * 1000) as i64,
    };
    let finished = crate::db::write_transaction(&mut conn, |conn| {
        if !ExportJob::finish(conn, &job.id, attempt, &outcome, now)? {
            return Ok(false);
        }
        job_event(
            conn,
            &job,
            EventKind::ExportDone,
            json!({
                "format": job.format,
                "rows": outcome.rows,
                "bytes": outcome.bytes,
                "duration_ms": started.elapsed().as_millis() as i64,
            }),
            now,
        )?;
        Ok::<_, crate::db::DbError>(true)
    })?;
    if finished {
        tracing::info!(
            job = %job.id,
            rows = outcome.rows,
            bytes = outcome.bytes,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "export job done"
        );
    } else {
        // Cancelled while finishing: nobody will serve the file.
        state.storage.remove_files(&[artifact]);
    }
    Ok(())
}
