//! The CSV export format: one record per row, fields quoted as RFC 4180 section 2 says
//! (<https://www.rfc-editor.org/rfc/rfc4180#section-2>).
//!
//! Output streams: the header (and BOM) come from `begin`, each batch's records from its own
//! `write-batch`, so memory stays flat however many rows the export has. What a cell looks like
//! is the SDK's house text form, except for dates and datetimes, whose layout the user may
//! choose. Nulls follow PostgreSQL's `COPY ... CSV` convention: written as `null_text` without
//! quotes, while a text value that happens to equal `null_text` is quoted, so a reader can tell
//! an empty string from a null.

use serde::Deserialize;
use tessera_plugin_sdk::time::{CivilDateTime, TimePattern};
use tessera_plugin_sdk::{
    Batch, ColumnView, ExportRequest, Exporter, FormatInfo, PluginError, Value, parse_options,
};

const OPTIONS_SCHEMA: &str = include_str!("options.schema.json");

/// The options as the user gives them; `options.schema.json` describes the same fields.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct CsvOptions {
    delimiter: char,
    header: bool,
    null_text: String,
    line_ending: LineEnding,
    bom: bool,
    date_format: String,
    datetime_format: Option<String>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: ',',
            header: true,
            null_text: String::new(),
            line_ending: LineEnding::Lf,
            bom: false,
            date_format: "%Y-%m-%d".into(),
            datetime_format: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum LineEnding {
    Lf,
    Crlf,
}

impl LineEnding {
    fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::Crlf => "\r\n",
        }
    }
}

const UTF8_BOM: &str = "\u{feff}";

struct CsvExporter {
    delimiter: char,
    header: bool,
    null_text: String,
    line_ending: &'static str,
    bom: bool,
    date_pattern: TimePattern,
    /// `None` is the SDK's ISO 8601 form, whose fraction comes and goes with the microseconds,
    /// which no fixed pattern can say.
    datetime_pattern: Option<TimePattern>,
    /// A record of one empty field is an empty line, which many readers skip; such fields are
    /// quoted when they are values (as Python's `csv` module does).
    single_column: bool,
    /// Scratch space for a rendered cell, reused so that a row costs no allocation.
    cell: String,
}

impl CsvExporter {
    /// Appends one field, quoting it when RFC 4180 requires it or when `quote_anyway`.
    fn push_field(&self, text: &str, quote_anyway: bool, out: &mut String) {
        let delimiter = self.delimiter;
        let needs_quotes = quote_anyway || text.contains([delimiter, '"', '\r', '\n']);
        if !needs_quotes {
            out.push_str(text);
            return;
        }
        out.push('"');
        for (index, piece) in text.split('"').enumerate() {
            if index > 0 {
                out.push_str("\"\"");
            }
            out.push_str(piece);
        }
        out.push('"');
    }

    fn push_cell(&mut self, column: &ColumnView<'_>, row: usize, out: &mut String) {
        let Some(value) = column.value(row) else {
            out.push_str(&self.null_text);
            return;
        };
        let mut cell = std::mem::take(&mut self.cell);
        cell.clear();
        let text = match value {
            Value::Utf8(text) => text,
            Value::Date(days) => {
                self.date_pattern
                    .write(&CivilDateTime::from_days(i64::from(days)), &mut cell);
                &cell
            }
            Value::Datetime(micros) => {
                match &self.datetime_pattern {
                    Some(pattern) => pattern.write(&CivilDateTime::from_micros(micros), &mut cell),
                    None => value.write_text(&mut cell),
                }
                &cell
            }
            Value::Boolean(_) | Value::Int64(_) | Value::Float64(_) => {
                value.write_text(&mut cell);
                &cell
            }
        };
        let quote_anyway = text == self.null_text || (text.is_empty() && self.single_column);
        self.push_field(text, quote_anyway, out);
        self.cell = cell;
    }
}

impl Exporter for CsvExporter {
    fn info() -> FormatInfo {
        FormatInfo::new("csv", "CSV", "text/csv", "csv").with_options_schema(OPTIONS_SCHEMA)
    }

    fn new(request: &ExportRequest) -> Result<Self, PluginError> {
        let options: CsvOptions = parse_options(&request.options)?;
        if matches!(options.delimiter, '"' | '\r' | '\n') {
            return Err(PluginError::invalid_options(
                "option `delimiter`: must not be a double quote, CR or LF",
            ));
        }
        if options
            .null_text
            .contains([options.delimiter, '"', '\r', '\n'])
        {
            return Err(PluginError::invalid_options(
                "option `null_text`: must not contain the delimiter, a double quote, CR or LF",
            ));
        }
        let date_pattern = TimePattern::parse(&options.date_format).map_err(|reason| {
            PluginError::invalid_options(format!("option `date_format`: {reason}"))
        })?;
        let datetime_pattern = options
            .datetime_format
            .as_deref()
            .map(TimePattern::parse)
            .transpose()
            .map_err(|reason| {
                PluginError::invalid_options(format!("option `datetime_format`: {reason}"))
            })?;
        Ok(CsvExporter {
            delimiter: options.delimiter,
            header: options.header,
            null_text: options.null_text,
            line_ending: options.line_ending.as_str(),
            bom: options.bom,
            date_pattern,
            datetime_pattern,
            single_column: request.schema.len() == 1,
            cell: String::new(),
        })
    }

    fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let mut out = String::new();
        if self.bom {
            out.push_str(UTF8_BOM);
        }
        if self.header {
            for (index, column) in request.schema.iter().enumerate() {
                if index > 0 {
                    out.push(self.delimiter);
                }
                self.push_field(
                    &column.name,
                    column.name.is_empty() && self.single_column,
                    &mut out,
                );
            }
            out.push_str(self.line_ending);
        }
        Ok(out.into_bytes())
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let columns: Vec<ColumnView<'_>> = batch.column_views().collect();
        // A guess that saves most reallocations for numeric data; text grows it as needed.
        let mut out = String::with_capacity(batch.row_count() * (columns.len() * 8 + 1));
        for row in 0..batch.row_count() {
            for (index, column) in columns.iter().enumerate() {
                if index > 0 {
                    out.push(self.delimiter);
                }
                self.push_cell(column, row, &mut out);
            }
            out.push_str(self.line_ending);
        }
        Ok(out.into_bytes())
    }
}

tessera_plugin_sdk::export!(CsvExporter);

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::testing::{export_request, run_export};
    use tessera_plugin_sdk::{ColumnData, ColumnType};

    fn export(
        schema: &[(&str, ColumnType)],
        options: &str,
        batches: Vec<Vec<ColumnData>>,
    ) -> Result<String, PluginError> {
        let output = run_export::<CsvExporter>(
            export_request(schema, options),
            batches.into_iter().map(Batch::from_columns),
        )?;
        Ok(String::from_utf8(output).unwrap())
    }

    fn invalid_options(options: &str) -> String {
        match export(&[("a", ColumnType::Int64)], options, vec![]) {
            Err(PluginError::InvalidOptions(message)) => message,
            other => panic!("expected invalid options, got {other:?}"),
        }
    }

    #[test]
    fn every_type_renders_with_defaults() {
        let schema = [
            ("id", ColumnType::Int64),
            ("score", ColumnType::Float64),
            ("ok", ColumnType::Boolean),
            ("name", ColumnType::Utf8),
            ("day", ColumnType::Date),
            ("at", ColumnType::Datetime),
            ("nothing", ColumnType::Null),
        ];
        let output = export(
            &schema,
            "{}",
            vec![vec![
                ColumnData::int64([Some(1), None]),
                ColumnData::float64([Some(0.5), Some(f64::NAN)]),
                ColumnData::boolean([Some(true), Some(false)]),
                ColumnData::utf8([Some("plain"), None]),
                ColumnData::date([Some(19_723), None]),
                ColumnData::datetime([Some(1_500_000), Some(0)]),
                ColumnData::null(2),
            ]],
        )
        .unwrap();
        assert_eq!(
            output,
            "id,score,ok,name,day,at,nothing\n\
             1,0.5,true,plain,2024-01-01,1970-01-01T00:00:01.500000,\n\
             ,NaN,false,,,1970-01-01T00:00:00,\n"
        );
    }

    #[test]
    fn fields_are_quoted_as_rfc_4180_requires() {
        let output = export(
            &[("text", ColumnType::Utf8), ("n", ColumnType::Int64)],
            "{}",
            vec![vec![
                ColumnData::utf8([
                    Some("a,b"),
                    Some("say \"hi\""),
                    Some("line\nbreak"),
                    Some("cr\rhere"),
                    Some("ok"),
                ]),
                ColumnData::int64([Some(1), Some(2), Some(3), Some(4), Some(5)]),
            ]],
        )
        .unwrap();
        assert_eq!(
            output,
            "text,n\n\"a,b\",1\n\"say \"\"hi\"\"\",2\n\"line\nbreak\",3\n\"cr\rhere\",4\nok,5\n"
        );
    }

    #[test]
    fn header_names_are_quoted_too() {
        let output = export(
            &[("a,b", ColumnType::Int64), ("c\"d", ColumnType::Int64)],
            "{}",
            vec![],
        )
        .unwrap();
        assert_eq!(output, "\"a,b\",\"c\"\"d\"\n");
    }

    #[test]
    fn empty_text_and_null_stay_distinguishable() {
        let schema = [("s", ColumnType::Utf8), ("n", ColumnType::Int64)];
        let rows = || {
            vec![vec![
                ColumnData::utf8([Some(""), None, Some("NA")]),
                ColumnData::int64([Some(1), Some(2), Some(3)]),
            ]]
        };
        assert_eq!(
            export(&schema, "{}", rows()).unwrap(),
            "s,n\n\"\",1\n,2\nNA,3\n"
        );
        assert_eq!(
            export(&schema, r#"{"null_text": "NA"}"#, rows()).unwrap(),
            "s,n\n,1\nNA,2\n\"NA\",3\n"
        );
    }

    #[test]
    fn a_single_empty_field_is_not_an_empty_line() {
        let output = export(
            &[("s", ColumnType::Utf8)],
            r#"{"null_text": "\\N", "header": false}"#,
            vec![vec![ColumnData::utf8([Some(""), None, Some("x")])]],
        )
        .unwrap();
        assert_eq!(output, "\"\"\n\\N\nx\n");
    }

    #[test]
    fn options_change_delimiter_line_ending_bom_and_header() {
        let output = export(
            &[("a", ColumnType::Utf8), ("b", ColumnType::Float64)],
            r#"{"delimiter": ";", "line_ending": "crlf", "bom": true}"#,
            vec![vec![
                ColumnData::utf8([Some("x;y"), Some("1,5")]),
                ColumnData::float64([Some(1.5), None]),
            ]],
        )
        .unwrap();
        assert_eq!(output, "\u{feff}a;b\r\n\"x;y\";1.5\r\n1,5;\r\n");
        let without_header = export(
            &[("a", ColumnType::Int64)],
            r#"{"header": false, "delimiter": "\t"}"#,
            vec![vec![ColumnData::int64([Some(7)])]],
        )
        .unwrap();
        assert_eq!(without_header, "7\n");
    }

    #[test]
    fn date_and_datetime_formats_apply() {
        let output = export(
            &[("d", ColumnType::Date), ("t", ColumnType::Datetime)],
            r#"{"date_format": "%d/%m/%Y", "datetime_format": "%Y-%m-%d %H:%M:%S.%f", "header": false}"#,
            vec![vec![
                ColumnData::date([Some(19_723)]),
                ColumnData::datetime([Some(1_700_000_000_000_000)]),
            ]],
        )
        .unwrap();
        assert_eq!(output, "01/01/2024,2023-11-14 22:13:20.000000\n");
    }

    #[test]
    fn a_date_format_containing_the_delimiter_is_quoted() {
        let output = export(
            &[("d", ColumnType::Date)],
            r#"{"date_format": "%d,%m", "header": false}"#,
            vec![vec![ColumnData::date([Some(0)])]],
        )
        .unwrap();
        assert_eq!(output, "\"01,01\"\n");
    }

    #[test]
    fn output_streams_batch_by_batch() {
        let request = export_request(&[("n", ColumnType::Int64)], "{}");
        let mut exporter = CsvExporter::new(&request).unwrap();
        assert_eq!(exporter.begin(&request).unwrap(), b"n\n");
        let first = Batch::from_columns(vec![ColumnData::int64([Some(1), Some(2)])]);
        assert_eq!(exporter.write_batch(&first).unwrap(), b"1\n2\n");
        let second = Batch::from_columns(vec![ColumnData::int64([Some(3)])]);
        assert_eq!(exporter.write_batch(&second).unwrap(), b"3\n");
        assert_eq!(exporter.finish().unwrap(), b"");
    }

    #[test]
    fn bad_options_are_refused_with_the_option_named() {
        assert!(invalid_options(r#"{"delimiter": "ab"}"#).starts_with("option `delimiter`"));
        assert!(invalid_options(r#"{"delimiter": "\""}"#).starts_with("option `delimiter`"));
        assert!(invalid_options(r#"{"null_text": "a,b"}"#).starts_with("option `null_text`"));
        assert!(invalid_options(r#"{"line_ending": "cr"}"#).starts_with("option `line_ending`"));
        assert!(
            invalid_options(r#"{"date_format": "%Y-%j"}"#)
                .starts_with("option `date_format`: `%j`")
        );
        assert!(
            invalid_options(r#"{"datetime_format": "%"}"#).starts_with("option `datetime_format`")
        );
        assert!(invalid_options(r#"{"quote": "'"}"#).starts_with("options: unknown field `quote`"));
    }

    #[test]
    fn schema_defaults_are_the_defaults() {
        let schema: serde_json::Value = serde_json::from_str(OPTIONS_SCHEMA).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        let defaults: serde_json::Map<String, serde_json::Value> = properties
            .iter()
            .filter_map(|(name, property)| Some((name.clone(), property.get("default")?.clone())))
            .collect();
        let from_schema: CsvOptions =
            parse_options(&serde_json::Value::Object(defaults).to_string()).unwrap();
        assert_eq!(from_schema, CsvOptions::default());
        let every_option: CsvOptions = parse_options(
            r#"{"delimiter": ";", "header": false, "null_text": "NA", "line_ending": "crlf",
                "bom": true, "date_format": "%d.%m.%Y", "datetime_format": "%H:%M"}"#,
        )
        .unwrap();
        assert_eq!(every_option.datetime_format.as_deref(), Some("%H:%M"));
        assert_eq!(properties.len(), 7, "every option above is in the schema");
    }

    #[test]
    fn describes_itself() {
        let info = CsvExporter::info();
        assert_eq!(
            (
                info.id.as_str(),
                info.media_type.as_str(),
                info.extension.as_str()
            ),
            ("csv", "text/csv", "csv")
        );
        assert!(!info.wants_stats);
    }
}
