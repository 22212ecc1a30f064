//! Tables written as lines of text: Markdown (`| a | b |`), tab-separated values, and any format
//! whose rows are a start, the cells with a separator between them, and an end.
//!
//! Such formats differ only in those three strings and in what they escape inside a cell, so a
//! [`TextTable`] is told exactly that and does the rest: each cell is its value's house text
//! ([`crate::Value::write_text`]; datetimes of a column of UTC instants end in `Z`, as the
//! schema says), column names and values alike go through the escapes, and a null is the null
//! text. It is a helper, not a format: the format still decides what goes before, between and
//! after the rows (a header, a Markdown delimiter row).

use crate::text::{TextOut, push_bytes};
use crate::{Batch, Column, ColumnCells};

/// Writes rows of cells as lines of text. Built once per export from the request's schema:
///
/// ```
/// use tessera_plugin_sdk::testing::export_request;
/// use tessera_plugin_sdk::{Batch, ColumnData, ColumnType, TextTable};
///
/// let request = export_request(&[("name", ColumnType::Utf8), ("n", ColumnType::Int64)], "{}");
/// let mut table = TextTable::new(&request.schema, "| ", " | ", " |\n")
///     .escapes(&[("|", "\\|")])
///     .line_breaks("<br>")
///     .null_text("—");
/// let mut out = table.header();
/// out.extend(table.write_batch(&Batch::from_columns(vec![
///     ColumnData::utf8([Some("a|b"), Some("two\nlines")]),
///     ColumnData::int64([Some(1), None]),
/// ])));
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "| name | n |\n| a\\|b | 1 |\n| two<br>lines | — |\n"
/// );
/// ```
///
/// A table of no columns writes nothing at all: a line of no cells would read as one empty cell.
#[derive(Clone, Debug)]
pub struct TextTable {
    schema: Vec<Column>,
    start: String,
    separator: String,
    end: String,
    /// What replaces what, tried in this order at each position of a text.
    escapes: Vec<(String, String)>,
    null_text: String,
    /// The text of the cell being written, reused so that a row costs no allocation.
    cell: String,
}

impl TextTable {
    /// A table of `schema`'s columns whose lines are `start`, the cells with `separator` between
    /// them, and `end` (the line break included); nothing escaped and nulls empty until the
    /// methods below say otherwise. Tab-separated values are `TextTable::new(schema, "", "\t",
    /// "\n")`.
    pub fn new(schema: &[Column], start: &str, separator: &str, end: &str) -> Self {
        TextTable {
            schema: schema.to_vec(),
            start: start.into(),
            separator: separator.into(),
            end: end.into(),
            escapes: Vec::new(),
            null_text: String::new(),
            cell: String::new(),
        }
    }

    /// Adds replacements for text inside a cell, `(from, to)`: at each position of a cell's text
    /// the first `from` found there is written as its `to`, and the text after it is looked at
    /// next (a replacement is never replaced again).
    pub fn escapes(mut self, escapes: &[(&str, &str)]) -> Self {
        self.escapes.extend(
            escapes
                .iter()
                .filter(|(from, _)| !from.is_empty())
                .map(|(from, to)| ((*from).to_owned(), (*to).to_owned())),
        );
        self
    }

    /// Writes each line break inside a cell (CRLF, CR or LF, counted once each) as `text`, so
    /// that a row stays on one line; after the escapes given so far.
    pub fn line_breaks(self, text: &str) -> Self {
        self.escapes(&[("\r\n", text), ("\r", text), ("\n", text)])
    }

    /// What a null cell is written as; it goes through the escapes like any text.
    pub fn null_text(mut self, text: &str) -> Self {
        self.null_text = text.into();
        self
    }

    /// The column names as a line.
    pub fn header(&self) -> Vec<u8> {
        let names: Vec<String> = self.schema.iter().map(|c| c.name.clone()).collect();
        let mut out = Vec::new();
        self.write_row(names.iter().map(String::as_str), &mut out);
        out
    }

    /// Appends one line of these cells' texts, escaped; nothing for a table of no columns.
    pub fn write_row<'a>(&self, cells: impl IntoIterator<Item = &'a str>, out: &mut Vec<u8>) {
        if self.schema.is_empty() {
            return;
        }
        push_bytes(out, self.start.as_bytes());
        for (index, cell) in cells.into_iter().enumerate() {
            if index > 0 {
                push_bytes(out, self.separator.as_bytes());
            }
            write_escaped(cell, &self.escapes, out);
        }
        push_bytes(out, self.end.as_bytes());
    }

    /// The batch's rows, one line each.
    pub fn write_batch(&mut self, batch: &Batch) -> Vec<u8> {
        let mut out = Vec::new();
        if self.schema.is_empty() {
            return out;
        }
        let columns: Vec<ColumnCells<'_>> = batch
            .column_views()
            .zip(&self.schema)
            .map(|(view, column)| view.cells().of_column(column))
            .collect();
        for row in 0..batch.row_count() {
            push_bytes(&mut out, self.start.as_bytes());
            for (index, cells) in columns.iter().enumerate() {
                if index > 0 {
                    push_bytes(&mut out, self.separator.as_bytes());
                }
                self.cell.clear();
                let text = if cells.write_text(row, &mut self.cell) {
                    &self.cell
                } else {
                    &self.null_text
                };
                write_escaped(text, &self.escapes, &mut out);
            }
            push_bytes(&mut out, self.end.as_bytes());
        }
        out
    }
}

/// Appends `text` with each `(from, to)` of `escapes` replaced, trying them in order at each
/// position; a replacement is not looked at again.
fn write_escaped(text: &str, escapes: &[(String, String)], out: &mut impl TextOut) {
    let mut written = 0;
    for (at, _) in text.char_indices() {
        if at < written {
            continue;
        }
        let rest = &text[at..];
        if let Some((from, to)) = escapes.iter().find(|(from, _)| rest.starts_with(from)) {
            out.push_text(&text[written..at]);
            out.push_text(to);
            written = at + from.len();
        }
    }
    out.push_text(&text[written..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::export_request;
    use crate::{ColumnData, ColumnType};

    fn escaped(text: &str, escapes: &[(&str, &str)]) -> String {
        let table = TextTable::new(&[], "", "\t", "\n")
            .escapes(escapes)
            .line_breaks("<br>");
        let mut out = String::new();
        write_escaped(text, &table.escapes, &mut out);
        out
    }

    #[test]
    fn escapes_apply_in_order_once_each() {
        let markdown = [("\\", "\\\\"), ("|", "\\|")];
        assert_eq!(
            escaped("a\\b|c\r\nd\re\nf", &markdown),
            "a\\\\b\\|c<br>d<br>e<br>f"
        );
        // A replacement's own text is not escaped again, and longer patterns listed first win.
        assert_eq!(escaped("||", &[("||", "|"), ("|", "\\|")]), "|");
        assert_eq!(escaped("zürich|😀", &markdown), "zürich\\|😀");
        assert_eq!(escaped("", &markdown), "");
    }

    #[test]
    fn tab_separated_values() {
        let request = export_request(&[("a", ColumnType::Int64), ("b", ColumnType::Utf8)], "{}");
        let mut table = TextTable::new(&request.schema, "", "\t", "\n");
        let mut out = table.header();
        out.extend(table.write_batch(&Batch::from_columns(vec![
            ColumnData::int64([Some(1), None]),
            ColumnData::utf8([None, Some("x y")]),
        ])));
        assert_eq!(String::from_utf8(out).unwrap(), "a\tb\n1\t\n\tx y\n");
    }

    // Issue 14, item 22: instants end in `Z` here too.
    #[test]
    fn cells_follow_the_schema_for_utc_datetimes() {
        let request = export_request(
            &[
                ("at", ColumnType::Datetime),
                ("local", ColumnType::Datetime),
            ],
            "{}",
        )
        .with_utc_columns(&["at"]);
        let mut table = TextTable::new(&request.schema, "", ",", "\n");
        let out = table.write_batch(&Batch::from_columns(vec![
            ColumnData::datetime([Some(0)]),
            ColumnData::datetime([Some(0)]),
        ]));
        assert_eq!(out, b"1970-01-01T00:00:00Z,1970-01-01T00:00:00\n");
    }

    #[test]
    fn a_table_of_no_columns_writes_nothing() {
        let mut table = TextTable::new(&[], "| ", " | ", " |\n");
        assert!(table.header().is_empty());
        let mut out = Vec::new();
        table.write_row(["x"], &mut out);
        assert!(out.is_empty());
        let batch = Batch {
            rows: 3,
            columns: Vec::new(),
        };
        assert!(table.write_batch(&batch).is_empty());
    }
}
