//! Turning polars frames into the plugin contract's columnar batches: typed values plus a
//! validity bitmap, never one string per cell.

use polars::prelude::*;

use crate::plugins::exporter::{
    Batch, Column as WitColumn, ColumnData, ColumnType, ColumnValues, Utf8Values,
};

/// The plugin-facing type of a polars column, and the polars type it is cast to first.
pub fn column_type(dtype: &DataType) -> (ColumnType, DataType) {
    match dtype {
        DataType::Boolean => (ColumnType::Boolean, DataType::Boolean),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => (ColumnType::Int64, DataType::Int64),
        DataType::Float32 | DataType::Float64 | DataType::UInt64 => {
            (ColumnType::Float64, DataType::Float64)
        }
        DataType::Date => (ColumnType::Date, DataType::Date),
        DataType::Datetime(_, _) => (
            ColumnType::Datetime,
            DataType::Datetime(TimeUnit::Microseconds, None),
        ),
        DataType::Null => (ColumnType::Null, DataType::Null),
        _ => (ColumnType::Utf8, DataType::String),
    }
}

/// The plugin-facing schema. A datetime column with a zone is passed as UTC instants (the
/// cast in [`to_batch`] keeps the instant and drops the label) and says so in `time-zone`, so
/// that formats writing text can mark its values as UTC; one without a zone says nothing.
pub fn schema_of(frame_schema: &Schema) -> Vec<WitColumn> {
    frame_schema
        .iter()
        .map(|(name, dtype)| WitColumn {
            name: name.to_string(),
            kind: column_type(dtype).0,
            time_zone: match dtype {
                DataType::Datetime(_, Some(_)) => Some("UTC".to_owned()),
                _ => None,
            },
        })
        .collect()
}

fn validity<T>(
    values: impl Iterator<Item = Option<T>>,
    rows: usize,
) -> (Option<Vec<u8>>, Vec<Option<T>>) {
    let collected: Vec<Option<T>> = values.collect();
    if collected.iter().all(Option::is_some) {
        return (None, collected);
    }
    let mut bitmap = vec![0u8; rows.div_ceil(8)];
    for (i, value) in collected.iter().enumerate() {
        if value.is_some() {
            bitmap[i / 8] |= 1 << (i % 8);
        }
    }
    (Some(bitmap), collected)
}

/// Converts one frame into a batch.
pub fn to_batch(frame: &DataFrame) -> PolarsResult<Batch> {
    let rows = frame.height();
    let mut columns = Vec::with_capacity(frame.width());
    for column in frame.columns() {
        let (kind, target) = column_type(column.dtype());
        let series = column.as_materialized_series().cast(&target)?;
        let data = match kind {
            ColumnType::Boolean => {
                let (validity, values) = validity(series.bool()?.iter(), rows);
                ColumnData {
                    validity,
                    values: ColumnValues::Boolean(
                        values.into_iter().map(|v| v.unwrap_or(false)).collect(),
                    ),
                }
            }
            ColumnType::Int64 => {
                let (validity, values) = validity(series.i64()?.iter(), rows);
                ColumnData {
                    validity,
                    values: ColumnValues::Int64(
                        values.into_iter().map(|v| v.unwrap_or(0)).collect(),
                    ),
                }
            }
            ColumnType::Float64 => {
                let (validity, values) = validity(series.f64()?.iter(), rows);
                ColumnData {
                    validity,
                    values: ColumnValues::Float64(
                        values.into_iter().map(|v| v.unwrap_or(0.0)).collect(),
                    ),
                }
            }
            ColumnType::Date => {
                let physical = series.to_physical_repr();
                let (validity, values) = validity(physical.i32()?.iter(), rows);
                ColumnData {
                    validity,
                    values: ColumnValues::Date(
                        values.into_iter().map(|v| v.unwrap_or(0)).collect(),
                    ),
                }
            }
            ColumnType::Datetime => {
                let physical = series.to_physical_repr();
                let (validity, values) = validity(physical.i64()?.iter(), rows);
                ColumnData {
                    validity,
                    values: ColumnValues::Datetime(
                        values.into_iter().map(|v| v.unwrap_or(0)).collect(),
                    ),
                }
            }
            ColumnType::Utf8 => {
                let strings = series.str()?;
                let mut offsets = Vec::with_capacity(rows + 1);
                let mut data = String::new();
                offsets.push(0u32);
                let (validity, values) = validity(strings.iter(), rows);
                for value in values {
                    data.push_str(value.unwrap_or(""));
                    offsets.push(u32::try_from(data.len()).map_err(
                        |_| polars_err!(ComputeError: "a batch holds more than 4 GiB of text"),
                    )?);
                }
                ColumnData {
                    validity,
                    values: ColumnValues::Utf8(Utf8Values { offsets, data }),
                }
            }
            ColumnType::Null => ColumnData {
                validity: None,
                values: ColumnValues::Null(rows as u32),
            },
        };
        columns.push(data);
    }
    Ok(Batch {
        rows: rows as u32,
        columns,
    })
}
