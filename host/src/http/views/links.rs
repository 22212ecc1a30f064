//! A share link as its owners see it, in the API's answers and on the page of one's links: what
//! it shares, who made it, its terms and its state now (`suspended` while its creator lacks the
//! level it needs).

use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::access::policy::Snapshot;
use crate::db::AnyConnection;
use crate::db::datasets::Dataset;
use crate::db::export_jobs::ExportJob;
use crate::db::share_links::ShareLink;
use crate::db::users::User;
use crate::http::error::ApiError;
use crate::links;
use crate::time::{now_millis, to_rfc3339};

/// What a link shares.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkItemView {
    #[schema(value_type = crate::http::views::vocabulary::LinkItemKind)]
    pub kind: String,
    /// The dataset's or the export job's id.
    pub id: String,
    /// The dataset's name, or the export's file name.
    pub name: String,
}

/// Who made a link: the link acts with their rights.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkCreatorView {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(link_example))]
pub struct LinkView {
    pub id: String,
    pub name: String,
    pub item: LinkItemView,
    /// The dataset the link shares, itself or through one of its exports.
    pub dataset_id: Option<String>,
    pub created_by: LinkCreatorView,
    #[schema(value_type = crate::http::views::vocabulary::LinkLevel)]
    pub level: String,
    #[schema(value_type = crate::http::views::vocabulary::LinkState)]
    pub state: String,
    /// The level on the dataset the creator must keep for the link to work: `admin` for a
    /// dataset link or an export shared by someone else, `view` for an export shared by
    /// whoever ran it.
    #[schema(value_type = crate::access::Level)]
    pub needs_level: String,
    /// The pinned dataset version, or none for the latest.
    pub version: Option<i32>,
    /// The formats it may download in; `null` for every installed format.
    pub formats: Option<Vec<String>>,
    /// The columns it reveals; `null` for all.
    pub columns: Option<Vec<String>>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    pub max_downloads: Option<i64>,
    /// Downloads that counted (see docs/access.md, "What counts as a download").
    pub downloads_completed: i64,
    /// `null` without a limit.
    pub downloads_left: Option<i64>,
    pub has_password: bool,
    /// Whether its address can be copied again (`GET /api/v1/links/{id}/address`); links made
    /// before addresses were kept have none.
    pub address_kept: bool,
    pub self_destruct: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    #[schema(format = DateTime)]
    pub last_access_at: Option<String>,
}

fn item_view(conn: &mut AnyConnection, link: &ShareLink) -> LinkItemView {
    match (&link.dataset_id, &link.export_job_id) {
        (_, Some(job_id)) => LinkItemView {
            kind: "export".into(),
            id: job_id.clone(),
            name: ExportJob::find(conn, job_id)
                .ok()
                .and_then(|j| j.file_name)
                .unwrap_or_else(|| "export".into()),
        },
        (Some(dataset_id), None) => LinkItemView {
            kind: "dataset".into(),
            id: dataset_id.clone(),
            name: Dataset::find(conn, dataset_id)
                .map(|d| d.name)
                .unwrap_or_else(|_| "(deleted dataset)".into()),
        },
        (None, None) => LinkItemView {
            kind: "dataset".into(),
            id: String::new(),
            name: "(nothing)".into(),
        },
    }
}

/// The link as its owners see it; `snapshot` decides whether its creator still holds what it
/// needs.
pub fn link_view(
    conn: &mut AnyConnection,
    snapshot: &Snapshot,
    link: &ShareLink,
    now: i64,
) -> Result<LinkView, ApiError> {
    let creator = User::find(conn, &link.owner_id).ok();
    Ok(LinkView {
        id: link.id.clone(),
        name: link.name.clone(),
        item: item_view(conn, link),
        dataset_id: link.dataset_id.clone(),
        created_by: LinkCreatorView {
            id: link.owner_id.clone(),
            name: creator.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
            email: creator.map(|u| u.email).unwrap_or_default(),
        },
        level: link.level.clone(),
        state: links::state_of(snapshot, link, now)?.as_str().to_owned(),
        needs_level: link.needs_level.clone(),
        version: link.version,
        formats: link.formats(),
        columns: link.columns(),
        expires_at: link.expires_at.map(to_rfc3339),
        max_downloads: link.max_downloads,
        downloads_completed: link.downloads_completed,
        downloads_left: link.downloads_left(),
        has_password: link.password_hash.is_some(),
        address_kept: link.sealed_address.is_some(),
        self_destruct: link.self_destruct,
        created_at: to_rfc3339(link.created_at),
        revoked_at: link.revoked_at.map(to_rfc3339),
        last_access_at: link.last_access_at.map(to_rfc3339),
    })
}

/// Views of several links, from one snapshot.
pub fn link_views(
    conn: &mut AnyConnection,
    caller: &Caller,
    links: &[ShareLink],
) -> Result<Vec<LinkView>, ApiError> {
    let now = now_millis();
    let snapshot = caller.access.snapshot(conn, now)?;
    links
        .iter()
        .map(|link| link_view(conn, &snapshot, link, now))
        .collect()
}

/// The document's example of a link, which the example of a new link holds too.
pub fn link_example() -> serde_json::Value {
    serde_json::json!({
        "id": "01932f76-3c4d-7e5f-a6b7-c8d9e0f1a2b3",
        "name": "For the review panel",
        "item": {"kind": "dataset", "id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f", "name": "Lake temperatures"},
        "dataset_id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
        "created_by": {"id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10", "name": "Ada Lovelace", "email": "ada@example.org"},
        "level": "download",
        "state": "active",
        "needs_level": "admin",
        "version": null,
        "formats": ["csv", "xlsx"],
        "columns": null,
        "expires_at": "2026-03-03T12:00:00Z",
        "max_downloads": 2,
        "downloads_completed": 0,
        "downloads_left": 2,
        "has_password": true,
        "address_kept": true,
        "self_destruct": false,
        "created_at": "2026-03-02T12:00:00Z",
        "revoked_at": null,
        "last_access_at": null
    })
}
