//! The rows a report shows, kept as drawable text until the end of the export.
//!
//! The page count is known only once every row is placed, and "Page 3 of 12" needs it, so the
//! report is laid out in `finish` from rows kept here. Only the first `max_rows` rows are kept,
//! each cell only as far as the widest column could show it, so memory follows what will be
//! printed. Text goes into strings of about a megabyte, whole rows each, rather than one string
//! per cell (an allocation each) or one for everything (which doubles its memory while it
//! grows). Past a fixed budget no more rows are kept: the report then shows fewer rows than
//! `max_rows` and says so, instead of the export failing at the plugin's memory limit.

use tessera_plugin_sdk::time::{Zone, write_iso_datetime};
use tessera_plugin_sdk::{Batch, Column, ColumnView, PluginError, Value};

use crate::font::ReportFont;

/// The size a text chunk is started with; a chunk takes whole rows until it is this full.
const CHUNK_BYTES: usize = 1 << 20;

/// The most memory kept rows may take, text and bookkeeping; a quarter of the 512 MiB the
/// manifest asks for, leaving room for a batch of long text from the host and for layout.
const BUDGET_BYTES: usize = 128 << 20;

pub(crate) struct RowBuffer {
    columns: usize,
    /// The kept cells' text, a row's cells one after another within one chunk.
    chunks: Vec<String>,
    /// Per kept row: its chunk and where its text starts there.
    row_starts: Vec<(u32, u32)>,
    /// Per kept cell, row by row: where its text ends in its row's chunk.
    ends: Vec<u32>,
    /// Per kept cell, row by row: whether it is null.
    nulls: Vec<bool>,
    /// How wide a cell's text may get, in thousandths of an em; the rest could not show.
    max_cell_width: u32,
    /// The most bytes to keep.
    budget: usize,
    /// Whether a row was refused for want of memory.
    full: bool,
    /// Scratch space for one rendered value.
    scratch: String,
    /// Per column: whether its datetimes are UTC instants, shown with `Z`.
    zones: Vec<Zone>,
}

impl RowBuffer {
    pub fn new(columns: usize, max_cell_width: u32) -> Self {
        Self::with_budget(columns, max_cell_width, BUDGET_BYTES)
    }

    fn with_budget(columns: usize, max_cell_width: u32, budget: usize) -> Self {
        RowBuffer {
            columns,
            chunks: Vec::new(),
            row_starts: Vec::new(),
            ends: Vec::new(),
            nulls: Vec::new(),
            max_cell_width,
            budget,
            full: false,
            scratch: String::new(),
            zones: Vec::new(),
        }
    }

    /// The same buffer, showing the datetimes of the schema's UTC columns with `Z`.
    pub fn marking_utc(mut self, schema: &[Column]) -> Self {
        self.zones = schema.iter().map(Zone::of).collect();
        self
    }

    /// The number of rows kept.
    pub fn len(&self) -> usize {
        self.row_starts.len()
    }

    /// Whether rows were left out because the budget was spent.
    pub fn is_full(&self) -> bool {
        self.full
    }

    fn bytes_used(&self) -> usize {
        self.chunks.iter().map(String::capacity).sum::<usize>()
            + self.row_starts.capacity() * 8
            + self.ends.capacity() * 4
            + self.nulls.capacity()
    }

    /// Keeps the batch's first `limit` rows (in the SDK's text form of each value), as many of
    /// them as the budget allows.
    pub fn push_batch(
        &mut self,
        batch: &Batch,
        font: &ReportFont,
        limit: usize,
    ) -> Result<(), PluginError> {
        let columns: Vec<ColumnView<'_>> = batch.column_views().collect();
        for row in 0..batch.row_count().min(limit) {
            if self.full || self.bytes_used() >= self.budget {
                self.full = true;
                return Ok(());
            }
            let start_new_chunk = self
                .chunks
                .last()
                .is_none_or(|chunk| chunk.len() >= CHUNK_BYTES);
            if start_new_chunk {
                self.chunks
                    .push(String::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 16));
            }
            let chunk_index = self.chunks.len() - 1;
            let too_large =
                || PluginError::failed("the rows of the report are too large to lay out");
            let Some(chunk) = self.chunks.last_mut() else {
                return Err(too_large());
            };
            let start = u32::try_from(chunk.len()).map_err(|_| too_large())?;
            self.row_starts
                .push((u32::try_from(chunk_index).map_err(|_| too_large())?, start));
            for (index, column) in columns.iter().enumerate() {
                self.scratch.clear();
                let present = match column.value(row) {
                    Some(Value::Datetime(micros)) => {
                        let zone = self.zones.get(index).copied().unwrap_or_default();
                        write_iso_datetime(micros, zone, &mut self.scratch);
                        true
                    }
                    _ => column.write_text(row, &mut self.scratch),
                };
                if present {
                    font.push_drawable(&self.scratch, self.max_cell_width, chunk);
                }
                self.ends
                    .push(u32::try_from(chunk.len()).map_err(|_| too_large())?);
                self.nulls.push(!present);
            }
        }
        Ok(())
    }

    /// The cell's text, or `None` when it is null.
    pub fn cell(&self, row: usize, column: usize) -> Option<&str> {
        let index = row * self.columns + column;
        if self.nulls.get(index).copied().unwrap_or(true) {
            return None;
        }
        let (chunk, row_start) = *self.row_starts.get(row)?;
        let end = *self.ends.get(index)? as usize;
        let start = match column {
            0 => row_start as usize,
            _ => *self.ends.get(index - 1)? as usize,
        };
        self.chunks.get(chunk as usize)?.get(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::ColumnData;

    #[test]
    fn cells_read_back_with_nulls_and_limits() {
        let font = ReportFont::load().unwrap();
        let mut buffer = RowBuffer::new(2, 100_000);
        let batch = Batch::from_columns(vec![
            ColumnData::int64([Some(1), None, Some(3)]),
            ColumnData::utf8([Some("a\nb"), Some("é漢"), None]),
        ]);
        buffer.push_batch(&batch, &font, 2).unwrap();
        assert_eq!(buffer.len(), 2);
        assert_eq!(buffer.cell(0, 0), Some("1"));
        assert_eq!(buffer.cell(0, 1), Some("a b"));
        assert_eq!(buffer.cell(1, 0), None);
        assert_eq!(buffer.cell(1, 1), Some("é漢"));
        assert_eq!(buffer.cell(2, 0), None, "past the end");
        assert!(!buffer.is_full());
    }

    // Issue 14, item 22: instants (values given with a zone, kept in UTC) say so with `Z`.
    #[test]
    fn utc_datetimes_show_with_z() {
        use tessera_plugin_sdk::ColumnType;
        let font = ReportFont::load().unwrap();
        let schema = [
            Column {
                time_zone: Some("UTC".into()),
                ..Column::new("at", ColumnType::Datetime)
            },
            Column::new("local", ColumnType::Datetime),
        ];
        let mut buffer = RowBuffer::new(2, 100_000).marking_utc(&schema);
        let batch = Batch::from_columns(vec![
            ColumnData::datetime([Some(1_717_245_000_000_000), None]),
            ColumnData::datetime([Some(1_704_099_600_000_000), Some(0)]),
        ]);
        buffer.push_batch(&batch, &font, 2).unwrap();
        assert_eq!(buffer.cell(0, 0), Some("2024-06-01T12:30:00Z"));
        assert_eq!(buffer.cell(0, 1), Some("2024-01-01T09:00:00"));
        assert_eq!(buffer.cell(1, 0), None);
    }

    #[test]
    fn rows_stop_being_kept_when_the_budget_is_spent() {
        let font = ReportFont::load().unwrap();
        let budget = 8 * CHUNK_BYTES;
        let mut buffer = RowBuffer::with_budget(1, u32::MAX, budget);
        let wide = "x".repeat(64 << 10);
        let rows = (budget / wide.len()) + 100;
        let batch = Batch::from_columns(vec![ColumnData::utf8(
            (0..rows).map(|_| Some(wide.as_str())),
        )]);
        buffer.push_batch(&batch, &font, usize::MAX).unwrap();
        assert!(buffer.is_full());
        assert!(
            buffer.len() < rows && buffer.len() > rows / 3,
            "{} of {rows}",
            buffer.len()
        );
        assert!(buffer.bytes_used() < budget + 2 * CHUNK_BYTES);
        assert_eq!(
            buffer.cell(buffer.len() - 1, 0).map(str::len),
            Some(wide.len())
        );
    }

    #[test]
    fn long_cells_are_kept_only_as_far_as_they_could_show() {
        let font = ReportFont::load().unwrap();
        let limit = 20 * font.advance('x');
        let mut buffer = RowBuffer::new(1, limit);
        let long = "x".repeat(10_000);
        buffer
            .push_batch(
                &Batch::from_columns(vec![ColumnData::utf8([Some(long.as_str())])]),
                &font,
                10,
            )
            .unwrap();
        assert_eq!(buffer.cell(0, 0).map(str::len), Some(21));
    }
}
