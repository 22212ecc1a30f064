//! Datasets: upload, list, read, preview, change, delete (to the trash) and restore.

pub mod activity;
pub mod delete;
pub mod export;
pub mod get;
pub mod list;
pub mod restore;
pub mod rows;
pub mod summary;
pub mod update;
pub mod upload;
pub mod versions;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::http::error::{ApiError, not_found_as};
use crate::ingest::ColumnInfo;
use crate::state::AppState;
use crate::time::to_rfc3339;

/// Version `wanted` of `dataset` (its latest when absent), if its data is served: `404` for a
/// version it does not have, `410 version_withdrawn` for one withdrawn. What every endpoint
/// reading a version's rows starts with.
pub(super) async fn served_version(
    state: &AppState,
    dataset: &Dataset,
    wanted: Option<i32>,
) -> Result<DatasetVersion, ApiError> {
    let number = wanted.unwrap_or(dataset.latest_version);
    let dataset_id = dataset.id.clone();
    state
        .db
        .run(move |conn| {
            let version = DatasetVersion::find(conn, &dataset_id, number)
                .map_err(|e| not_found_as(e, &format!("version {number} of this dataset")))?;
            Ok::<_, ApiError>(crate::datasets::served(version)?)
        })
        .await
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "version": 1,
    "rows": 3,
    "columns": [
        {"name": "id", "type": "integer"},
        {"name": "site", "type": "string"}
    ],
    "size_bytes": 2048,
    "source_bytes": 163,
    "source_format": "csv",
    "original_filename": "lakes.csv",
    "sha256": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
    "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "created_at": "2026-03-02T10:00:00Z",
    "message": "First survey, March",
    "withdrawn_at": "2026-04-10T09:30:00Z",
    "withdrawn_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "withdraw_reason": "Participant 12 withdrew consent"
})))]
pub struct VersionView {
    /// From 1, one more for each upload.
    #[schema(minimum = 1)]
    pub version: i32,
    #[schema(minimum = 0)]
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
    /// The uploader's user id (`null` once that account is gone).
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The uploader's change note (empty when none was given).
    pub message: String,
    /// When it was withdrawn (`null` while it is served): its data is no longer served and
    /// its file is deleted; this row and its `sha256` stay.
    #[schema(format = DateTime)]
    pub withdrawn_at: Option<String>,
    /// Who withdrew it (a user id).
    pub withdrawn_by: Option<String>,
    /// Why, as they said it (`null` when they gave no reason).
    pub withdraw_reason: Option<String>,
}

impl From<DatasetVersion> for VersionView {
    fn from(v: DatasetVersion) -> Self {
        Self {
            version: v.version,
            rows: v.row_count,
            columns: crate::ingest::stored_columns(&v.schema_json),
            size_bytes: v.size_bytes,
            source_bytes: v.source_bytes,
            source_format: v.source_format,
            original_filename: v.original_filename,
            sha256: v.sha256,
            created_by: v.created_by,
            created_at: to_rfc3339(v.created_at),
            message: v.message,
            withdrawn_at: v.withdrawn_at.map(to_rfc3339),
            withdrawn_by: v.withdrawn_by,
            withdraw_reason: v.withdraw_reason,
        }
    }
}

/// What an upload answers: the new dataset (or version) and what was read from the file.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "name": "Lake temperatures",
    "version": 1,
    "rows": 3,
    "columns": [
        {"name": "id", "type": "integer"},
        {"name": "site", "type": "string"},
        {"name": "measured_on", "type": "date"},
        {"name": "depth_m", "type": "float"}
    ],
    "size_bytes": 2048,
    "sha256": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"
})))]
pub struct UploadedView {
    /// The dataset's id.
    pub id: String,
    pub name: String,
    /// The version this upload made (1 for a new dataset).
    pub version: i32,
    pub rows: i64,
    /// What was read from the file; see `ColumnInfo` for the types.
    pub columns: Vec<ColumnInfo>,
    /// Size of the stored Parquet file.
    pub size_bytes: i64,
    /// SHA-256 of the stored Parquet file, hex.
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
#[schema(examples(json!({
    "id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "name": "Lake temperatures",
    "description": "Daily readings from three lakes, 2024",
    "tags": ["limnology", "temperature"],
    "licence": "CC-BY-4.0",
    "owner_id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "team_id": "01932f71-5d2c-7e40-a3b1-2c9d8e7f6a05",
    "latest_version": 1,
    "created_at": "2026-03-02T10:00:00Z",
    "updated_at": "2026-03-02T10:05:00Z"
})))]
pub struct DatasetSummaryView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    pub licence: Option<String>,
    /// The owner's user id: the one who uploaded it, who alone (with site admins) may delete it.
    pub owner_id: String,
    /// The team it belongs to, if any: its members hold `edit`, its owners `admin`.
    pub team_id: Option<String>,
    pub latest_version: i32,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
#[schema(examples(json!({
    "id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "name": "Lake temperatures",
    "description": "Daily readings from three lakes, 2024",
    "tags": ["limnology", "temperature"],
    "licence": "CC-BY-4.0",
    "owner_id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "team_id": null,
    "latest_version": 1,
    "created_at": "2026-03-02T10:00:00Z",
    "updated_at": "2026-03-02T10:05:00Z",
    "columns": [
        {"name": "id", "type": "integer"},
        {"name": "site", "type": "string"},
        {"name": "measured_on", "type": "date"},
        {"name": "depth_m", "type": "float"}
    ],
    "rows": 3,
    "access": "admin",
    "versions": [{
        "version": 1,
        "rows": 3,
        "columns": [
        {"name": "id", "type": "integer"},
        {"name": "site", "type": "string"},
        {"name": "measured_on", "type": "date"},
        {"name": "depth_m", "type": "float"}
    ],
        "size_bytes": 2048,
        "source_bytes": 163,
        "source_format": "csv",
        "original_filename": "lakes.csv",
        "sha256": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
        "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "created_at": "2026-03-02T10:00:00Z",
        "message": "First survey, March",
        "withdrawn_at": null,
        "withdrawn_by": null,
        "withdraw_reason": null
    }]
})))]
pub struct DatasetView {
    #[serde(flatten)]
    pub summary: DatasetSummaryView,
    /// Schema of the latest version.
    pub columns: Vec<ColumnInfo>,
    /// Rows of the latest version.
    pub rows: i64,
    /// What the caller may do with it.
    #[schema(value_type = crate::access::Level)]
    pub access: String,
    /// Every version, oldest first.
    pub versions: Vec<VersionView>,
}
