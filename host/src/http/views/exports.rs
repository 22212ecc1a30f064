//! An export job as the API answers with it and the dataset page lists it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::export_jobs::{ExportJob, JobStatus};
use crate::time::to_rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct JobErrorView {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "0193a8f0-5c1e-7d2a-9b4f-1e2d3c4b5a69",
    "dataset_id": "0193a8e1-0b2c-7a3d-8e4f-5a6b7c8d9e0f",
    "version": 2,
    "format": "csv",
    "status": "running",
    "total_rows": 1000000,
    "rows_done": 250000,
    "bytes_done": 27525120,
    "progress": 0.25,
    "error": null,
    "file_name": null,
    "download_url": null,
    "manifest": null,
    "created_at": "2026-01-02T03:04:05Z",
    "finished_at": null,
    "expires_at": null
})))]
pub struct JobView {
    pub id: String,
    pub dataset_id: String,
    pub version: i32,
    pub format: String,
    #[schema(value_type = crate::http::views::vocabulary::JobStatus)]
    pub status: String,
    pub total_rows: Option<i64>,
    pub rows_done: i64,
    pub bytes_done: i64,
    /// From 0 to 1, when the total is known.
    pub progress: Option<f64>,
    pub error: Option<JobErrorView>,
    pub file_name: Option<String>,
    pub download_url: Option<String>,
    /// Dataset and plugin versions, checksums and the export configuration.
    #[schema(value_type = Option<Object>)]
    pub manifest: Option<serde_json::Value>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    /// When the file is removed (`done` jobs); the job then reads `expired`.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

impl From<ExportJob> for JobView {
    fn from(job: ExportJob) -> Self {
        let done = job.status == JobStatus::Done;
        let progress = match (job.status, job.total_rows) {
            (JobStatus::Done, _) => Some(1.0),
            (_, Some(0)) => Some(0.0),
            (_, Some(total)) => Some((job.rows_done as f64 / total as f64).clamp(0.0, 1.0)),
            _ => None,
        };
        let manifest = job
            .manifest
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok());
        let file_name = manifest
            .as_ref()
            .and_then(|m: &serde_json::Value| m["output"]["file_name"].as_str().map(str::to_owned));
        Self {
            download_url: done.then(|| format!("/api/v1/exports/{}/download", job.id)),
            error: job.error_code.map(|code| JobErrorView {
                // Jobs that failed before the message was sanitised as they are recorded
                // (`export::jobs`) may hold the cause's text: an internal failure shows none.
                message: if code == crate::http::error::ErrorCode::Internal.as_str() {
                    crate::export::jobs::INTERNAL_MESSAGE.to_owned()
                } else {
                    job.error_message.unwrap_or_default()
                },
                code,
            }),
            id: job.id,
            dataset_id: job.dataset_id,
            version: job.version,
            format: job.format,
            status: job.status.as_str().to_owned(),
            total_rows: job.total_rows,
            rows_done: job.rows_done,
            bytes_done: job.bytes_done,
            progress,
            file_name: if done { file_name } else { None },
            manifest: if done { manifest } else { None },
            created_at: to_rfc3339(job.created_at),
            finished_at: job.finished_at.map(to_rfc3339),
            expires_at: job.expires_at.map(to_rfc3339),
        }
    }
}
