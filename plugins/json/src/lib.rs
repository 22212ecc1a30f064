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
//! datetimes as ISO 8601 strings. `pretty` lays documents out as `JSON.stringify(value, null, 2)`
//! does, which is also what `serde_json::to_string_pretty` produces. Every document ends with a
//! newline. The media type is always `application/json`, even for `ndjson`, because a format's
//! description is fixed while the layout is an option.

mod shape;

use serde::Deserialize;
use shape::{MemberValue, ObjectShape};
use tessera_plugin_sdk::text::write_json_string;
use tessera_plugin_sdk::{
    Batch, ColumnView, ExportRequest, Exporter, FormatInfo, PluginError, parse_options,
};

const OPTIONS_SCHEMA: &str = include_str!("options.schema.json");

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct JsonOptions {
    structure: Structure,
    pretty: bool,
    nest_dotted: bool,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
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
    fn break_line(self, depth: usize, out: &mut String) {
        if self.pretty {
            out.push('\n');
            for _ in 0..depth {
                out.push_str("  ");
            }
        }
    }

    fn colon(self, out: &mut String) {
        out.push_str(if self.pretty { ": " } else { ":" });
    }

    /// The separator before an element of an array or object: a comma unless it is the first,
    /// then its line.
    fn before_element(self, is_first: bool, depth: usize, out: &mut String) {
        if !is_first {
            out.push(',');
        }
        self.break_line(depth, out);
    }
}

/// The `json` format: the component's exporter, and what `plugins/bench` runs natively.
pub struct JsonExporter {
    structure: Structure,
    layout: Layout,
    /// The object each row (or, for `columnar`, the whole document) becomes; unused by `arrays`.
    shape: ObjectShape,
    rows_written: u64,
    /// `columnar` only: each column's values so far, rendered and separated, ready to go
    /// between the brackets of its array.
    column_buffers: Vec<String>,
    /// `columnar` only: the nesting depth of each column's member in the document.
    column_depths: Vec<usize>,
}

impl JsonExporter {
    fn write_record(&self, columns: &[ColumnView<'_>], row: usize, depth: usize, out: &mut String) {
        write_object(
            &self.shape,
            depth,
            self.layout,
            out,
            &mut |index, out| match columns.get(index) {
                Some(column) => column.write_json(row, out),
                // The SDK checked the batch against the schema the shape was built from.
                None => out.push_str("null"),
            },
        );
    }

    fn write_row_array(&self, columns: &[ColumnView<'_>], row: usize, out: &mut String) {
        out.push('[');
        for (index, column) in columns.iter().enumerate() {
            self.layout.before_element(index == 0, 3, out);
            column.write_json(row, out);
        }
        if !columns.is_empty() {
            self.layout.break_line(2, out);
        }
        out.push(']');
    }

    fn begin_arrays(&self, request: &ExportRequest, out: &mut String) {
        let layout = self.layout;
        out.push('{');
        layout.break_line(1, out);
        out.push_str("\"columns\"");
        layout.colon(out);
        out.push('[');
        for (index, column) in request.schema.iter().enumerate() {
            layout.before_element(index == 0, 2, out);
            write_json_string(&column.name, out);
        }
        if !request.schema.is_empty() {
            layout.break_line(1, out);
        }
        out.push_str("],");
        layout.break_line(1, out);
        out.push_str("\"rows\"");
        layout.colon(out);
        out.push('[');
    }
}

/// Writes `shape` as an object whose braces sit at `depth`, asking `write_column` for the value
/// of each column member.
fn write_object(
    shape: &ObjectShape,
    depth: usize,
    layout: Layout,
    out: &mut String,
    write_column: &mut dyn FnMut(usize, &mut String),
) {
    out.push('{');
    for (position, member) in shape.members.iter().enumerate() {
        layout.before_element(position == 0, depth + 1, out);
        out.push_str(&member.key_json);
        layout.colon(out);
        match &member.value {
            MemberValue::Column(index) => write_column(*index, out),
            MemberValue::Object(child) => write_object(child, depth + 1, layout, out, write_column),
        }
    }
    if !shape.members.is_empty() {
        layout.break_line(depth, out);
    }
    out.push('}');
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
        FormatInfo::new("json", "JSON", "application/json", "json")
            .with_options_schema(OPTIONS_SCHEMA)
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
        let (column_buffers, column_depths) = if options.structure == Structure::Columnar {
            let mut depths = vec![0; columns];
            record_member_depths(&shape, 0, &mut depths);
            (vec![String::new(); columns], depths)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(JsonExporter {
            structure: options.structure,
            // Pretty NDJSON would no longer be one row per line.
            layout: Layout {
                pretty: options.pretty && options.structure != Structure::Ndjson,
            },
            shape,
            rows_written: 0,
            column_buffers,
            column_depths,
        })
    }

    fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let mut out = String::new();
        match self.structure {
            Structure::Records => out.push('['),
            Structure::Arrays => self.begin_arrays(request, &mut out),
            Structure::Columnar | Structure::Ndjson => {}
        }
        Ok(out.into_bytes())
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let columns: Vec<ColumnView<'_>> = batch.column_views().collect();
        let mut out = String::new();
        match self.structure {
            Structure::Records => {
                for row in 0..batch.row_count() {
                    let is_first = self.rows_written == 0 && row == 0;
                    self.layout.before_element(is_first, 1, &mut out);
                    self.write_record(&columns, row, 1, &mut out);
                }
            }
            Structure::Ndjson => {
                for row in 0..batch.row_count() {
                    self.write_record(&columns, row, 0, &mut out);
                    out.push('\n');
                }
            }
            Structure::Arrays => {
                for row in 0..batch.row_count() {
                    let is_first = self.rows_written == 0 && row == 0;
                    self.layout.before_element(is_first, 2, &mut out);
                    self.write_row_array(&columns, row, &mut out);
                }
            }
            Structure::Columnar => {
                let layout = self.layout;
                for ((column, buffer), depth) in columns
                    .iter()
                    .zip(&mut self.column_buffers)
                    .zip(&self.column_depths)
                {
                    for row in 0..batch.row_count() {
                        let is_first = self.rows_written == 0 && row == 0;
                        layout.before_element(is_first, depth + 1, buffer);
                        column.write_json(row, buffer);
                    }
                }
            }
        }
        self.rows_written += batch.row_count() as u64;
        Ok(out.into_bytes())
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        let layout = self.layout;
        let any_rows = self.rows_written > 0;
        let mut out = String::new();
        match self.structure {
            Structure::Records => {
                if any_rows {
                    layout.break_line(0, &mut out);
                }
                out.push_str("]\n");
            }
            Structure::Arrays => {
                if any_rows {
                    layout.break_line(1, &mut out);
                }
                out.push(']');
                layout.break_line(0, &mut out);
                out.push_str("}\n");
            }
            Structure::Columnar => {
                let buffers = std::mem::take(&mut self.column_buffers);
                out.reserve(buffers.iter().map(String::len).sum::<usize>() + 64);
                let depths = &self.column_depths;
                write_object(&self.shape, 0, layout, &mut out, &mut |index, out| {
                    out.push('[');
                    if any_rows {
                        out.push_str(buffers.get(index).map_or("", String::as_str));
                        layout.break_line(depths.get(index).copied().unwrap_or(1), out);
                    }
                    out.push(']');
                });
                out.push('\n');
            }
            Structure::Ndjson => {}
        }
        Ok(out.into_bytes())
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
    fn schema_defaults_are_the_defaults() {
        let schema: Value = serde_json::from_str(OPTIONS_SCHEMA).unwrap();
        let defaults: serde_json::Map<String, Value> = schema["properties"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, property)| (name.clone(), property["default"].clone()))
            .collect();
        let from_schema: JsonOptions = parse_options(&Value::Object(defaults).to_string()).unwrap();
        assert_eq!(from_schema, JsonOptions::default());
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
