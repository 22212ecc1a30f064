//! Parsing with polars and writing Parquet.
//!
//! Delimited text, NDJSON and Parquet go through polars' streaming engine (scan → sink), so
//! memory stays bounded whatever the file's size. A JSON array has no streaming reader and is
//! read whole. Excel workbooks have their own module ([`super::xlsx`]).

use std::fs::File;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use super::{IngestError, IngestOptions};

fn polars_error(err: PolarsError) -> IngestError {
    let text = err.to_string();
    // polars prefixes messages with context we do not need to show a researcher.
    let first = text.lines().next().unwrap_or(&text).trim().to_owned();
    IngestError::Malformed(format!("the file could not be parsed: {first}"))
}

fn path_ref(path: &Path) -> PlRefPath {
    PlRefPath::new(path.to_string_lossy().as_ref())
}

fn sink_parquet(frame: LazyFrame, target: &Path) -> PolarsResult<()> {
    frame
        .sink(
            SinkDestination::File {
                target: SinkTarget::Path(path_ref(target)),
            },
            FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions::default())),
            UnifiedSinkArgs::default(),
        )?
        .collect_with_engine(Engine::Streaming)?;
    Ok(())
}

pub fn delimited_to_parquet(
    source: &Path,
    separator: u8,
    target: &Path,
    options: IngestOptions,
) -> Result<(), IngestError> {
    let header = header_names(source, separator)?;
    let scan = |infer: Option<usize>| {
        let frame = LazyCsvReader::new(path_ref(source))
            .with_separator(separator)
            .with_has_header(true)
            .with_infer_schema_length(infer)
            .with_try_parse_dates(true)
            .with_raise_if_empty(true)
            .finish()?;
        with_header_names(frame, &header)
    };
    match scan(Some(options.infer_schema_rows.max(1))).and_then(|lf| sink_parquet(lf, target)) {
        Ok(()) => Ok(()),
        // The sample said one type and a later row disagreed: infer from every row instead.
        Err(first) if first.to_string().contains("could not parse") => {
            tracing::info!("type inference sample was misleading; scanning the whole file");
            scan(None)
                .and_then(|lf| sink_parquet(lf, target))
                .map_err(polars_error)
        }
        Err(err) => Err(polars_error(err)),
    }
}

/// The header's names as RFC 4180 reads them: a doubled quote inside a quoted name is one
/// quote (`"we""ird"` is `we"ird`), which polars' own reading of the header keeps doubled.
fn header_names(source: &Path, separator: u8) -> Result<Vec<String>, IngestError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(true)
        .from_path(source)
        .map_err(|e| IngestError::Malformed(format!("the header could not be read: {e}")))?;
    let header = reader
        .headers()
        .map_err(|e| IngestError::Malformed(format!("the header could not be read: {e}")))?;
    Ok(header.iter().map(str::to_owned).collect())
}

/// The frame with its columns named as the header names them, where polars named them
/// otherwise.
fn with_header_names(mut frame: LazyFrame, header: &[String]) -> PolarsResult<LazyFrame> {
    let schema = frame.collect_schema()?;
    let read: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    if read.len() != header.len() || read == header {
        return Ok(frame);
    }
    let (from, to): (Vec<&String>, Vec<&String>) = read
        .iter()
        .zip(header)
        .filter(|(read, named)| read != named)
        .unzip();
    Ok(frame.rename(from, to, true))
}

pub fn parquet_to_parquet(
    source: &Path,
    target: &Path,
    max_columns: usize,
) -> Result<(), IngestError> {
    let unreadable = |e: PolarsError| {
        IngestError::Malformed(format!(
            "the file is not a readable Parquet file: {}",
            e.to_string().lines().next().unwrap_or_default()
        ))
    };
    // The footer says how many columns there are (leaf columns, so that a struct of thousands
    // of fields counts as what it costs) before any data is read.
    let columns = ParquetReader::new(File::open(source)?)
        .get_metadata()
        .map_err(unreadable)?
        .schema()
        .columns()
        .len();
    if columns > max_columns {
        return Err(super::too_many_columns(columns as u64, max_columns));
    }
    LazyFrame::scan_parquet(path_ref(source), ScanArgsParquet::default())
        .and_then(|lf| sink_parquet(lf, target))
        .map_err(unreadable)
}

pub fn ndjson_to_parquet(
    source: &Path,
    target: &Path,
    options: IngestOptions,
) -> Result<(), IngestError> {
    LazyJsonLineReader::new(path_ref(source))
        .with_infer_schema_length(NonZeroUsize::new(options.infer_schema_rows.max(1)))
        .finish()
        .and_then(|lf| sink_parquet(lf, target))
        .map_err(polars_error)
}

pub fn json_array_to_parquet(source: &Path, target: &Path) -> Result<(), IngestError> {
    let mut frame = JsonReader::new(File::open(source)?)
        .with_json_format(JsonFormat::Json)
        .finish()
        .map_err(polars_error)?;
    write_frame(&mut frame, target)
}

fn write_frame(frame: &mut DataFrame, target: &Path) -> Result<(), IngestError> {
    ParquetWriter::new(File::create(target)?)
        .finish(frame)
        .map(|_| ())
        .map_err(|e| IngestError::Internal(e.to_string()))
}
