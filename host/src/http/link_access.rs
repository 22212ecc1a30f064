//! What a link's holder reaches, whichever way they come: by the link's address (`/s/{slug}`,
//! with its password session; `http::pages::link`) or by its token on `/api/v1/link`
//! ([`crate::http::api::link`]). Both ways serve the same download and the same rows through
//! the functions here, so that neither the pages nor the API import the other, and every way
//! runs the checks of [`crate::links`] in the same order.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::token::Operation;
use crate::db::AnyConnection;
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::db::export_jobs::{ExportJob, JobStatus};
use crate::db::share_links::ShareLink;
use crate::db::users::User;
use crate::export::{ExportSource, ExportSpec};
use crate::http::download::{
    RangeRequest, Span, Unsatisfiable, Validator, attachment, file_body, file_response,
};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::export_stream::{ExportProgress, find_plugin, stream_export_watched};
use crate::ingest::preview;
use crate::links::download::{self, CountedBody, Extent, Produced};
use crate::links::{self, Credential, Reach, Resolved, Visitor};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

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
    /// served. A negative offset answers `422`.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return: default 100, at most the operator's `max_preview_rows` (the maximum
    /// stated here is this server's); outside, `422`.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Comma-separated columns, in this order (default: every column the link and the token
    /// reveal); a column they do not reveal answers `403`.
    pub columns: Option<String>,
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

/// How the request presents the link: a token in `Authorization: Bearer` wins; else the
/// link's address with its password session, when there is a slug.
pub fn credential(req: &HttpRequest, slug: Option<String>) -> Result<Credential, ApiError> {
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

/// What a link shares: a dataset's version and the columns the link reveals, or an export's
/// file.
pub struct Shared {
    pub dataset: Option<Dataset>,
    pub version: Option<DatasetVersion>,
    pub job: Option<ExportJob>,
    /// The columns the link reveals, in the version's order.
    pub columns: Vec<String>,
    /// Every column of the version, in its order (the order of its rows' values).
    pub version_columns: Vec<String>,
}

/// The name of the link's owner, for the pages and answers that show it (downloads do not).
pub fn owner_of(conn: &mut AnyConnection, link: &ShareLink) -> String {
    User::find(conn, &link.owner_id)
        .map(|u| u.name)
        .unwrap_or_else(|_| "someone".into())
}

/// What `link` shares, or `410 link_used_up` when its export's file is gone, `410
/// version_withdrawn` when the version it serves was withdrawn.
pub fn shared_of(conn: &mut AnyConnection, link: &ShareLink) -> Result<Shared, ApiError> {
    if let Some(job_id) = &link.export_job_id {
        let job = ExportJob::find(conn, job_id)?;
        if job.status != JobStatus::Done {
            return Err(ApiError::new(
                ErrorCode::LinkUsedUp,
                "the shared file is no longer available",
            ));
        }
        // An export's file holds its version's data: a withdrawn version's is not served.
        crate::datasets::served(DatasetVersion::find(conn, &job.dataset_id, job.version)?)?;
        return Ok(Shared {
            dataset: None,
            version: None,
            job: Some(job),
            columns: Vec::new(),
            version_columns: Vec::new(),
        });
    }
    let dataset_id = link.dataset_id.clone().unwrap_or_default();
    let dataset = Dataset::find(conn, &dataset_id)?;
    let number = link.version.unwrap_or(dataset.latest_version);
    // A link pinned to a withdrawn version answers why, not the data (issue 16).
    let version = crate::datasets::served(DatasetVersion::find(conn, &dataset.id, number)?)?;
    let all: Vec<String> = crate::ingest::stored_columns(&version.schema_json)
        .into_iter()
        .map(|c| c.name)
        .collect();
    let columns = match link.columns() {
        Some(allowed) => all
            .iter()
            .filter(|c| allowed.contains(c))
            .cloned()
            .collect(),
        None => all.clone(),
    };
    Ok(Shared {
        dataset: Some(dataset),
        version: Some(version),
        job: None,
        columns,
        version_columns: all,
    })
}

/// A download through a link: an export's file (with `Range`) or a dataset exported while it
/// is sent, its slot taken before the first byte.
pub async fn serve_download(
    state: web::Data<AppState>,
    req: HttpRequest,
    credential: Credential,
    query: LinkDownloadQuery,
) -> ApiResult<HttpResponse> {
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let inner_visitor = visitor.clone();
    let range = RangeRequest::of(&req);
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
                    admit_export_file(conn, &app, &inner_visitor, resolved, job, &range, now)
                }
                None => Ok(Found::Dataset(Box::new((resolved, shared)))),
            }
        })
        .await?;
    match found {
        Found::File(admitted) => serve_export_file(state, visitor, *admitted).await,
        Found::Unsatisfiable(refused) => Ok(refused.response()),
        Found::Dataset(found) => {
            let (resolved, shared) = *found;
            serve_dataset_export(state, visitor, resolved, shared, query).await
        }
    }
}

/// What a download's first trip to the database found.
enum Found {
    /// An export's file, admitted: its slot is taken.
    File(Box<AdmittedFile>),
    /// An export's file, but not the range asked for: no slot taken.
    Unsatisfiable(Unsatisfiable),
    /// A dataset, to export while it is sent.
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
    let watch = Box::new(move |progress: ExportProgress| {
        produced.record(
            progress.summary.bytes,
            progress.summary.rows,
            progress.total_rows,
            progress.finished,
        );
    });
    let (media_type, stream) =
        match stream_export_watched(&state, plugin, source, spec, watch).await {
            Ok(started) => started,
            Err(err) => {
                // Nothing was sent: the slot goes back.
                download::abandon(ticket, state.db.clone(), state.storage.clone(), visitor);
                return Err(err);
            }
        };
    // Made while it is sent: no length to state, and no range to take from it.
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header(attachment(&filename))
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
    file_name: String,
    media_type: String,
    file: std::fs::File,
    span: Span,
    validator: Validator,
    ticket: download::Ticket,
}

/// Opens the shared file, checks the requested range, then runs the level, token and slot
/// checks (runs on the blocking pool, inside [`serve_download`]'s trip to the database). A
/// range refused takes no slot.
fn admit_export_file(
    conn: &mut AnyConnection,
    state: &AppState,
    visitor: &Visitor,
    resolved: Resolved,
    job: ExportJob,
    range: &RangeRequest,
    now: i64,
) -> Result<Found, ApiError> {
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
    let validator = Validator::of_export(&job.id, size, job.finished_at);
    let span = match range.select(size, &validator) {
        Ok(span) => span,
        Err(refused) => return Ok(Found::Unsatisfiable(refused)),
    };
    // A counted download (the link's limit, or the token's) counts by how far into the file
    // it reached, so a range must run to the end: resuming (`bytes=N-`) works, fetching the
    // middle again and again does not.
    let counted = resolved.link.max_downloads.is_some()
        || resolved
            .token
            .as_ref()
            .is_some_and(|token| token.reads_download_counts);
    if counted && !span.runs_to_end() {
        return Ok(Found::Unsatisfiable(Unsatisfiable::new(
            size,
            "this link counts downloads: ask for the rest of the file from an offset (bytes=N-)",
        )));
    }
    let reach = Reach {
        operation: Operation::Download,
        format: Some(&job.format),
        columns: &[],
        version: i64::from(job.version),
    };
    let extent = Extent::File {
        start: span.start,
        end: span.end,
        size,
    };
    let ticket = links::admit_download(&state.db, conn, &resolved, &reach, extent, visitor, now)?;
    Ok(Found::File(Box::new(AdmittedFile {
        file_name: job.file_name.unwrap_or_else(|| "export".into()),
        media_type,
        file,
        span,
        validator,
        ticket,
    })))
}

async fn serve_export_file(
    state: web::Data<AppState>,
    visitor: Visitor,
    admitted: AdmittedFile,
) -> ApiResult<HttpResponse> {
    let AdmittedFile {
        file_name,
        media_type,
        file,
        span,
        validator,
        ticket,
    } = admitted;
    let body = match file_body(tokio::fs::File::from_std(file), span).await {
        Ok(body) => body,
        Err(err) => {
            // Nothing was sent: the slot goes back.
            download::abandon(ticket, state.db.clone(), state.storage.clone(), visitor);
            return Err(ApiError::internal(err));
        }
    };
    Ok(
        file_response(span, &validator, &media_type, &file_name).streaming(CountedBody::new(
            body,
            ticket,
            state.db.clone(),
            state.storage.clone(),
            visitor,
            state.config.link_download_count_percent,
        )),
    )
}

/// The rows a view link shows: its first `link_view_rows`, in the columns asked for among
/// those the link and its token reveal.
pub async fn serve_rows(
    state: web::Data<AppState>,
    req: HttpRequest,
    credential: Credential,
    query: LinkRowsQuery,
) -> ApiResult<web::Json<LinkRowsView>> {
    let (offset, limit) = crate::http::paging::row_window(
        query.offset,
        query.limit,
        state.config.max_preview_rows as i64,
    )?;
    // View means the page, the metadata and the first rows: no paging past them.
    let visible = state.config.link_view_rows as i64;
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let asked = query.columns.as_deref().map(parse_column_list);
    let (version, all, columns) = state
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
            Ok::<_, ApiError>((version, shared.version_columns, columns))
        })
        .await?;
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
