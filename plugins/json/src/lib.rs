//! The JSON export format, in four layouts chosen by the `structure` option.
//!
//! `records` (an array of row objects), `arrays` (column names once, then rows as arrays) and
//! `ndjson` (one row object per line, JSON Lines) stream: each batch's rows are written by its
//! own `write-batch`, and the brackets that open and close the document come from `begin` and
//! `finish`. `columnar` (`{"column": [values]}`) cannot stream, because every value of the
//! first column comes before any of the second; it keeps each column's rendered values until
//! `finish`, which is why the plugin asks for more memory than CSV does.
//!
//! Values are the SDK's JSON forms: numbers as numbers, non-finite floats as `null`, dates and
//! datetimes as ISO 8601 strings, those of a column of UTC instants (values given with a zone)
//! in RFC 3339 with `Z`. `pretty` lays documents out as `JSON.stringify(value, null, 2)`
//! does, which is also what `serde_json::to_string_pretty` produces. Every document ends with a
//! newline. The media type is `application/json`; `ndjson` is another kind of file, which the
//! manifest (`plugin.toml`) names `application/x-ndjson` with the extension `.ndjson`, since a
//! format's description is fixed while the layout is an option.

mod shape;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shape::{MemberValue, ObjectShape};
use tessera_plugin_sdk::text::{write_int, write_json_string};
use tessera_plugin_sdk::{
    Batch, Column, ColumnCells, ExportRequest, Exporter, FormatInfo, PluginError, Value,
    parse_options,
};

// The options and their schema: doc comments are the help text. (A plain comment here: a doc
// comment would be the schema's description.)
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "JSON export options")]
struct JsonOptions {
    /// Layout of the file. "records": an array of row objects. "arrays": {"columns": [names],
    /// "rows": [[values]]}. "columnar": one array of values per column, {"name": [values]}
    /// (held in memory until the end). "ndjson": one row object per line (JSON Lines).
    #[schemars(title = "Structure")]
    structure: Structure,
    /// Indent with two spaces, one value per line (ignored by ndjson, whose rows are one line
    /// each).
    #[schemars(title = "Indented")]
    pretty: bool,
    /// Turn dotted column names into nested objects: columns a.b and a.c become {"a": {"b":
    /// ..., "c": ...}}. Not used by "arrays".
    #[schemars(title = "Nest dotted column names")]
    nest_dotted: bool,
    /// Write integers beyond ±9007199254740991 (2^53 - 1), which JavaScript and most JSON
    /// readers would round, as strings of their digits, e.g. "9007199254740993". Off: every
    /// integer is a number.
    #[schemars(title = "Big integers as strings")]
    big_integers_as_strings: bool,
}

/// The largest integer every JSON reader holds exactly: 2^53 - 1, `Number.MAX_SAFE_INTEGER`,
/// since most read numbers as IEEE 754 doubles (RFC 8259, section 6).
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Appends a cell as JSON; with `big_integers_as_strings`, an integer beyond
/// ±[`MAX_SAFE_INTEGER`] as a string of its digits, which a reader cannot round.
#[inline]
fn write_cell(
    column: &ColumnCells<'_>,
    row: usize,
    big_integers_as_strings: bool,
    out: &mut Vec<u8>,
) {
    if big_integers_as_strings
        && let Some(Value::Int64(number)) = column.value(row)
        && !(-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&number)
    {
        out.push(b'"');
        write_int(number, out);
        out.push(b'"');
        return;
    }
    column.write_json(row, out);
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Structure {
    #[default]
    Records,
    Arrays,
    Columnar,
    Ndjson,
}

/// Where line breaks and indentation go; nothing at all when compact.
#[derive(Clone, Copy)]
struct Layout {
    pretty: bool,
}

impl Layout {
    /// Starts a new line indented to `depth` levels, when pretty.
    fn break_line(self, depth: usize, out: &mut Vec<u8>) {
        if self.pretty {
            out.push(b'\n');
            for _ in 0..depth {
                out.extend_from_slice(b"  ");
            }
        }
    }

    fn colon(self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.pretty { b": " } else { b":" });
    }

    /// The separator before an element of an array or object: a comma unless it is the first,
    /// then its line.
    fn before_element(self, is_first: bool, depth: usize, out: &mut Vec<u8>) {
        if !is_first {
            out.push(b',');
        }
        self.break_line(depth, out);
    }
}

/// Writes a document part with a hole for each column's value, asking `write_column` to fill it.
type ColumnWriter<'a> = dyn FnMut(usize, &mut Vec<u8>) + 'a;

/// A row as it is laid out, worked out once per export: the text before each column's value and
/// the text after the last. Writing a row is then copying these pieces around its values,
/// with no walk through the shape and no layout decisions per row.
#[derive(Debug, Default)]
struct RowTemplate {
    /// The text before a value, and the column the value comes from.
    pieces: Vec<(Vec<u8>, usize)>,
    end: Vec<u8>,
}

impl RowTemplate {
    /// Records what `write_row` writes around the values it asks for.
    fn record(write_row: impl FnOnce(&mut Vec<u8>, &mut ColumnWriter<'_>)) -> Self {
        let mut pieces = Vec::new();
        let mut end = Vec::new();
        write_row(&mut end, &mut |index, out: &mut Vec<u8>| {
            pieces.push((std::mem::take(out), index));
        });
        RowTemplate { pieces, end }
    }

    fn write(
        &self,
        columns: &[ColumnCells<'_>],
        row: usize,
        big_integers_as_strings: bool,
        out: &mut Vec<u8>,
    ) {
        for (before, index) in &self.pieces {
            out.extend_from_slice(before);
            match columns.get(*index) {
                Some(column) => write_cell(column, row, big_integers_as_strings, out),
                // The SDK checked the batch against the schema the template was built from.
                None => out.extend_from_slice(b"null"),
            }
        }
        out.extend_from_slice(&self.end);
    }
}

/// The `json` format: the component's exporter, and what `plugins/bench` runs natively.
pub struct JsonExporter {
    structure: Structure,
    layout: Layout,
    /// The object each row (or, for `columnar`, the whole document) becomes; unused by `arrays`.
    shape: ObjectShape,
    /// Each row of `records`, `ndjson` and `arrays`, laid out.
    row: RowTemplate,
    rows_written: u64,
    /// How many bytes to reserve per row, from the rows written so far.
    row_bytes: usize,
    /// `columnar` only: each column's values so far, rendered and separated, ready to go
    /// between the brackets of its array.
    column_buffers: Vec<Vec<u8>>,
    /// `columnar` only: the nesting depth of each column's member in the document.
    column_depths: Vec<usize>,
    /// The schema, which says how each column's cells are written (UTC datetimes end in `Z`).
    schema: Vec<Column>,
    big_integers_as_strings: bool,
}

impl JsonExporter {
    fn begin_arrays(&self, request: &ExportRequest, out: &mut Vec<u8>) {
        let layout = self.layout;
        out.push(b'{');
        layout.break_line(1, out);
        out.extend_from_slice(b"\"columns\"");
        layout.colon(out);
        out.push(b'[');
        for (index, column) in request.schema.iter().enumerate() {
            layout.before_element(index == 0, 2, out);
            write_json_string(&column.name, out);
        }
        if !request.schema.is_empty() {
            layout.break_line(1, out);
        }
        out.extend_from_slice(b"],");
        layout.break_line(1, out);
        out.extend_from_slice(b"\"rows\"");
        layout.colon(out);
        out.push(b'[');
    }
}

/// Writes `shape` as an object whose braces sit at `depth`, asking `write_column` for the value
/// of each column member.
fn write_object(
    shape: &ObjectShape,
    depth: usize,
    layout: Layout,
    out: &mut Vec<u8>,
    write_column: &mut ColumnWriter<'_>,
) {
    out.push(b'{');
    for (position, member) in shape.members.iter().enumerate() {
        layout.before_element(position == 0, depth + 1, out);
        out.extend_from_slice(member.key_json.as_bytes());
        layout.colon(out);
        match &member.value {
            MemberValue::Column(index) => write_column(*index, out),
            MemberValue::Object(child) => write_object(child, depth + 1, layout, out, write_column),
        }
    }
    if !shape.members.is_empty() {
        layout.break_line(depth, out);
    }
    out.push(b'}');
}

/// Writes a row of `columns` values as an array inside the document's `rows` array.
fn write_row_array(
    columns: usize,
    layout: Layout,
    out: &mut Vec<u8>,
    write_column: &mut ColumnWriter<'_>,
) {
    out.push(b'[');
    for index in 0..columns {
        layout.before_element(index == 0, 3, out);
        write_column(index, out);
    }
    if columns > 0 {
        layout.break_line(2, out);
    }
    out.push(b']');
}

/// Records, for every column, the depth of its member when `shape` sits at `depth`.
fn record_member_depths(shape: &ObjectShape, depth: usize, depths: &mut [usize]) {
    for member in &shape.members {
        match &member.value {
            MemberValue::Column(index) => {
                if let Some(slot) = depths.get_mut(*index) {
                    *slot = depth + 1;
                }
            }
            MemberValue::Object(child) => record_member_depths(child, depth + 1, depths),
        }
    }
}

impl Exporter for JsonExporter {
    fn info() -> FormatInfo {
        FormatInfo::new("json", "JSON", "application/json", "json").with_options::<JsonOptions>()
    }

    fn new(request: &ExportRequest) -> Result<Self, PluginError> {
        let options: JsonOptions = parse_options(&request.options)?;
        let shape = match options.structure {
            // Column names are plain strings in an array there: no object, no clashes.
            Structure::Arrays => ObjectShape::default(),
            _ if options.nest_dotted => ObjectShape::nested(&request.schema)?,
            _ => ObjectShape::flat(&request.schema)?,
        };
        let columns = request.schema.len();
        // Pretty NDJSON would no longer be one row per line.
        let layout = Layout {
            pretty: options.pretty && options.structure != Structure::Ndjson,
        };
        let row = match options.structure {
            Structure::Records => {
                RowTemplate::record(|out, values| write_object(&shape, 1, layout, out, values))
            }
            Structure::Ndjson => RowTemplate::record(|out, values| {
                write_object(&shape, 0, layout, out, values);
                out.push(b'\n');
            }),
            Structure::Arrays => {
                RowTemplate::record(|out, values| write_row_array(columns, layout, out, values))
            }
            Structure::Columnar => RowTemplate::default(),
        };
        let (column_buffers, column_depths) = if options.structure == Structure::Columnar {
            let mut depths = vec![0; columns];
            record_member_depths(&shape, 0, &mut depths);
            (vec![Vec::new(); columns], depths)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(JsonExporter {
            structure: options.structure,
            layout,
            shape,
            row,
            rows_written: 0,
            row_bytes: columns * 8 + 2,
            column_buffers,
            column_depths,
            schema: request.schema.clone(),
            big_integers_as_strings: options.big_integers_as_strings,
        })
    }

    fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let mut out = Vec::new();
        match self.structure {
            Structure::Records => out.push(b'['),
            Structure::Arrays => self.begin_arrays(request, &mut out),
            Structure::Columnar | Structure::Ndjson => {}
        }
        Ok(out)
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let columns: Vec<ColumnCells<'_>> = batch
            .column_views()
            .zip(&self.schema)
            .map(|(view, column)| view.cells().of_column(column))
            .collect();
        let rows = batch.row_count();
        let mut out = Vec::new();
        let layout = self.layout;
        match self.structure {
            Structure::Records | Structure::Arrays => {
                out.reserve(rows * self.row_bytes);
                let depth = if self.structure == Structure::Records {
                    1
                } else {
                    2
                };
                for row in 0..rows {
                    let is_first = self.rows_written == 0 && row == 0;
                    layout.before_element(is_first, depth, &mut out);
                    self.row
                        .write(&columns, row, self.big_integers_as_strings, &mut out);
                }
            }
            Structure::Ndjson => {
                out.reserve(rows * self.row_bytes);
                for row in 0..rows {
                    self.row
                        .write(&columns, row, self.big_integers_as_strings, &mut out);
                }
            }
            Structure::Columnar => {
                for ((column, buffer), depth) in columns
                    .iter()
                    .zip(&mut self.column_buffers)
                    .zip(&self.column_depths)
                {
                    for row in 0..rows {
                        let is_first = self.rows_written == 0 && row == 0;
                        layout.before_element(is_first, depth + 1, buffer);
                        write_cell(column, row, self.big_integers_as_strings, buffer);
                    }
                }
            }
        }
        if rows > 0 {
            let per_row = out.len().div_ceil(rows);
            // A little over the largest rows so far: batches of text vary in length.
            self.row_bytes = self.row_bytes.max(per_row + per_row / 8);
        }
        self.rows_written += rows as u64;
        Ok(out)
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        let layout = self.layout;
        let any_rows = self.rows_written > 0;
        let mut out = Vec::new();
        match self.structure {
            Structure::Records => {
                if any_rows {
                    layout.break_line(0, &mut out);
                }
                out.extend_from_slice(b"]\n");
            }
            Structure::Arrays => {
                if any_rows {
                    layout.break_line(1, &mut out);
                }
                out.push(b']');
                layout.break_line(0, &mut out);
                out.extend_from_slice(b"}\n");
            }
            Structure::Columnar => {
                let buffers = std::mem::take(&mut self.column_buffers);
                out.reserve(buffers.iter().map(Vec::len).sum::<usize>() + 64);
                let depths = &self.column_depths;
                write_object(&self.shape, 0, layout, &mut out, &mut |index, out| {
                    out.push(b'[');
                    if any_rows {
                        out.extend_from_slice(buffers.get(index).map_or(&[][..], Vec::as_slice));
                        layout.break_line(depths.get(index).copied().unwrap_or(1), out);
                    }
                    out.push(b']');
                });
                out.push(b'\n');
            }
            Structure::Ndjson => {}
        }
        Ok(out)
    }
}

#[cfg(all(feature = "component", target_family = "wasm"))]
tessera_plugin_sdk::export!(JsonExporter);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use tessera_plugin_sdk::testing::{export_request, run_export};
    use tessera_plugin_sdk::{ColumnData, ColumnType};

    /// Two rows over every type, split over two batches.
    fn sample_schema() -> Vec<(&'static str, ColumnType)> {
        vec![
            ("id", ColumnType::Int64),
            ("name", ColumnType::Utf8),
            ("score", ColumnType::Float64),
            ("ok", ColumnType::Boolean),
            ("day", ColumnType::Date),
            ("at", ColumnType::Datetime),
            ("nothing", ColumnType::Null),
        ]
    }

    fn sample_batches() -> Vec<Batch> {
        vec![
            Batch::from_columns(vec![
                ColumnData::int64([Some(1)]),
                ColumnData::utf8([Some("a \"b\"\n")]),
                ColumnData::float64([Some(0.5)]),
                ColumnData::boolean([Some(true)]),
                ColumnData::date([Some(19_723)]),
                ColumnData::datetime([Some(1_500_000)]),
                ColumnData::null(1),
            ]),
            Batch::from_columns(vec![
                ColumnData::int64([None]),
                ColumnData::utf8([None]),
                ColumnData::float64([Some(f64::INFINITY)]),
                ColumnData::boolean([None]),
                ColumnData::date([None]),
                ColumnData::datetime([Some(0)]),
                ColumnData::null(1),
            ]),
        ]
    }

    fn export(schema: &[(&str, ColumnType)], options: &str, batches: Vec<Batch>) -> String {
        let output = run_export::<JsonExporter>(export_request(schema, options), batches).unwrap();
        String::from_utf8(output).unwrap()
    }

    fn export_sample(options: &str) -> String {
        export(&sample_schema(), options, sample_batches())
    }

    fn record_values() -> Value {
        json!([
            {"id": 1, "name": "a \"b\"\n", "score": 0.5, "ok": true, "day": "2024-01-01",
             "at": "1970-01-01T00:00:01.500000", "nothing": null},
            {"id": null, "name": null, "score": null, "ok": null, "day": null,
             "at": "1970-01-01T00:00:00", "nothing": null},
        ])
    }

    #[test]
    fn records_are_an_array_of_objects() {
        let output = export_sample("{}");
        assert!(
            output.starts_with(r#"[{"id":1,"name":"a \"b\"\n","score":0.5,"ok":true,"#),
            "{output}"
        );
        assert!(output.ends_with("}]\n"));
        assert_eq!(
            serde_json::from_str::<Value>(&output).unwrap(),
            record_values()
        );
    }

    // Issue 14, item 22: instants (values given with a zone, kept in UTC) end in `Z` in every
    // structure, so that readers do not take them for local time; local times stay unmarked.
    #[test]
    fn utc_datetimes_end_in_z_in_every_structure() {
        let schema = [
            ("at", ColumnType::Datetime),
            ("local", ColumnType::Datetime),
        ];
        for structure in ["records", "arrays", "columnar", "ndjson"] {
            let request = export_request(&schema, &format!(r#"{{"structure": "{structure}"}}"#))
                .with_utc_columns(&["at"]);
            let batch = Batch::from_columns(vec![
                ColumnData::datetime([Some(1_717_245_000_000_000), None]),
                ColumnData::datetime([Some(1_704_099_600_000_000), Some(0)]),
            ]);
            let output =
                String::from_utf8(run_export::<JsonExporter>(request, [batch]).unwrap()).unwrap();
            assert!(
                output.contains(r#""2024-06-01T12:30:00Z""#),
                "{structure}: {output}"
            );
            assert!(
                output.contains(r#""2024-01-01T09:00:00""#),
                "{structure}: {output}"
            );
            assert!(!output.contains("09:00:00Z"), "{structure}: {output}");
        }
    }

    #[test]
    fn ndjson_is_one_object_per_line_even_when_pretty() {
        let output = export_sample(r#"{"structure": "ndjson", "pretty": true}"#);
        let lines: Vec<Value> = output
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(Value::Array(lines), record_values());
        assert!(output.ends_with("}\n"));
    }

    #[test]
    fn arrays_name_the_columns_once() {
        let output = export_sample(r#"{"structure": "arrays"}"#);
        assert_eq!(
            serde_json::from_str::<Value>(&output).unwrap(),
            json!({
                "columns": ["id", "name", "score", "ok", "day", "at", "nothing"],
                "rows": [
                    [1, "a \"b\"\n", 0.5, true, "2024-01-01", "1970-01-01T00:00:01.500000", null],
                    [null, null, null, null, null, "1970-01-01T00:00:00", null],
                ],
            })
        );
    }

    #[test]
    fn columnar_collects_each_column_across_batches() {
        let output = export_sample(r#"{"structure": "columnar"}"#);
        assert_eq!(
            serde_json::from_str::<Value>(&output).unwrap(),
            json!({
                "id": [1, null], "name": ["a \"b\"\n", null], "score": [0.5, null],
                "ok": [true, null], "day": ["2024-01-01", null],
                "at": ["1970-01-01T00:00:01.500000", "1970-01-01T00:00:00"], "nothing": [null, null],
            })
        );
    }

    #[test]
    fn columnar_returns_nothing_until_finish() {
        let request = export_request(&[("n", ColumnType::Int64)], r#"{"structure": "columnar"}"#);
        let mut exporter = JsonExporter::new(&request).unwrap();
        assert_eq!(exporter.begin(&request).unwrap(), b"");
        let batch = Batch::from_columns(vec![ColumnData::int64([Some(1), Some(2)])]);
        assert_eq!(exporter.write_batch(&batch).unwrap(), b"");
        assert_eq!(exporter.finish().unwrap(), b"{\"n\":[1,2]}\n");
    }

    #[test]
    fn pretty_output_is_what_serde_json_pretty_prints() {
        // Keys in sorted order and no floats, so that serde_json's own rendering is comparable.
        let schema = [
            ("a.x", ColumnType::Int64),
            ("a.y", ColumnType::Utf8),
            ("b", ColumnType::Boolean),
        ];
        let batches = || {
            vec![
                Batch::from_columns(vec![
                    ColumnData::int64([Some(1), None]),
                    ColumnData::utf8([Some("p"), Some("q")]),
                    ColumnData::boolean([Some(false), Some(true)]),
                ]),
                Batch::from_columns(vec![
                    ColumnData::int64([Some(3)]),
                    ColumnData::utf8([None]),
                    ColumnData::boolean([None]),
                ]),
            ]
        };
        for structure in ["records", "arrays", "columnar"] {
            for nest_dotted in [false, true] {
                let options =
                    json!({"structure": structure, "pretty": true, "nest_dotted": nest_dotted});
                let pretty = export(&schema, &options.to_string(), batches());
                let parsed: Value = serde_json::from_str(&pretty).unwrap();
                assert_eq!(
                    pretty,
                    serde_json::to_string_pretty(&parsed).unwrap() + "\n",
                    "{options}"
                );
                let compact_options = json!({"structure": structure, "nest_dotted": nest_dotted});
                let compact = export(&schema, &compact_options.to_string(), batches());
                assert_eq!(
                    compact,
                    serde_json::to_string(&parsed).unwrap() + "\n",
                    "{options}"
                );
            }
        }
    }

    #[test]
    fn nest_dotted_builds_objects() {
        let schema = [
            ("user.name", ColumnType::Utf8),
            ("user.age", ColumnType::Int64),
            ("id", ColumnType::Int64),
        ];
        let batches = || {
            vec![Batch::from_columns(vec![
                ColumnData::utf8([Some("ada")]),
                ColumnData::int64([Some(36)]),
                ColumnData::int64([Some(7)]),
            ])]
        };
        assert_eq!(
            export(&schema, r#"{"nest_dotted": true}"#, batches()),
            "[{\"user\":{\"name\":\"ada\",\"age\":36},\"id\":7}]\n"
        );
        assert_eq!(
            export(
                &schema,
                r#"{"nest_dotted": true, "structure": "columnar"}"#,
                batches()
            ),
            "{\"user\":{\"name\":[\"ada\"],\"age\":[36]},\"id\":[7]}\n"
        );
        assert_eq!(
            export(
                &schema,
                r#"{"nest_dotted": true, "structure": "arrays"}"#,
                batches()
            ),
            "{\"columns\":[\"user.name\",\"user.age\",\"id\"],\"rows\":[[\"ada\",36,7]]}\n"
        );
    }

    #[test]
    fn empty_exports_are_valid_documents() {
        let schema = [("n", ColumnType::Int64)];
        assert_eq!(export(&schema, "{}", vec![]), "[]\n");
        assert_eq!(export(&schema, r#"{"pretty": true}"#, vec![]), "[]\n");
        assert_eq!(export(&schema, r#"{"structure": "ndjson"}"#, vec![]), "");
        assert_eq!(
            export(&schema, r#"{"structure": "arrays"}"#, vec![]),
            "{\"columns\":[\"n\"],\"rows\":[]}\n"
        );
        assert_eq!(
            export(&schema, r#"{"structure": "columnar"}"#, vec![]),
            "{\"n\":[]}\n"
        );
        assert_eq!(
            export(&[], r#"{"structure": "columnar", "pretty": true}"#, vec![]),
            "{}\n"
        );
    }

    #[test]
    fn clashing_dotted_names_are_refused_only_when_nesting() {
        let schema = [("a", ColumnType::Int64), ("a.b", ColumnType::Int64)];
        let error =
            run_export::<JsonExporter>(export_request(&schema, r#"{"nest_dotted": true}"#), vec![])
                .unwrap_err();
        assert!(matches!(error, PluginError::InvalidOptions(_)), "{error:?}");
        assert_eq!(export(&schema, "{}", vec![]), "[]\n");
    }

    // Issue 14, item 26: integers beyond 2^53 - 1, which readers that hold numbers as doubles
    // round, can be written as strings of their digits; the ones in range stay numbers.
    #[test]
    fn big_integers_can_be_strings() {
        let schema = [("n", ColumnType::Int64)];
        let values = || {
            vec![Batch::from_columns(vec![ColumnData::int64([
                Some(9_007_199_254_740_991),
                Some(9_007_199_254_740_993),
                Some(-9_007_199_254_740_991),
                Some(-9_007_199_254_740_992),
                Some(i64::MIN),
                Some(7),
                None,
            ])])]
        };
        assert_eq!(
            export(&schema, r#"{"structure": "arrays"}"#, values()),
            "{\"columns\":[\"n\"],\"rows\":[[9007199254740991],[9007199254740993],\
             [-9007199254740991],[-9007199254740992],[-9223372036854775808],[7],[null]]}\n"
        );
        for structure in ["records", "arrays", "columnar", "ndjson"] {
            let output = export(
                &schema,
                &format!(r#"{{"structure": "{structure}", "big_integers_as_strings": true}}"#),
                values(),
            );
            for (number, quoted) in [
                ("9007199254740991", false),
                ("9007199254740993", true),
                ("-9007199254740991", false),
                ("-9007199254740992", true),
                ("-9223372036854775808", true),
                ("7", false),
            ] {
                assert_eq!(
                    output.contains(&format!("\"{number}\"")),
                    quoted,
                    "{structure}: {number} in {output}"
                );
                assert!(output.contains(number), "{structure}: {output}");
            }
        }
    }

    #[test]
    fn bad_options_are_refused() {
        let error = run_export::<JsonExporter>(
            export_request(&[("n", ColumnType::Int64)], r#"{"structure": "table"}"#),
            vec![],
        )
        .unwrap_err();
        assert!(
            error
                .message()
                .starts_with("option `structure`: unknown variant `table`"),
            "{error:?}"
        );
    }

    #[test]
    fn the_form_offers_each_structure() {
        // A choice in the export form, from the enum itself: documenting its variants would
        // turn it into a `oneOf` the form cannot offer.
        let schema: Value = serde_json::from_str(&JsonExporter::info().options_schema).unwrap();
        let structure = &schema["properties"]["structure"];
        assert_eq!(
            structure["enum"],
            json!(["records", "arrays", "columnar", "ndjson"])
        );
        assert_eq!(structure["default"], "records");
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn describes_itself() {
        let info = JsonExporter::info();
        assert_eq!(
            (
                info.id.as_str(),
                info.media_type.as_str(),
                info.extension.as_str()
            ),
            ("json", "application/json", "json")
        );
    }
}
