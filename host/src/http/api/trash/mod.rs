//! The trash: the datasets their owners deleted, kept `trash_days` so they can be restored
//! (`POST /api/v1/datasets/{id}/restore`) before the server deletes them for good.

pub mod list;
pub mod purge;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::datasets::Dataset;
use crate::time::to_rfc3339;

/// A dataset in the trash.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "name": "Lake temperatures",
    "owner_id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "latest_version": 3,
    "deleted_at": "2026-03-02T10:00:00Z",
    "deleted_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "purge_at": "2026-04-01T10:00:00Z"
})))]
pub struct TrashedView {
    pub id: String,
    pub name: String,
    pub owner_id: String,
    pub latest_version: i32,
    /// When it was moved to the trash.
    #[schema(format = DateTime)]
    pub deleted_at: String,
    /// Who moved it there (the owner or a site admin).
    pub deleted_by: Option<String>,
    /// When the server deletes it for good, unless it is restored first (`trash_days`).
    #[schema(format = DateTime)]
    pub purge_at: String,
}

impl TrashedView {
    pub fn new(dataset: Dataset, trash_days: u64) -> Self {
        let deleted_at = dataset.deleted_at.unwrap_or(dataset.updated_at);
        Self {
            id: dataset.id,
            name: dataset.name,
            owner_id: dataset.owner_id,
            latest_version: dataset.latest_version,
            deleted_at: to_rfc3339(deleted_at),
            deleted_by: dataset.deleted_by,
            purge_at: to_rfc3339(crate::datasets::purge_due(deleted_at, trash_days)),
        }
    }
}
