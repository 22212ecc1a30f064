//! What a report says, top to bottom: the title, the export time, the dataset's description
//! and metadata, the per-column statistics, then the rows.
//!
//! The rows table starts with a `#` column of row numbers. When the columns cannot all be
//! given a readable width on one page, the table is split into groups of columns, each laid
//! out over all rows in turn (the row numbers tie them together), rather than shrinking every
//! column to a sliver.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;

use sha2::{Digest, Sha256};
use tessera_plugin_sdk::{Column, ColumnStats, ColumnType, DatasetInfo, PluginError};

use crate::document::{DocumentInfo, PdfWriter};
use crate::font::ReportFont;
use crate::format::{Timestamp, mean, thousands};
use crate::layout::{
    Align, CELL_PADDING, Cell, Footer, Layout, PageCounter, PageGeometry, PageSink, TableColumn,
    TableRows, TableStyle, TextStyle, allocate_widths,
};
use crate::rows::RowBuffer;

const TITLE: TextStyle = TextStyle::new(18.0).bold();
const HEADING: TextStyle = TextStyle::new(12.0).bold();
const BODY: TextStyle = TextStyle::new(9.0);
/// The size of the rows table's text.
pub(crate) const TABLE_SIZE: f32 = 7.5;
const TABLE_ROW_HEIGHT: f32 = 11.0;
const DETAIL_SIZE: f32 = 8.5;
const DETAIL_ROW_HEIGHT: f32 = 13.0;
/// Narrower than this, a column of the rows table shows too little to be worth it; columns
/// that would get less are moved to a further group.
const MIN_COLUMN_WIDTH: f32 = 48.0;
const MAX_DESCRIPTION_LINES: usize = 30;

/// Everything the report shows, gathered over the export.
pub(crate) struct Report {
    pub title: String,
    pub dataset: DatasetInfo,
    pub schema: Vec<Column>,
    pub exported_at: String,
    pub options_json: String,
    /// `None`: no statistics section; `Some(None)`: wanted, but the host sent none.
    pub stats: Option<Option<Vec<ColumnStats>>>,
    pub geometry: PageGeometry,
    /// Whether the rows table is shown at all (`max_rows` above 0).
    pub show_rows: bool,
    pub rows: RowBuffer,
    /// Every row the export had, shown or not.
    pub rows_seen: u64,
}

impl Report {
    /// Lays the report out and writes the PDF file.
    pub fn render(&self, font: &ReportFont) -> Result<Vec<u8>, PluginError> {
        let exported = Timestamp::parse(&self.exported_at);
        // The first pass counts the pages and finds the characters to embed.
        let mut counter = PageCounter::default();
        let used = self.lay_out(font, &mut counter, None)?;
        let subset_font = font.subset(&used, &subset_tag(&used))?;
        let mut writer = PdfWriter::new(subset_font, self.geometry);
        let used_again = self.lay_out(font, &mut writer, Some(counter.pages))?;
        if !used_again.is_subset(&used) {
            return Err(PluginError::failed(
                "the report's two layout passes drew different characters",
            ));
        }

        let digest = Sha256::digest(
            [
                "tessera-pdf-report",
                &self.dataset.id,
                &self.dataset.version_sha256,
                &self.exported_at,
                &self.options_json,
                &self.rows_seen.to_string(),
            ]
            .join("\n"),
        );
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        let info = DocumentInfo {
            title: self.title.clone(),
            subject: self.dataset.description.trim().to_owned(),
            keywords: self.dataset.tags.join(", "),
            date: exported.map(|t| t.pdf_date()),
            id,
        };
        writer.finish(&used, &info)
    }

    /// Lays the whole report out into `sink`; returns the characters it uses.
    fn lay_out(
        &self,
        font: &ReportFont,
        sink: &mut dyn PageSink,
        total_pages: Option<usize>,
    ) -> Result<BTreeSet<char>, PluginError> {
        let exported_text = Timestamp::parse(&self.exported_at)
            .map_or_else(|| self.exported_at.clone(), |t| t.display());
        let drawable = |text: &str| {
            let mut out = String::new();
            font.push_drawable(text, u32::MAX, &mut out);
            out
        };
        let footer = Footer {
            text: drawable(&format!("{} · {exported_text}", self.title)),
            total: total_pages,
        };
        let mut layout = Layout::new(font, self.geometry, sink, footer);
        layout.paragraph(&drawable(&self.title), TITLE, 3);
        layout.skip(2.0);
        layout.paragraph(
            &drawable(&format!("Exported {exported_text}")),
            BODY.muted(),
            1,
        );
        layout.skip(6.0);
        let description = self.dataset.description.trim();
        if !description.is_empty() {
            let description: String = description
                .lines()
                .map(|line| drawable(line.trim_end()))
                .collect::<Vec<_>>()
                .join("\n");
            layout.paragraph(&description, BODY, MAX_DESCRIPTION_LINES);
            layout.skip(6.0);
        }
        self.metadata(&mut layout, &drawable);
        if let Some(stats) = &self.stats {
            self.statistics(&mut layout, stats.as_deref(), &drawable);
        }
        if self.show_rows {
            self.rows_table(&mut layout, &drawable);
        }
        layout.finish()
    }

    fn heading(&self, layout: &mut Layout<'_, '_>, text: &str, keep_with: f32) {
        layout.skip(8.0);
        layout.ensure_space(HEADING.size * 1.4 + keep_with);
        layout.paragraph(text, HEADING, 1);
        layout.skip(2.0);
    }

    fn metadata(&self, layout: &mut Layout<'_, '_>, drawable: &dyn Fn(&str) -> String) {
        let dataset = &self.dataset;
        let none = |what: &str| Cell::muted(what.to_owned());
        let entries: Vec<(&str, Cell<'_>)> = vec![
            ("Dataset", Cell::new(drawable(&dataset.id))),
            ("Version", Cell::new(dataset.version.to_string())),
            ("SHA-256", Cell::new(drawable(&dataset.version_sha256))),
            (
                "Licence",
                match &dataset.licence {
                    Some(licence) if !licence.trim().is_empty() => Cell::new(drawable(licence)),
                    _ => none("not stated"),
                },
            ),
            (
                "Tags",
                match dataset.tags.is_empty() {
                    true => none("none"),
                    false => Cell::new(drawable(&dataset.tags.join(", "))),
                },
            ),
            ("Rows", Cell::new(thousands(self.rows_seen))),
            ("Columns", Cell::new(thousands(self.schema.len() as u64))),
        ];
        let font = layout.font();
        let label_width = entries
            .iter()
            .map(|(label, _)| font.width_pt(label, DETAIL_SIZE))
            .fold(0.0, f32::max)
            + 2.0 * CELL_PADDING
            + 12.0;
        let columns = [
            TableColumn {
                title: String::new(),
                width: label_width,
                align: Align::Left,
            },
            TableColumn {
                title: String::new(),
                width: layout.geometry().content_width() - label_width,
                align: Align::Left,
            },
        ];
        let rows = KeyValueRows { entries };
        layout.table(
            &columns,
            &rows,
            &TableStyle {
                text: TextStyle::new(DETAIL_SIZE),
                row_height: DETAIL_ROW_HEIGHT,
                header: false,
                zebra: false,
            },
        );
    }

    fn statistics(
        &self,
        layout: &mut Layout<'_, '_>,
        stats: Option<&[ColumnStats]>,
        drawable: &dyn Fn(&str) -> String,
    ) {
        self.heading(layout, "Column statistics", 3.0 * DETAIL_ROW_HEIGHT);
        let Some(stats) = stats else {
            layout.paragraph(
                "Statistics were not computed for this export.",
                BODY.muted(),
                1,
            );
            return;
        };
        let rows = StatsRows {
            rows: self
                .schema
                .iter()
                .map(|column| {
                    let found = stats.iter().find(|s| s.name == column.name);
                    stats_row(column, found, drawable)
                })
                .collect(),
        };
        let titles = [
            "Column", "Type", "Count", "Nulls", "Distinct", "Min", "Max", "Mean",
        ];
        let aligns = [
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
            Align::Left,
            Align::Right,
        ];
        let columns = self.fit_columns(
            layout,
            &titles.map(str::to_owned),
            &aligns,
            DETAIL_SIZE,
            &rows,
        );
        layout.table(
            &columns,
            &rows,
            &TableStyle {
                text: TextStyle::new(DETAIL_SIZE),
                row_height: DETAIL_ROW_HEIGHT,
                header: true,
                zebra: true,
            },
        );
    }

    fn rows_table(&self, layout: &mut Layout<'_, '_>, drawable: &dyn Fn(&str) -> String) {
        let shown = self.rows.len();
        let note = if self.schema.is_empty() {
            "The export has no columns.".to_owned()
        } else if self.rows_seen == 0 {
            "The export has no rows.".to_owned()
        } else if shown as u64 >= self.rows_seen {
            format!("Showing all {} rows.", thousands(self.rows_seen))
        } else if self.rows.is_full() {
            format!(
                "Showing {} of {} rows, as many as fit in the memory a report may use.",
                thousands(shown as u64),
                thousands(self.rows_seen)
            )
        } else {
            format!(
                "Showing {} of {} rows.",
                thousands(shown as u64),
                thousands(self.rows_seen)
            )
        };
        let number_width = layout
            .font()
            .width_pt(&shown.max(1).to_string(), TABLE_SIZE)
            .max(layout.font().width_pt("#", TABLE_SIZE))
            + 2.0 * CELL_PADDING;
        let groups = column_groups(
            self.schema.len(),
            layout.geometry().content_width() - number_width,
        );
        for (index, group) in groups.iter().enumerate() {
            let heading = if groups.len() == 1 {
                "Rows".to_owned()
            } else {
                format!(
                    "Rows, columns {}–{} of {}",
                    group.start + 1,
                    group.end,
                    self.schema.len()
                )
            };
            if index > 0 {
                layout.new_page();
            }
            self.heading(layout, &heading, BODY.size * 1.4 + 3.0 * TABLE_ROW_HEIGHT);
            layout.paragraph(&note, BODY.muted(), 1);
            layout.skip(4.0);
            if shown == 0 || self.schema.is_empty() {
                continue;
            }
            let view = RowsView {
                rows: &self.rows,
                columns: group.clone(),
            };
            let mut titles = vec!["#".to_owned()];
            let mut aligns = vec![Align::Right];
            for column in &self.schema[group.clone()] {
                titles.push(drawable(&column.name));
                aligns.push(match column.kind {
                    ColumnType::Int64 | ColumnType::Float64 => Align::Right,
                    _ => Align::Left,
                });
            }
            let columns = self.fit_columns(layout, &titles, &aligns, TABLE_SIZE, &view);
            layout.table(
                &columns,
                &view,
                &TableStyle {
                    text: TextStyle::new(TABLE_SIZE),
                    row_height: TABLE_ROW_HEIGHT,
                    header: true,
                    zebra: true,
                },
            );
        }
    }

    /// Columns as wide as their widest cell or title wants, shared out over the page width.
    fn fit_columns(
        &self,
        layout: &Layout<'_, '_>,
        titles: &[String],
        aligns: &[Align],
        size: f32,
        rows: &dyn TableRows,
    ) -> Vec<TableColumn> {
        let font = layout.font();
        let mut natural: Vec<u32> = titles.iter().map(|title| font.width(title)).collect();
        for row in 0..rows.row_count() {
            for (column, widest) in natural.iter_mut().enumerate() {
                *widest = (*widest).max(font.width(&rows.cell(row, column).text));
            }
        }
        let natural: Vec<f32> = natural
            .iter()
            .map(|width| *width as f32 * size / 1000.0 + 2.0 * CELL_PADDING)
            .collect();
        let widths = allocate_widths(&natural, layout.geometry().content_width());
        titles
            .iter()
            .zip(aligns)
            .zip(widths)
            .map(|((title, align), width)| TableColumn {
                title: title.clone(),
                width,
                align: *align,
            })
            .collect()
    }
}

/// The columns `0..count` in groups that each fit `width` points at the minimum column width,
/// as even in size as possible.
pub(crate) fn column_groups(count: usize, width: f32) -> Vec<Range<usize>> {
    if count == 0 {
        return std::iter::once(0..0).collect();
    }
    let per_group = ((width / MIN_COLUMN_WIDTH).floor() as usize).max(1);
    let groups = count.div_ceil(per_group);
    let (base, extra) = (count / groups, count % groups);
    let mut start = 0;
    (0..groups)
        .map(|group| {
            let size = base + usize::from(group < extra);
            let range = start..start + size;
            start += size;
            range
        })
        .collect()
}

/// Six capital letters naming this subset of the font, derived from the characters in it.
fn subset_tag(used: &BTreeSet<char>) -> String {
    let text: String = used.iter().collect();
    Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|byte| char::from(b'A' + byte % 26))
        .collect()
}

/// The column's type as the report names it; UTC instants as the API's schema names them.
fn type_name(column: &Column) -> &'static str {
    if column.is_utc() {
        return "datetime[UTC]";
    }
    match column.kind {
        ColumnType::Boolean => "boolean",
        ColumnType::Int64 => "integer",
        ColumnType::Float64 => "float",
        ColumnType::Utf8 => "text",
        ColumnType::Date => "date",
        ColumnType::Datetime => "datetime",
        ColumnType::Null => "null",
    }
}

fn stats_row(
    column: &Column,
    stats: Option<&ColumnStats>,
    drawable: &dyn Fn(&str) -> String,
) -> Vec<Cell<'static>> {
    let mut row = vec![
        Cell::new(drawable(&column.name)),
        Cell::muted(type_name(column)),
    ];
    match stats {
        None => row.extend((0..6).map(|_| Cell::new(""))),
        Some(stats) => {
            row.push(Cell::new(thousands(stats.count)));
            row.push(Cell::new(thousands(stats.nulls)));
            row.push(Cell::new(stats.distinct.map(thousands).unwrap_or_default()));
            row.push(Cell::new(
                stats.min.as_deref().map(drawable).unwrap_or_default(),
            ));
            row.push(Cell::new(
                stats.max.as_deref().map(drawable).unwrap_or_default(),
            ));
            row.push(Cell::new(stats.mean.map(mean).unwrap_or_default()));
        }
    }
    row
}

struct KeyValueRows<'a> {
    entries: Vec<(&'a str, Cell<'a>)>,
}

impl TableRows for KeyValueRows<'_> {
    fn row_count(&self) -> usize {
        self.entries.len()
    }

    fn cell(&self, row: usize, column: usize) -> Cell<'_> {
        match (column, self.entries.get(row)) {
            (0, Some((label, _))) => Cell::muted(*label),
            (_, Some((_, value))) => Cell {
                text: Cow::Borrowed(&value.text),
                tone: value.tone,
            },
            _ => Cell::new(""),
        }
    }
}

struct StatsRows {
    rows: Vec<Vec<Cell<'static>>>,
}

impl TableRows for StatsRows {
    fn row_count(&self) -> usize {
        self.rows.len()
    }

    fn cell(&self, row: usize, column: usize) -> Cell<'_> {
        match self.rows.get(row).and_then(|cells| cells.get(column)) {
            Some(cell) => Cell {
                text: Cow::Borrowed(&cell.text),
                tone: cell.tone,
            },
            None => Cell::new(""),
        }
    }
}

/// The kept rows, one group of columns, with row numbers in front.
struct RowsView<'a> {
    rows: &'a RowBuffer,
    columns: Range<usize>,
}

impl TableRows for RowsView<'_> {
    fn row_count(&self) -> usize {
        self.rows.len()
    }

    fn cell(&self, row: usize, column: usize) -> Cell<'_> {
        if column == 0 {
            return Cell::muted((row + 1).to_string());
        }
        match self.rows.cell(row, self.columns.start + column - 1) {
            Some(text) => Cell::new(text),
            None => Cell::muted("null"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_tables_split_into_even_column_groups() {
        assert_eq!(
            column_groups(5, 500.0),
            Vec::from_iter(std::iter::once(0..5))
        );
        assert_eq!(
            column_groups(0, 500.0),
            Vec::from_iter(std::iter::once(0..0))
        );
        // 10 columns of 48 points fit 500 points; 25 columns make 3 groups of 9, 8 and 8.
        assert_eq!(column_groups(25, 500.0), [0..9, 9..17, 17..25]);
        assert_eq!(column_groups(3, 10.0), [0..1, 1..2, 2..3]);
    }
}
