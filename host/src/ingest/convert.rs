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
    let scan = |infer: Option<usize>| {
        LazyCsvReader::new(path_ref(source))
            .with_separator(separator)
            .with_has_header(true)
            .with_infer_schema_length(infer)
            .with_try_parse_dates(true)
            .with_raise_if_empty(true)
            .finish()
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
