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
//!
//! Text goes out as bytes (`Vec<u8>`, which is what a plugin returns), and every cell but text is
//! rendered straight into the output and only moved when it turns out to need quotes, which
//! with the usual delimiters no number, boolean or default date ever does. Where the options
//! make that impossible for a whole column (the bytes its values are written with include no
//! delimiter, quote or line break, and none of its values can read as `null_text`), the
//! column's cells are not looked at again once written.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use tessera_plugin_sdk::text::{TextOut, find_any_byte, push_bytes};
use tessera_plugin_sdk::time::{
    CivilDateTime, TimePattern, Zone, write_iso_date, write_iso_datetime,
};
use tessera_plugin_sdk::{Batch, Column, ColumnCells, ColumnType, PluginError, Value};

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

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
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
    /// The SDK's house text: `NaN`, `Infinity`, `-Infinity`; datetimes in the default layout,
    /// ending in `Z` when the column holds UTC instants (given with a zone) and without a zone
    /// designator when it holds times given without one.
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
    /// The delimiter as UTF-8.
    delimiter_bytes: Vec<u8>,
    /// The bytes that may make a field need quotes: a double quote, CR, LF and the delimiter's
    /// first byte. Exact for an ASCII delimiter; a longer one is then looked for in full.
    quote_triggers: [u8; 4],
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
    /// How many bytes to reserve per row: a guess for numeric data at first, then what the
    /// rows written so far took, so that a batch's output is allocated about once.
    row_bytes: usize,
    /// Dates are written in the default layout, `date_pattern` is `%Y-%m-%d`.
    iso_dates: bool,
    /// Per column of the schema: its values never need quotes (see [`renders_plain`]).
    plain: Vec<bool>,
    /// The schema's column types, to work `plain` out again when the spelling changes.
    kinds: Vec<ColumnType>,
    /// Per column of the schema: its datetimes are UTC instants, written with `Z`.
    utc: Vec<bool>,
    /// Text that a spreadsheet would run as a formula is written with a `'` first.
    neutralise_formulas: bool,
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
        let delimiter_bytes = options.delimiter.to_string().into_bytes();
        let quote_triggers = [b'"', b'\r', b'\n', delimiter_bytes[0]];
        Ok(CsvEncoder {
            delimiter_bytes,
            quote_triggers,
            header: options.header,
            null_text: options.null_text.clone(),
            line_ending: options.line_ending.as_str(),
            bom: options.bom,
            date_pattern,
            datetime_pattern,
            spelling: Spelling::House,
            single_column: schema.len() == 1,
            row_bytes: schema.len() * 8 + 1,
            iso_dates: options.date_format == DEFAULT_DATE_FORMAT,
            plain: Vec::new(),
            kinds: schema.iter().map(|column| column.kind).collect(),
            utc: schema.iter().map(Column::is_utc).collect(),
            neutralise_formulas: false,
        }
        .with_plain_columns())
    }

    /// Works out, per column, whether its values can skip the quoting checks.
    fn with_plain_columns(mut self) -> Self {
        self.plain = self
            .kinds
            .iter()
            .map(|&kind| self.renders_plain(kind))
            .collect();
        self
    }

    /// Whether no value of a column of `kind` can ever need quotes: every byte the SDK and
    /// this encoder may write it with (see [`CsvEncoder::rendered_bytes`]) is neither a byte
    /// that starts a quote nor able to spell `null_text`. Every such value is at least one
    /// byte long, so with an empty `null_text` it is never ambiguous either.
    fn renders_plain(&self, kind: ColumnType) -> bool {
        let Some(bytes) = self.rendered_bytes(kind) else {
            return false;
        };
        let null_text = self.null_text.as_bytes();
        let may_spell_null =
            !null_text.is_empty() && null_text.iter().all(|byte| bytes.contains(byte));
        !may_spell_null && !bytes.iter().any(|byte| self.quote_triggers.contains(byte))
    }

    /// Every byte a value of `kind` may be written with: numbers (with `NaN`, `Infinity` and
    /// Table Schema's `INF`), booleans, dates and datetimes in ISO 8601 or the user's pattern.
    /// None for text, which may hold anything, and for the null type, which has no values.
    fn rendered_bytes(&self, kind: ColumnType) -> Option<Vec<u8>> {
        const INTEGER: &[u8] = b"-0123456789";
        const FLOAT: &[u8] = b"+-.0123456789eEINFNaIfinity";
        const BOOLEAN: &[u8] = b"truefals";
        const ISO_DATETIME: &[u8] = b"+-.:0123456789TZ";
        match kind {
            ColumnType::Int64 => Some(INTEGER.to_vec()),
            ColumnType::Float64 => Some(FLOAT.to_vec()),
            ColumnType::Boolean => Some(BOOLEAN.to_vec()),
            ColumnType::Date => Some(self.date_pattern.written_bytes()),
            ColumnType::Datetime => Some(match &self.datetime_pattern {
                Some(pattern) => pattern.written_bytes(),
                None => ISO_DATETIME.to_vec(),
            }),
            ColumnType::Utf8 | ColumnType::Null => None,
        }
    }

    /// The same encoder, writing text cells and column names that a spreadsheet would run as a
    /// formula (see [`could_run_as_formula`]) with a `'` first, as OWASP advises against CSV
    /// injection (<https://owasp.org/www-community/attacks/CSV_Injection>): Excel, LibreOffice
    /// and Google Sheets then show the text instead of evaluating it. Only text is touched:
    /// numbers, dates and booleans are typed values, never formulas.
    pub fn neutralising_formulas(mut self, on: bool) -> Self {
        self.neutralise_formulas = on;
        self
    }

    /// The same encoder, spelling values as `spelling` says.
    pub fn with_spelling(mut self, spelling: Spelling) -> Self {
        self.spelling = spelling;
        self.with_plain_columns()
    }

    /// The byte order mark, when asked for, and the header record, when asked for.
    pub fn begin(&self, schema: &[Column]) -> Vec<u8> {
        let mut out = Vec::new();
        if self.bom {
            out.extend_from_slice(UTF8_BOM.as_bytes());
        }
        if self.header {
            for (index, column) in schema.iter().enumerate() {
                if index > 0 {
                    out.extend_from_slice(&self.delimiter_bytes);
                }
                self.push_text(column.name.as_bytes(), false, &mut out);
            }
            out.extend_from_slice(self.line_ending.as_bytes());
        }
        out
    }

    /// Appends one record per row of `batch`, whose columns are those of the schema.
    pub fn write_batch(&mut self, batch: &Batch, out: &mut Vec<u8>) {
        self.write_rows(batch, 0..batch.row_count(), out);
    }

    /// Appends the records of rows `rows` of `batch` only, for a caller that passes the text
    /// on in pieces and so never holds a whole batch's worth. Rows past the batch are none.
    pub fn write_rows(&mut self, batch: &Batch, rows: Range<usize>, out: &mut Vec<u8>) {
        let rows = rows.start.min(batch.row_count())..rows.end.min(batch.row_count());
        if rows.is_empty() {
            return;
        }
        let columns: Vec<ColumnCells<'_>> =
            batch.column_views().map(|column| column.cells()).collect();
        let row_count = rows.len();
        let started_at = out.len();
        out.reserve(row_count * self.row_bytes);
        for row in rows {
            for (index, column) in columns.iter().enumerate() {
                if index > 0 {
                    push_short(&self.delimiter_bytes, out);
                }
                let plain = self.plain.get(index).copied().unwrap_or(false);
                let utc = self.utc.get(index).copied().unwrap_or(false);
                self.push_cell(column, plain, utc, row, out);
            }
            push_short(self.line_ending.as_bytes(), out);
        }
        let per_row = (out.len() - started_at).div_ceil(row_count);
        // A little over the largest rows so far: batches of text vary in length.
        self.row_bytes = self.row_bytes.max(per_row + per_row / 8);
    }

    /// Whether `text` contains the delimiter, a double quote, CR or LF.
    fn has_special_bytes(&self, text: &[u8]) -> bool {
        let Some(first) = find_any_byte(text, self.quote_triggers) else {
            return false;
        };
        let delimiter = &self.delimiter_bytes[..];
        let rest = &text[first..];
        delimiter.len() == 1
            || rest.iter().any(|byte| matches!(byte, b'"' | b'\r' | b'\n'))
            || rest
                .windows(delimiter.len())
                .any(|window| window == delimiter)
    }

    /// Appends one field, quoting it when RFC 4180 requires it or when `quote_anyway`.
    fn push_field(&self, text: &[u8], quote_anyway: bool, out: &mut Vec<u8>) {
        if !quote_anyway && !self.has_special_bytes(text) {
            push_bytes(out, text);
            return;
        }
        out.push(b'"');
        for (index, piece) in text.split(|&byte| byte == b'"').enumerate() {
            if index > 0 {
                out.extend_from_slice(b"\"\"");
            }
            out.extend_from_slice(piece);
        }
        out.push(b'"');
    }

    /// Appends a text field, a value or (not `is_value`) a column name: neutralised when it
    /// could run as a formula and that is asked for, quoted when RFC 4180 requires it or a
    /// reader could not tell it from a null (values only) or an empty line otherwise.
    fn push_text(&self, text: &[u8], is_value: bool, out: &mut Vec<u8>) {
        let ambiguous = |text: &[u8]| {
            if is_value {
                self.is_ambiguous(text)
            } else {
                text.is_empty() && self.single_column
            }
        };
        if self.neutralise_formulas && could_run_as_formula(text) {
            let mut guarded = Vec::with_capacity(text.len() + 1);
            guarded.push(b'\'');
            guarded.extend_from_slice(text);
            self.push_field(&guarded, ambiguous(&guarded), out);
            return;
        }
        self.push_field(text, ambiguous(text), out);
    }

    /// Whether a field that holds `text` must be quoted for a reader to tell it from a null or
    /// from an empty line.
    fn is_ambiguous(&self, text: &[u8]) -> bool {
        text == self.null_text.as_bytes() || (text.is_empty() && self.single_column)
    }

    fn push_cell(
        &self,
        column: &ColumnCells<'_>,
        plain: bool,
        utc: bool,
        row: usize,
        out: &mut Vec<u8>,
    ) {
        let Some(value) = column.value(row) else {
            push_bytes(out, self.null_text.as_bytes());
            return;
        };
        if let Value::Utf8(text) = value {
            self.push_text(text.as_bytes(), true, out);
            return;
        }
        let start = out.len();
        self.render(value, utc, out);
        if plain {
            return;
        }
        let rendered = &out[start..];
        let quote_anyway = self.is_ambiguous(rendered);
        if quote_anyway || self.has_special_bytes(rendered) {
            let rendered = out.split_off(start);
            self.push_field(&rendered, quote_anyway, out);
        }
    }

    /// Appends the text of a cell that is not text, unquoted; `utc` when the cell is in a
    /// column of UTC instants.
    fn render(&self, value: Value<'_>, utc: bool, out: &mut Vec<u8>) {
        match value {
            // The default layout, written without interpreting a pattern.
            Value::Date(days) if self.iso_dates => write_iso_date(days, out),
            Value::Date(days) => self
                .date_pattern
                .write(&CivilDateTime::from_days(i64::from(days)), out),
            Value::Datetime(micros) => match &self.datetime_pattern {
                Some(pattern) => pattern.write(&CivilDateTime::from_micros(micros), out),
                // RFC 3339 (section 5.6) for an instant; a time given without a zone gets
                // none (but Table Schema's default datetime format is UTC).
                None => {
                    let zone = if utc || self.spelling == Spelling::TableSchema {
                        Zone::Utc
                    } else {
                        Zone::Unspecified
                    };
                    write_iso_datetime(micros, zone, out);
                }
            },
            Value::Float64(number)
                if number.is_infinite() && self.spelling == Spelling::TableSchema =>
            {
                out.push_ascii(if number > 0.0 { b"INF" } else { b"-INF" });
            }
            Value::Boolean(_) | Value::Int64(_) | Value::Float64(_) | Value::Utf8(_) => {
                value.write_text(out);
            }
        }
    }
}

/// Whether a spreadsheet opening a CSV file would take a cell starting like `text` for a
/// formula: one starting with `=`, `+`, `-` or `@` (`=HYPERLINK(...)`, `@SUM(...)`, `+1+1`,
/// `-1+1`), a tab or a carriage return (OWASP's list), or the full-width forms of the four
/// signs (U+FF1D, U+FF0B, U+FF0D, U+FF20), which spreadsheets in East Asian locales take for
/// the signs themselves.
pub fn could_run_as_formula(text: &[u8]) -> bool {
    matches!(
        text,
        [b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r', ..]
            | [0xEF, 0xBC, 0x9D | 0x8B | 0x8D | 0xA0, ..]
    )
}

/// Appends a delimiter or a line ending: a byte or two, mostly, which do not need `memcpy`.
fn push_short(bytes: &[u8], out: &mut Vec<u8>) {
    match *bytes {
        [byte] => out.push(byte),
        [first, second] => out.extend_from_slice(&[first, second]),
        _ => out.extend_from_slice(bytes),
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
        String::from_utf8(out).unwrap()
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
        let mut whole = Vec::new();
        encoder.write_batch(&batch, &mut whole);
        let mut pieces = Vec::new();
        for rows in [0..3, 3..3, 3..9, 9..20, 20..30] {
            encoder.write_rows(&batch, rows, &mut pieces);
        }
        assert_eq!(pieces, whole);
        assert_eq!(whole.iter().filter(|&&byte| byte == b'\n').count(), 10);
    }

    /// The columns that skip the quoting checks may do so only because their values are
    /// written with the bytes `rendered_bytes` lists: extreme values of every kind, in both
    /// spellings and with patterns of the user's, stay within them.
    #[test]
    fn values_are_written_only_with_the_bytes_their_kind_lists() {
        let floats = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            0.1,
            -1.5e-7,
            1e21,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            123_456_789.125,
        ];
        let extremes = || {
            vec![
                ColumnData::int64([Some(i64::MIN), Some(i64::MAX), Some(0), Some(-1)]),
                ColumnData::float64(floats.map(Some)),
                ColumnData::boolean([Some(true), Some(false)]),
                ColumnData::date([Some(i32::MIN), Some(i32::MAX), Some(0), Some(-800_000)]),
                ColumnData::datetime([
                    Some(i64::MIN),
                    Some(i64::MAX),
                    Some(0),
                    Some(-1),
                    Some(1_500_000),
                ]),
            ]
        };
        let kinds = [
            ColumnType::Int64,
            ColumnType::Float64,
            ColumnType::Boolean,
            ColumnType::Date,
            ColumnType::Datetime,
        ];
        let patterned = CsvOptions {
            date_format: "%d/%m/%Y".into(),
            datetime_format: Some("%Y%m%d %H.%M.%S,%f".into()),
            ..CsvOptions::default()
        };
        for options in [CsvOptions::default(), patterned] {
            for spelling in [Spelling::House, Spelling::TableSchema] {
                let schema: Vec<Column> =
                    kinds.iter().map(|&kind| Column::new("c", kind)).collect();
                let encoder = CsvEncoder::new(&options, &schema)
                    .unwrap()
                    .with_spelling(spelling);
                for (kind, column) in kinds.iter().zip(extremes()) {
                    let batch = Batch::from_columns(vec![column]);
                    let cells = batch.column_views().next().unwrap().cells();
                    let allowed = encoder.rendered_bytes(*kind).unwrap();
                    for row in 0..batch.row_count() {
                        let mut out = Vec::new();
                        encoder.render(cells.value(row).unwrap(), true, &mut out);
                        assert!(
                            out.iter().all(|byte| allowed.contains(byte)),
                            "{kind:?} row {row} written as {:?}",
                            String::from_utf8_lossy(&out)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn default_dates_are_written_as_their_pattern_would_write_them() {
        let pattern = TimePattern::parse(DEFAULT_DATE_FORMAT).unwrap();
        let days = (-800_000..800_000).step_by(997).chain([
            i32::MIN,
            i32::MAX,
            -1,
            0,
            1,
            2_932_896,
            2_932_897,
        ]);
        for day in days {
            let (mut shortcut, mut patterned) = (Vec::new(), Vec::new());
            write_iso_date(day, &mut shortcut);
            pattern.write(&CivilDateTime::from_days(i64::from(day)), &mut patterned);
            assert_eq!(shortcut, patterned, "day {day}");
        }
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
