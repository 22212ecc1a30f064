//! A Tessera export format that writes a GitHub-flavoured Markdown table, and the template for
//! writing new formats: copy this folder, rename, replace the body of the `Exporter` impl.
//!
//! The whole contract is the `Exporter` trait from `tessera-plugin-sdk`: `info` says what the
//! format is, `new` reads the options, `begin`/`write_batch`/`finish` return the file's bytes
//! piece by piece. Tables follow the GFM spec (<https://github.github.com/gfm/#tables-extension->):
//! a header row, a delimiter row that also sets each column's alignment, then one row per
//! record. A pipe inside a cell is escaped as `\|` and a line break becomes `<br>`, because a
//! table row must stay on one line.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tessera_plugin_sdk::{
    Batch, Column, ColumnType, ExportRequest, Exporter, FormatInfo, PluginError, parse_options,
};

/// The options: serde reads them, and the SDK derives from the same struct the JSON Schema the
/// server checks them against and builds the export form from. Each doc comment is an option's
/// help text, `title` its label, and `Default` its default.
#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "Markdown table options")]
struct MarkdownOptions {
    /// What a null cell shows, e.g. "—" or "NULL".
    null_text: String,
    /// Right-align integer and float columns.
    align_numbers: bool,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            null_text: String::new(),
            align_numbers: true,
        }
    }
}

/// The state of one export. The host starts a fresh plugin instance per export, so this lives
/// exactly as long as the export does.
struct MarkdownTable {
    /// Already escaped for a cell.
    null_text: String,
    align_numbers: bool,
    /// A GFM table needs at least one column; without any, the export is empty.
    has_columns: bool,
    /// Reused for every cell, so a row costs no allocation once it has grown.
    cell: String,
    /// The schema: it says how each column's cells are written (UTC datetimes end in `Z`).
    schema: Vec<Column>,
}

impl Exporter for MarkdownTable {
    fn info() -> FormatInfo {
        // id, display name, Content-Type, file extension.
        FormatInfo::new("markdown", "Markdown table", "text/markdown", "md")
            .with_options::<MarkdownOptions>()
    }

    fn new(request: &ExportRequest) -> Result<Self, PluginError> {
        let options: MarkdownOptions = parse_options(&request.options)?;
        Ok(MarkdownTable {
            null_text: escape_cell(&options.null_text),
            align_numbers: options.align_numbers,
            has_columns: !request.schema.is_empty(),
            cell: String::new(),
            schema: request.schema.clone(),
        })
    }

    fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        if !self.has_columns {
            return Ok(Vec::new());
        }
        let mut out = String::from("|");
        for column in &request.schema {
            out.push(' ');
            out.push_str(&escape_cell(&column.name));
            out.push_str(" |");
        }
        out.push_str("\n|");
        for column in &request.schema {
            let numeric = matches!(column.kind, ColumnType::Int64 | ColumnType::Float64);
            out.push_str(if numeric && self.align_numbers {
                " ---: |"
            } else {
                " --- |"
            });
        }
        out.push('\n');
        Ok(out.into_bytes())
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        if !self.has_columns {
            return Ok(Vec::new());
        }
        let mut out = String::new();
        for row in 0..batch.row_count() {
            out.push('|');
            for (view, column) in batch.column_views().zip(&self.schema) {
                out.push(' ');
                self.cell.clear();
                // The SDK renders the value as text (numbers, dates, booleans, datetimes with a
                // `Z` when they are UTC instants); false means null.
                if view
                    .cells()
                    .of_column(column)
                    .write_text(row, &mut self.cell)
                {
                    out.push_str(&escape_cell(&self.cell));
                } else {
                    out.push_str(&self.null_text);
                }
                out.push_str(" |");
            }
            out.push('\n');
        }
        Ok(out.into_bytes())
    }
}

/// Makes text safe inside one table cell.
fn escape_cell(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            // A backslash escapes the next character in Markdown, so it is doubled first.
            '\\' => escaped.push_str("\\\\"),
            '|' => escaped.push_str("\\|"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                escaped.push_str("<br>");
            }
            '\n' => escaped.push_str("<br>"),
            other => escaped.push(other),
        }
    }
    escaped
}

// Generates the component's exports from the `Exporter` impl. Exactly once per plugin.
tessera_plugin_sdk::export!(MarkdownTable);

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::ColumnData;
    use tessera_plugin_sdk::testing::{export_request, run_export};

    fn export(options: &str) -> String {
        let request = export_request(
            &[
                ("name", ColumnType::Utf8),
                ("score", ColumnType::Float64),
                ("day", ColumnType::Date),
            ],
            options,
        );
        let batch = Batch::from_columns(vec![
            ColumnData::utf8([Some("a|b"), Some("two\nlines"), None]),
            ColumnData::float64([Some(1.5), None, Some(-2.0)]),
            ColumnData::date([Some(19_723), Some(0), None]),
        ]);
        String::from_utf8(run_export::<MarkdownTable>(request, [batch]).unwrap()).unwrap()
    }

    #[test]
    fn writes_a_gfm_table() {
        assert_eq!(
            export("{}"),
            "| name | score | day |\n\
             | --- | ---: | --- |\n\
             | a\\|b | 1.5 | 2024-01-01 |\n\
             | two<br>lines |  | 1970-01-01 |\n\
             |  | -2 |  |\n"
        );
    }

    #[test]
    fn options_change_nulls_and_alignment() {
        let table = export(r#"{"null_text": "—", "align_numbers": false}"#);
        assert!(table.contains("| --- | --- | --- |"), "{table}");
        assert!(table.ends_with("| — | -2 | — |\n"), "{table}");
    }

    // Issue 14, item 22: instants (values given with a zone, kept in UTC) say so with `Z`.
    #[test]
    fn utc_datetimes_end_in_z() {
        let request = export_request(
            &[
                ("at", ColumnType::Datetime),
                ("local", ColumnType::Datetime),
            ],
            "{}",
        )
        .with_utc_columns(&["at"]);
        let batch = Batch::from_columns(vec![
            ColumnData::datetime([Some(1_717_245_000_000_000)]),
            ColumnData::datetime([Some(1_704_099_600_000_000)]),
        ]);
        let table =
            String::from_utf8(run_export::<MarkdownTable>(request, [batch]).unwrap()).unwrap();
        assert_eq!(
            table,
            "| at | local |\n| --- | --- |\n| 2024-06-01T12:30:00Z | 2024-01-01T09:00:00 |\n"
        );
    }

    #[test]
    fn escapes_keep_cells_on_one_line() {
        assert_eq!(escape_cell("a\\b|c\r\nd\re"), "a\\\\b\\|c<br>d<br>e");
    }

    #[test]
    fn unknown_options_are_refused() {
        let request = export_request(&[("n", ColumnType::Int64)], r#"{"colour": "red"}"#);
        let error = run_export::<MarkdownTable>(request, []).unwrap_err();
        assert!(matches!(error, PluginError::InvalidOptions(_)), "{error:?}");
    }
}
