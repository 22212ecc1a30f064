//! Uploads: a new dataset, or a new version of one.
//!
//! The multipart body is streamed to a temporary file in the data folder, counting bytes as
//! they arrive so an oversized upload stops at the limit, not after it. Conversion runs on the
//! blocking pool (bounded by [`AppState::conversions`]); the Parquet result is renamed into
//! place and only then is the row committed. Any failure removes both temporary files.
//!
//! Receiving a body holds no thread while it waits for the client (issue 14, item 6): the
//! delimited-text check is fed on this task as chunks arrive, so the blocking pool stays free
//! for the database calls of everyone else. What a client can hold instead is bounded: an
//! upload is admitted only within `max_concurrent_uploads_per_user` (else 429) and
//! `max_concurrent_uploads` (else 503), both with `Retry-After`, and a body that arrives
//! slower than `min_upload_bytes_per_second`, measured over `upload_rate_window_seconds`, is
//! dropped with `408 upload_too_slow`.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_multipart::{Field, Multipart};
use actix_web::error::PayloadError;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use tokio::io::AsyncWriteExt;

use super::UploadedView;
use crate::access::Caller;
use crate::datasets;
use crate::http::access::{Edit, OnDataset, deferred};
use crate::http::api::required_text;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::human;
use crate::ingest::admission::{self, Refusal, UploadSlot};
use crate::ingest::checks::DelimitedCheck;
use crate::ingest::schema::SchemaChange;
use crate::ingest::{self, IngestOptions, Ingested, SourceFormat};
use crate::state::AppState;
use crate::time::now_millis;

/// Text fields are small; this caps each one.
const MAX_TEXT_FIELD: usize = 64 * 1024;

/// The parts of an upload form.
struct UploadForm {
    file: Option<ReceivedFile>,
    name: Option<String>,
    description: Option<String>,
    team: Option<String>,
    message: Option<String>,
}

struct ReceivedFile {
    temp: tempfile::NamedTempFile,
    filename: String,
    format: SourceFormat,
    bytes: u64,
    /// The streaming checks ran while the file arrived.
    checked: bool,
}

/// The multipart form of an upload (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadRequest {
    /// The data: CSV, TSV, Parquet, NDJSON, JSON or Excel (.xlsx), told apart by the file
    /// name's extension or the part's content type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Defaults to the file name without its extension (trimmed; 1 to 200 characters). New
    /// datasets only.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: Option<String>,
    /// Trimmed; at most 64 KiB. New datasets only.
    description: Option<String>,
    /// The team (id or name) the dataset belongs to; the caller must be a member (`403`). New
    /// datasets only.
    team: Option<String>,
    /// The version's change note: what changed and why, kept with the version and shown in
    /// its history (trimmed; at most 2,000 characters).
    #[schema(max_length = 2000)]
    message: Option<String>,
}

fn require_multipart(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the upload as multipart/form-data with the data in a field named 'file'",
        ))
    }
}

/// Takes one of the caller's upload places, or refuses with the limit that is reached.
fn admit(state: &AppState, caller: &Caller) -> Result<UploadSlot, ApiError> {
    state.uploads.try_acquire(&caller.user.id).map_err(|refusal| {
        tracing::warn!(user = %caller.user.id, ?refusal, "upload refused: too many in progress");
        let (code, message) = match refusal {
            Refusal::PerUser { limit } => (
                ErrorCode::TooManyUploads,
                format!(
                    "you already have {limit} uploads in progress, the most this server takes \
                     from one user at once; wait for one to finish"
                ),
            ),
            Refusal::Total { limit } => (
                ErrorCode::UploadsBusy,
                format!(
                    "the server is receiving {limit} uploads, the most it takes at once; try \
                     again shortly"
                ),
            ),
        };
        ApiError {
            retry_after: Some(admission::RETRY_AFTER_SECONDS),
            ..ApiError::new(code, message)
        }
    })
}

/// The request body, cut off once it arrives slower than the configured minimum.
///
/// The body must bring at least `min_bytes` in every window of `window`, the first window
/// starting when the handler begins to read it. The window is judged only while waiting for
/// the client (the body has nothing ready): time this server spent elsewhere, with the client's
/// bytes already waiting, never counts against the client.
struct MinimumRate<S> {
    inner: S,
    min_bytes: u64,
    window: Duration,
    received: u64,
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// Set when the body was cut off, for the handler to answer with the right error.
    tripped: Rc<Cell<bool>>,
}

impl<S> MinimumRate<S> {
    fn new(inner: S, bytes_per_second: u64, window: Duration, tripped: Rc<Cell<bool>>) -> Self {
        Self {
            inner,
            min_bytes: bytes_per_second.saturating_mul(window.as_secs().max(1)),
            window,
            received: 0,
            deadline: Box::pin(tokio::time::sleep(window)),
            tripped,
        }
    }
}

impl<S> Stream for MinimumRate<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.tripped.get() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        if this.min_bytes == 0 {
            return Poll::Pending;
        }
        while this.deadline.as_mut().poll(cx).is_ready() {
            if this.received < this.min_bytes {
                this.tripped.set(true);
                return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the upload arrived slower than the minimum rate",
                )))));
            }
            this.received = 0;
            let next = tokio::time::Instant::now() + this.window;
            this.deadline.as_mut().reset(next);
        }
        Poll::Pending
    }
}

/// Reads the form from the body, within the minimum upload rate.
async fn read_form(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<UploadForm, ApiError> {
    let tripped = Rc::new(Cell::new(false));
    let body = MinimumRate::new(
        payload,
        state.config.min_upload_bytes_per_second,
        Duration::from_secs(state.config.upload_rate_window_seconds),
        Rc::clone(&tripped),
    );
    let multipart = Multipart::new(req.headers(), body);
    let result = read_fields(state, multipart).await;
    if tripped.get() {
        let config = &state.config;
        return Err(ApiError::new(
            ErrorCode::UploadTooSlow,
            format!(
                "the upload arrived slower than {} per second over {} seconds, the slowest \
                 this server accepts; send it again over a faster connection",
                human::size(config.min_upload_bytes_per_second),
                config.upload_rate_window_seconds
            ),
        ));
    }
    result
}

async fn read_fields(state: &AppState, mut multipart: Multipart) -> Result<UploadForm, ApiError> {
    let mut form = UploadForm {
        file: None,
        name: None,
        description: None,
        team: None,
        message: None,
    };
    while let Some(field) = multipart.try_next().await.map_err(multipart_error)? {
        let field_name = field.name().unwrap_or_default().to_owned();
        match field_name.as_str() {
            "file" => {
                if form.file.is_some() {
                    return Err(ApiError::bad_request("send one file per upload"));
                }
                form.file = Some(receive_file(state, field).await?);
            }
            "name" => form.name = Some(read_text(field, "name").await?),
            "description" => form.description = Some(read_text(field, "description").await?),
            "team" => form.team = Some(read_text(field, "team").await?),
            "message" => form.message = Some(read_text(field, "message").await?),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown form field '{other}'; expected file, name, description, team or \
                     message"
                )));
            }
        }
    }
    Ok(form)
}

fn multipart_error(err: actix_multipart::MultipartError) -> ApiError {
    ApiError::bad_request(format!("the upload could not be read: {err}"))
}

async fn read_text(mut field: Field, name: &str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD {
            return Err(ApiError::validation(format!(
                "the field '{name}' is too long"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request(format!("the field '{name}' is not UTF-8 text")))
}

async fn receive_file(state: &AppState, mut field: Field) -> Result<ReceivedFile, ApiError> {
    let filename = field
        .content_disposition()
        .and_then(|cd| cd.get_filename().map(str::to_owned))
        .unwrap_or_default();
    let content_type = field.content_type().map(|m| m.essence_str().to_owned());
    let format = SourceFormat::detect(
        Some(filename.as_str()).filter(|f| !f.is_empty()),
        content_type.as_deref(),
    )
    .map_err(|message| ApiError::new(ErrorCode::UnsupportedFormat, message))?;

    let limit = state.config.max_upload_bytes;
    let temp = state
        .storage
        .temp_file(&format!(".{}", format.as_str()))
        .map_err(ApiError::internal)?;
    let std_file = temp.reopen().map_err(ApiError::internal)?;
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(std_file));
    let strip_bom = matches!(
        format,
        SourceFormat::Csv | SourceFormat::Tsv | SourceFormat::Json | SourceFormat::Ndjson
    );
    // Delimited text is checked while it arrives, so the check costs no time after the upload
    // ends; it runs here, between reads, and so never waits on the client with a thread held.
    let separator = match format {
        SourceFormat::Csv => Some(b','),
        SourceFormat::Tsv => Some(b'\t'),
        _ => None,
    };
    let max_columns = state.config.max_columns;
    let mut check = separator.map(|separator| DelimitedCheck::new(separator, max_columns));
    // The first problem the check found. The rest of the body is still read (within the size
    // and rate limits) but not stored, so that the client hears the answer instead of a reset.
    let mut failure: Option<ingest::IngestError> = None;
    let mut head: Vec<u8> = Vec::new();
    let mut head_done = !strip_bom;
    let mut bytes: u64 = 0;
    while let Some(chunk) = field.try_next().await.map_err(multipart_error)? {
        bytes += chunk.len() as u64;
        if bytes > limit {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the file is larger than the {} limit", human::size(limit)),
            ));
        }
        if failure.is_some() {
            continue;
        }
        let data = if head_done {
            chunk
        } else {
            // A UTF-8 byte order mark is not data; drop it before the parsers see it.
            head.extend_from_slice(&chunk);
            if head.len() < 3 {
                continue;
            }
            head_done = true;
            let start = if head.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                0
            };
            Bytes::copy_from_slice(&head[start..])
        };
        out.write_all(&data).await.map_err(ApiError::internal)?;
        if let Some(check) = check.as_mut()
            && let Err(err) = check.feed(&data)
        {
            failure = Some(err);
        }
    }
    if let Some(err) = failure {
        return Err(err.into());
    }
    if !head_done && head != b"\xEF\xBB\xBF" {
        out.write_all(&head).await.map_err(ApiError::internal)?;
        if let Some(check) = check.as_mut() {
            check.feed(&head)?;
        }
    }
    out.flush().await.map_err(ApiError::internal)?;
    if let Some(check) = check {
        if bytes == 0 {
            return Err(ingest::IngestError::Empty.into());
        }
        check.finish()?;
    }
    Ok(ReceivedFile {
        temp,
        filename,
        format,
        bytes,
        checked: separator.is_some(),
    })
}

/// Converts the received file to Parquet on the blocking pool.
async fn convert(state: &AppState, file: &ReceivedFile) -> Result<Ingested, ApiError> {
    let _slot = state
        .conversions
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    let source = file.temp.path().to_path_buf();
    let format = file.format;
    let tmp_dir = state.storage.tmp_dir();
    let options = IngestOptions {
        infer_schema_rows: state.config.infer_schema_rows,
        already_checked: file.checked,
        max_columns: state.config.max_columns,
        max_xlsx_uncompressed_bytes: state.config.max_xlsx_uncompressed_bytes,
        max_xlsx_compression_ratio: state.config.max_xlsx_compression_ratio,
    };
    let started = std::time::Instant::now();
    let ingested = web::block(move || ingest::ingest(&source, format, &tmp_dir, options)).await??;
    tracing::info!(
        format = format.as_str(),
        source_bytes = file.bytes,
        rows = ingested.summary.rows,
        columns = ingested.summary.columns.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "upload converted"
    );
    Ok(ingested)
}

/// Uploads a file as a new dataset.
///
/// Any signed-in caller (a token needs `write`); the caller owns the new dataset, and with
/// `team` its team's members reach it too. The body is `multipart/form-data` (`415`
/// otherwise) with the data in `file`; unknown fields are refused (`400`). The file is checked
/// as it arrives and converted to Parquet; a refused upload leaves nothing behind. Limits, each
/// an operator's setting: size (`413`), columns (`413`), Excel's own row and column limits and
/// a workbook's unpacked size (`413`), uploads at once per user (`429`) and in all (`503`),
/// both with `Retry-After`, and a minimum speed (`408`). Not idempotent: each upload makes a
/// dataset.
#[utoipa::path(post, path = "/api/v1/datasets", tag = "datasets",
    request_body(content = UploadRequest, content_type = "multipart/form-data"), responses(
    (status = 201, body = UploadedView),
    (status = 400, description = "Empty, malformed or ragged file", body = crate::http::error::ErrorBody),
    (status = 408, description = "Arrived slower than min_upload_bytes_per_second", body = crate::http::error::ErrorBody),
    (status = 413, description = "Larger than max_upload_bytes, more columns than max_columns, more rows or columns than Excel has, or a workbook that expands beyond max_xlsx_uncompressed_bytes or max_xlsx_compression_ratio", body = crate::http::error::ErrorBody),
    (status = 415, description = "Not a supported format", body = crate::http::error::ErrorBody),
    (status = 429, description = "The caller has max_concurrent_uploads_per_user uploads in progress; see Retry-After", body = crate::http::error::ErrorBody),
    (status = 503, description = "The server has max_concurrent_uploads uploads in progress; see Retry-After", body = crate::http::error::ErrorBody),
))]
pub async fn create_dataset(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    require_multipart(&req)?;
    let _slot = admit(&state, &caller)?;
    let form = read_form(&state, &req, payload).await?;
    let Some(file) = form.file else {
        return Err(ApiError::bad_request("the upload has no 'file' field"));
    };
    let name = match &form.name {
        Some(name) => required_text("name", name, 200)?,
        None => datasets::default_name(&file.filename),
    };
    let description = form.description.unwrap_or_default().trim().to_owned();
    if let Some(message) = &form.message {
        datasets::change_note(message)?;
    }

    // Check the team before spending time on conversion.
    let team_id = match form.team.filter(|t| !t.trim().is_empty()) {
        Some(reference) => {
            let caller = caller.clone();
            Some(
                state
                    .db
                    .run(move |conn| crate::teams::named(conn, &caller, &reference).map(|t| t.id))
                    .await?,
            )
        }
        None => None,
    };

    let ingested = convert(&state, &file).await?;
    let summary = ingested.summary.clone();
    let new = datasets::NewDataset {
        owner_id: caller.user.id.clone(),
        team_id,
        name,
        description,
    };
    let (dataset, version) = datasets::create(
        &state.db,
        &state.storage,
        new,
        &upload_of(&file, form.message.as_deref()),
        ingested,
        now_millis(),
    )
    .await?;
    crate::explore::summary::prepare(state.db.clone(), state.storage.clone(), version);
    let view = UploadedView::new(dataset.id, dataset.name, 1, summary);
    tracing::info!(user = %caller.user.id, dataset = %view.id, rows = view.rows, "dataset created");
    Ok(HttpResponse::Created().json(view))
}

/// The file as the domain needs it.
fn upload_of<'a>(file: &'a ReceivedFile, message: Option<&'a str>) -> datasets::Upload<'a> {
    datasets::Upload {
        filename: &file.filename,
        format: file.format,
        bytes: file.bytes,
        message: message.unwrap_or_default(),
    }
}

/// How a new version's upload is to be taken.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionUploadQuery {
    /// Check the file and answer how it differs from the current version (`200`), storing
    /// nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Make the version even though its columns differ from the current version's (added,
    /// removed or retyped); without it such an upload answers `409 schema_changed`.
    #[serde(default)]
    pub confirm_schema_change: bool,
}

/// What a dry run of a new version found: how it would differ from the current version.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(examples(json!({
    "schema_change": {
        "added": [{"name": "depth_m", "type": "float"}],
        "removed": [],
        "retyped": [{"column": "site", "from": "integer", "to": "string"}]
    },
    "rows": 120,
    "current_rows": 96,
    "current_version": 3,
    "columns": [
        {"name": "site", "type": "string"},
        {"name": "depth_m", "type": "float"}
    ]
})))]
pub struct VersionCheckView {
    /// Columns added, removed and retyped; all empty when the schema is the same.
    pub schema_change: SchemaChange,
    /// Rows in the file as it would be stored.
    pub rows: i64,
    /// Rows in the current version.
    pub current_rows: i64,
    /// The version it is compared with.
    pub current_version: i32,
    /// The file's columns, as the new version would have them.
    pub columns: Vec<crate::ingest::ColumnInfo>,
}

/// Uploads a new version of a dataset (editors); earlier versions stay readable.
///
/// Needs `edit` on the dataset (`403` with less, `404` without any access). The same form and
/// limits as a new upload, with `file` and `message` alone: metadata changes go through
/// `PATCH` (`400`). With `dry_run=true` the file is checked and converted, nothing is stored,
/// and the answer (`200`) says how its columns differ from the current version's and both row
/// counts. A file whose columns differ (added, removed or retyped; a column only moved is no
/// change) is refused with `409 schema_changed`, naming the changes, unless
/// `confirm_schema_change=true`. The version number is the next one, even under concurrent
/// uploads. The decision is audited (`access.dataset`). Not idempotent: each upload makes a
/// version.
#[utoipa::path(post, path = "/api/v1/datasets/{id}/versions", tag = "datasets", params(("id" = String, Path), VersionUploadQuery),
    request_body(content = UploadRequest, content_type = "multipart/form-data"), responses(
    (status = 200, description = "A dry run: what the upload would change", body = VersionCheckView),
    (status = 201, body = UploadedView),
    (status = 400, body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 408, body = crate::http::error::ErrorBody),
    (status = 409, description = "`schema_changed`: the columns differ and the change was not confirmed", body = crate::http::error::ErrorBody),
    (status = 413, body = crate::http::error::ErrorBody),
    (status = 415, body = crate::http::error::ErrorBody),
    (status = 429, body = crate::http::error::ErrorBody),
    (status = 503, body = crate::http::error::ErrorBody),
))]
pub async fn create_version(
    on: OnDataset<Edit>,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: deferred::Query<VersionUploadQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    require_multipart(&req)?;
    let query = query.read().await?.into_inner();
    let OnDataset {
        dataset, caller, ..
    } = on;
    let _slot = admit(&state, &caller)?;
    let id = dataset.id;
    let form = read_form(&state, &req, payload).await?;
    if form.name.is_some() || form.team.is_some() || form.description.is_some() {
        return Err(ApiError::bad_request(
            "a new version takes only the 'file' field; change metadata with PATCH",
        ));
    }
    let Some(file) = form.file else {
        return Err(ApiError::bad_request("the upload has no 'file' field"));
    };
    if let Some(message) = &form.message {
        datasets::change_note(message)?;
    }
    let ingested = convert(&state, &file).await?;
    let summary = ingested.summary.clone();
    if query.dry_run {
        // The converted file is dropped with `ingested`: a dry run stores nothing.
        let columns = summary.columns.clone();
        let dataset_id = id.clone();
        let (current, schema_change) = state
            .db
            .run(move |conn| datasets::compare_with_current(conn, &dataset_id, &columns))
            .await?;
        drop(ingested);
        return Ok(HttpResponse::Ok().json(VersionCheckView {
            schema_change,
            rows: summary.rows,
            current_rows: current.row_count,
            current_version: current.version,
            columns: summary.columns,
        }));
    }
    let (version, name) = datasets::add_version(
        &state.db,
        &state.storage,
        &id,
        &upload_of(&file, form.message.as_deref()),
        ingested,
        &caller.user.id,
        query.confirm_schema_change,
        now_millis(),
    )
    .await?;
    tracing::info!(user = %caller.user.id, dataset = %id, version = version.version, "dataset version added");
    let number = version.version;
    crate::explore::summary::prepare(state.db.clone(), state.storage.clone(), version);
    Ok(HttpResponse::Created().json(UploadedView::new(id, name, number, summary)))
}
