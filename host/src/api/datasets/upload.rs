//! Uploads: a new dataset, or a new version of one.
//!
//! The multipart body is streamed to a temporary file in the data folder, counting bytes as
//! they arrive so an oversized upload stops at the limit, not after it. Conversion runs on the
//! blocking pool (bounded by [`AppState::conversions`]); the Parquet result is renamed into
//! place and only then is the row committed. Any failure removes both temporary files.

use actix_multipart::{Field, Multipart};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use futures_util::TryStreamExt;
use tokio::io::AsyncWriteExt;

use super::UploadedView;
use crate::access::{self, Level};
use crate::api::not_found_as;
use crate::api::required_text;
use crate::api::teams::team_for_caller;
use crate::auth::Caller;
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::db::new_id;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::ingest::{self, IngestOptions, IngestSummary, Ingested, SourceFormat};
use crate::state::AppState;
use crate::storage::Storage;
use crate::time::now_millis;

/// Text fields are small; this caps each one.
const MAX_TEXT_FIELD: usize = 64 * 1024;

/// The parts of an upload form.
struct UploadForm {
    file: Option<ReceivedFile>,
    name: Option<String>,
    description: Option<String>,
    team: Option<String>,
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
    /// The data: CSV, TSV, Parquet, NDJSON, JSON or Excel (.xlsx).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Defaults to the file name without its extension.
    name: Option<String>,
    description: Option<String>,
    /// Team id or name the dataset belongs to.
    team: Option<String>,
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

async fn read_form(state: &AppState, mut multipart: Multipart) -> Result<UploadForm, ApiError> {
    let mut form = UploadForm {
        file: None,
        name: None,
        description: None,
        team: None,
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
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown form field '{other}'; expected file, name, description or team"
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
    // Delimited text is checked while it arrives, on the blocking pool, so the check costs
    // no time after the upload ends.
    let separator = match format {
        SourceFormat::Csv => Some(b','),
        SourceFormat::Tsv => Some(b'\t'),
        _ => None,
    };
    let (check_tx, check) = match separator {
        Some(separator) => {
            let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
            let check = tokio::task::spawn_blocking(move || {
                ingest::checks::check_delimited_reader(
                    ChannelReader {
                        rx,
                        current: Bytes::new(),
                    },
                    separator,
                )
            });
            (Some(tx), Some(check))
        }
        None => (None, None),
    };
    let mut head: Vec<u8> = Vec::new();
    let mut head_done = !strip_bom;
    let mut bytes: u64 = 0;
    while let Some(chunk) = field.try_next().await.map_err(multipart_error)? {
        bytes += chunk.len() as u64;
        if bytes > limit {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the file is larger than the {} limit", human_bytes(limit)),
            ));
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
        if let Some(tx) = &check_tx {
            // A closed channel means the check already failed; its result says why.
            let _ = tx.send(data).await;
        }
    }
    if !head_done && head != b"\xEF\xBB\xBF" {
        out.write_all(&head).await.map_err(ApiError::internal)?;
        if let Some(tx) = &check_tx {
            let _ = tx.send(Bytes::copy_from_slice(&head)).await;
        }
    }
    out.flush().await.map_err(ApiError::internal)?;
    drop(check_tx);
    if let Some(check) = check {
        if bytes == 0 {
            return Err(ingest::IngestError::Empty.into());
        }
        check.await.map_err(ApiError::internal)??;
    }
    Ok(ReceivedFile {
        temp,
        filename,
        format,
        bytes,
        checked: separator.is_some(),
    })
}

/// Reads the chunks of an upload as they arrive, for the streaming checks.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
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

fn version_row(
    dataset_id: &str,
    version: i32,
    file: &ReceivedFile,
    summary: &IngestSummary,
    user_id: &str,
    now: i64,
) -> Result<DatasetVersion, ApiError> {
    Ok(DatasetVersion {
        dataset_id: dataset_id.to_owned(),
        version,
        file_path: Storage::version_relative_path(dataset_id, version),
        original_filename: file.filename.clone(),
        source_format: file.format.as_str().to_owned(),
        row_count: summary.rows,
        schema_json: serde_json::to_string(&summary.columns).map_err(ApiError::internal)?,
        size_bytes: summary.size_bytes,
        source_bytes: file.bytes as i64,
        sha256: summary.sha256.clone(),
        created_by: Some(user_id.to_owned()),
        created_at: now,
    })
}

fn default_name(filename: &str) -> String {
    let stem = filename
        .rsplit_once('.')
        .map(|(stem, _)| stem)
        .unwrap_or(filename);
    let stem = stem.trim();
    if stem.is_empty() {
        "Untitled dataset".to_owned()
    } else {
        stem.chars().take(200).collect()
    }
}

/// Uploads a file as a new dataset.
#[utoipa::path(post, path = "/api/v1/datasets", tag = "datasets",
    request_body(content = UploadRequest, content_type = "multipart/form-data"), responses(
    (status = 201, body = UploadedView),
    (status = 400, description = "Empty, malformed or ragged file", body = crate::error::ErrorBody),
    (status = 413, description = "Larger than max_upload_bytes", body = crate::error::ErrorBody),
    (status = 415, description = "Not a supported format", body = crate::error::ErrorBody),
))]
pub async fn create_dataset(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    multipart: Multipart,
) -> ApiResult<HttpResponse> {
    require_multipart(&req)?;
    let form = read_form(&state, multipart).await?;
    let Some(file) = form.file else {
        return Err(ApiError::bad_request("the upload has no 'file' field"));
    };
    let name = match &form.name {
        Some(name) => required_text("name", name, 200)?,
        None => default_name(&file.filename),
    };
    let description = form.description.unwrap_or_default().trim().to_owned();

    // Check the team before spending time on conversion.
    let team_id = match form.team.filter(|t| !t.trim().is_empty()) {
        Some(reference) => {
            let caller = caller.clone();
            Some(
                state
                    .db
                    .run(move |conn| team_for_caller(conn, &caller, &reference).map(|t| t.id))
                    .await?,
            )
        }
        None => None,
    };

    let ingested = convert(&state, &file).await?;
    let now = now_millis();
    let dataset = Dataset {
        id: new_id(),
        owner_id: caller.user.id.clone(),
        team_id,
        name,
        description,
        tags: "[]".into(),
        licence: None,
        latest_version: 1,
        created_at: now,
        updated_at: now,
    };
    let summary = ingested.summary.clone();
    let version = version_row(&dataset.id, 1, &file, &summary, &caller.user.id, now)?;
    let view = UploadedView::new(dataset.id.clone(), dataset.name.clone(), 1, summary);
    let storage = state.storage.clone();
    let relative = version.file_path.clone();
    web::block(move || storage.persist(ingested.parquet, &relative))
        .await?
        .map_err(ApiError::internal)?;
    let files = vec![version.file_path.clone()];
    let result = state
        .db
        .run(move |conn| Dataset::create(conn, &dataset, &version))
        .await;
    if let Err(err) = result {
        state.storage.remove_files(&files);
        return Err(err.into());
    }
    tracing::info!(user = %caller.user.id, dataset = %view.id, rows = view.rows, "dataset created");
    Ok(HttpResponse::Created().json(view))
}

/// Uploads a new version of a dataset (editors); earlier versions stay readable.
#[utoipa::path(post, path = "/api/v1/datasets/{id}/versions", tag = "datasets", params(("id" = String, Path)),
    request_body(content = UploadRequest, content_type = "multipart/form-data"), responses(
    (status = 201, body = UploadedView),
    (status = 400, body = crate::error::ErrorBody),
    (status = 403, body = crate::error::ErrorBody),
    (status = 404, body = crate::error::ErrorBody),
    (status = 413, body = crate::error::ErrorBody),
    (status = 415, body = crate::error::ErrorBody),
))]
pub async fn create_version(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    multipart: Multipart,
) -> ApiResult<HttpResponse> {
    require_multipart(&req)?;
    let id = id.into_inner();
    {
        let caller = caller.clone();
        let id = id.clone();
        state
            .db
            .run(move |conn| {
                let dataset = Dataset::find(conn, &id).map_err(|e| not_found_as(e, "dataset"))?;
                access::require_dataset(conn, &caller, &dataset, Level::Edit).map(|_| ())
            })
            .await?;
    }
    let form = read_form(&state, multipart).await?;
    if form.name.is_some() || form.team.is_some() || form.description.is_some() {
        return Err(ApiError::bad_request(
            "a new version takes only the 'file' field; change metadata with PATCH",
        ));
    }
    let Some(file) = form.file else {
        return Err(ApiError::bad_request("the upload has no 'file' field"));
    };
    let ingested = convert(&state, &file).await?;
    let now = now_millis();
    let summary = ingested.summary.clone();
    let row_template = version_row(&id, 0, &file, &summary, &caller.user.id, now)?;

    // The version number is fixed inside the transaction, so the file is stored under a
    // provisional name first and renamed once the number is known, before the commit.
    let provisional = format!("datasets/{id}/incoming-{}.parquet", new_id());
    let storage = state.storage.clone();
    let target = provisional.clone();
    web::block(move || storage.persist(ingested.parquet, &target))
        .await?
        .map_err(ApiError::internal)?;
    let storage = state.storage.clone();
    let dataset_id = id.clone();
    let from = provisional.clone();
    let result = state
        .db
        .run(move |conn| {
            use diesel::Connection;
            conn.transaction::<_, ApiError, _>(|conn| {
                let version = Dataset::add_version(
                    conn,
                    &dataset_id,
                    |number| DatasetVersion {
                        version: number,
                        file_path: Storage::version_relative_path(&dataset_id, number),
                        ..row_template
                    },
                    now,
                )?;
                // A failed rename rolls the new row back with it.
                std::fs::rename(
                    storage.absolute(&from),
                    storage.absolute(&version.file_path),
                )
                .map_err(ApiError::internal)?;
                let name = Dataset::find(conn, &dataset_id)?.name;
                Ok((version, name))
            })
        })
        .await;
    let (version, name) = match result {
        Ok(done) => done,
        Err(err) => {
            state.storage.remove_files(&[provisional]);
            return Err(err);
        }
    };
    tracing::info!(user = %caller.user.id, dataset = %id, version = version.version, "dataset version added");
    Ok(HttpResponse::Created().json(UploadedView::new(id, name, version.version, summary)))
}
