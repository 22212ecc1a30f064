//! Share links for their owners: create one for a dataset or an export's file, list them with
//! their state, change expiry, limit or password, revoke, and read each one's access log.
//! "Owners" are the link's creator and whoever administers its dataset
//! ([`crate::links::manage`]); a link acts with its creator's rights, so the state shown is
//! `suspended` while the creator lacks the level it needs.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::audit::{self, AuditEvent};
use crate::access::token::{self, Operation};
use crate::access::Level;
use crate::http::api::resolve_expiry;
use crate::auth::{Caller, password};
use crate::http::access::{Admin, OnDataset, OnExport, OnLink, ShareFile, deferred};
use crate::db::dataset_versions::DatasetVersion;
use crate::db::export_jobs::JobStatus;
use crate::db::link_access_log::LinkAccess;
use crate::db::share_links::ShareLink;
use crate::db::{AnyConnection, new_id, write_transaction};
use crate::http::error::{ApiError, ApiResult};
use crate::links::{self, manage};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

pub use crate::http::views::links::{LinkCreatorView, LinkItemView, LinkView, link_view, link_views};

/// A new link: the only time its slug and token are shown.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f76-3c4d-7e5f-a6b7-c8d9e0f1a2b3",
    "slug": "q7Vn2xK9pL4mR8sT1wY6zA",
    "url": "https://data.example.org/s/q7Vn2xK9pL4mR8sT1wY6zA",
    "token": "En0KEwoEbGluaxgDIgkKBwgKEgMYgAgSJAgAEiD...",
    "link": {
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
    "self_destruct": false,
    "created_at": "2026-03-02T12:00:00Z",
    "revoked_at": null,
    "last_access_at": null
}
})))]
pub struct LinkCreatedView {
    pub id: String,
    pub slug: String,
    /// The short link to give people: `<public address>/s/{slug}`.
    pub url: String,
    /// A Biscuit token with the same rights, for scripts (`Authorization: Bearer`); it can
    /// be narrowed offline with `tessera token attenuate`.
    pub token: String,
    pub link: LinkView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "level": "download",
    "expires_in": 604800,
    "max_downloads": 10,
    "name": "For the review panel"
})))]
pub struct NewLinkRequest {
    /// An export's file can only be shared for `download`.
    #[schema(value_type = crate::http::views::vocabulary::LinkLevel)]
    pub level: String,
    /// Seconds from now until the link expires, at most a hundred years; not with
    /// `expires_at`.
    #[schema(minimum = 1, maximum = 3153600000_u64)]
    pub expires_in: Option<i64>,
    /// When the link expires (RFC 3339, in the future).
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Downloads allowed in all (download links only).
    #[schema(minimum = 1)]
    pub max_downloads: Option<i64>,
    /// A password visitors must give on the link's page (at least 6 characters); its token
    /// does not need it.
    #[schema(min_length = 6)]
    pub password: Option<String>,
    /// Delete the link after its last allowed download or at expiry (and, for an export,
    /// the file, when no other link shares it); needs `max_downloads` or an expiry.
    #[serde(default)]
    pub self_destruct: bool,
    /// Pin a dataset version (default: always the latest). Dataset links only.
    #[schema(minimum = 1)]
    pub version: Option<i32>,
    /// Export formats the link may download in, each an installed format's id (default: every
    /// installed format). Dataset links only.
    #[schema(min_items = 1, min_length = 1)]
    pub formats: Option<Vec<String>>,
    /// Columns the link reveals, each a column of the version (default: all). Dataset links
    /// only.
    #[schema(min_items = 1)]
    pub columns: Option<Vec<String>>,
    /// A name for the owner's list (default: the dataset's name, or the export's file name).
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"expires_in": 1209600, "max_downloads": 20})))]
pub struct LinkChangeRequest {
    /// A new expiry in seconds from now (at most a hundred years); not with `expires_at`.
    #[schema(minimum = 1, maximum = 3153600000_u64)]
    pub expires_in: Option<i64>,
    /// A new expiry (RFC 3339, in the future), or `null` for none.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<String>>,
    /// A new download limit, no lower than the downloads already made, or `null` for none.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub max_downloads: Option<Option<i64>>,
    /// A new password (at least 6 characters; sessions opened with the old one end), or `null`
    /// to remove it.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<String>, min_length = 6)]
    pub password: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "at": "2026-03-02T12:30:00Z",
    "event": "download_completed",
    "reason": null,
    "address": "203.0.113.0/24",
    "user_agent": "curl/8.5.0"
})))]
pub struct LinkAccessView {
    #[schema(format = DateTime)]
    pub at: String,
    #[schema(value_type = crate::http::views::vocabulary::LinkAccessEvent)]
    pub event: String,
    /// Why it was refused or broken off.
    pub reason: Option<String>,
    /// The visitor's address, cut to its /24 or /48 unless `log_full_addresses` is set.
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

/// The address links are given out at: the configured `public_url`; else what a trusted
/// proxy says it was reached at (`X-Forwarded-Proto`, `X-Forwarded-Host`); else the address
/// this connection reached. Never a `Host` or forwarded header any client may send, so nobody
/// can have the server hand out links to another site.
fn public_base(state: &AppState, req: &HttpRequest) -> String {
    if !state.config.public_url.is_empty() {
        return state.config.public_url.trim_end_matches('/').to_owned();
    }
    if crate::http::client::from_trusted_proxy(req, &state.config)
        && let Some(forwarded) = forwarded_base(req)
    {
        return forwarded;
    }
    let local = req
        .conn_data::<crate::http::client::LocalAddress>()
        .map(|local| local.0)
        .unwrap_or_else(|| req.app_config().local_addr());
    format!("http://{local}")
}

/// `X-Forwarded-Proto` and `X-Forwarded-Host` from a trusted proxy, when both make sense.
fn forwarded_base(req: &HttpRequest) -> Option<String> {
    let header = |name: &str| {
        req.headers()
            .get(name)?
            .to_str()
            .ok()?
            // A proxy chain lists the first hop first.
            .split(',')
            .next()
            .map(|v| v.trim().to_owned())
    };
    let scheme = header("x-forwarded-proto").unwrap_or_else(|| "http".to_owned());
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = header("x-forwarded-host")?;
    // A host and an optional port (RFC 3986 `authority` without user info), nothing else.
    let authority: actix_web::http::uri::Authority = host.parse().ok()?;
    if authority.as_str().contains('@') || authority.as_str() != host {
        return None;
    }
    Some(format!("{scheme}://{authority}"))
}

fn check_password(text: &str) -> Result<String, ApiError> {
    if text.chars().count() < 6 {
        return Err(ApiError::validation(
            "a link password needs at least 6 characters",
        ));
    }
    password::hash(text).map_err(ApiError::internal)
}

/// The checks every new link passes, whatever it shares.
struct LinkTerms {
    level: Operation,
    expires_at: Option<i64>,
    max_downloads: Option<i64>,
    password_hash: Option<String>,
}

impl LinkTerms {
    /// A new link with these terms that shares nothing yet; the caller names the item and the
    /// level the creator must keep on its dataset (`needs`).
    fn into_link(
        self,
        owner_id: &str,
        name: String,
        self_destruct: bool,
        needs: Level,
        now: i64,
    ) -> ShareLink {
        ShareLink {
            id: new_id(),
            owner_id: owner_id.to_owned(),
            dataset_id: None,
            export_job_id: None,
            slug_hash: String::new(),
            name,
            level: self.level.as_str().to_owned(),
            version: None,
            allowed_formats: None,
            allowed_columns: None,
            expires_at: self.expires_at,
            max_downloads: self.max_downloads,
            downloads_taken: 0,
            downloads_completed: 0,
            password_hash: self.password_hash,
            password_epoch: 0,
            self_destruct,
            created_at: now,
            revoked_at: None,
            destroyed_at: None,
            last_access_at: None,
            needs_level: needs.as_str().to_owned(),
        }
    }
}

fn terms(body: &NewLinkRequest, now: i64) -> Result<LinkTerms, ApiError> {
    let level = Operation::parse(&body.level).ok_or_else(|| {
        ApiError::validation(format!(
            "level must be view or download (got '{}')",
            body.level
        ))
    })?;
    let expires_at = resolve_expiry(body.expires_in, body.expires_at.as_deref(), now)?;
    if body.max_downloads.is_some_and(|n| n < 1) {
        return Err(ApiError::validation("max_downloads must be at least 1"));
    }
    if body.max_downloads.is_some() && level == Operation::View {
        return Err(ApiError::validation(
            "a view link has no downloads to limit; use level download",
        ));
    }
    if body.self_destruct && body.max_downloads.is_none() && expires_at.is_none() {
        return Err(ApiError::validation(
            "self_destruct needs max_downloads or an expiry to know when to destroy the link",
        ));
    }
    let password_hash = body.password.as_deref().map(check_password).transpose()?;
    Ok(LinkTerms {
        level,
        expires_at,
        max_downloads: body.max_downloads,
        password_hash,
    })
}

/// Stores the link, audits it and returns what the creator sees once.
fn store(
    conn: &mut AnyConnection,
    state: &AppState,
    caller: &Caller,
    mut link: ShareLink,
    base: &str,
) -> Result<LinkCreatedView, ApiError> {
    let slug = links::new_slug();
    link.slug_hash = links::slug_hash(&slug);
    let level = Operation::parse(&link.level).unwrap_or(Operation::View);
    let token = token::mint(&state.token_keys, &link.id, level).map_err(ApiError::internal)?;
    write_transaction(conn, |conn| {
        ShareLink::create(conn, &link)?;
        audit::record(
            conn,
            link.created_at,
            AuditEvent::new(
                audit::actor_user(&caller.user.id),
                "link.create",
                format!("link:{}", link.id),
            )
            .detail(serde_json::json!({
                "dataset": link.dataset_id,
                "export": link.export_job_id,
                "level": link.level,
                "expires_at": link.expires_at.map(to_rfc3339),
                "max_downloads": link.max_downloads,
                "password": link.password_hash.is_some(),
                "self_destruct": link.self_destruct,
            }))
            .address(caller.address.clone()),
        )?;
        Ok::<_, ApiError>(())
    })?;
    let snapshot = state.access.snapshot(conn, link.created_at)?;
    Ok(LinkCreatedView {
        id: link.id.clone(),
        url: format!("{base}/s/{slug}"),
        slug,
        token,
        link: link_view(conn, &snapshot, &link, link.created_at)?,
    })
}

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

#[derive(Debug, Deserialize, IntoParams)]
pub struct LinkListQuery {
    /// A dataset's id: every link on it (or its exports), whoever made it; needs `admin` on it
    /// (`403` with less, `404` without any access).
    pub dataset: Option<String>,
}

/// The links the caller made, and every link on the datasets they administer (site admins:
/// every link), newest first, with their state and downloads.
///
/// Any signed-in caller. Revoked, expired and suspended links are listed too, with their
/// state. Not paged. Changes nothing (asking for one dataset's links is an audited decision).
#[utoipa::path(get, path = "/api/v1/links", tag = "sharing", params(LinkListQuery), responses(
    (status = 200, body = Vec<LinkView>),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn list_links(
    caller: Caller,
    state: web::Data<AppState>,
    query: deferred::Query<LinkListQuery>,
) -> ApiResult<web::Json<Vec<LinkView>>> {
    let dataset = query.read().await?.into_inner().dataset;
    let views = state
        .db
        .run(move |conn| {
            let links = manage::visible_links(conn, &caller, dataset.as_deref())?;
            link_views(conn, &caller, &links)
        })
        .await?;
    Ok(web::Json(views))
}

/// Every link on the dataset (and its exports), whoever made it (needs admin on it).
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access): the same as
/// `GET /api/v1/links?dataset={id}`. Newest first; not paged. The decision is audited
/// (`access.dataset`). Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/links", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 200, body = Vec<LinkView>),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn list_dataset_links(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<LinkView>>> {
    let OnDataset {
        dataset, caller, ..
    } = on;
    let views = state
        .db
        .run(move |conn| {
            let links = ShareLink::list_for_dataset(conn, &dataset.id)?;
            link_views(conn, &caller, &links)
        })
        .await?;
    Ok(web::Json(views))
}

/// One link the caller made or may manage.
///
/// For the link's creator and whoever holds `admin` on its dataset; anyone else is told it
/// does not exist (`404`). Its state says whether it works now. Changes nothing.
#[utoipa::path(get, path = "/api/v1/links/{id}", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 200, body = LinkView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn get_link(
    on: OnLink,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<LinkView>> {
    let OnLink { link, caller } = on;
    let view = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let snapshot = caller.access.snapshot(conn, now)?;
            link_view(conn, &snapshot, &link, now)
        })
        .await?;
    Ok(web::Json(view))
}

/// Changes a link's expiry, download limit or password (for its creator or the dataset's
/// admins, while the creator still holds the level the link needs).
///
/// For the link's creator and the dataset's admins (`404` for anyone else), and only while the
/// creator holds the level the link needs: a suspended link answers `403` (audited). A revoked
/// link answers `409`. Absent fields stay as they are; `null` removes the expiry (not with
/// `expires_in`: `422`), the limit or the password. The limit cannot go below the downloads
/// already made (`422`). A new password
/// ends every session opened with the old one. Audited (`link.update`). Idempotent, but for
/// `expires_in`, which counts from the request.
#[utoipa::path(patch, path = "/api/v1/links/{id}", tag = "sharing", params(("id" = String, Path)), request_body = LinkChangeRequest, responses(
    (status = 200, body = LinkView),
    (status = 403, description = "`forbidden`: the link is suspended; its creator lacks the level it needs", body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, description = "`conflict`: the link is revoked", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn update_link(
    on: OnLink,
    state: web::Data<AppState>,
    body: deferred::Json<LinkChangeRequest>,
) -> ApiResult<web::Json<LinkView>> {
    let body = body.read().await?.into_inner();
    let OnLink { link, caller } = on;
    let view = state
        .db
        .run(move |conn| {
            if link.revoked_at.is_some() || link.destroyed_at.is_some() {
                return Err(ApiError::conflict("this link is revoked; make a new one"));
            }
            let now = now_millis();
            let snapshot = caller.access.snapshot(conn, now)?;
            manage::require_creator_right(conn, &snapshot, &caller, &link)?;
            let expiry = match (body.expires_in, &body.expires_at) {
                (None, None) => None,
                // "No expiry" and an expiry in seconds contradict each other.
                (Some(_), Some(None)) => {
                    return Err(ApiError::validation(
                        "give expires_in or expires_at, not both",
                    ));
                }
                (None, Some(None)) => Some(None),
                (seconds, Some(Some(at))) => Some(resolve_expiry(seconds, Some(at), now)?),
                (seconds, None) => Some(resolve_expiry(seconds, None, now)?),
            };
            if let Some(Some(max)) = body.max_downloads
                && max < link.downloads_completed.max(1)
            {
                return Err(ApiError::validation(format!(
                    "max_downloads must be at least {} (downloads already made)",
                    link.downloads_completed.max(1)
                )));
            }
            let password = match &body.password {
                None => None,
                Some(None) => Some(None),
                Some(Some(text)) => Some(Some(check_password(text)?)),
            };
            write_transaction(conn, |conn| {
                if let Some(expires_at) = expiry {
                    ShareLink::set_expiry(conn, &link.id, expires_at)?;
                }
                if let Some(max) = body.max_downloads {
                    ShareLink::set_max_downloads(conn, &link.id, max)?;
                }
                if let Some(hash) = password.clone() {
                    ShareLink::set_password(conn, &link.id, hash)?;
                }
                audit::record(
                    conn,
                    now,
                    AuditEvent::new(
                        audit::actor_user(&caller.user.id),
                        "link.update",
                        format!("link:{}", link.id),
                    )
                    .detail(serde_json::json!({
                        "expires_at": expiry.map(|e| e.map(to_rfc3339)),
                        "max_downloads": body.max_downloads,
                        "password_changed": password.is_some(),
                    }))
                    .address(caller.address.clone()),
                )?;
                Ok::<_, ApiError>(())
            })?;
            let link = ShareLink::find(conn, &link.id)?;
            link_view(conn, &snapshot, &link, now)
        })
        .await?;
    Ok(web::Json(view))
}

/// Revokes a link: its address and every token derived from it stop working at once (for its
/// creator or the dataset's admins, whatever the creator's rights now).
///
/// For the link's creator and the dataset's admins (`404` for anyone else), suspended links
/// included. Its holders get `404`, as for a link that never was; its access log stays.
/// Audited (`link.revoke`). Revoking again answers `204` and keeps the first `revoked_at`.
#[utoipa::path(delete, path = "/api/v1/links/{id}", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 204, description = "Revoked"),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn revoke_link(
    on: OnLink,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let OnLink { link, caller } = on;
    state
        .db
        .run(move |conn| {
            let now = now_millis();
            write_transaction(conn, |conn| {
                ShareLink::revoke(conn, &link.id, now)?;
                audit::record(
                    conn,
                    now,
                    AuditEvent::new(
                        audit::actor_user(&caller.user.id),
                        "link.revoke",
                        format!("link:{}", link.id),
                    )
                    .address(caller.address.clone()),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A link's access log, newest first: views, downloads started, completed and broken off,
/// and refusals with their reason.
///
/// For the link's creator and the dataset's admins (`404` for anyone else). The latest 1,000
/// entries; not paged. Changes nothing.
#[utoipa::path(get, path = "/api/v1/links/{id}/access-log", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 200, body = Vec<LinkAccessView>),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn link_access_log(
    on: OnLink,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<LinkAccessView>>> {
    let link_id = on.link.id;
    let entries = state
        .db
        .run(move |conn| LinkAccess::for_link(conn, &link_id, 1000))
        .await?;
    Ok(web::Json(
        entries
            .into_iter()
            .map(|e| LinkAccessView {
                at: to_rfc3339(e.at),
                event: e.event,
                reason: e.reason,
                address: e.address,
                user_agent: e.user_agent,
            })
            .collect(),
    ))
}
