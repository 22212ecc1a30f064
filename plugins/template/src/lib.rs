//! A Tessera export format that writes a GitHub-flavoured Markdown table, and the template for
//! writing new formats: `tessera plugin new NAME` copies it, and you replace the body of the
//! `Exporter` impl.
//!
//! The whole contract is the `Exporter` trait from `tessera-plugin-sdk`: `info` says what the
//! format is, `new` reads the options, `begin`/`write_batch`/`finish` return the file's bytes
//! piece by piece. Tables follow the GFM spec (<https://github.github.com/gfm/#tables-extension->):
//! a header row, a delimiter row that also sets each column's alignment, then one row per
//! record. A pipe inside a cell is escaped as `\|` (a backslash as `\\`, since it escapes what
//! follows it) and a line break becomes `<br>`, because a table row must stay on one line.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};
use tessera_plugin_sdk::{Column, TextTable, parse_options};

/// The options: serde reads them, and the SDK derives from the same struct the JSON Schema the
/// server checks them against and builds the export form from. Each doc comment is an option's
/// help text, and `Default` gives the defaults.
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
    /// Writes the rows: `| cell | cell |`, each cell escaped.
    table: TextTable,
    /// The header and delimiter rows, which `begin` returns.
    header: Vec<u8>,
}

impl Exporter for MarkdownTable {
    fn info() -> FormatInfo {
        // id, display name, Content-Type, file extension; the options schema from the struct.
        FormatInfo::new("markdown", "Markdown table", "text/markdown", "md")
            .with_options::<MarkdownOptions>()
    }

    fn new(request: &ExportRequest) -> Result<Self, PluginError> {
        let options: MarkdownOptions = parse_options(&request.options)?;
        let table = TextTable::new(&request.schema, "| ", " | ", " |\n")
            .escapes(&[("\\", "\\\\"), ("|", "\\|")])
            .line_breaks("<br>")
            .null_text(&options.null_text);
        // The delimiter row: `---:` right-aligns a column.
        let right = |column: &Column| column.kind.is_numeric() && options.align_numbers;
        let rule = |column| if right(column) { "---:" } else { "---" };
        let mut header = table.header();
        table.write_row(request.schema.iter().map(rule), &mut header);
        Ok(MarkdownTable { table, header })
    }

    fn begin(&mut self, _request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        Ok(std::mem::take(&mut self.header))
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        // Each cell is the SDK's text of its value (datetimes of UTC instants end in `Z`).
        Ok(self.table.write_batch(batch))
    }
}

// Generates the component's exports from the `Exporter` impl. Exactly once per plugin.
tessera_plugin_sdk::export!(MarkdownTable);

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::testing::{export_request, run_export};
    use tessera_plugin_sdk::{ColumnData, ColumnType};

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
        let request = export_request(&[("a|b", ColumnType::Utf8)], "{}");
        let batch = Batch::from_columns(vec![ColumnData::utf8([Some("a\\b|c\r\nd\re")])]);
        let table =
            String::from_utf8(run_export::<MarkdownTable>(request, [batch]).unwrap()).unwrap();
        assert_eq!(table, "| a\\|b |\n| --- |\n| a\\\\b\\|c<br>d<br>e |\n");
    }

    #[test]
    fn no_columns_no_table() {
        let request = export_request(&[], "{}");
        let batch = Batch {
            rows: 2,
            columns: vec![],
        };
        assert!(
            run_export::<MarkdownTable>(request, [batch])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn unknown_options_are_refused() {
        let request = export_request(&[("n", ColumnType::Int64)], r#"{"colour": "red"}"#);
        let error = run_export::<MarkdownTable>(request, []).unwrap_err();
        assert!(matches!(error, PluginError::InvalidOptions(_)), "{error:?}");
    }
}
