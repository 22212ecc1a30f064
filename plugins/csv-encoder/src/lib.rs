//! CSV encoding as Tessera writes it: one record per row, fields quoted as RFC 4180 section 2
//! says (<https://www.rfc-editor.org/rfc/rfc4180#section-2>).
//!
//! The `csv` format and the `datapackage` format (a zip whose data is CSV) must write the same
//! bytes for the same rows and options, so the encoding lives here once and both plugins link
//! it. It owns the options that shape a CSV file ([`CsvOptions`]) and turns a header and batches
//! into text; it does not own a plugin's lifecycle, its options schema or what wraps the text.
//!
//! What a cell looks like is the SDK's house text form, except for dates and datetimes, whose
//! layout the user may choose, and, with [`Spelling::TableSchema`], non-finite numbers and
//! datetimes as Table Schema spells them. Nulls follow PostgreSQL's `COPY ... CSV` convention:
//! written as `null_text` without quotes, while a text value that happens to equal `null_text`
//! is quoted, so a reader can tell an empty string from a null.

use serde::Deserialize;
use std::ops::Range;
use tessera_plugin_sdk::time::{CivilDateTime, TimePattern};
use tessera_plugin_sdk::{Batch, Column, ColumnView, PluginError, Value};

/// The options that shape a CSV file, as the `csv` format's users give them.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CsvOptions {
    pub delimiter: char,
    pub header: bool,
    pub null_text: String,
    pub line_ending: LineEnding,
    pub bom: bool,
    pub date_format: String,
    /// `None` is the SDK's ISO 8601 form, whose fraction comes and goes with the microseconds,
    /// which no fixed pattern can say.
    pub datetime_format: Option<String>,
}

/// The date layout when none is given: ISO 8601.
pub const DEFAULT_DATE_FORMAT: &str = "%Y-%m-%d";

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: ',',
            header: true,
            null_text: String::new(),
            line_ending: LineEnding::Lf,
            bom: false,
            date_format: DEFAULT_DATE_FORMAT.into(),
            datetime_format: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    Lf,
    Crlf,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::Crlf => "\r\n",
        }
    }
}

/// How the values that have more than one customary spelling are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Spelling {
    /// The SDK's house text: `NaN`, `Infinity`, `-Infinity`; datetimes in the default layout
    /// without a zone designator.
    #[default]
    House,
    /// Table Schema's lexical forms (<https://specs.frictionlessdata.io/table-schema/#number>):
    /// `NaN`, `INF`, `-INF`; datetimes in the default layout end in `Z`, since they are UTC,
    /// which makes them XML Schema `dateTime`s with a zone, as the spec's default format wants.
    TableSchema,
}

const UTF8_BOM: &str = "\u{feff}";

/// Writes a header and batches of rows as CSV text; one per export.
#[derive(Debug)]
pub struct CsvEncoder {
    delimiter: char,
    header: bool,
    null_text: String,
    line_ending: &'static str,
    bom: bool,
    date_pattern: TimePattern,
    /// `None` is the default ISO 8601 layout.
    datetime_pattern: Option<TimePattern>,
    spelling: Spelling,
    /// A record of one empty field is an empty line, which many readers skip; such fields are
    /// quoted when they are values (as Python's `csv` module does).
    single_column: bool,
    /// Scratch space for a rendered cell, reused so that a row costs no allocation.
    cell: String,
}

impl CsvEncoder {
    /// An encoder for rows of `schema`, refusing options that would make the file ambiguous;
    /// errors name the option.
    pub fn new(options: &CsvOptions, schema: &[Column]) -> Result<Self, PluginError> {
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
        Ok(CsvEncoder {
            delimiter: options.delimiter,
            header: options.header,
            null_text: options.null_text.clone(),
            line_ending: options.line_ending.as_str(),
            bom: options.bom,
            date_pattern,
            datetime_pattern,
            spelling: Spelling::House,
            single_column: schema.len() == 1,
            cell: String::new(),
        })
    }

    /// The same encoder, spelling values as `spelling` says.
    pub fn with_spelling(mut self, spelling: Spelling) -> Self {
        self.spelling = spelling;
        self
    }

    /// The byte order mark, when asked for, and the header record, when asked for.
    pub fn begin(&self, schema: &[Column]) -> String {
        let mut out = String::new();
        if self.bom {
            out.push_str(UTF8_BOM);
        }
        if self.header {
            for (index, column) in schema.iter().enumerate() {
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
        out
    }

    /// Appends one record per row of `batch`, whose columns are those of the schema.
    pub fn write_batch(&mut self, batch: &Batch, out: &mut String) {
        self.write_rows(batch, 0..batch.row_count(), out);
    }

    /// Appends the records of rows `rows` of `batch` only, for a caller that passes the text
    /// on in pieces and so never holds a whole batch's worth. Rows past the batch are none.
    pub fn write_rows(&mut self, batch: &Batch, rows: Range<usize>, out: &mut String) {
        let rows = rows.start.min(batch.row_count())..rows.end.min(batch.row_count());
        let columns: Vec<ColumnView<'_>> = batch.column_views().collect();
        // A guess that saves most reallocations for numeric data; text grows it as needed.
        out.reserve(rows.len() * (columns.len() * 8 + 1));
        for row in rows {
            for (index, column) in columns.iter().enumerate() {
                if index > 0 {
                    out.push(self.delimiter);
                }
                self.push_cell(column, row, out);
            }
            out.push_str(self.line_ending);
        }
    }

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
                    None => {
                        value.write_text(&mut cell);
                        if self.spelling == Spelling::TableSchema {
                            cell.push('Z');
                        }
                    }
                }
                &cell
            }
            Value::Float64(number)
                if number.is_infinite() && self.spelling == Spelling::TableSchema =>
            {
                if number > 0.0 { "INF" } else { "-INF" }
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

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::testing::export_request;
    use tessera_plugin_sdk::{ColumnData, ColumnType};

    /// A number column and a datetime column, encoded with a header.
    fn encode(options: &CsvOptions, spelling: Spelling, columns: Vec<ColumnData>) -> String {
        let request = export_request(
            &[("x", ColumnType::Float64), ("t", ColumnType::Datetime)],
            "{}",
        );
        let mut encoder = CsvEncoder::new(options, &request.schema)
            .unwrap()
            .with_spelling(spelling);
        let mut out = encoder.begin(&request.schema);
        encoder.write_batch(&Batch::from_columns(columns), &mut out);
        out
    }

    #[test]
    fn table_schema_spelling_differs_only_where_it_must() {
        let columns = || {
            vec![
                ColumnData::float64([
                    Some(f64::INFINITY),
                    Some(f64::NEG_INFINITY),
                    Some(f64::NAN),
                    Some(1.5),
                ]),
                ColumnData::datetime([Some(0), Some(1_500_000), None, Some(-1)]),
            ]
        };
        let options = CsvOptions::default();
        assert_eq!(
            encode(&options, Spelling::House, columns()),
            "x,t\nInfinity,1970-01-01T00:00:00\n-Infinity,1970-01-01T00:00:01.500000\nNaN,\n\
             1.5,1969-12-31T23:59:59.999999\n"
        );
        assert_eq!(
            encode(&options, Spelling::TableSchema, columns()),
            "x,t\nINF,1970-01-01T00:00:00Z\n-INF,1970-01-01T00:00:01.500000Z\nNaN,\n\
             1.5,1969-12-31T23:59:59.999999Z\n"
        );
        let patterned = CsvOptions {
            datetime_format: Some("%Y%m%d".into()),
            header: false,
            ..CsvOptions::default()
        };
        assert_eq!(
            encode(&patterned, Spelling::TableSchema, columns()),
            "INF,19700101\n-INF,19700101\nNaN,\n1.5,19691231\n",
            "a pattern the user chose is kept as it is"
        );
    }

    #[test]
    fn rows_in_pieces_make_the_same_text_as_the_whole_batch() {
        let request = export_request(&[("n", ColumnType::Int64)], "{}");
        let batch = Batch::from_columns(vec![ColumnData::int64((0..10).map(Some))]);
        let mut encoder = CsvEncoder::new(&CsvOptions::default(), &request.schema).unwrap();
        let mut whole = String::new();
        encoder.write_batch(&batch, &mut whole);
        let mut pieces = String::new();
        for rows in [0..3, 3..3, 3..9, 9..20, 20..30] {
            encoder.write_rows(&batch, rows, &mut pieces);
        }
        assert_eq!(pieces, whole);
        assert_eq!(whole.lines().count(), 10);
    }

    #[test]
    fn options_that_make_the_file_ambiguous_are_refused() {
        let schema = export_request(&[("a", ColumnType::Int64)], "{}").schema;
        let refused = |options: CsvOptions| match CsvEncoder::new(&options, &schema) {
            Err(PluginError::InvalidOptions(message)) => message,
            other => panic!("expected invalid options, got {other:?}"),
        };
        assert!(
            refused(CsvOptions {
                delimiter: '\n',
                ..CsvOptions::default()
            })
            .starts_with("option `delimiter`")
        );
        assert!(
            refused(CsvOptions {
                delimiter: ';',
                null_text: "a;b".into(),
                ..CsvOptions::default()
            })
            .starts_with("option `null_text`")
        );
    }
}
