use actix_web::{HttpRequest, HttpResponse, web};

use super::{LinkCreatedView, NewLinkRequest, public_base, store, terms};
use crate::access::Level;
use crate::db::dataset_versions::DatasetVersion;
use crate::db::export_jobs::JobStatus;
use crate::db::share_links::ShareLink;
use crate::http::access::{Admin, OnDataset, OnExport, ShareFile, deferred};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// Creates a share link to a dataset (needs admin on it, as sharing does).
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access), and the link keeps
/// needing it: it acts with its creator's rights at each request, and is suspended while they
/// lack them. `level` `view` opens the page, the metadata and the first rows; `download` the
/// file in any allowed format. The terms are checked before anything is stored (`422`: a
/// version, format or column that does not exist, a limit on a view link, `self_destruct`
/// without a limit or an expiry, a password under 6 characters). The answer holds the slug's
/// address and a Biscuit token, shown this once (only hashes are stored). Audited
/// (`link.create`). Not idempotent: each call makes a new link.
#[utoipa::path(post, path = "/api/v1/datasets/{id}/links", tag = "sharing", params(("id" = String, Path)),
    request_body(content = NewLinkRequest, example = json!({
        "level": "download",
        "expires_in": 86400,
        "max_downloads": 2,
        "password": "tide-pool-7",
        "formats": ["csv", "xlsx"],
        "name": "For the review panel"
    })),
    responses(
    (status = 201, body = LinkCreatedView),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_dataset_link(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: deferred::Json<NewLinkRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    let OnDataset {
        dataset, caller, ..
    } = on;
    let base = public_base(&state, &req);
    let installed: Vec<String> = state
        .plugins
        .list()
        .iter()
        .map(|p| p.manifest.id.clone())
        .collect();
    let app = state.clone();
    let view = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let terms = terms(&body, now)?;
            let number = body.version.unwrap_or(dataset.latest_version);
            let version = DatasetVersion::find(conn, &dataset.id, number).map_err(|_| {
                ApiError::validation(format!("this dataset has no version {number}"))
            })?;
            if let Some(formats) = &body.formats {
                if formats.is_empty() {
                    return Err(ApiError::validation(
                        "formats, when given, must name at least one",
                    ));
                }
                if let Some(unknown) = formats.iter().find(|f| !installed.contains(f)) {
                    return Err(ApiError::validation(format!(
                        "there is no export format '{unknown}'; installed: {}",
                        installed.join(", ")
                    )));
                }
            }
            if let Some(columns) = &body.columns {
                let known: Vec<String> = crate::ingest::stored_columns(&version.schema_json)
                    .into_iter()
                    .map(|c| c.name)
                    .collect();
                if columns.is_empty() {
                    return Err(ApiError::validation(
                        "columns, when given, must name at least one",
                    ));
                }
                if let Some(unknown) = columns.iter().find(|c| !known.contains(c)) {
                    return Err(ApiError::validation(format!(
                        "version {number} has no column '{unknown}'"
                    )));
                }
            }
            let link = ShareLink {
                dataset_id: Some(dataset.id.clone()),
                version: body.version,
                allowed_formats: body
                    .formats
                    .as_ref()
                    .map(|f| serde_json::json!(f).to_string()),
                allowed_columns: body
                    .columns
                    .as_ref()
                    .map(|c| serde_json::json!(c).to_string()),
                // Making a dataset link needs admin; so does keeping it working.
                ..terms.into_link(
                    &caller.user.id,
                    body.name.clone().unwrap_or_else(|| dataset.name.clone()),
                    body.self_destruct,
                    Level::Admin,
                    now,
                )
            };
            store(conn, &app, &caller, link, &base)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Creates a download link to a finished export's file (for whoever ran the export, or an
/// admin of the dataset).
///
/// Whoever ran the export may share its file while they keep `view` on the dataset; anyone
/// else needs `admin` on it (`403` with less, `404` without any access), and the link keeps
/// needing that level. The export must be done (`409` while queued or running, or when failed,
/// cancelled or expired). `level` must be `download`, and `formats`, `columns` and `version`
/// do not apply: the file is fixed (`422`). The file is served with `Range` support, so a
/// broken download resumes. Audited (`link.create`). Not idempotent.
#[utoipa::path(post, path = "/api/v1/exports/{id}/links", tag = "sharing", params(("id" = String, Path)),
    request_body(content = NewLinkRequest, example = json!({
        "level": "download",
        "expires_in": 604800,
        "max_downloads": 3,
        "self_destruct": true
    })),
    responses(
    (status = 201, body = LinkCreatedView),
    (status = 409, description = "`conflict`: the export is not done", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_export_link(
    on: OnExport<ShareFile>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: deferred::Json<NewLinkRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    // Whoever ran the export shares its file with the view that let them run it; anyone else
    // needs admin. The link needs the same level for as long as it lives.
    let OnExport {
        job,
        dataset,
        caller,
        needed: needs,
        ..
    } = on;
    let base = public_base(&state, &req);
    let app = state.clone();
    let view = state
        .db
        .run(move |conn| {
            if job.status != JobStatus::Done {
                return Err(ApiError::conflict(format!(
                    "the export is {}; a link can share only a finished export's file",
                    job.status
                )));
            }
            if body.level != "download" {
                return Err(ApiError::validation(
                    "an export's file can only be shared for download (level download)",
                ));
            }
            if body.formats.is_some() || body.columns.is_some() || body.version.is_some() {
                return Err(ApiError::validation(
                    "formats, columns and version apply to dataset links; an export's file is fixed",
                ));
            }
            let now = now_millis();
            let terms = terms(&body, now)?;
            let name = body
                .name
                .clone()
                .or(job.file_name.clone())
                .unwrap_or_else(|| "export".into());
            let link = ShareLink {
                dataset_id: Some(dataset.id.clone()),
                export_job_id: Some(job.id.clone()),
                version: Some(job.version),
                ..terms.into_link(&caller.user.id, name, body.self_destruct, needs, now)
            };
            store(conn, &app, &caller, link, &base)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}
