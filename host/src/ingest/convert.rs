//! Parsing with polars and writing Parquet.
//!
//! Delimited text, NDJSON and Parquet go through polars' streaming engine (scan → sink), so
//! memory stays bounded whatever the file's size. A JSON array and an Excel workbook have no
//! streaming reader; they are read whole, which their formats' own limits keep sane (Excel
//! stops at 1,048,576 rows).

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

pub fn parquet_to_parquet(source: &Path, target: &Path) -> Result<(), IngestError> {
    LazyFrame::scan_parquet(path_ref(source), ScanArgsParquet::default())
        .and_then(|lf| sink_parquet(lf, target))
        .map_err(|e| {
            IngestError::Malformed(format!(
                "the file is not a readable Parquet file: {}",
                e.to_string().lines().next().unwrap_or_default()
            ))
        })
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

/// Reads the first worksheet: the first row is the header, each column gets the narrowest type
/// that holds all its cells (integer, float, boolean, datetime, else text).
pub fn xlsx_to_parquet(source: &Path, target: &Path) -> Result<(), IngestError> {
    use calamine::{Data, Reader, Xlsx, open_workbook};

    let mut workbook: Xlsx<_> = open_workbook(source).map_err(|e| {
        IngestError::Malformed(format!("the file is not a readable Excel workbook: {e}"))
    })?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(IngestError::Empty);
    };
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| IngestError::Malformed(format!("worksheet '{sheet}' cannot be read: {e}")))?;
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Err(IngestError::Empty);
    };
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, cell)| match cell {
            Data::Empty => format!("column_{}", i + 1),
            other => other.to_string(),
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for name in &names {
        if !seen.insert(name) {
            return Err(IngestError::Malformed(format!(
                "row 1 of worksheet '{sheet}': the header names the column '{name}' twice"
            )));
        }
    }
    let body: Vec<&[Data]> = rows.collect();
    let mut columns = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let cells = body
            .iter()
            .map(|row| row.get(index).unwrap_or(&Data::Empty));
        columns.push(xlsx_column(name, cells.collect()));
    }
    let mut frame = DataFrame::new(body.len(), columns).map_err(polars_error)?;
    write_frame(&mut frame, target)
}

fn xlsx_column(name: &str, cells: Vec<&calamine::Data>) -> Column {
    use calamine::Data;
    let filled = || cells.iter().filter(|c| !matches!(c, Data::Empty));
    let name = PlSmallStr::from(name);
    let all = |test: fn(&Data) -> bool| filled().all(|c| test(c));

    if filled().next().is_none() {
        return Series::new(
            name,
            cells.iter().map(|_| None::<String>).collect::<Vec<_>>(),
        )
        .into();
    }
    if all(|c| {
        matches!(c, Data::Int(_))
            || matches!(c, Data::Float(f) if f.fract() == 0.0 && f.abs() < 9e15)
    }) {
        let values: Vec<Option<i64>> = cells
            .iter()
            .map(|c| match c {
                Data::Int(i) => Some(*i),
                Data::Float(f) => Some(*f as i64),
                _ => None,
            })
            .collect();
        return Series::new(name, values).into();
    }
    if all(|c| matches!(c, Data::Int(_) | Data::Float(_))) {
        let values: Vec<Option<f64>> = cells
            .iter()
            .map(|c| match c {
                Data::Int(i) => Some(*i as f64),
                Data::Float(f) => Some(*f),
                _ => None,
            })
            .collect();
        return Series::new(name, values).into();
    }
    if all(|c| matches!(c, Data::Bool(_))) {
        let values: Vec<Option<bool>> = cells
            .iter()
            .map(|c| {
                if let Data::Bool(b) = c {
                    Some(*b)
                } else {
                    None
                }
            })
            .collect();
        return Series::new(name, values).into();
    }
    if all(|c| matches!(c, Data::DateTime(_) | Data::DateTimeIso(_))) {
        let millis: Vec<Option<i64>> = cells
            .iter()
            .map(|c| match c {
                Data::DateTime(dt) => dt.as_datetime().map(|d| d.and_utc().timestamp_millis()),
                Data::DateTimeIso(text) => crate::time::from_rfc3339(text)
                    .or_else(|| crate::time::from_rfc3339(&format!("{text}Z"))),
                _ => None,
            })
            .collect();
        let series = Series::new(name.clone(), millis);
        if let Ok(cast) = series.cast(&DataType::Datetime(TimeUnit::Milliseconds, None)) {
            return cast.into();
        }
    }
    let values: Vec<Option<String>> = cells
        .iter()
        .map(|c| match c {
            Data::Empty => None,
            other => Some(other.to_string()),
        })
        .collect();
    Series::new(name, values).into()
}
