//! Excel workbooks (`.xlsx`) to Parquet, in bounded memory whatever the workbook claims.
//!
//! An `.xlsx` file is a zip of XML parts; a small upload can expand a thousandfold (issue 14,
//! item 7: a 1.25 MB upload of 2,000,000 rows took the server from 66 to 1,456 MiB when the
//! worksheet was read whole). So, before anything parses it:
//!
//! 1. every part of the archive is decompressed once into nothing, counting, and the workbook
//!    is refused when its parts expand beyond `max_xlsx_uncompressed_bytes` in all, or when a
//!    part larger than [`RATIO_FLOOR`] expands more than `max_xlsx_compression_ratio` times its
//!    compressed size. The sizes a zip declares are not trusted: the bytes are counted;
//! 2. the first worksheet is read as a stream of cells (calamine's cell reader), twice: once to
//!    find its extent, the header and each column's type, refusing sheets beyond Excel's own
//!    limits (1,048,576 rows, 16,384 columns; Microsoft's "Excel specifications and limits")
//!    or beyond `max_columns`; once to write the rows to Parquet in batches of a bounded number
//!    of cells.
//!
//! The table is what the sheet's used range holds, as calamine reads it: the first row with a
//! value is the header (an empty header cell names its column `column_N`), the columns run from
//! the leftmost to the rightmost cell with a value, and each column gets the narrowest type that
//! holds all its cells (integer, float, boolean, datetime, else text).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError, open_workbook};
use polars::prelude::*;

use super::IngestError;

/// Excel's largest worksheet: rows.
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;
/// Excel's largest worksheet: columns (A to XFD).
pub const EXCEL_MAX_COLUMNS: u32 = 16_384;

/// Parts smaller than this once decompressed are not held to the compression ratio: small XML
/// parts (styles, relationships) compress well and cannot hurt.
pub const RATIO_FLOOR: u64 = 1024 * 1024;

/// Cells gathered before a batch of rows is written, so that memory does not grow with the sheet.
const CELLS_PER_BATCH: usize = 1 << 20;
/// Rows in one batch at most (and so in one Parquet row group).
const MAX_BATCH_ROWS: usize = 1 << 18;

/// The bounds a workbook is held to (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct XlsxLimits {
    pub max_columns: usize,
    pub max_uncompressed_bytes: u64,
    pub max_compression_ratio: u64,
}

pub fn xlsx_to_parquet(
    source: &Path,
    target: &Path,
    limits: XlsxLimits,
) -> Result<(), IngestError> {
    check_archive(source, limits)?;
    let mut workbook: Xlsx<_> = open_workbook(source).map_err(|e| {
        IngestError::Malformed(format!("the file is not a readable Excel workbook: {e}"))
    })?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(IngestError::Empty);
    };
    let Some(layout) = survey(&mut workbook, &sheet, limits)? else {
        return Err(IngestError::Empty);
    };
    write_rows(&mut workbook, &sheet, &layout, target)
}

/// Decompresses every part of the archive into nothing, counting, within the limits.
fn check_archive(source: &Path, limits: XlsxLimits) -> Result<(), IngestError> {
    let Ok(mut archive) = ::zip::ZipArchive::new(BufReader::new(File::open(source)?)) else {
        // Not a zip at all: calamine says so in its own words.
        return Ok(());
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        IngestError::Malformed(format!("the file is not a readable Excel workbook: {e}"))
    };
    let mut total: u64 = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(|e| unreadable(&e))?;
        let name = part.name().map_err(|e| unreadable(&e))?.into_owned();
        let compressed = part.compressed_size().max(1);
        let mut size: u64 = 0;
        loop {
            let read = part.read(&mut buffer).map_err(|e| unreadable(&e))?;
            if read == 0 {
                break;
            }
            size += read as u64;
            total += read as u64;
            if total > limits.max_uncompressed_bytes {
                return Err(IngestError::WorkbookTooLarge(format!(
                    "the workbook expands to more than {} once decompressed, the most this \
                     server takes (max_xlsx_uncompressed_bytes)",
                    crate::human::size(limits.max_uncompressed_bytes)
                )));
            }
            if size > RATIO_FLOOR && size / compressed > limits.max_compression_ratio {
                return Err(IngestError::WorkbookTooLarge(format!(
                    "the workbook's part '{name}' expands more than {} times its compressed \
                     size ({} from {}); this server takes at most {} times \
                     (max_xlsx_compression_ratio)",
                    limits.max_compression_ratio,
                    crate::human::size(size),
                    crate::human::size(compressed),
                    limits.max_compression_ratio
                )));
            }
        }
    }
    Ok(())
}

/// What the first pass learns of a worksheet.
struct Layout {
    header_row: u32,
    first_column: u32,
    last_row: u32,
    names: Vec<String>,
    types: Vec<CellType>,
}

/// The narrowest type that holds every cell of a column seen so far.
#[derive(Debug, Clone, Copy)]
struct Kinds {
    filled: bool,
    integer: bool,
    number: bool,
    boolean: bool,
    datetime: bool,
}

impl Default for Kinds {
    fn default() -> Self {
        Self {
            filled: false,
            integer: true,
            number: true,
            boolean: true,
            datetime: true,
        }
    }
}

impl Kinds {
    fn see(&mut self, value: &DataRef<'_>) {
        self.filled = true;
        self.integer &= match value {
            DataRef::Int(_) => true,
            DataRef::Float(f) => f.fract() == 0.0 && f.abs() < 9e15,
            _ => false,
        };
        self.number &= matches!(value, DataRef::Int(_) | DataRef::Float(_));
        self.boolean &= matches!(value, DataRef::Bool(_));
        self.datetime &= matches!(value, DataRef::DateTime(_) | DataRef::DateTimeIso(_));
    }

    fn cell_type(&self) -> CellType {
        if !self.filled {
            CellType::Text
        } else if self.integer {
            CellType::Integer
        } else if self.number {
            CellType::Float
        } else if self.boolean {
            CellType::Boolean
        } else if self.datetime {
            CellType::Datetime
        } else {
            CellType::Text
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellType {
    Integer,
    Float,
    Boolean,
    Datetime,
    Text,
}

fn sheet_error(sheet: &str, err: XlsxError) -> IngestError {
    IngestError::Malformed(format!("worksheet '{sheet}' cannot be read: {err}"))
}

/// First pass: the sheet's extent, header and column types; `None` for a sheet with no value.
fn survey(
    workbook: &mut Xlsx<BufReader<File>>,
    sheet: &str,
    limits: XlsxLimits,
) -> Result<Option<Layout>, IngestError> {
    let mut cells = match workbook.worksheet_cells_reader(sheet) {
        Ok(cells) => cells,
        // A chart sheet or the like holds no table.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(None),
        Err(err) => return Err(sheet_error(sheet, err)),
    };
    let mut header_row: Option<u32> = None;
    let mut last_row = 0u32;
    let mut first_column = u32::MAX;
    let mut last_column = 0u32;
    // Indexed by the absolute column, which Excel's limit bounds.
    let mut header: Vec<Option<String>> = Vec::new();
    let mut kinds: Vec<Kinds> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|e| sheet_error(sheet, e))? {
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        if row >= EXCEL_MAX_ROWS {
            return Err(IngestError::TooManyRows(format!(
                "worksheet '{sheet}' has a value in row {}, and Excel's limit is {} rows; this \
                 server takes no more",
                row as u64 + 1,
                EXCEL_MAX_ROWS
            )));
        }
        if column >= EXCEL_MAX_COLUMNS {
            return Err(IngestError::TooManyColumns(format!(
                "worksheet '{sheet}' has a value in column {}, and Excel's limit is {} columns; \
                 this server takes no more",
                column as u64 + 1,
                EXCEL_MAX_COLUMNS
            )));
        }
        let header_row = *header_row.get_or_insert(row);
        if row < last_row {
            return Err(IngestError::Malformed(format!(
                "worksheet '{sheet}': row {} comes after row {}; rows must be in order",
                row as u64 + 1,
                last_row as u64 + 1
            )));
        }
        last_row = row;
        first_column = first_column.min(column);
        last_column = last_column.max(column);
        let index = column as usize;
        if row == header_row {
            if header.len() <= index {
                header.resize(index + 1, None);
            }
            header[index] = Some(Data::from(value.clone()).to_string());
        } else {
            if kinds.len() <= index {
                kinds.resize(index + 1, Kinds::default());
            }
            kinds[index].see(value);
        }
    }
    let Some(header_row) = header_row else {
        return Ok(None);
    };
    let width = (last_column - first_column + 1) as usize;
    if width > limits.max_columns {
        return Err(super::too_many_columns(width as u64, limits.max_columns));
    }
    let mut names = Vec::with_capacity(width);
    let mut types = Vec::with_capacity(width);
    let mut seen = std::collections::HashSet::new();
    for (i, column) in (first_column..=last_column).enumerate() {
        let index = column as usize;
        let name = match header.get(index).cloned().flatten() {
            Some(name) => name,
            None => format!("column_{}", i + 1),
        };
        if !seen.insert(name.clone()) {
            return Err(IngestError::Malformed(format!(
                "row {} of worksheet '{sheet}': the header names the column '{name}' twice",
                header_row as u64 + 1
            )));
        }
        names.push(name);
        types.push(kinds.get(index).copied().unwrap_or_default().cell_type());
    }
    Ok(Some(Layout {
        header_row,
        first_column,
        last_row,
        names,
        types,
    }))
}

/// One batch of rows, column by column, in the types the survey chose.
enum ColumnBuffer {
    Integer(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Boolean(Vec<Option<bool>>),
    /// Milliseconds since the epoch, as the sheet's wall-clock time read as UTC.
    Datetime(Vec<Option<i64>>),
    Text(Vec<Option<String>>),
}

impl ColumnBuffer {
    fn new(cell_type: CellType, rows: usize) -> Self {
        match cell_type {
            CellType::Integer => Self::Integer(vec![None; rows]),
            CellType::Float => Self::Float(vec![None; rows]),
            CellType::Boolean => Self::Boolean(vec![None; rows]),
            CellType::Datetime => Self::Datetime(vec![None; rows]),
            CellType::Text => Self::Text(vec![None; rows]),
        }
    }

    fn set(&mut self, row: usize, value: &DataRef<'_>) {
        match self {
            Self::Integer(cells) => {
                cells[row] = match value {
                    DataRef::Int(i) => Some(*i),
                    DataRef::Float(f) => Some(*f as i64),
                    _ => None,
                }
            }
            Self::Float(cells) => {
                cells[row] = match value {
                    DataRef::Int(i) => Some(*i as f64),
                    DataRef::Float(f) => Some(*f),
                    _ => None,
                }
            }
            Self::Boolean(cells) => {
                cells[row] = match value {
                    DataRef::Bool(b) => Some(*b),
                    _ => None,
                }
            }
            Self::Datetime(cells) => {
                cells[row] = match value {
                    DataRef::DateTime(dt) => {
                        dt.as_datetime().map(|d| d.and_utc().timestamp_millis())
                    }
                    DataRef::DateTimeIso(text) => crate::time::from_rfc3339(text)
                        .or_else(|| crate::time::from_rfc3339(&format!("{text}Z"))),
                    _ => None,
                }
            }
            Self::Text(cells) => {
                cells[row] = match value {
                    DataRef::Empty => None,
                    other => Some(Data::from(other.clone()).to_string()),
                }
            }
        }
    }

    /// The first `rows` cells as a column, leaving the buffer empty for the next batch.
    fn take(&mut self, name: &str, rows: usize) -> PolarsResult<Column> {
        let name = PlSmallStr::from(name);
        let series = match self {
            Self::Integer(cells) => Series::new(name, drain(cells, rows)),
            Self::Float(cells) => Series::new(name, drain(cells, rows)),
            Self::Boolean(cells) => Series::new(name, drain(cells, rows)),
            Self::Datetime(cells) => Series::new(name, drain(cells, rows))
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?,
            Self::Text(cells) => Series::new(name, drain(cells, rows)),
        };
        Ok(series.into())
    }
}

/// The first `rows` values, the buffer refilled with empty cells for the next batch.
fn drain<T: Clone>(cells: &mut Vec<Option<T>>, rows: usize) -> Vec<Option<T>> {
    let capacity = cells.len();
    let mut taken = std::mem::replace(cells, vec![None; capacity]);
    taken.truncate(rows);
    taken
}

/// Second pass: the rows below the header, written to Parquet a batch at a time.
fn write_rows(
    workbook: &mut Xlsx<BufReader<File>>,
    sheet: &str,
    layout: &Layout,
    target: &Path,
) -> Result<(), IngestError> {
    let width = layout.names.len();
    let batch_rows = (CELLS_PER_BATCH / width.max(1)).clamp(1, MAX_BATCH_ROWS);
    let mut buffers: Vec<ColumnBuffer> = layout
        .types
        .iter()
        .map(|t| ColumnBuffer::new(*t, batch_rows))
        .collect();
    let mut writer: Option<polars::io::parquet::write::BatchedWriter<File>> = None;
    let mut flush = |buffers: &mut Vec<ColumnBuffer>, rows: usize| -> Result<(), IngestError> {
        let columns = buffers
            .iter_mut()
            .zip(&layout.names)
            .map(|(buffer, name)| buffer.take(name, rows))
            .collect::<PolarsResult<Vec<_>>>()
            .map_err(internal)?;
        let frame = DataFrame::new(rows, columns).map_err(internal)?;
        if writer.is_none() {
            writer = Some(
                ParquetWriter::new(File::create(target)?)
                    .batched(frame.schema())
                    .map_err(internal)?,
            );
        }
        if let Some(writer) = writer.as_mut() {
            writer.write_batch(&frame).map_err(internal)?;
        }
        Ok(())
    };

    let mut cells = workbook
        .worksheet_cells_reader(sheet)
        .map_err(|e| sheet_error(sheet, e))?;
    let first_body_row = layout.header_row + 1;
    let mut batch_start = first_body_row;
    while let Some(cell) = cells.next_cell().map_err(|e| sheet_error(sheet, e))? {
        let value = cell.get_value();
        let (row, column) = cell.get_position();
        if matches!(value, DataRef::Empty) || row < first_body_row {
            continue;
        }
        if row < batch_start || row > layout.last_row || column < layout.first_column {
            // The survey read the same bytes; a sheet that reads differently twice is broken.
            return Err(IngestError::Malformed(format!(
                "worksheet '{sheet}' changed between two readings"
            )));
        }
        while row >= batch_start + batch_rows as u32 {
            flush(&mut buffers, batch_rows)?;
            batch_start += batch_rows as u32;
        }
        let Some(buffer) = buffers.get_mut((column - layout.first_column) as usize) else {
            return Err(IngestError::Malformed(format!(
                "worksheet '{sheet}' changed between two readings"
            )));
        };
        buffer.set((row - batch_start) as usize, value);
    }
    drop(cells);
    let rest = (layout.last_row + 1).saturating_sub(batch_start) as usize;
    flush(&mut buffers, rest)?;
    match writer {
        Some(writer) => writer.finish().map(|_| ()).map_err(internal),
        None => Err(IngestError::Internal("no Parquet was written".into())),
    }
}

fn internal(err: PolarsError) -> IngestError {
    IngestError::Internal(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: XlsxLimits = XlsxLimits {
        max_columns: 4096,
        max_uncompressed_bytes: 1024 * 1024 * 1024,
        max_compression_ratio: 100,
    };

    /// The largest expansion of any part of a workbook, decompressed size over compressed.
    fn worst_ratio(path: &Path) -> f64 {
        let mut archive = ::zip::ZipArchive::new(File::open(path).unwrap()).unwrap();
        (0..archive.len())
            .map(|i| {
                let part = archive.by_index(i).unwrap();
                part.size() as f64 / part.compressed_size().max(1) as f64
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn repetitive_ordinary_workbooks_stay_within_the_default_ratio() {
        // The most compressible sheets a spreadsheet program writes: the same values, or the
        // same formatted but empty cells, on every row.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("same.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for row in 0..200_000u32 {
            sheet.write_number(row, 0, 0).unwrap();
            sheet.write_string(row, 1, "same").unwrap();
            sheet.write_blank(row, 2, &bold).unwrap();
            sheet.write_boolean(row, 3, true).unwrap();
        }
        book.save(&path).unwrap();
        let ratio = worst_ratio(&path);
        assert!(ratio < 100.0, "ratio {ratio}");
        check_archive(&path, DEFAULTS).unwrap();
    }
}
