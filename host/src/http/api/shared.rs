//! What a link's holders reach: the page `/s/{slug}` (HTML for people), its password form,
//! `/s/{slug}/download` and `/s/{slug}/rows`, and the same through a Biscuit token on
//! `/api/v1/link`, `/api/v1/link/rows` and `/api/v1/link/download`. Every route runs the same
//! checks in [`crate::links`], so expiry, password and level guard every sub-path alike.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use utoipa::{IntoParams, ToSchema};

use crate::access::token::Operation;
use crate::http::api::datasets::export::{find_plugin, stream_export_watched};
use crate::http::api::datasets::parse_columns;
use crate::http::api::exports::parse_range;
use crate::auth::{password, secrets};
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::db::export_jobs::{ExportJob, JobStatus};
use crate::db::link_sessions::LinkSession;
use crate::db::share_links::ShareLink;
use crate::db::users::User;
use crate::db::write_transaction;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::export::{ExportSource, ExportSpec};
use crate::ingest::preview;
use crate::links::download::{self, CountedBody, Extent, Produced};
use crate::links::{self, Credential, Reach, Resolved, Visitor, page};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

/// How long a password session lasts.
const LINK_SESSION_HOURS: i64 = 12;

#[derive(Debug, Deserialize, IntoParams)]
pub struct LinkDownloadQuery {
    /// For dataset links: the export format's id (default `csv`); one the link does not allow
    /// answers `403`, one not installed `404`.
    pub format: Option<String>,
    /// For dataset links: comma-separated columns (default: all the link reveals); a column it
    /// does not reveal answers `403`, a list naming none `422`.
    #[param(pattern = r"[^,\s]")]
    pub columns: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LinkRowsQuery {
    /// First row, from 0 (default 0); rows past the link's first `visible_rows` are not
    /// served. A negative offset is taken as 0.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return: default 100, at most the operator's `max_preview_rows` (the maximum
    /// stated here is this server's); a value outside is brought within.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Comma-separated columns, in this order (default: every column the link and the token
    /// reveal); a column they do not reveal answers `403`.
    pub columns: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub password: String,
}

/// What a link (or token) grants, for scripts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "name": "For the review panel",
    "kind": "dataset",
    "level": "view",
    "owner": "Ada Lovelace",
    "size_bytes": 163,
    "rows": 3,
    "version": 1,
    "columns": ["id", "site", "measured_on", "depth_m"],
    "formats": null,
    "expires_at": "2026-03-09T12:00:00Z",
    "downloads_left": null
})))]
pub struct LinkInfoView {
    pub name: String,
    #[schema(value_type = crate::http::api::vocabulary::LinkItemKind)]
    pub kind: String,
    #[schema(value_type = crate::http::api::vocabulary::LinkLevel)]
    pub level: String,
    /// The name of the person who made the link.
    pub owner: String,
    /// A dataset link's size as uploaded.
    pub size_bytes: Option<i64>,
    pub rows: Option<i64>,
    pub version: Option<i32>,
    /// The columns this token may see (all the link reveals, or fewer for a narrowed token).
    pub columns: Vec<String>,
    /// The formats it may download in; `null` for every installed format.
    pub formats: Option<Vec<String>>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// `null` without a limit.
    pub downloads_left: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "columns": ["site", "depth_m"],
    "rows": [["Étang de Thau", 1.5], ["琵琶湖", null], ["Lake Tahoe", -3.25]],
    "offset": 0,
    "total_rows": 3,
    "visible_rows": 3
})))]
pub struct LinkRowsView {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
    pub offset: i64,
    /// Rows in the dataset version.
    pub total_rows: i64,
    /// The first rows a view link shows; rows past them are not served (`link_view_rows`).
    pub visible_rows: i64,
}

fn credential(req: &HttpRequest, slug: Option<String>) -> Result<Credential, ApiError> {
    if let Some(token) = crate::http::extract::bearer(req) {
        return Ok(Credential::Token { token, slug });
    }
    match slug {
        Some(slug) => Ok(Credential::Slug {
            session: req
                .cookie(links::LINK_SESSION_COOKIE)
                .map(|c| c.value().to_owned()),
            slug,
        }),
        None => Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "present the link's token as 'Authorization: Bearer <token>'",
        )),
    }
}

/// The dataset version and the columns a link reveals.
struct Shared {
    dataset: Option<Dataset>,
    version: Option<DatasetVersion>,
    job: Option<ExportJob>,
    columns: Vec<String>,
}

/// The name of the link's owner, for the pages and answers that show it (downloads do not).
fn owner_of(conn: &mut crate::db::AnyConnection, link: &ShareLink) -> String {
    User::find(conn, &link.owner_id)
        .map(|u| u.name)
        .unwrap_or_else(|_| "someone".into())
}

fn shared_of(conn: &mut crate::db::AnyConnection, link: &ShareLink) -> Result<Shared, ApiError> {
    if let Some(job_id) = &link.export_job_id {
        let job = ExportJob::find(conn, job_id)?;
        if job.status != JobStatus::Done {
            return Err(ApiError::new(
                ErrorCode::LinkUsedUp,
                "the shared file is no longer available",
            ));
        }
        return Ok(Shared {
            dataset: None,
            version: None,
            job: Some(job),
            columns: Vec::new(),
        });
    }
    let dataset_id = link.dataset_id.clone().unwrap_or_default();
    let dataset = Dataset::find(conn, &dataset_id)?;
    let number = link.version.unwrap_or(dataset.latest_version);
    let version = DatasetVersion::find(conn, &dataset.id, number)?;
    let all: Vec<String> = parse_columns(&version.schema_json)
        .into_iter()
        .map(|c| c.name)
        .collect();
    let columns = match link.columns() {
        Some(allowed) => all.into_iter().filter(|c| allowed.contains(c)).collect(),
        None => all,
    };
    Ok(Shared {
        dataset: Some(dataset),
        version: Some(version),
        job: None,
        columns,
    })
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    crate::http::pages::html(status, body)
}

/// A refusal as a page a person understands.
fn refusal_page(slug: &str, err: &ApiError) -> HttpResponse {
    let status = err.code.status();
    let (heading, message) = match err.code {
        ErrorCode::LinkExpired => ("This link has expired", err.message.as_str()),
        ErrorCode::LinkUsedUp => (
            "This link has been used up",
            "It has been downloaded as many times as its owner allowed. Ask them for a new link.",
        ),
        ErrorCode::LinkSuspended => (
            "This link is suspended",
            "The person who made it no longer has the access it needs. Ask the dataset's owner.",
        ),
        ErrorCode::TooManyAttempts => (
            "Too many attempts",
            "Too many wrong links or passwords came from your network. Wait a few minutes and try again.",
        ),
        ErrorCode::PasswordRequired => {
            return html(
                StatusCode::UNAUTHORIZED,
                page::password_prompt(&format!("/s/{slug}"), false),
            );
        }
        ErrorCode::NotFound => (
            "No such link",
            "This link does not exist. It may have been mistyped, or its owner revoked it.",
        ),
        _ => ("This link cannot be opened", err.message.as_str()),
    };
    let mut response = html(status, page::refused(heading, message));
    if let Some(seconds) = err.retry_after
        && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The shared item's page: what it is, its size, expiry and downloads left, and either the
/// download button or the first rows.
pub async fn show_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> HttpResponse {
    let slug = slug.into_inner();
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let credential = Credential::Slug {
        session: req
            .cookie(links::LINK_SESSION_COOKIE)
            .map(|c| c.value().to_owned()),
        slug: slug.clone(),
    };
    let result = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let resolved = links::resolve(conn, &app.links(), &credential, &visitor, now)?;
            let shared = shared_of(conn, &resolved.link)?;
            let owner = owner_of(conn, &resolved.link);
            links::log_access(conn, &resolved.link.id, "view", None, &visitor, now)?;
            ShareLink::touch(conn, &resolved.link.id, now)?;
            Ok::<_, ApiError>((resolved.link, shared, owner))
        })
        .await;
    let (link, shared, owner) = match result {
        Ok(found) => found,
        Err(err) => return refusal_page(&slug, &err),
    };
    let (what, size) = match (&shared.job, &shared.version) {
        (Some(job), _) => (
            format!("an export in {}", job.format),
            std::fs::metadata(
                state
                    .storage
                    .absolute(job.artifact_path.as_deref().unwrap_or("")),
            )
            .map(|m| crate::human::size(m.len()))
            .unwrap_or_else(|_| "unknown".into()),
        ),
        (None, Some(version)) => (
            format!(
                "a dataset (version {}, {} rows, {} columns)",
                version.version,
                version.row_count,
                shared.columns.len()
            ),
            crate::human::stored_size(version.source_bytes),
        ),
        _ => ("nothing".into(), "0 bytes".into()),
    };
    let preview = if link.level == "view" {
        match (&shared.version, &shared.dataset) {
            (Some(version), Some(_)) => {
                let path = state.storage.absolute(&version.file_path);
                let columns = shared.columns.clone();
                let all: Vec<String> = parse_columns(&version.schema_json)
                    .into_iter()
                    .map(|c| c.name)
                    .collect();
                let first = state.config.link_view_rows as u32;
                web::block(move || preview::read_rows(&path, 0, first))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(|rows| {
                        let rows = rows
                            .into_iter()
                            .map(|row| {
                                row.into_iter()
                                    .zip(&all)
                                    .filter(|(_, name)| columns.contains(name))
                                    .map(|(v, _)| match v {
                                        serde_json::Value::String(s) => s,
                                        serde_json::Value::Null => String::new(),
                                        other => other.to_string(),
                                    })
                                    .collect()
                            })
                            .collect();
                        (columns, rows)
                    })
            }
            _ => None,
        }
    } else {
        None
    };
    let download_href = (link.level == "download").then(|| format!("/s/{slug}/download"));
    html(
        StatusCode::OK,
        page::shared_item(&page::ItemPage {
            name: &link.name,
            owner: &owner,
            what: &what,
            size: &size,
            expires: &link
                .expires_at
                .map(to_rfc3339)
                .unwrap_or_else(|| "never".into()),
            downloads_left: &link
                .downloads_left()
                .map(|n| n.to_string())
                .unwrap_or_else(|| "no limit".into()),
            download_href: download_href.as_deref(),
            preview_columns: preview.as_ref().map(|(columns, _)| columns.clone()),
            preview_rows: preview.map(|(_, rows)| rows),
        }),
    )
}

/// The password form: opens a session bound to this link and its current password.
///
/// Before any hashing: the link must exist and have a password (a link without one has
/// nothing to check, so nothing is hashed), and the attempt is taken from the throttles per
/// address and per link in one atomic statement each ([`crate::auth::throttle`]). The hash
/// then waits its turn at the password gate. A right password gives its attempt back.
pub async fn open_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    use crate::auth::throttle;

    /// What the first trip to the database found.
    enum Opening {
        /// No password to check: nothing to unlock.
        NoPassword,
        Check(Box<(ShareLink, Visitor, throttle::Admitted)>),
    }

    let slug = slug.into_inner();
    let given = form.into_inner().password;
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let inner_slug = slug.clone();
    let found = state
        .db
        .run(move |conn| {
            let now = now_millis();
            links::check_throttle(conn, &visitor, now)?;
            let link = match ShareLink::find_by_slug_hash(conn, &links::slug_hash(&inner_slug))? {
                Some(link) if link.state(now) != crate::db::share_links::LinkState::Revoked => link,
                _ => {
                    links::count_failure(conn, &visitor, &app.config, now)?;
                    return Err(ApiError::not_found("link"));
                }
            };
            if link.password_hash.is_none() {
                return Ok(Opening::NoPassword);
            }
            let taken = write_transaction(conn, |conn| {
                throttle::take_link_password(conn, &link.id, visitor.address, now, &app.config)
            })?;
            match taken {
                Ok(admitted) => Ok(Opening::Check(Box::new((link, visitor, admitted)))),
                Err(wait_ms) => {
                    tracing::info!(
                        decision = "deny",
                        link = %link.id,
                        reason = "too many password attempts",
                        "link password refused before checking it"
                    );
                    Err(ApiError::too_many_attempts(throttle::wait_seconds(wait_ms)))
                }
            }
        })
        .await;
    let (link, visitor, admitted) = match found {
        Ok(Opening::Check(found)) => *found,
        Ok(Opening::NoPassword) => {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/s/{slug}")))
                .finish();
        }
        Err(err) => return refusal_page(&slug, &err),
    };
    let stored = link.password_hash.clone();
    let matches = match state
        .password_gate
        .run(move || password::verify(&given, stored.as_deref()))
        .await
    {
        Ok(matches) => matches,
        Err(busy) => {
            // Nothing was tried: the attempt goes back.
            if let Err(err) = state.db.run(move |conn| admitted.give_back(conn)).await {
                tracing::warn!(error = %err, "cannot give back a link password attempt");
            }
            return refusal_page(&slug, &busy.into());
        }
    };
    let session = secrets::generate("tsl_");
    let session_hash = secrets::hash(&session);
    let outcome = state
        .db
        .run(move |conn| {
            let now = now_millis();
            if !matches {
                links::log_access(
                    conn,
                    &link.id,
                    "refused",
                    Some("wrong password"),
                    &visitor,
                    now,
                )?;
                return Ok(false);
            }
            write_transaction(conn, |conn| {
                admitted.give_back(conn)?;
                LinkSession::create(
                    conn,
                    &LinkSession {
                        token_hash: session_hash,
                        link_id: link.id.clone(),
                        password_epoch: link.password_epoch,
                        expires_at: now + LINK_SESSION_HOURS * 3600 * 1000,
                    },
                )?;
                links::log_access(conn, &link.id, "unlocked", None, &visitor, now)?;
                Ok::<_, ApiError>(true)
            })
        })
        .await;
    match outcome {
        Ok(true) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/s/{slug}")))
            .cookie(
                Cookie::build(links::LINK_SESSION_COOKIE, session)
                    .path(format!("/s/{slug}"))
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(state.config.secure_cookies)
                    .finish(),
            )
            .finish(),
        Ok(false) => html(
            StatusCode::UNAUTHORIZED,
            page::password_prompt(&format!("/s/{slug}"), true),
        ),
        Err(err) => refusal_page(&slug, &err),
    }
}

/// Downloads through a link: `/s/{slug}/download` (slug, password session or token).
pub async fn download_by_slug(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<LinkDownloadQuery>,
) -> ApiResult<HttpResponse> {
    let credential = credential(&req, Some(slug.into_inner()))?;
    serve_download(state, req, credential, query.into_inner()).await
}

/// Downloads what the presented token grants.
///
/// For whoever holds a download link's token (`Authorization: Bearer <link token>`, no
/// account): a view link's token gets `403`. A dataset link streams the dataset in `format`
/// with `columns`, as the link and the token allow; an export link serves its file, with
/// `Range` (`206`). With a download limit (the link's or the token's), a download takes its
/// slot before its first byte and counts once it sends the item's last byte, or its bytes
/// reach `link_download_count_percent` of the item; one that stops short gives its slot back,
/// and when the limit is reached the rest get `410 link_used_up`. A link that counts downloads
/// takes only ranges that run to the end (`bytes=N-`; `416` otherwise). Refusals as for
/// `GET /api/v1/link`. Every download is in the link's access log, and a completed one in the
/// audit log.
#[utoipa::path(get, path = "/api/v1/link/download", tag = "links",
    params(
        LinkDownloadQuery,
        ("Range" = Option<String>, Header, description = "Export links: one byte range, e.g. `bytes=1024-`, to resume a download"),
    ),
    responses(
    (status = 200, description = "The file, in the format's media type, as an attachment"),
    (status = 206, description = "The requested range of an export's file"),
    (status = 401, body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 410, body = crate::http::error::ErrorBody),
    (status = 416, body = crate::http::error::ErrorBody),
    (status = 502, description = "The format plugin failed before sending anything; the download's slot is given back", body = crate::http::error::ErrorBody),
))]
pub async fn download_by_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LinkDownloadQuery>,
) -> ApiResult<HttpResponse> {
    let credential = credential(&req, None)?;
    serve_download(state, req, credential, query.into_inner()).await
}

async fn serve_download(
    state: web::Data<AppState>,
    req: HttpRequest,
    credential: Credential,
    query: LinkDownloadQuery,
) -> ApiResult<HttpResponse> {
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let inner_visitor = visitor.clone();
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // An export's file is checked and admitted in the same trip to the database as the link
    // is resolved: one connection and one hop to the blocking pool per download.
    let found = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let resolved = links::resolve(conn, &app.links(), &credential, &inner_visitor, now)?;
            let shared = shared_of(conn, &resolved.link)?;
            match shared.job {
                Some(job) => {
                    admit_export_file(conn, &app, &inner_visitor, resolved, job, range, now)
                        .map(|admitted| Found::File(Box::new(admitted)))
                }
                None => Ok(Found::Dataset(Box::new((resolved, shared)))),
            }
        })
        .await?;
    match found {
        Found::File(admitted) => serve_export_file(state, visitor, *admitted).await,
        Found::Dataset(found) => {
            let (resolved, shared) = *found;
            serve_dataset_export(state, visitor, resolved, shared, query).await
        }
    }
}

/// What a download's first trip to the database found.
enum Found {
    File(Box<AdmittedFile>),
    Dataset(Box<(Resolved, Shared)>),
}

/// The level, token and slot checks, then the download's ticket.
async fn admit(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    resolved: Resolved,
    format: Option<String>,
    columns: Vec<String>,
    version: i64,
    extent: Extent,
) -> ApiResult<(Resolved, download::Ticket)> {
    let visitor = visitor.clone();
    let db = state.db.clone();
    state
        .db
        .run(move |conn| {
            let now = now_millis();
            let reach = Reach {
                operation: Operation::Download,
                format: format.as_deref(),
                columns: &columns,
                version,
            };
            let ticket =
                links::admit_download(&db, conn, &resolved, &reach, extent, &visitor, now)?;
            Ok::<_, ApiError>((resolved, ticket))
        })
        .await
}

async fn serve_dataset_export(
    state: web::Data<AppState>,
    visitor: Visitor,
    resolved: Resolved,
    shared: Shared,
    query: LinkDownloadQuery,
) -> ApiResult<HttpResponse> {
    let (Some(dataset), Some(version)) = (shared.dataset, shared.version) else {
        return Err(ApiError::internal("a dataset link without its dataset"));
    };
    let format = query.format.unwrap_or_else(|| "csv".to_owned());
    if let Some(allowed) = resolved.link.formats()
        && !allowed.contains(&format)
    {
        return Err(ApiError::forbidden(if allowed.is_empty() {
            "this link allows no format; ask its owner for a new one".to_owned()
        } else {
            format!("this link allows downloads as {} only", allowed.join(", "))
        }));
    }
    let columns: Vec<String> = match &query.columns {
        Some(list) => {
            let wanted = parse_column_list(list);
            if let Some(hidden) = wanted.iter().find(|c| !shared.columns.contains(c)) {
                return Err(ApiError::forbidden(format!(
                    "this link does not reveal the column '{hidden}'"
                )));
            }
            wanted
        }
        None => shared.columns.clone(),
    };
    let plugin = find_plugin(&state, &format)?;
    // Made while it is sent, so its length is known at its end: the export says how far it
    // has got, for a download that stops short to tell how much of it went out.
    let produced = Produced::new();
    let (_, ticket) = admit(
        &state,
        &visitor,
        resolved,
        Some(format.clone()),
        columns.clone(),
        i64::from(version.version),
        Extent::Stream(produced.clone()),
    )
    .await?;
    let spec = ExportSpec {
        columns: Some(columns),
        ..ExportSpec::default()
    };
    let source = ExportSource::new(&state.storage, dataset, version, to_rfc3339(now_millis()));
    let filename = source.file_name(&plugin.info.extension);
    let watch = Box::new(
        move |progress: crate::http::api::datasets::export::ExportProgress| {
            produced.record(
                progress.summary.bytes,
                progress.summary.rows,
                progress.total_rows,
                progress.finished,
            );
        },
    );
    let (media_type, stream) =
        match stream_export_watched(&state, plugin, source, spec, watch).await {
            Ok(started) => started,
            Err(err) => {
                // Nothing was sent: the slot goes back.
                download::abandon(ticket, state.db.clone(), state.storage.clone(), visitor);
                return Err(err);
            }
        };
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(filename)],
        })
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(CountedBody::new(
            stream,
            ticket,
            state.db.clone(),
            state.storage.clone(),
            visitor,
            state.config.link_download_count_percent,
        )))
}

/// An export's file a download may read: opened, its range checked, its slot taken.
struct AdmittedFile {
    job: ExportJob,
    media_type: String,
    file: std::fs::File,
    size: u64,
    status: StatusCode,
    start: u64,
    end: u64,
    ticket: download::Ticket,
}

/// Opens the shared file, checks the requested range, then runs the level, token and slot
/// checks (runs on the blocking pool, inside [`serve_download`]'s trip to the database).
fn admit_export_file(
    conn: &mut crate::db::AnyConnection,
    state: &AppState,
    visitor: &Visitor,
    resolved: Resolved,
    job: ExportJob,
    range: Option<String>,
    now: i64,
) -> Result<AdmittedFile, ApiError> {
    let (Some(relative), Some(media_type)) = (job.artifact_path.clone(), job.media_type.clone())
    else {
        return Err(ApiError::internal("a done export without its file"));
    };
    let file = std::fs::File::open(state.storage.absolute(&relative)).map_err(|_| {
        ApiError::new(
            ErrorCode::LinkUsedUp,
            "the shared file is no longer available",
        )
    })?;
    let size = file.metadata().map_err(ApiError::internal)?.len();
    let (status, start, end) = match range.map(|v| parse_range(&v, size)) {
        None => (StatusCode::OK, 0, size),
        Some(Some((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(None) => {
            return Err(ApiError::new(
                ErrorCode::RangeNotSatisfiable,
                format!("the range is outside the file's {size} bytes"),
            ));
        }
    };
    // A counted download (the link's limit, or the token's) counts by how far into the file
    // it reached, so a range must run to the end: resuming (`bytes=N-`) works, fetching the
    // middle again and again does not.
    let counted = resolved.link.max_downloads.is_some()
        || resolved
            .token
            .as_ref()
            .is_some_and(|token| token.reads_download_counts);
    if end != size && counted {
        return Err(ApiError::new(
            ErrorCode::RangeNotSatisfiable,
            "this link counts downloads: ask for the rest of the file from an offset (bytes=N-)",
        ));
    }
    let reach = Reach {
        operation: Operation::Download,
        format: Some(&job.format),
        columns: &[],
        version: i64::from(job.version),
    };
    let extent = Extent::File { start, end, size };
    let ticket = links::admit_download(&state.db, conn, &resolved, &reach, extent, visitor, now)?;
    Ok(AdmittedFile {
        job,
        media_type,
        file,
        size,
        status,
        start,
        end,
        ticket,
    })
}

async fn serve_export_file(
    state: web::Data<AppState>,
    visitor: Visitor,
    admitted: AdmittedFile,
) -> ApiResult<HttpResponse> {
    let AdmittedFile {
        job,
        media_type,
        file,
        size,
        status,
        start,
        end,
        ticket,
    } = admitted;
    let mut file = tokio::fs::File::from_std(file);
    if start > 0
        && let Err(err) = file.seek(std::io::SeekFrom::Start(start)).await
    {
        // Nothing was sent: the slot goes back.
        download::abandon(ticket, state.db.clone(), state.storage.clone(), visitor);
        return Err(ApiError::internal(err));
    }
    let body = Box::pin(futures_util::stream::unfold(
        (file, end - start),
        |(mut file, left)| async move {
            if left == 0 {
                return None;
            }
            let mut buffer = vec![0u8; (left.min(256 * 1024)) as usize];
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(n) => {
                    buffer.truncate(n);
                    Some((
                        Ok::<_, std::io::Error>(bytes::Bytes::from(buffer)),
                        (file, left - n as u64),
                    ))
                }
                Err(e) => Some((Err(e), (file, 0))),
            }
        },
    ));
    let mut response = HttpResponse::build(status);
    response
        .content_type(media_type)
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(
                job.file_name.clone().unwrap_or_else(|| "export".into()),
            )],
        })
        .no_chunking(end - start);
    if status == StatusCode::PARTIAL_CONTENT {
        response.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{size}", end - 1),
        ));
    }
    Ok(response.streaming(CountedBody::new(
        body,
        ticket,
        state.db.clone(),
        state.storage.clone(),
        visitor,
        state.config.link_download_count_percent,
    )))
}

/// The first rows of a view link's dataset: `/s/{slug}/rows`.
pub async fn rows_by_slug(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<LinkRowsQuery>,
) -> ApiResult<web::Json<LinkRowsView>> {
    let credential = credential(&req, Some(slug.into_inner()))?;
    serve_rows(state, req, credential, query.into_inner()).await
}

/// The rows a view token grants.
///
/// For whoever holds a view link's token (a download link's gets `403`, and so does an
/// export's, which has no rows). A view link shows its first `link_view_rows` rows (20 unless
/// the operator set otherwise) and no more: `visible_rows` says how many, and an `offset` past
/// them gives no rows. Columns are those the link and the token reveal, or the ones asked for
/// among them. Refusals as for `GET /api/v1/link`. Each read is in the link's access log.
#[utoipa::path(get, path = "/api/v1/link/rows", tag = "links", params(LinkRowsQuery), responses(
    (status = 200, body = LinkRowsView),
    (status = 401, body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 410, body = crate::http::error::ErrorBody),
))]
pub async fn rows_by_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LinkRowsQuery>,
) -> ApiResult<web::Json<LinkRowsView>> {
    let credential = credential(&req, None)?;
    serve_rows(state, req, credential, query.into_inner()).await
}

async fn serve_rows(
    state: web::Data<AppState>,
    req: HttpRequest,
    credential: Credential,
    query: LinkRowsQuery,
) -> ApiResult<web::Json<LinkRowsView>> {
    let offset = query.offset.unwrap_or(0).max(0);
    let max = state.config.max_preview_rows as i64;
    let limit = query.limit.unwrap_or(100).clamp(1, max);
    // View means the page, the metadata and the first rows: no paging past them.
    let visible = state.config.link_view_rows as i64;
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let asked = query.columns.as_deref().map(parse_column_list);
    let (version, columns) = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let resolved = links::resolve(conn, &app.links(), &credential, &visitor, now)?;
            let shared = shared_of(conn, &resolved.link)?;
            let Some(version) = shared.version else {
                return Err(ApiError::forbidden(
                    "an export's file has no rows to browse; download it",
                ));
            };
            let reach = Reach {
                operation: Operation::View,
                format: None,
                columns: &[],
                version: i64::from(version.version),
            };
            let columns = match asked {
                Some(asked) => {
                    if let Some(hidden) = asked.iter().find(|c| !shared.columns.contains(c)) {
                        return Err(ApiError::forbidden(format!(
                            "this link does not reveal the column '{hidden}'"
                        )));
                    }
                    let reach = Reach {
                        columns: &asked,
                        ..reach
                    };
                    links::authorize(conn, &resolved, &reach, &visitor, now)?;
                    asked
                }
                None => {
                    links::allowed_columns(conn, &resolved, &reach, &shared.columns, &visitor, now)?
                }
            };
            links::log_access(conn, &resolved.link.id, "view", None, &visitor, now)?;
            Ok::<_, ApiError>((version, columns))
        })
        .await?;
    let all: Vec<String> = parse_columns(&version.schema_json)
        .into_iter()
        .map(|c| c.name)
        .collect();
    let picks: Vec<usize> = columns
        .iter()
        .filter_map(|name| all.iter().position(|c| c == name))
        .collect();
    let count = (visible - offset).min(limit);
    let rows = if count > 0 {
        let path = state.storage.absolute(&version.file_path);
        web::block(move || preview::read_rows(&path, offset, count as u32)).await??
    } else {
        Vec::new()
    };
    let rows = rows
        .into_iter()
        .map(|row| {
            picks
                .iter()
                .map(|&i| row.get(i).cloned().unwrap_or(serde_json::Value::Null))
                .collect()
        })
        .collect();
    Ok(web::Json(LinkRowsView {
        columns,
        rows,
        offset,
        total_rows: version.row_count,
        visible_rows: visible.min(version.row_count),
    }))
}

/// `a, b,,c` → `["a", "b", "c"]`.
fn parse_column_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect()
}

/// What the presented token grants: the item, its level, expiry and downloads left.
///
/// For whoever holds a link's token (`Authorization: Bearer <link token>`, no account needed,
/// no password either). Every check the link and the token carry runs here too: an unknown or
/// revoked link answers `404`; a changed or foreign token `401 invalid_token`; an expired,
/// used-up or suspended link `410`; a token check that fails (a narrowed token's expiry, level
/// or columns) `403`, naming it. Only the columns the token allows are named. Wrong tokens
/// count against the client's address (`429` with `Retry-After` after too many). Changes
/// nothing.
#[utoipa::path(get, path = "/api/v1/link", tag = "links", responses(
    (status = 200, body = LinkInfoView),
    (status = 401, body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 410, body = crate::http::error::ErrorBody),
))]
pub async fn link_info(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<web::Json<LinkInfoView>> {
    let credential = credential(&req, None)?;
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let view = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let resolved = links::resolve(conn, &app.links(), &credential, &visitor, now)?;
            let shared = shared_of(conn, &resolved.link)?;
            // The metadata is what the link grants, seen through the token's checks: its
            // expiry and every other check hold here too, and only the columns it allows are
            // named.
            let reach = Reach {
                operation: Operation::parse(&resolved.link.level).unwrap_or(Operation::View),
                format: None,
                columns: &[],
                version: shared
                    .version
                    .as_ref()
                    .map(|v| v.version)
                    .or(shared.job.as_ref().map(|j| j.version))
                    .map_or(0, i64::from),
            };
            let columns =
                links::allowed_columns(conn, &resolved, &reach, &shared.columns, &visitor, now)?;
            let owner = owner_of(conn, &resolved.link);
            let link = resolved.link;
            Ok::<_, ApiError>(LinkInfoView {
                name: link.name.clone(),
                kind: if link.export_job_id.is_some() {
                    "export"
                } else {
                    "dataset"
                }
                .into(),
                level: link.level.clone(),
                owner,
                size_bytes: shared.version.as_ref().map(|v| v.source_bytes),
                rows: shared.version.as_ref().map(|v| v.row_count),
                version: shared.version.as_ref().map(|v| v.version).or(link.version),
                columns,
                formats: link.formats(),
                expires_at: link.expires_at.map(to_rfc3339),
                downloads_left: link.downloads_left(),
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// One key that signs (or signed) link tokens.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "root",
    "algorithm": "ed25519",
    "public_key": "2d7a1f3c5e9b0a4d6f8e2c1b3a5d7f9e0c2b4a6d8f1e3c5b7a9d0f2e4c6b8a1d",
    "biscuit_public_key": "ed25519/2d7a1f3c5e9b0a4d6f8e2c1b3a5d7f9e0c2b4a6d8f1e3c5b7a9d0f2e4c6b8a1d",
    "status": "current",
    "created_at": "2026-03-01T08:00:00Z"
})))]
pub struct TokenKeyView {
    /// The key's id.
    pub id: String,
    /// `ed25519`.
    pub algorithm: String,
    /// The public key, hex.
    pub public_key: String,
    /// The same in Biscuit's own text form, `ed25519/<hex>`, as its libraries and command
    /// line take it.
    pub biscuit_public_key: String,
    #[schema(value_type = crate::http::api::vocabulary::KeyStatus)]
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"keys": [{
    "id": "root",
    "algorithm": "ed25519",
    "public_key": "2d7a1f3c5e9b0a4d6f8e2c1b3a5d7f9e0c2b4a6d8f1e3c5b7a9d0f2e4c6b8a1d",
    "biscuit_public_key": "ed25519/2d7a1f3c5e9b0a4d6f8e2c1b3a5d7f9e0c2b4a6d8f1e3c5b7a9d0f2e4c6b8a1d",
    "status": "current",
    "created_at": "2026-03-01T08:00:00Z"
}]})))]
pub struct TokenKeysView {
    pub keys: Vec<TokenKeyView>,
}

/// The public keys that sign share-link tokens, so that standard Biscuit libraries can verify
/// (and then attenuate) a token offline. Public: a public key reveals nothing.
///
/// Anyone may call it. The key that signs tokens now is `current`; earlier ones kept in the
/// database are `retired`. Cached for five minutes (`Cache-Control: public, max-age=300`).
/// Changes nothing.
#[utoipa::path(get, path = "/.well-known/tessera/biscuit-keys", tag = "links", responses(
    (status = 200, body = TokenKeysView),
))]
pub async fn token_keys(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let current = state.token_keys.public_hex();
    let stored = state
        .db
        .run(crate::db::token_keys::PublicTokenKey::all)
        .await?;
    let keys = stored
        .into_iter()
        .map(|key| TokenKeyView {
            status: if key.public_key == current {
                "current"
            } else {
                "retired"
            }
            .to_owned(),
            biscuit_public_key: format!("ed25519/{}", key.public_key),
            algorithm: "ed25519".to_owned(),
            created_at: to_rfc3339(key.created_at),
            public_key: key.public_key,
            id: key.id,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(TokenKeysView { keys }))
}
