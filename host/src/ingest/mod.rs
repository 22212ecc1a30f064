//! Turning an uploaded file into an immutable Parquet dataset version.
//!
//! The upload handler streams the file to a temporary file in the data folder (never holding
//! it whole in memory); [`ingest`] then checks it, parses it with polars and writes Parquet to
//! a second temporary file, which the caller renames into place before committing the
//! database row. Every failure is an [`IngestError`] that names the problem, and the line
//! where it is known, in words a researcher understands.

pub mod admission;
pub mod checks;
mod convert;
pub mod format;
pub mod preview;
pub mod schema;
pub mod xlsx;

use std::path::Path;

pub use format::SourceFormat;
pub use schema::{ColumnInfo, stored_columns};

/// Tunables taken from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct IngestOptions {
    /// Rows sampled to infer column types; a full scan follows if the sample was misleading.
    pub infer_schema_rows: usize,
    /// The delimited-text checks already ran (while the upload arrived).
    pub already_checked: bool,
    /// Most columns a file may have, in any format (`max_columns`).
    pub max_columns: usize,
    /// Bounds on what an Excel workbook may expand to.
    pub max_xlsx_uncompressed_bytes: u64,
    pub max_xlsx_compression_ratio: u64,
}

impl IngestOptions {
    fn xlsx_limits(&self) -> xlsx::XlsxLimits {
        xlsx::XlsxLimits {
            max_columns: self.max_columns,
            max_uncompressed_bytes: self.max_xlsx_uncompressed_bytes,
            max_compression_ratio: self.max_xlsx_compression_ratio,
        }
    }
}

/// A parsed upload, written as Parquet to a temporary file awaiting its final place.
#[derive(Debug)]
pub struct Ingested {
    pub parquet: tempfile::NamedTempFile,
    pub summary: IngestSummary,
}

/// What was read from an upload.
#[derive(Debug, Clone)]
pub struct IngestSummary {
    pub rows: i64,
    pub columns: Vec<ColumnInfo>,
    /// Size of the Parquet file.
    pub size_bytes: i64,
    /// Hex SHA-256 of the Parquet file.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: expected {expected} fields like the header, found {found}")]
    Ragged {
        line: u64,
        expected: u64,
        found: u64,
    },
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Unsupported(String),
    /// More columns than `max_columns` (or than Excel has); the message names both counts.
    #[error("{0}")]
    TooManyColumns(String),
    /// A worksheet beyond Excel's rows.
    #[error("{0}")]
    TooManyRows(String),
    /// A workbook that expands beyond the decompressed size or ratio it may have.
    #[error("{0}")]
    WorkbookTooLarge(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("conversion failed: {0}")]
    Internal(String),
}

/// Checks and converts `source` (in `format`) into Parquet inside `tmp_dir`.
pub fn ingest(
    source: &Path,
    format: SourceFormat,
    tmp_dir: &Path,
    options: IngestOptions,
) -> Result<Ingested, IngestError> {
    if std::fs::metadata(source)?.len() == 0 {
        return Err(IngestError::Empty);
    }
    let parquet = tempfile::Builder::new()
        .prefix("ingest-")
        .suffix(".parquet")
        .tempfile_in(tmp_dir)?;
    match format {
        SourceFormat::Csv | SourceFormat::Tsv => {
            let separator = if format == SourceFormat::Tsv {
                b'\t'
            } else {
                b','
            };
            if !options.already_checked {
                checks::check_delimited(source, separator, options.max_columns)?;
            }
            convert::delimited_to_parquet(source, separator, parquet.path(), options)?;
        }
        SourceFormat::Parquet => {
            convert::parquet_to_parquet(source, parquet.path(), options.max_columns)?
        }
        SourceFormat::Ndjson => {
            checks::check_json_columns(source, checks::JsonShape::Lines, options.max_columns)?;
            convert::ndjson_to_parquet(source, parquet.path(), options)?
        }
        SourceFormat::Json => match checks::sniff_json(source)? {
            shape @ checks::JsonShape::Array => {
                checks::check_json_columns(source, shape, options.max_columns)?;
                convert::json_array_to_parquet(source, parquet.path())?
            }
            shape @ checks::JsonShape::Lines => {
                checks::check_json_columns(source, shape, options.max_columns)?;
                convert::ndjson_to_parquet(source, parquet.path(), options)?
            }
        },
        SourceFormat::Xlsx => xlsx::xlsx_to_parquet(source, parquet.path(), options.xlsx_limits())?,
    }
    let (rows, columns) = schema::describe_parquet(parquet.path())?;
    let (size_bytes, sha256) = checks::size_and_sha256(parquet.path())?;
    Ok(Ingested {
        parquet,
        summary: IngestSummary {
            rows,
            columns,
            size_bytes,
            sha256,
        },
    })
}

/// The refusal of a file with more columns than the server takes.
pub fn too_many_columns(found: u64, limit: usize) -> IngestError {
    IngestError::TooManyColumns(format!(
        "the file has {found} columns; this server takes at most {limit} (max_columns)"
    ))
}
