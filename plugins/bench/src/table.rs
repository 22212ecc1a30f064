//! A dataset version, a Parquet file as polars writes it, read into the batches the host would
//! send for it.
//!
//! The host reads the file with polars and converts each slice of [`BATCH_ROWS`] rows with
//! `host/src/export/batch.rs`; this module does the same with the `parquet` crate's low-level
//! column readers, to the same column types: integers become `int64` (and polars' `UInt64`,
//! which the host casts to a float, `float64`), floats `float64`, text `utf8`, dates days,
//! timestamps microseconds. Each batch column gets a validity bitmap only when it holds a null,
//! as the host's does. Only flat tables of those types are read; anything else is an error
//! naming the column, not a guess.
//!
//! Speed does not matter here: this all happens before the benchmark's clock starts.

use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;
use std::fs::File;
use std::ops::Range;
use std::path::Path;
use tessera_plugin_sdk::{Batch, Column, ColumnData, ColumnType};

/// Rows per batch, as the host's `export::BATCH_ROWS`.
pub const BATCH_ROWS: usize = 65_536;

/// Levels and values read from a column chunk per call.
const READ_CHUNK: usize = 8192;

/// A whole table in memory, one vector per column, `None` for null.
#[derive(Debug)]
pub struct Table {
    pub schema: Vec<Column>,
    pub columns: Vec<Cells>,
    pub rows: usize,
}

/// One column's values, of the type the host would send it as.
#[derive(Debug, PartialEq)]
pub enum Cells {
    Boolean(Vec<Option<bool>>),
    Int64(Vec<Option<i64>>),
    Float64(Vec<Option<f64>>),
    Utf8(Vec<Option<String>>),
    /// Days since 1970-01-01.
    Date(Vec<Option<i32>>),
    /// Microseconds since 1970-01-01T00:00:00Z.
    Datetime(Vec<Option<i64>>),
    /// A column of polars' `Null` type: only its length.
    Null(usize),
}

/// How a Parquet column's stored values become the host's.
#[derive(Clone, Copy, Debug)]
enum Decode {
    Boolean,
    /// INT32 holding a signed integer of up to 32 bits.
    Int32,
    /// INT32 holding an unsigned integer of up to 32 bits.
    UInt32,
    Int64,
    /// INT64 holding an unsigned 64-bit integer: polars' `UInt64`, a float to the host.
    UInt64,
    Float,
    Double,
    Date,
    Timestamp(TimeUnit),
    Utf8,
    Null,
}

impl Decode {
    fn of(column: &ColumnDescriptor) -> Result<Self, String> {
        use ConvertedType as C;
        let converted = column.converted_type();
        let decode = match (column.physical_type(), column.logical_type_ref()) {
            (_, Some(LogicalType::Unknown)) => Decode::Null,
            (PhysicalType::BOOLEAN, None) => Decode::Boolean,
            (PhysicalType::INT32, Some(LogicalType::Date)) => Decode::Date,
            (PhysicalType::INT32, Some(LogicalType::Integer(int))) if !int.is_signed => {
                Decode::UInt32
            }
            (PhysicalType::INT32, Some(LogicalType::Integer(_))) => Decode::Int32,
            (PhysicalType::INT32, None) => match converted {
                C::DATE => Decode::Date,
                C::UINT_8 | C::UINT_16 | C::UINT_32 => Decode::UInt32,
                C::NONE | C::INT_8 | C::INT_16 | C::INT_32 => Decode::Int32,
                _ => return Err(unsupported(column)),
            },
            (PhysicalType::INT64, Some(LogicalType::Timestamp(timestamp))) => {
                Decode::Timestamp(timestamp.unit)
            }
            (PhysicalType::INT64, Some(LogicalType::Integer(int))) if !int.is_signed => {
                Decode::UInt64
            }
            (PhysicalType::INT64, Some(LogicalType::Integer(_))) => Decode::Int64,
            (PhysicalType::INT64, None) => match converted {
                C::TIMESTAMP_MILLIS => Decode::Timestamp(TimeUnit::MILLIS),
                C::TIMESTAMP_MICROS => Decode::Timestamp(TimeUnit::MICROS),
                C::UINT_64 => Decode::UInt64,
                C::NONE | C::INT_64 => Decode::Int64,
                _ => return Err(unsupported(column)),
            },
            (PhysicalType::FLOAT, None) => Decode::Float,
            (PhysicalType::DOUBLE, None) => Decode::Double,
            // Text however it is declared: polars writes `String` for strings, categoricals
            // and enums alike (large string and string view are the same bytes in Parquet).
            (
                PhysicalType::BYTE_ARRAY,
                None | Some(LogicalType::String | LogicalType::Enum | LogicalType::Json),
            ) => Decode::Utf8,
            _ => return Err(unsupported(column)),
        };
        Ok(decode)
    }

    fn empty_cells(self) -> Cells {
        match self {
            Decode::Boolean => Cells::Boolean(Vec::new()),
            Decode::Int32 | Decode::UInt32 | Decode::Int64 => Cells::Int64(Vec::new()),
            Decode::UInt64 | Decode::Float | Decode::Double => Cells::Float64(Vec::new()),
            Decode::Date => Cells::Date(Vec::new()),
            Decode::Timestamp(_) => Cells::Datetime(Vec::new()),
            Decode::Utf8 => Cells::Utf8(Vec::new()),
            Decode::Null => Cells::Null(0),
        }
    }
}

fn unsupported(column: &ColumnDescriptor) -> String {
    format!(
        "column `{}`: Parquet type {} ({:?}, {}) is not one this benchmark reads",
        column.name(),
        column.physical_type(),
        column.logical_type_ref(),
        column.converted_type()
    )
}

/// Reads the whole file.
pub fn read_table(path: &Path) -> Result<Table, String> {
    let file = File::open(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let reader = SerializedFileReader::new(file).map_err(|error| error.to_string())?;
    let descriptor = reader.metadata().file_metadata().schema_descr_ptr();
    let mut schema = Vec::with_capacity(descriptor.num_columns());
    let mut decodes = Vec::with_capacity(descriptor.num_columns());
    let mut columns = Vec::with_capacity(descriptor.num_columns());
    for column in descriptor.columns() {
        if column.max_rep_level() > 0 || column.path().parts().len() > 1 {
            return Err(format!(
                "column `{}` is nested, which the host's formats do not take",
                column.path()
            ));
        }
        let decode = Decode::of(column)?;
        let cells = decode.empty_cells();
        schema.push(Column::new(column.name(), cells.kind()));
        decodes.push(decode);
        columns.push(cells);
    }
    for group in 0..reader.num_row_groups() {
        let group = reader.get_row_group(group).map_err(|e| e.to_string())?;
        for (index, (decode, cells)) in decodes.iter().zip(&mut columns).enumerate() {
            // Every value of a `Null` column is null: only the row count matters.
            if let Cells::Null(rows) = cells {
                *rows += usize::try_from(group.metadata().num_rows()).unwrap_or(0);
                continue;
            }
            let column_reader = group.get_column_reader(index).map_err(|e| e.to_string())?;
            let max_def = descriptor.column(index).max_def_level();
            read_chunk(*decode, column_reader, max_def, cells)
                .map_err(|error| format!("column `{}`: {error}", schema[index].name))?;
        }
    }
    let rows = columns.first().map_or(0, Cells::len);
    if let Some((index, _)) = columns
        .iter()
        .enumerate()
        .find(|(_, cells)| cells.len() != rows)
    {
        return Err(format!(
            "column `{}` has {} rows, the first column {rows}",
            schema[index].name,
            columns[index].len()
        ));
    }
    Ok(Table {
        schema,
        columns,
        rows,
    })
}

/// Appends one row group's values of a column to `cells`.
fn read_chunk(
    decode: Decode,
    reader: ColumnReader,
    max_def: i16,
    cells: &mut Cells,
) -> Result<(), String> {
    let wrong = || format!("{decode:?} does not match the column's stored type");
    match (decode, reader, cells) {
        (Decode::Boolean, ColumnReader::BoolColumnReader(mut r), Cells::Boolean(out)) => {
            read_values(&mut r, max_def, |v| out.push(v))
        }
        (Decode::Int32, ColumnReader::Int32ColumnReader(mut r), Cells::Int64(out)) => {
            read_values(&mut r, max_def, |v| out.push(v.map(i64::from)))
        }
        (Decode::UInt32, ColumnReader::Int32ColumnReader(mut r), Cells::Int64(out)) => {
            // Unsigned values are stored in the INT32's bits.
            read_values(&mut r, max_def, |v| {
                out.push(v.map(|v| i64::from(v.cast_unsigned())))
            })
        }
        (Decode::Int64, ColumnReader::Int64ColumnReader(mut r), Cells::Int64(out)) => {
            read_values(&mut r, max_def, |v| out.push(v))
        }
        (Decode::UInt64, ColumnReader::Int64ColumnReader(mut r), Cells::Float64(out)) => {
            read_values(&mut r, max_def, |v| {
                out.push(v.map(|v| v.cast_unsigned() as f64))
            })
        }
        (Decode::Float, ColumnReader::FloatColumnReader(mut r), Cells::Float64(out)) => {
            read_values(&mut r, max_def, |v| out.push(v.map(f64::from)))
        }
        (Decode::Double, ColumnReader::DoubleColumnReader(mut r), Cells::Float64(out)) => {
            read_values(&mut r, max_def, |v| out.push(v))
        }
        (Decode::Date, ColumnReader::Int32ColumnReader(mut r), Cells::Date(out)) => {
            read_values(&mut r, max_def, |v| out.push(v))
        }
        (Decode::Timestamp(unit), ColumnReader::Int64ColumnReader(mut r), Cells::Datetime(out)) => {
            let to_micros = |v: i64| match unit {
                TimeUnit::MILLIS => v * 1000,
                TimeUnit::MICROS => v,
                TimeUnit::NANOS => v.div_euclid(1000),
            };
            read_values(&mut r, max_def, |v| out.push(v.map(to_micros)))
        }
        (Decode::Utf8, ColumnReader::ByteArrayColumnReader(mut r), Cells::Utf8(out)) => {
            let mut bad = None;
            read_values(&mut r, max_def, |v| {
                out.push(
                    v.map(|bytes| match String::from_utf8(bytes.data().to_vec()) {
                        Ok(text) => text,
                        Err(error) => {
                            bad.get_or_insert(error);
                            String::new()
                        }
                    }),
                )
            })?;
            match bad {
                Some(error) => Err(format!("text that is not UTF-8: {error}")),
                None => Ok(()),
            }
        }
        _ => Err(wrong()),
    }
}

/// Calls `each` once per row of the column chunk, in order: `None` for a null.
fn read_values<T: DataType>(
    reader: &mut ColumnReaderImpl<T>,
    max_def: i16,
    mut each: impl FnMut(Option<T::T>),
) -> Result<(), String> {
    let mut levels = Vec::with_capacity(READ_CHUNK);
    let mut values = Vec::with_capacity(READ_CHUNK);
    loop {
        levels.clear();
        values.clear();
        let def_levels = (max_def > 0).then_some(&mut levels);
        let (records, _, _) = reader
            .read_records(READ_CHUNK, def_levels, None, &mut values)
            .map_err(|error| error.to_string())?;
        if records == 0 {
            return Ok(());
        }
        if max_def == 0 {
            values.drain(..).for_each(|value| each(Some(value)));
            continue;
        }
        let mut present = values.drain(..);
        for level in &levels {
            if *level == max_def {
                let value = present
                    .next()
                    .ok_or("fewer values than definition levels say")?;
                each(Some(value));
            } else {
                each(None);
            }
        }
    }
}

impl Cells {
    pub fn len(&self) -> usize {
        match self {
            Cells::Boolean(values) => values.len(),
            Cells::Int64(values) | Cells::Datetime(values) => values.len(),
            Cells::Float64(values) => values.len(),
            Cells::Utf8(values) => values.len(),
            Cells::Date(values) => values.len(),
            Cells::Null(rows) => *rows,
        }
    }

    pub fn kind(&self) -> ColumnType {
        match self {
            Cells::Boolean(_) => ColumnType::Boolean,
            Cells::Int64(_) => ColumnType::Int64,
            Cells::Float64(_) => ColumnType::Float64,
            Cells::Utf8(_) => ColumnType::Utf8,
            Cells::Date(_) => ColumnType::Date,
            Cells::Datetime(_) => ColumnType::Datetime,
            Cells::Null(_) => ColumnType::Null,
        }
    }

    /// These rows as a batch column. The SDK's constructors lay it out as the host does:
    /// nulls hold the type's zero, and the bitmap (least significant bit first) is there only
    /// when one of the rows is null.
    fn column_data(&self, rows: Range<usize>) -> ColumnData {
        match self {
            Cells::Boolean(values) => ColumnData::boolean(values[rows].iter().copied()),
            Cells::Int64(values) => ColumnData::int64(values[rows].iter().copied()),
            Cells::Float64(values) => ColumnData::float64(values[rows].iter().copied()),
            Cells::Utf8(values) => ColumnData::utf8(values[rows].iter().map(Option::as_deref)),
            Cells::Date(values) => ColumnData::date(values[rows].iter().copied()),
            Cells::Datetime(values) => ColumnData::datetime(values[rows].iter().copied()),
            Cells::Null(_) => ColumnData::null(rows.len() as u32),
        }
    }
}

impl Table {
    /// The table as the host slices it: [`BATCH_ROWS`] rows per batch, the last one shorter.
    pub fn batches(&self) -> Vec<Batch> {
        (0..self.rows)
            .step_by(BATCH_ROWS)
            .map(|start| {
                let rows = start..self.rows.min(start + BATCH_ROWS);
                Batch {
                    rows: rows.len() as u32,
                    columns: self
                        .columns
                        .iter()
                        .map(|cells| cells.column_data(rows.clone()))
                        .collect(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;
    use tessera_plugin_parquet::ParquetExporter;
    use tessera_plugin_sdk::testing::{export_request, run_export};
    use tessera_plugin_sdk::{ColumnValues, ColumnView};

    const ROWS: usize = BATCH_ROWS + 4_464;

    fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        file
    }

    /// A table of every type, written by the parquet plugin (whose output is what the host
    /// stores too) in small row groups, so that batches and row groups do not line up.
    fn every_type() -> (Vec<(&'static str, ColumnType)>, Vec<Cells>) {
        let schema = vec![
            ("id", ColumnType::Int64),
            ("ratio", ColumnType::Float64),
            ("name", ColumnType::Utf8),
            ("born", ColumnType::Date),
            ("seen_at", ColumnType::Datetime),
            ("active", ColumnType::Boolean),
            ("nothing", ColumnType::Null),
        ];
        let rows = 0..ROWS as i64;
        let cells = vec![
            Cells::Int64(rows.clone().map(Some).collect()),
            // Nulls only in the first batch: the second then has no bitmap.
            Cells::Float64(
                rows.clone()
                    .map(|i| (i % 10 != 1 || i >= BATCH_ROWS as i64).then_some(i as f64 / 4.0))
                    .collect(),
            ),
            Cells::Utf8(
                rows.clone()
                    .map(|i| (i % 3 != 0).then(|| format!("zürich {i}")))
                    .collect(),
            ),
            Cells::Date(rows.clone().map(|i| Some(i as i32 - 30_000)).collect()),
            Cells::Datetime(
                rows.clone()
                    .map(|i| (i % 7 != 2).then_some(1_700_000_000_000_000 + i * 1_000_001))
                    .collect(),
            ),
            Cells::Boolean(rows.map(|i| (i % 5 != 4).then_some(i % 2 == 0)).collect()),
            Cells::Null(ROWS),
        ];
        (schema, cells)
    }

    #[test]
    fn a_file_reads_back_as_the_batches_the_host_would_send() {
        let (schema, cells) = every_type();
        let written = Table {
            schema: Vec::new(),
            columns: cells,
            rows: ROWS,
        };
        let file = run_export::<ParquetExporter>(
            export_request(&schema, r#"{"row_group_rows":10000}"#),
            written.batches(),
        )
        .unwrap();
        let file = temp_file(&file);

        let table = read_table(file.path()).unwrap();
        let kinds: Vec<_> = table
            .schema
            .iter()
            .map(|c| (c.name.as_str(), c.kind))
            .collect();
        assert_eq!(kinds, schema);
        assert_eq!(table.rows, ROWS);
        assert_eq!(table.columns, written.columns);

        let batches = table.batches();
        let sizes: Vec<u32> = batches.iter().map(|batch| batch.rows).collect();
        assert_eq!(sizes, [BATCH_ROWS as u32, 4_464]);
        let request = export_request(&schema, "{}");
        for batch in &batches {
            assert_eq!(batch.check_shape(&request.schema), Ok(()));
        }

        // Rows 1, 11, 21, ... of `ratio` are null in the first batch only.
        let ratio = |batch: usize| &batches[batch].columns[1];
        let bitmap = ratio(0).validity.as_ref().unwrap();
        assert_eq!(bitmap.len(), BATCH_ROWS / 8);
        assert_eq!(bitmap[0], 0b1111_1101, "least significant bit first");
        assert_eq!(bitmap[1], 0b1111_0111, "row 11");
        assert!(ratio(1).validity.is_none(), "no nulls, no bitmap");
        let view = ColumnView::new(ratio(0), BATCH_ROWS);
        assert_eq!((view.float64(0), view.float64(1)), (Some(0.0), None));
        let ColumnValues::Float64(values) = &ratio(0).values else {
            panic!("ratio is float64")
        };
        assert_eq!(
            values[1], 0.0,
            "a null holds the type's zero, as the host sends it"
        );

        // The second batch starts at row 65,536 in every column.
        let second = &batches[1];
        let name = ColumnView::new(&second.columns[2], 4_464);
        assert_eq!(name.utf8(0), Some("zürich 65536"));
        assert_eq!(name.utf8(2), None, "row 65,538 is a multiple of 3");
        let born = ColumnView::new(&second.columns[3], 4_464);
        assert_eq!(born.date(0), Some(65_536 - 30_000));
        let seen_at = ColumnView::new(&second.columns[4], 4_464);
        assert_eq!(seen_at.datetime(0), None, "row 65,536 is 2 modulo 7");
        assert_eq!(
            seen_at.datetime(1),
            Some(1_700_000_000_000_000 + 65_537 * 1_000_001)
        );
        assert!(matches!(
            second.columns[6].values,
            ColumnValues::Null(4_464)
        ));
        assert!(second.columns[6].validity.is_none());
    }

    /// Types the parquet plugin never writes but other writers (polars among them) may:
    /// required columns, small and unsigned integers, millisecond and nanosecond timestamps.
    #[test]
    fn other_writers_types_become_the_hosts() {
        let message = "message schema {
            required int32 small;
            optional int32 unsigned (INTEGER(32,false));
            optional int64 huge (INTEGER(64,false));
            optional int64 millis (TIMESTAMP(MILLIS,false));
            optional int64 nanos (TIMESTAMP(NANOS,true));
            optional binary plain;
        }";
        let schema = Arc::new(parse_message_type(message).unwrap());
        let mut bytes = Vec::new();
        let mut writer =
            SerializedFileWriter::new(&mut bytes, schema, Arc::new(WriterProperties::default()))
                .unwrap();
        let mut group = writer.next_row_group().unwrap();
        let present = [1i16, 0, 1];
        let mut column = group.next_column().unwrap().unwrap();
        column
            .typed::<Int32Type>()
            .write_batch(&[-1, 2, 3], None, None)
            .unwrap();
        column.close().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column
            .typed::<Int32Type>()
            .write_batch(&[-1, 7], Some(&present), None)
            .unwrap();
        column.close().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column
            .typed::<Int64Type>()
            .write_batch(&[-1, 7], Some(&present), None)
            .unwrap();
        column.close().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column
            .typed::<Int64Type>()
            .write_batch(&[1_500, -1], Some(&present), None)
            .unwrap();
        column.close().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column
            .typed::<Int64Type>()
            .write_batch(&[1_999, -1_001], Some(&present), None)
            .unwrap();
        column.close().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column
            .typed::<ByteArrayType>()
            .write_batch(
                &[ByteArray::from("a"), ByteArray::from("東京")],
                Some(&present),
                None,
            )
            .unwrap();
        column.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();
        let file = temp_file(&bytes);

        let table = read_table(file.path()).unwrap();
        let kinds: Vec<_> = table.schema.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                ColumnType::Int64,
                ColumnType::Int64,
                ColumnType::Float64,
                ColumnType::Datetime,
                ColumnType::Datetime,
                ColumnType::Utf8
            ]
        );
        assert_eq!(
            table.columns,
            [
                Cells::Int64(vec![Some(-1), Some(2), Some(3)]),
                Cells::Int64(vec![Some(4_294_967_295), None, Some(7)]),
                Cells::Float64(vec![Some(18_446_744_073_709_551_615.0), None, Some(7.0)]),
                Cells::Datetime(vec![Some(1_500_000), None, Some(-1_000)]),
                Cells::Datetime(vec![Some(1), None, Some(-2)]),
                Cells::Utf8(vec![Some("a".into()), None, Some("東京".into())]),
            ]
        );
        let batches = table.batches();
        assert_eq!(batches.len(), 1);
        assert!(batches[0].columns[0].validity.is_none());
        assert_eq!(batches[0].columns[1].validity, Some(vec![0b101]));
    }

    #[test]
    fn an_empty_table_has_no_batches() {
        let table = Table {
            schema: Vec::new(),
            columns: vec![Cells::Int64(Vec::new())],
            rows: 0,
        };
        assert!(table.batches().is_empty());
    }
}
