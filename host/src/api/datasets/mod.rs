//! Datasets: upload, list, read, preview, change and delete.

pub mod delete;
pub mod export;
pub mod get;
pub mod list;
pub mod rows;
pub mod update;
pub mod upload;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::ingest::ColumnInfo;
use crate::time::to_rfc3339;

pub(crate) fn parse_columns(stored: &str) -> Vec<ColumnInfo> {
    serde_json::from_str(stored).unwrap_or_default()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub rows: i64,
    pub columns: Vec<ColumnInfo>,
    /// Size of the stored Parquet file.
    pub size_bytes: i64,
    /// Size of the file as uploaded.
    pub source_bytes: i64,
    pub source_format: String,
    pub original_filename: String,
    /// SHA-256 of the stored Parquet file, hex.
    pub sha256: String,
    pub created_by: Option<String>,
    pub created_at: String,
}

impl From<DatasetVersion> for VersionView {
    fn from(v: DatasetVersion) -> Self {
        Self {
            version: v.version,
            rows: v.row_count,
            columns: parse_columns(&v.schema_json),
            size_bytes: v.size_bytes,
            source_bytes: v.source_bytes,
            source_format: v.source_format,
            original_filename: v.original_filename,
            sha256: v.sha256,
            created_by: v.created_by,
            created_at: to_rfc3339(v.created_at),
        }
    }
}

/// What an upload answers: the new dataset (or version) and what was read from the file.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedView {
    pub id: String,
    pub name: String,
    pub version: i32,
    pub rows: i64,
    pub columns: Vec<ColumnInfo>,
    pub size_bytes: i64,
    pub sha256: String,
}

impl UploadedView {
    pub fn new(
        id: String,
        name: String,
        version: i32,
        summary: crate::ingest::IngestSummary,
    ) -> Self {
        Self {
            id,
            name,
            version,
            rows: summary.rows,
            columns: summary.columns,
            size_bytes: summary.size_bytes,
            sha256: summary.sha256,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetSummaryView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    pub licence: Option<String>,
    pub owner_id: String,
    pub team_id: Option<String>,
    pub latest_version: i32,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Dataset> for DatasetSummaryView {
    fn from(d: Dataset) -> Self {
        Self {
            tags: d.tag_list(),
            id: d.id,
            name: d.name,
            description: d.description,
            licence: d.licence,
            owner_id: d.owner_id,
            team_id: d.team_id,
            latest_version: d.latest_version,
            created_at: to_rfc3339(d.created_at),
            updated_at: to_rfc3339(d.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetView {
    #[serde(flatten)]
    pub summary: DatasetSummaryView,
    /// Schema of the latest version.
    pub columns: Vec<ColumnInfo>,
    /// Rows of the latest version.
    pub rows: i64,
    /// `view`, `edit` or `admin`: what the caller may do.
    pub access: String,
    pub versions: Vec<VersionView>,
}
