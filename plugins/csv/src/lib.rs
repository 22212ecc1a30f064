//! The CSV export format: one record per row, fields quoted as RFC 4180 section 2 says
//! (<https://www.rfc-editor.org/rfc/rfc4180#section-2>).
//!
//! Output streams: the header (and BOM) come from `begin`, each batch's records from its own
//! `write-batch`, so memory stays flat however many rows the export has. The encoding itself,
//! cells, quoting and nulls, is `tessera-csv-encoder`, shared with the `datapackage` format; this
//! crate is the plugin around it and the tests of what users see.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tessera_csv_encoder::{CsvEncoder, CsvOptions, LineEnding};
use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError, parse_options};

// The options as users give them, and their schema (doc comments are the help text). A preset
// chooses the defaults of the options left out; each option given wins over it. So they are
// `None` when left out, and the defaults the schema shows are the standard preset's, the
// encoder's own. (Plain comments here: a doc comment would be the schema's description.)
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "CSV export options")]
struct FormatOptions {
    /// Where the options you leave out come from. "standard": RFC 4180 text for programs, as
    /// the defaults below say. "excel": for opening in a spreadsheet: a byte order mark, CRLF
    /// line endings and formulas neutralised. An option you give wins over the preset.
    #[schemars(title = "Preset")]
    preset: Preset,
    /// The character between fields: one character, not a double quote, CR or LF.
    #[schemars(title = "Delimiter", extend("not" = {"enum": ["\"", "\r", "\n"]}))]
    #[schemars(extend("default" = CsvOptions::default().delimiter))]
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<char>,
    /// Whether the first line holds the column names.
    #[schemars(title = "Header row", extend("default" = CsvOptions::default().header))]
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<bool>,
    /// What a null cell is written as. A text value equal to it is quoted, so that the two
    /// stay distinguishable. Must not contain the delimiter, a double quote, CR or LF.
    #[schemars(title = "Text for empty cells", regex(pattern = r#"^[^"\r\n]*$"#))]
    #[schemars(extend("default" = CsvOptions::default().null_text))]
    #[serde(skip_serializing_if = "Option::is_none")]
    null_text: Option<String>,
    /// The end of each record: "lf" (Unix) or "crlf" (RFC 4180, Windows). Default: "crlf"
    /// with the excel preset, else "lf".
    #[schemars(title = "Line ending", extend("default" = CsvOptions::default().line_ending))]
    #[serde(skip_serializing_if = "Option::is_none")]
    line_ending: Option<LineEnding>,
    /// Whether the file starts with a UTF-8 byte order mark, which Excel needs to detect
    /// UTF-8. Default: on with the excel preset, else off.
    #[schemars(title = "Byte order mark (for Excel)")]
    #[schemars(extend("default" = CsvOptions::default().bom))]
    #[serde(skip_serializing_if = "Option::is_none")]
    bom: Option<bool>,
    /// Layout of date cells: %Y year, %m month, %d day, %% a percent sign; other text is
    /// copied.
    #[schemars(title = "Date format", extend("default" = CsvOptions::default().date_format))]
    #[serde(skip_serializing_if = "Option::is_none")]
    date_format: Option<String>,
    /// Layout of datetime cells: %Y %m %d %H %M %S, %f microseconds (six digits), %% a percent
    /// sign; values given with a zone are laid out in UTC. Absent: ISO 8601,
    /// YYYY-MM-DDTHH:MM:SS with .ffffff only when the microseconds are not zero, ending in Z
    /// (RFC 3339) for values given with a zone.
    #[schemars(title = "Date-time format")]
    #[serde(skip_serializing_if = "Option::is_none")]
    datetime_format: Option<String>,
    /// Write text that a spreadsheet would run as a formula (starting with =, +, -, @, a tab
    /// or a carriage return, e.g. =HYPERLINK(...)) with an apostrophe first, so that Excel,
    /// LibreOffice and Google Sheets show it instead of running it (OWASP's advice against CSV
    /// injection). Numbers, dates and booleans are never changed. Default: on with the excel
    /// preset, else off.
    #[schemars(title = "Neutralise formulas", extend("default" = false))]
    #[serde(skip_serializing_if = "Option::is_none")]
    neutralise_formulas: Option<bool>,
}

/// Where the options left out come from.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Preset {
    // (Plain comments on the variants: a doc comment would make the schema a `oneOf` of
    // described constants instead of the `enum` the export form offers as a choice.)
    // RFC 4180 text for programs: LF line endings, no byte order mark, every cell as it is.
    #[default]
    Standard,
    // For opening in a spreadsheet: a byte order mark (Excel needs it to read UTF-8), CRLF
    // line endings, and formulas neutralised, since a spreadsheet runs a cell such as
    // `=HYPERLINK(...)` that came from someone else's data (CSV injection).
    Excel,
}

impl FormatOptions {
    /// The encoder's options, and whether to neutralise formulas.
    fn resolve(self) -> (CsvOptions, bool) {
        let excel = self.preset == Preset::Excel;
        let defaults = CsvOptions::default();
        let options = CsvOptions {
            delimiter: self.delimiter.unwrap_or(defaults.delimiter),
            header: self.header.unwrap_or(defaults.header),
            null_text: self.null_text.unwrap_or(defaults.null_text),
            line_ending: self.line_ending.unwrap_or(if excel {
                LineEnding::Crlf
            } else {
                defaults.line_ending
            }),
            bom: self.bom.unwrap_or(excel || defaults.bom),
            date_format: self.date_format.unwrap_or(defaults.date_format),
            datetime_format: self.datetime_format.or(defaults.datetime_format),
        };
        (options, self.neutralise_formulas.unwrap_or(excel))
    }
}

/// The format is the shared encoder with its options exposed, and presets over them.
pub struct CsvExporter {
    encoder: CsvEncoder,
}

impl Exporter for CsvExporter {
    fn info() -> FormatInfo {
        FormatInfo::new("csv", "CSV", "text/csv", "csv").with_options::<FormatOptions>()
    }

    fn new(request: &ExportRequest) -> Result<Self, PluginError> {
        let (options, neutralise_formulas) =
            parse_options::<FormatOptions>(&request.options)?.resolve();
        Ok(CsvExporter {
            encoder: CsvEncoder::new(&options, &request.schema)?
                .neutralising_formulas(neutralise_formulas),
        })
    }

    fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        Ok(self.encoder.begin(&request.schema))
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let mut out = Vec::new();
        self.encoder.write_batch(batch, &mut out);
        Ok(out)
    }
}

#[cfg(all(feature = "component", target_family = "wasm"))]
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
    fn rendered_values_are_quoted_when_the_delimiter_or_null_text_is_in_them() {
        let schema = [
            ("x", ColumnType::Float64),
            ("n", ColumnType::Int64),
            ("d", ColumnType::Date),
        ];
        let rows = || {
            vec![vec![
                ColumnData::float64([Some(1.5), Some(-0.0), None]),
                ColumnData::int64([Some(0), Some(-7), Some(10)]),
                ColumnData::date([Some(0), None, Some(1)]),
            ]]
        };
        assert_eq!(
            export(&schema, r#"{"delimiter": ".", "header": false}"#, rows()).unwrap(),
            "\"1.5\".0.1970-01-01\n-0.-7.\n.10.1970-01-02\n"
        );
        assert_eq!(
            export(
                &schema,
                r#"{"delimiter": "-", "header": false, "null_text": "0"}"#,
                rows()
            )
            .unwrap(),
            "1.5-\"0\"-\"1970-01-01\"\n\"-0\"-\"-7\"-0\n0-10-\"1970-01-02\"\n"
        );
    }

    #[test]
    fn a_delimiter_beyond_ascii_is_found_whole() {
        // `§` and `©` share their first byte in UTF-8; only `§` is the delimiter.
        let output = export(
            &[("a", ColumnType::Utf8), ("b", ColumnType::Utf8)],
            r#"{"delimiter": "§", "header": false}"#,
            vec![vec![
                ColumnData::utf8([Some("©2024"), Some("x§y"), Some("é\"")]),
                ColumnData::utf8([Some("東京"), Some("§"), Some("©§")]),
            ]],
        )
        .unwrap();
        assert_eq!(output, "©2024§東京\n\"x§y\"§\"§\"\n\"é\"\"\"§\"©§\"\n");
    }

    // Issue 14, item 22: an instant (a value given with a zone, kept in UTC) is written as
    // RFC 3339 with `Z`, so that no reader takes it for local time; a time given without a zone
    // is written without one.
    #[test]
    fn utc_datetimes_end_in_z_and_local_ones_do_not() {
        let request = export_request(
            &[
                ("at", ColumnType::Datetime),
                ("local", ColumnType::Datetime),
            ],
            "{}",
        )
        .with_utc_columns(&["at"]);
        let batch = Batch::from_columns(vec![
            ColumnData::datetime([
                Some(1_704_067_200_000_000),
                Some(1_717_245_000_500_000),
                None,
            ]),
            ColumnData::datetime([Some(1_704_099_600_000_000), None, Some(0)]),
        ]);
        let output =
            String::from_utf8(run_export::<CsvExporter>(request, [batch]).unwrap()).unwrap();
        assert_eq!(
            output,
            "at,local\n\
             2024-01-01T00:00:00Z,2024-01-01T09:00:00\n\
             2024-06-01T12:30:00.500000Z,\n\
             ,1970-01-01T00:00:00\n"
        );
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
        // The defaults the export form shows, sent back as options, are what leaving every
        // option out does.
        let schema: serde_json::Value =
            serde_json::from_str(&CsvExporter::info().options_schema).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        let defaults: serde_json::Map<String, serde_json::Value> = properties
            .iter()
            .filter_map(|(name, property)| Some((name.clone(), property.get("default")?.clone())))
            .collect();
        let from_schema: FormatOptions =
            parse_options(&serde_json::Value::Object(defaults).to_string()).unwrap();
        assert_eq!(from_schema.resolve(), FormatOptions::default().resolve());
        assert_eq!(
            FormatOptions::default().resolve(),
            (CsvOptions::default(), false)
        );
        let every_option: FormatOptions = parse_options(
            r#"{"preset": "excel", "delimiter": ";", "header": false, "null_text": "NA",
                "line_ending": "lf", "bom": false, "date_format": "%d.%m.%Y",
                "datetime_format": "%H:%M", "neutralise_formulas": false}"#,
        )
        .unwrap();
        let (options, neutralise) = every_option.resolve();
        assert_eq!(options.datetime_format.as_deref(), Some("%H:%M"));
        assert_eq!(
            (options.line_ending, options.bom, neutralise),
            (LineEnding::Lf, false, false)
        );
        assert_eq!(properties.len(), 9, "every option above is in the schema");
    }

    // Issue 14, item 18: text that a spreadsheet would run as a formula (CSV injection) is
    // written with a `'` first when asked, and by default with the Excel preset.
    #[test]
    fn formulas_are_neutralised_on_request_and_with_the_excel_preset() {
        let hostile = [
            Some("=HYPERLINK(\"http://127.0.0.1/x\",\"click\")"),
            Some("@SUM(A1:A9)"),
            Some("+1+1"),
            Some("-1+1"),
            Some("\tcmd"),
            Some("\rcmd"),
            Some("＝1+1"),
            Some("plain"),
            Some("a=b"),
            Some(""),
            None,
        ];
        let rows = || {
            vec![vec![
                ColumnData::utf8(hostile),
                ColumnData::int64((0..11).map(|n| Some(-n))),
            ]]
        };
        let schema = [
            ("=cmd|' /C calc'!A0", ColumnType::Utf8),
            ("n", ColumnType::Int64),
        ];
        let neutralised = "'=cmd|' /C calc'!A0,n\n\
                           \"'=HYPERLINK(\"\"http://127.0.0.1/x\"\",\"\"click\"\")\",0\n\
                           '@SUM(A1:A9),-1\n\
                           '+1+1,-2\n\
                           '-1+1,-3\n\
                           '\tcmd,-4\n\
                           \"'\rcmd\",-5\n\
                           '＝1+1,-6\n\
                           plain,-7\n\
                           a=b,-8\n\
                           \"\",-9\n\
                           ,-10\n";
        assert_eq!(
            export(&schema, r#"{"neutralise_formulas": true}"#, rows()).unwrap(),
            neutralised
        );
        let excel = export(&schema, r#"{"preset": "excel"}"#, rows()).unwrap();
        assert_eq!(
            excel,
            format!("\u{feff}{}", neutralised.replace('\n', "\r\n")),
            "the Excel preset: BOM, CRLF and formulas neutralised"
        );
        let kept = export(&schema, "{}", rows()).unwrap();
        assert!(
            kept.starts_with("=cmd|' /C calc'!A0,n\n\"=HYPERLINK("),
            "{kept}"
        );
        assert!(
            kept.contains("\n@SUM(A1:A9),-1\n+1+1,-2\n-1+1,-3\n"),
            "{kept}"
        );
        assert!(
            !export(
                &schema,
                r#"{"preset": "excel", "neutralise_formulas": false}"#,
                rows()
            )
            .unwrap()
            .contains("'@SUM"),
            "an option given wins over the preset"
        );
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
