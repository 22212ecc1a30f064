//! The Parquet export format (<https://parquet.apache.org/docs/file-format/>), the columnar
//! file Python (pyarrow, pandas, polars), R (arrow) and analytical engines read natively, with
//! the column types intact instead of re-parsed from text.
//!
//! Built on the `parquet` crate's low-level column writers, without arrow-rs's arrays, because
//! the host's batches are already columnar: each column's values and definition levels (from
//! the validity bitmap; every column is OPTIONAL) are collected until a row group is full, then
//! written column by column. Each `write-batch` returns whatever bytes the closed row groups
//! produced, and `finish` the footer, so memory holds one row group, not the file. A row group
//! ends after `row_group_rows` rows or once its values take about [`ROW_GROUP_BYTES`], checked
//! only at multiples of [`CHECK_EVERY_ROWS`] rows, so the file's layout does not depend on how
//! the host happened to cut the rows into batches.
//!
//! Types: boolean → BOOLEAN, int64 → INT64, float64 → DOUBLE, utf8 → BYTE_ARRAY (String),
//! date → INT32 (Date), datetime → INT64 (Timestamp, microseconds; adjusted to UTC when the
//! values were given with a zone, local otherwise), and a
//! null-typed column → INT32 with the Unknown (null) logical type, which is how arrow writes
//! its null type and reads it back. The dataset's provenance goes into the footer's key-value
//! metadata under `tessera.*` keys. Nothing depends on the clock: the writer's `created_by` is
//! fixed per parquet crate version, so the same rows and options give the same bytes.

use bytes::Bytes;
use parquet::basic::{
    Compression, GzipLevel, LogicalType, Repetition, TimeUnit, Type as PhysicalType,
};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::sync::Arc;
use tessera_plugin_sdk::{
    Batch, ColumnType, ColumnView, ExportRequest, Exporter, FormatInfo, PluginError, Value,
    parse_options,
};

/// Buffered values past which a row group ends early, whatever `row_group_rows` says: what the
/// plugin's memory limit (`plugin.toml`) is sized for, with the encoded row group and the host's
/// batch beside it.
const ROW_GROUP_BYTES: usize = 16 << 20;

/// The most `row_group_rows` may say (the options schema says so too).
const MAX_ROW_GROUP_ROWS: u32 = 1 << 20;

/// How often, in rows since the row group began, the byte budget is checked.
const CHECK_EVERY_ROWS: usize = 8192;

/// Text values handed to the column writer at once, so that the temporary `ByteArray` list
/// stays small.
const TEXT_VALUES_PER_WRITE: usize = 4096;

/// The largest block a column's buffered texts are kept in.
const TEXT_BLOCK_BYTES: usize = 1 << 20;

/// The size of the blocks the written file collects in until it is taken.
const OUTPUT_BLOCK_BYTES: usize = 1 << 20;

// The options as the user gives them, and their schema: doc comments are the help text. (A
// plain comment here: a doc comment would be the schema's description.)
#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "Parquet export options")]
struct ParquetOptions {
    /// How column data is compressed: "snappy" (fast, read everywhere), "gzip" (smaller,
    /// slower), "lz4" (LZ4_RAW, fast; needs a reader from 2022 on) or "none".
    #[schemars(title = "Compression")]
    compression: Codec,
    /// Most rows in one row group. A row group also ends once its values take about 16 MiB,
    /// which bounds the export's memory whatever the width of the rows.
    #[schemars(title = "Rows per row group", range(min = 1, max = MAX_ROW_GROUP_ROWS))]
    row_group_rows: u32,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            compression: Codec::Snappy,
            row_group_rows: 262_144,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Codec {
    Snappy,
    Gzip,
    // LZ4_RAW: the Hadoop-framed `LZ4` codec is deprecated by the format. (A plain comment: a
    // doc comment on a variant would make the schema a `oneOf`, which the form cannot offer.)
    Lz4,
    None,
}

impl Codec {
    fn compression(self) -> Compression {
        match self {
            Codec::Snappy => Compression::SNAPPY,
            Codec::Gzip => Compression::GZIP(GzipLevel::default()),
            Codec::Lz4 => Compression::LZ4_RAW,
            Codec::None => Compression::UNCOMPRESSED,
        }
    }
}

/// The `parquet` format: the component's exporter, and what `plugins/bench` runs natively.
pub struct ParquetExporter {
    writer: SerializedFileWriter<Output>,
    columns: Vec<ColumnBuffer>,
    /// Rows in `columns`, not yet written.
    buffered_rows: usize,
    /// Roughly the memory `columns` holds.
    buffered_bytes: usize,
    row_group_rows: usize,
}

/// One column's rows of the row group being collected.
struct ColumnBuffer {
    /// 1 for a value, 0 for a null: the definition level of an OPTIONAL column.
    definition_levels: Vec<i16>,
    /// The present values only, as the column writer wants them.
    values: Values,
}

enum Values {
    Boolean(Vec<bool>),
    Int64(Vec<i64>),
    Float64(Vec<f64>),
    Utf8(Texts),
    Date(Vec<i32>),
    Datetime(Vec<i64>),
    Null,
}

/// The texts of a column, end to end in blocks of at most [`TEXT_BLOCK_BYTES`] (or one text):
/// a block never grows, so buffering texts costs their size, not the up to three times that a
/// doubling `Vec` briefly takes while it moves. The blocks become the column writer's byte
/// arrays without a copy.
#[derive(Default)]
struct Texts {
    blocks: Vec<Vec<u8>>,
    /// Block, start and end of each text.
    spans: Vec<(u32, u32, u32)>,
}

impl Texts {
    /// Appends a text; returns roughly the bytes that took.
    fn push(&mut self, text: &[u8]) -> usize {
        let fits = self
            .blocks
            .last()
            .is_some_and(|block| block.capacity() - block.len() >= text.len());
        if !fits {
            // Small exports get small blocks; a text longer than a block gets one of its own.
            let previous = self.blocks.last().map_or(0, Vec::capacity);
            let capacity = (previous * 2).clamp(TEXT_BLOCK_BYTES / 16, TEXT_BLOCK_BYTES);
            self.blocks
                .push(Vec::with_capacity(capacity.max(text.len())));
        }
        let index = self.blocks.len() - 1;
        let Some(block) = self.blocks.last_mut() else {
            return 0;
        };
        let start = block.len();
        block.extend_from_slice(text);
        // A block is at most 1 MiB or one text, which the host's 32-bit offsets bound.
        self.spans
            .push((index as u32, start as u32, block.len() as u32));
        text.len() + size_of::<(u32, u32, u32)>()
    }

    /// The texts as byte arrays sharing the blocks; empties the buffer.
    fn drain(&mut self) -> impl Iterator<Item = ByteArray> + use<> {
        let blocks: Vec<Bytes> = self.blocks.drain(..).map(Bytes::from).collect();
        let spans = std::mem::take(&mut self.spans);
        spans.into_iter().map(move |(block, start, end)| {
            let text = blocks.get(block as usize).map_or_else(Bytes::new, |block| {
                block.slice(start as usize..end as usize)
            });
            ByteArray::from(text)
        })
    }
}

impl ColumnBuffer {
    fn new(kind: ColumnType) -> Self {
        let values = match kind {
            ColumnType::Boolean => Values::Boolean(Vec::new()),
            ColumnType::Int64 => Values::Int64(Vec::new()),
            ColumnType::Float64 => Values::Float64(Vec::new()),
            ColumnType::Utf8 => Values::Utf8(Texts::default()),
            ColumnType::Date => Values::Date(Vec::new()),
            ColumnType::Datetime => Values::Datetime(Vec::new()),
            ColumnType::Null => Values::Null,
        };
        ColumnBuffer {
            definition_levels: Vec::new(),
            values,
        }
    }

    /// Appends rows `rows` of `column`; returns roughly the bytes that took.
    fn append(&mut self, column: &ColumnView<'_>, rows: std::ops::Range<usize>) -> usize {
        let mut bytes = rows.len() * size_of::<i16>();
        for row in rows {
            // `check_shape` has made sure the column is of the buffer's type, so a value of
            // another type cannot occur; it would read as null.
            let value = match (&mut self.values, column.value(row)) {
                (Values::Boolean(values), Some(Value::Boolean(flag))) => {
                    values.push(flag);
                    bytes += 1;
                    true
                }
                (Values::Int64(values), Some(Value::Int64(number)))
                | (Values::Datetime(values), Some(Value::Datetime(number))) => {
                    values.push(number);
                    bytes += size_of::<i64>();
                    true
                }
                (Values::Float64(values), Some(Value::Float64(number))) => {
                    values.push(number);
                    bytes += size_of::<f64>();
                    true
                }
                (Values::Date(values), Some(Value::Date(days))) => {
                    values.push(days);
                    bytes += size_of::<i32>();
                    true
                }
                (Values::Utf8(texts), Some(Value::Utf8(text))) => {
                    bytes += texts.push(text.as_bytes());
                    true
                }
                _ => false,
            };
            self.definition_levels.push(i16::from(value));
        }
        bytes
    }

    /// Writes the buffered rows as this column's chunk of a row group and empties the buffer.
    fn write_to(&mut self, writer: &mut ColumnWriter<'_>) -> Result<(), ParquetError> {
        let levels = Some(self.definition_levels.as_slice());
        match (&mut self.values, writer) {
            (Values::Boolean(values), ColumnWriter::BoolColumnWriter(writer)) => {
                writer.write_batch(values, levels, None)?;
                values.clear();
            }
            (Values::Int64(values), ColumnWriter::Int64ColumnWriter(writer))
            | (Values::Datetime(values), ColumnWriter::Int64ColumnWriter(writer)) => {
                writer.write_batch(values, levels, None)?;
                values.clear();
            }
            (Values::Float64(values), ColumnWriter::DoubleColumnWriter(writer)) => {
                writer.write_batch(values, levels, None)?;
                values.clear();
            }
            (Values::Date(values), ColumnWriter::Int32ColumnWriter(writer)) => {
                writer.write_batch(values, levels, None)?;
                values.clear();
            }
            (Values::Null, ColumnWriter::Int32ColumnWriter(writer)) => {
                writer.write_batch(&[], levels, None)?;
            }
            (Values::Utf8(texts), ColumnWriter::ByteArrayColumnWriter(writer)) => {
                let mut texts = texts.drain();
                for levels in self.definition_levels.chunks(TEXT_VALUES_PER_WRITE) {
                    let present = levels.iter().filter(|level| **level == 1).count();
                    let values: Vec<ByteArray> = texts.by_ref().take(present).collect();
                    writer.write_batch(&values, Some(levels), None)?;
                }
            }
            _ => {
                return Err(ParquetError::General(
                    "a column's values do not match its Parquet type".into(),
                ));
            }
        }
        self.definition_levels.clear();
        Ok(())
    }
}

/// The file writer's sink: what it writes collects in blocks that never move, joined once when
/// taken. A row group of incompressible text is about as large as the values it came from, and
/// a `Vec` growing to hold it would, while it doubles, briefly take three times that.
#[derive(Default)]
struct Output {
    blocks: Vec<Vec<u8>>,
}

impl Output {
    /// Everything written since the last call.
    fn take(&mut self) -> Vec<u8> {
        if self.blocks.len() == 1 {
            return self.blocks.pop().unwrap_or_default();
        }
        let size = self.blocks.iter().map(Vec::len).sum();
        let mut joined = Vec::with_capacity(size);
        for block in self.blocks.drain(..) {
            joined.extend_from_slice(&block);
        }
        joined
    }
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            let block = match self.blocks.last_mut() {
                Some(block) if block.len() < block.capacity() => block,
                _ => {
                    self.blocks.push(Vec::with_capacity(OUTPUT_BLOCK_BYTES));
                    let Some(block) = self.blocks.last_mut() else {
                        break;
                    };
                    block
                }
            };
            let room = block.capacity() - block.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            block.extend_from_slice(now);
            rest = later;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The Parquet schema of the export: one OPTIONAL primitive per column.
fn parquet_schema(request: &ExportRequest) -> Result<Type, ParquetError> {
    let fields = request
        .schema
        .iter()
        .map(|column| {
            let (physical, logical) = match column.kind {
                ColumnType::Boolean => (PhysicalType::BOOLEAN, None),
                ColumnType::Int64 => (PhysicalType::INT64, None),
                ColumnType::Float64 => (PhysicalType::DOUBLE, None),
                ColumnType::Utf8 => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
                ColumnType::Date => (PhysicalType::INT32, Some(LogicalType::Date)),
                // Instants (given with a zone, kept in UTC) are adjusted to UTC; a time given
                // without a zone stays a local timestamp, as it was given (Parquet's
                // LogicalTypes.md, "Timestamp": isAdjustedToUTC).
                ColumnType::Datetime => (
                    PhysicalType::INT64,
                    Some(LogicalType::timestamp(column.is_utc(), TimeUnit::MICROS)),
                ),
                ColumnType::Null => (PhysicalType::INT32, Some(LogicalType::Unknown)),
            };
            Type::primitive_type_builder(&column.name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
}

/// Where the rows come from, for whoever opens the file later: `tessera.*` keys in the footer.
fn provenance(request: &ExportRequest) -> Vec<KeyValue> {
    let dataset = &request.dataset;
    let mut pairs = vec![
        KeyValue::new("tessera.dataset_id".into(), dataset.id.clone()),
        KeyValue::new("tessera.dataset_name".into(), dataset.name.clone()),
        KeyValue::new(
            "tessera.dataset_version".into(),
            dataset.version.to_string(),
        ),
        KeyValue::new(
            "tessera.version_sha256".into(),
            dataset.version_sha256.clone(),
        ),
        KeyValue::new("tessera.exported_at".into(), request.exported_at.clone()),
    ];
    if let Some(licence) = &dataset.licence {
        pairs.push(KeyValue::new("tessera.licence".into(), licence.clone()));
    }
    pairs
}

fn failed(error: ParquetError) -> PluginError {
    PluginError::failed(format!("writing Parquet: {error}"))
}

impl ParquetExporter {
    /// Writes the buffered rows as one row group.
    fn write_row_group(&mut self) -> Result<(), PluginError> {
        let mut row_group = self.writer.next_row_group().map_err(failed)?;
        for column in &mut self.columns {
            let Some(mut writer) = row_group.next_column().map_err(failed)? else {
                return Err(PluginError::failed(
                    "the Parquet schema has fewer columns than the export",
                ));
            };
            column.write_to(writer.untyped()).map_err(failed)?;
            writer.close().map_err(failed)?;
        }
        row_group.close().map_err(failed)?;
        self.buffered_rows = 0;
        self.buffered_bytes = 0;
        Ok(())
    }

    /// The bytes written since the last call.
    fn take_output(&mut self) -> Result<Vec<u8>, PluginError> {
        self.writer
            .flush()
            .map_err(|error| PluginError::failed(format!("writing Parquet: {error}")))?;
        // The writer counts offsets itself, so emptying its sink does not disturb the footer.
        Ok(self.writer.inner_mut().take())
    }
}

impl Exporter for ParquetExporter {
    fn info() -> FormatInfo {
        FormatInfo::new(
            "parquet",
            "Parquet",
            "application/vnd.apache.parquet",
            "parquet",
        )
        .with_options::<ParquetOptions>()
    }

    fn new(request: &ExportRequest) -> Result<Self, PluginError> {
        let options: ParquetOptions = parse_options(&request.options)?;
        if !(1..=MAX_ROW_GROUP_ROWS).contains(&options.row_group_rows) {
            return Err(PluginError::invalid_options(format!(
                "option `row_group_rows`: must be between 1 and {MAX_ROW_GROUP_ROWS}"
            )));
        }
        if request.schema.is_empty() {
            return Err(PluginError::failed(
                "a Parquet file needs at least one column",
            ));
        }
        let properties = WriterProperties::builder()
            .set_compression(options.compression.compression())
            .set_key_value_metadata(Some(provenance(request)))
            .build();
        let schema = parquet_schema(request).map_err(failed)?;
        let writer =
            SerializedFileWriter::new(Output::default(), Arc::new(schema), Arc::new(properties))
                .map_err(failed)?;
        Ok(ParquetExporter {
            writer,
            columns: request
                .schema
                .iter()
                .map(|column| ColumnBuffer::new(column.kind))
                .collect(),
            buffered_rows: 0,
            buffered_bytes: 0,
            row_group_rows: options.row_group_rows as usize,
        })
    }

    fn begin(&mut self, _request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        // The magic number the writer has already put down.
        self.take_output()
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let mut start = 0;
        while start < batch.row_count() {
            // Up to the next point where the row group may end.
            let next_check = (self.buffered_rows / CHECK_EVERY_ROWS + 1) * CHECK_EVERY_ROWS;
            let end = batch
                .row_count()
                .min(start + (next_check.min(self.row_group_rows) - self.buffered_rows));
            for (buffer, column) in self.columns.iter_mut().zip(batch.column_views()) {
                self.buffered_bytes += buffer.append(&column, start..end);
            }
            self.buffered_rows += end - start;
            start = end;
            let at_check = self.buffered_rows.is_multiple_of(CHECK_EVERY_ROWS);
            if self.buffered_rows >= self.row_group_rows
                || (at_check && self.buffered_bytes >= ROW_GROUP_BYTES)
            {
                self.write_row_group()?;
            }
        }
        self.take_output()
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        if self.buffered_rows > 0 {
            self.write_row_group()?;
        }
        self.writer.finish().map_err(failed)?;
        self.take_output()
    }
}

#[cfg(all(feature = "component", target_family = "wasm"))]
tessera_plugin_sdk::export!(ParquetExporter);

#[cfg(test)]
mod tests;
