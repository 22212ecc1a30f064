//! Queuing an export: the request is checked against the dataset's version (format, columns,
//! filter, sort, options, time) before a job exists, so that a mistake is the requester's
//! answer at once rather than a failed job later; the job then waits in the database for a
//! worker on any replica ([`super::jobs`]). Who may export is decided above.

use polars::prelude::{LazyFrame, PlRefPath, ScanArgsParquet};

use super::{ExportError, ExportSpec};
use crate::access::Caller;
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::db::export_jobs::{ExportJob, JobStatus};
use crate::db::{AnyConnection, DbError, new_id};
use crate::plugins::PluginRegistry;
use crate::storage::Storage;

/// An export asked for: a format, a version (the latest when absent) and what to take of it.
pub struct ExportOrder {
    pub format: String,
    pub version: Option<i32>,
    pub spec: ExportSpec,
}

/// Why an export could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("there is no export format '{0}'")]
    UnknownFormat(String),
    #[error("version {0} of this dataset not found")]
    NoSuchVersion(i32),
    /// The version was withdrawn: its data is no longer served.
    #[error(transparent)]
    Withdrawn(#[from] crate::datasets::Withdrawn),
    /// The columns, filter, sort, options or time do not fit the version or the format.
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Checks `order` against `dataset` and queues it for `caller`; returns the queued job.
pub fn queue(
    conn: &mut AnyConnection,
    formats: &PluginRegistry,
    storage: &Storage,
    caller: &Caller,
    dataset: &Dataset,
    mut order: ExportOrder,
    now: i64,
) -> Result<ExportJob, QueueError> {
    if formats.get(&order.format).is_none() {
        return Err(QueueError::UnknownFormat(order.format));
    }
    let number = order.version.unwrap_or(dataset.latest_version);
    let version = DatasetVersion::find(conn, &dataset.id, number).map_err(|e| match e {
        DbError::NotFound => QueueError::NoSuchVersion(number),
        other => other.into(),
    })?;
    let version = crate::datasets::served(version)?;
    check_spec(storage, &version, &order.spec)?;
    // A given time is kept as the job will use it (normalised), so that the manifest's
    // configuration and its `exported_at` agree.
    if order.spec.exported_at.is_some() {
        order.spec.exported_at = Some(order.spec.export_time(now)?);
    }
    let job = ExportJob {
        id: new_id(),
        dataset_id: dataset.id.clone(),
        version: number,
        format: order.format,
        spec: serde_json::to_string(&order.spec).map_err(|e| ExportError::Data(e.to_string()))?,
        status: JobStatus::Queued,
        total_rows: None,
        rows_done: 0,
        bytes_done: 0,
        error_code: None,
        error_message: None,
        artifact_path: None,
        file_name: None,
        media_type: None,
        manifest: None,
        attempts: 0,
        created_by: Some(caller.user.id.clone()),
        created_at: now,
        started_at: None,
        heartbeat_at: None,
        finished_at: None,
        expires_at: None,
    };
    ExportJob::create(conn, &job)?;
    Ok(job)
}

/// Whether the spec's columns, filter and sort apply to the version, and its options are an
/// object; reads the version's schema only.
fn check_spec(
    storage: &Storage,
    version: &DatasetVersion,
    spec: &ExportSpec,
) -> Result<(), ExportError> {
    let path = storage.absolute(&version.file_path);
    let mut frame = LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(|e| ExportError::Data(e.to_string()))?;
    let schema = frame
        .collect_schema()
        .map_err(|e| ExportError::Data(e.to_string()))?;
    let rows = u64::try_from(version.row_count).unwrap_or(0);
    // Planning it is the check: the plan itself is not run.
    let _planned = spec.apply(frame, &schema, rows)?;
    if spec.options.as_ref().is_some_and(|o| !o.is_object()) {
        return Err(ExportError::Invalid("options must be a JSON object".into()));
    }
    Ok(())
}
