//! The dataset list with search, team filter and upload, and a dataset's own page: metadata,
//! schema, paged preview, versions, export and sharing.

use actix_web::{HttpResponse, ResponseError, web};
use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::access::{self, Level};
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::{Dataset, DatasetFilter};
use crate::db::export_jobs::ExportJob;
use crate::db::groups::UserGroup;
use crate::db::share_links::ShareLink;
use crate::db::shares::Share;
use crate::db::teams::Team;
use crate::db::users::User;
use crate::http::access::{OnDataset, View, deferred};
use crate::http::error::ApiError;
use crate::http::views::exports::JobView;
use crate::ingest::preview;
use crate::state::AppState;
use crate::time::to_rfc3339;

/// Queued exports listed in a dataset's export history.
const EXPORT_HISTORY: i64 = 20;

/// Rows per preview page.
const PREVIEW_PAGE: i64 = 50;
use super::options_form;
use super::page::{Page, error_page, respond, user_context};

#[derive(Debug, Deserialize)]
pub struct DatasetsQuery {
    q: Option<String>,
    team: Option<String>,
    offset: Option<String>,
}

/// Datasets a page of the list shows; the pager reaches the rest.
const DATASETS_PAGE: i64 = 100;

#[derive(Serialize)]
struct DatasetRow {
    id: String,
    name: String,
    rows: i64,
    /// The latest version's stored size, as people read sizes.
    size: String,
    version: i32,
    /// When it last changed, in words ("3 hours ago"), and exactly.
    updated: String,
    updated_at: String,
    /// The owner's name, and whether someone else shared it with the reader.
    owner: String,
    shared_with_me: bool,
    tags: Vec<String>,
}

#[derive(Serialize)]
struct TeamOption {
    id: String,
    name: String,
}

pub async fn datasets_page(
    page: Page<Caller>,
    state: web::Data<AppState>,
    query: deferred::Query<DatasetsQuery>,
) -> HttpResponse {
    let Page(caller) = page;
    let query = match query.read().await {
        Ok(query) => query.into_inner(),
        Err(err) => return err.error_response(),
    };
    let page_caller = caller.clone();
    let team_filter = query.team.clone().filter(|t| !t.is_empty());
    let text = query.q.clone().filter(|t| !t.trim().is_empty());
    let offset = super::pager::offset_of(query.offset.as_deref());
    let listed = state
        .db
        .run(move |conn| {
            let teams = Team::list_for_user(conn, &page_caller.user.id)?;
            let visible_to = if page_caller.is_admin() {
                None
            } else {
                let all = Dataset::all_ids(conn)?;
                Some(access::viewable_datasets(conn, &page_caller, all)?)
            };
            let filter = DatasetFilter {
                visible_to,
                team_id: team_filter,
                text,
            };
            let (datasets, total) = Dataset::list(conn, &filter, offset, DATASETS_PAGE)?;
            let ids: Vec<String> = datasets.iter().map(|d| d.id.clone()).collect();
            let sizes = DatasetVersion::latest_sizes(conn, &ids)?;
            let mut owners = std::collections::HashMap::new();
            for owner in datasets.iter().map(|d| d.owner_id.clone()) {
                if let std::collections::hash_map::Entry::Vacant(entry) = owners.entry(owner) {
                    let name = User::find(conn, entry.key())
                        .map(|u| u.name)
                        .unwrap_or_else(|_| "(deleted user)".to_owned());
                    entry.insert(name);
                }
            }
            let now = crate::time::now_millis();
            let rows: Vec<DatasetRow> = datasets
                .into_iter()
                .map(|d| {
                    let (rows, bytes) = sizes.get(&d.id).copied().unwrap_or((0, 0));
                    DatasetRow {
                        rows,
                        size: crate::human::stored_size(bytes),
                        version: d.latest_version,
                        updated: crate::human::relative_time(d.updated_at, now),
                        updated_at: to_rfc3339(d.updated_at),
                        owner: owners.get(&d.owner_id).cloned().unwrap_or_default(),
                        shared_with_me: d.owner_id != page_caller.user.id,
                        tags: serde_json::from_str(&d.tags).unwrap_or_default(),
                        id: d.id,
                        name: d.name,
                    }
                })
                .collect();
            let teams: Vec<TeamOption> = teams
                .into_iter()
                .map(|t| TeamOption {
                    id: t.id,
                    name: t.name,
                })
                .collect();
            Ok::<_, ApiError>((rows, total, teams))
        })
        .await;
    let (datasets, total, teams) = match listed {
        Ok(listed) => listed,
        Err(err) => return error_page(Some(&caller), &err),
    };
    let max_upload = crate::human::size(state.config.max_upload_bytes);
    respond(
        &caller,
        "datasets.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "datasets",
            "datasets": datasets,
            "total": total,
            "pager": super::pager::pager(
                &[
                    ("q", query.q.as_deref().unwrap_or_default()),
                    ("team", query.team.as_deref().unwrap_or_default()),
                ],
                offset,
                DATASETS_PAGE,
                total,
            ),
            "teams": teams,
            "q": query.q.unwrap_or_default(),
            "team_filter": query.team.unwrap_or_default(),
            "max_upload": max_upload,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct DatasetQuery {
    offset: Option<i64>,
    /// The version the preview shows (the latest when absent).
    version: Option<i32>,
}

#[derive(Serialize)]
struct ColumnRow {
    name: String,
    r#type: String,
}

#[derive(Serialize)]
struct VersionRow {
    version: i32,
    original_filename: String,
    row_count: i64,
    size: String,
    sha256: String,
    created_at: String,
    /// The uploader's name, and their change note.
    uploaded_by: String,
    message: String,
    /// The dataset's current version (the one its details and following links show).
    current: bool,
    /// When, by whom and why it was withdrawn, in words; absent while it is served.
    withdrawn: Option<String>,
}

/// Which version the dataset's live links serve, for its admins (issue 16): how many follow the
/// latest version and how many are pinned to each.
#[derive(Serialize, Default)]
struct LinkVersions {
    following: usize,
    /// `(version, links)`, oldest version first.
    pinned: Vec<(i32, usize)>,
}

impl LinkVersions {
    fn of(links: &[ShareLink]) -> Self {
        let mut counts = LinkVersions::default();
        let mut pinned = std::collections::BTreeMap::new();
        let live = links.iter().filter(|l| {
            l.export_job_id.is_none() && l.revoked_at.is_none() && l.destroyed_at.is_none()
        });
        for link in live {
            match link.version {
                Some(version) => *pinned.entry(version).or_insert(0) += 1,
                None => counts.following += 1,
            }
        }
        counts.pinned = pinned.into_iter().collect();
        counts
    }
}

pub async fn dataset_page(
    page: Page<OnDataset<View>>,
    state: web::Data<AppState>,
    query: deferred::Query<DatasetQuery>,
) -> HttpResponse {
    let Page(OnDataset {
        dataset,
        caller,
        held: level,
        ..
    }) = page;
    let query = match query.read().await {
        Ok(query) => query,
        Err(err) => return err.error_response(),
    };
    let page_caller = caller.clone();
    let found = state
        .db
        .run(move |conn| {
            let versions = DatasetVersion::list(conn, &dataset.id)?;
            // Who uploaded each version, by name.
            let mut uploaders = std::collections::HashMap::new();
            let people = versions
                .iter()
                .flat_map(|v| [v.created_by.clone(), v.withdrawn_by.clone()])
                .flatten();
            for id in people {
                if !uploaders.contains_key(&id)
                    && let Ok(user) = User::find(conn, &id)
                {
                    uploaders.insert(id, user.name);
                }
            }
            let only = (!page_caller.is_admin()).then_some(page_caller.user.id.as_str());
            let exports: Vec<JobView> =
                ExportJob::list_for_dataset(conn, &dataset.id, only, EXPORT_HISTORY)?
                    .into_iter()
                    .map(JobView::from)
                    .collect();
            let mut shares = Vec::new();
            let mut holders = Vec::new();
            let mut links = LinkVersions::default();
            if level == Level::Admin {
                holders = access::holders::for_dataset(conn, &page_caller, &dataset.id)?;
                links = LinkVersions::of(&ShareLink::list_for_dataset(conn, &dataset.id)?);
                for share in Share::for_dataset(conn, &dataset.id)? {
                    let name = match share.subject_kind.as_str() {
                        "user" => User::find(conn, &share.subject_id)
                            .map(|u| format!("{} <{}>", u.name, u.email))
                            .unwrap_or_default(),
                        "group" => UserGroup::find(conn, &share.subject_id)
                            .map(|g| g.name)
                            .unwrap_or_default(),
                        // The address only, whether or not an account holds it.
                        crate::db::shares::EMAIL => share.subject_id.clone(),
                        _ => Team::find(conn, &share.subject_id)
                            .map(|t| t.name)
                            .unwrap_or_default(),
                    };
                    shares.push(serde_json::json!({
                        "id": share.id,
                        "pending": share.is_pending(),
                        "kind": share.subject_kind,
                        "name": name,
                        "level": share.level,
                        "expires_at": share.expires_at.map(to_rfc3339),
                    }));
                }
            }
            Ok::<_, ApiError>((
                dataset, level, versions, uploaders, shares, holders, exports, links,
            ))
        })
        .await;
    let (dataset, level, versions, uploaders, shares, holders, exports, links) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    let Some(latest) = versions
        .iter()
        .find(|v| v.version == dataset.latest_version)
        .cloned()
    else {
        return error_page(Some(&caller), &ApiError::not_found("dataset version"));
    };
    // The preview shows any version asked for; the details stay the latest's.
    let shown_number = query.version.unwrap_or(dataset.latest_version);
    let Some(shown) = versions.iter().find(|v| v.version == shown_number).cloned() else {
        return error_page(
            Some(&caller),
            &ApiError::not_found(&format!("version {shown_number} of this dataset")),
        );
    };
    let shown = match crate::datasets::served(shown) {
        Ok(shown) => shown,
        Err(withdrawn) => return error_page(Some(&caller), &withdrawn.into()),
    };
    let offset = query
        .offset
        .unwrap_or(0)
        .clamp(0, (shown.row_count - 1).max(0));
    let path = state.storage.absolute(&shown.file_path);
    let rows =
        match web::block(move || preview::read_rows(&path, offset, PREVIEW_PAGE as u32)).await {
            Ok(Ok(rows)) => rows,
            Ok(Err(err)) => return error_page(Some(&caller), &err.into()),
            Err(err) => return error_page(Some(&caller), &ApiError::internal(err)),
        };
    let preview: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| row.into_iter().map(|v| super::cell_text(&v)).collect())
        .collect();
    let columns: Vec<ColumnRow> = crate::ingest::stored_columns(&shown.schema_json)
        .into_iter()
        .map(|c| ColumnRow {
            name: c.name,
            r#type: c.data_type,
        })
        .collect();
    let versions: Vec<VersionRow> = versions
        .into_iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            original_filename: v.original_filename,
            row_count: v.row_count,
            size: crate::human::stored_size(v.size_bytes),
            sha256: v.sha256,
            created_at: to_rfc3339(v.created_at),
            uploaded_by: v
                .created_by
                .as_ref()
                .and_then(|id| uploaders.get(id).cloned())
                .unwrap_or_else(|| "(deleted user)".to_owned()),
            message: v.message,
            current: v.version == dataset.latest_version,
            withdrawn: v.withdrawn_at.map(|at| {
                let by = v
                    .withdrawn_by
                    .as_ref()
                    .and_then(|id| uploaders.get(id).cloned())
                    .unwrap_or_else(|| "(deleted user)".to_owned());
                match &v.withdraw_reason {
                    Some(reason) => format!("on {} by {by}: {reason}", to_rfc3339(at)),
                    None => format!("on {} by {by}", to_rfc3339(at)),
                }
            }),
        })
        .collect();
    let formats: Vec<serde_json::Value> = state
        .plugins
        .list()
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.manifest.id,
                "name": p.manifest.name,
                "description": p.manifest.description,
                "options": options_form::fields(&p.info.options_schema),
            })
        })
        .collect();
    let tags = dataset.tag_list().join(", ");
    let exports: Vec<serde_json::Value> = exports
        .into_iter()
        .map(|job| {
            let manifest = job
                .manifest
                .as_ref()
                .and_then(|m| serde_json::to_string_pretty(m).ok());
            serde_json::json!({
                "job": job,
                "size": crate::human::stored_size(job.bytes_done),
                "manifest": manifest,
            })
        })
        .collect();
    respond(
        &caller,
        "dataset.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "datasets",
            "dataset": {
                "id": dataset.id,
                "name": dataset.name,
                "description": dataset.description,
                "licence": dataset.licence,
                "latest_version": dataset.latest_version,
                "team": dataset.team_id,
                "tags": tags,
            },
            "access": level.as_str(),
            "can_edit": level >= Level::Edit,
            "can_admin": level >= Level::Admin,
            "rows": latest.row_count,
            "columns": columns,
            "preview": preview,
            "preview_rows": shown.row_count,
            "shown_version": shown.version,
            // Kept in the preview pager's links when it is not the latest.
            "version_query": if shown.version == dataset.latest_version {
                String::new()
            } else {
                format!("&version={}", shown.version)
            },
            "offset": offset,
            "page": PREVIEW_PAGE,
            "versions": versions,
            "formats": formats,
            "shares": shares,
            "holders": holders,
            "exports": exports,
            "links": links,
        }),
    )
}
