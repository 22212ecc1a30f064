//! Typed export options, described once.
//!
//! A format's options are one Rust struct: serde reads them ([`parse_options`]) and schemars
//! describes them ([`options_schema`]), as the JSON Schema (draft 2020-12) the host checks
//! every export's options against and builds the export form from. Each field's doc comment is
//! its help text, `#[schemars(title = "...")]` its label, the struct's `Default` its default,
//! and what serde cannot say (bounds, lengths, patterns, values left out) goes in schemars
//! attributes beside it. So the schema cannot drift from the struct, and no test has to keep
//! the two alike.
//!
//! The host validates before `begin`, but the plugin still turns the JSON into its struct and
//! may refuse what a schema cannot say. The user should then read which option is wrong, not a
//! parser's line and column: errors name the field's path and become
//! [`PluginError::InvalidOptions`].

#[cfg(feature = "exporter")]
use crate::PluginError;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Parses the request's options into `T`. An empty string or `null` counts as `{}`, so a
/// struct with `#[serde(default)]` gets its defaults.
///
/// ```
/// #[derive(serde::Deserialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Options {
///     header: bool,
/// }
///
/// impl Default for Options {
///     fn default() -> Self {
///         Options { header: true }
///     }
/// }
///
/// let options: Options = tessera_plugin_sdk::parse_options("").unwrap();
/// assert!(options.header);
/// let error = tessera_plugin_sdk::parse_options::<Options>(r#"{"header": "yes"}"#).err().unwrap();
/// assert_eq!(error.message(), "option `header`: invalid type: string \"yes\", expected a boolean");
/// ```
#[cfg(feature = "exporter")]
pub fn parse_options<T: DeserializeOwned>(options_json: &str) -> Result<T, PluginError> {
    let trimmed = options_json.trim();
    let json = if trimmed.is_empty() || trimmed == "null" {
        "{}"
    } else {
        trimmed
    };
    // serde's derived structs also accept arrays, which no options schema means.
    if !json.starts_with('{') {
        return Err(PluginError::invalid_options(
            "options: expected a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let options = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let reason = without_position(error.inner());
        let mut path = error.path().to_string();
        // The path of an unknown field ends in that field, which serde's message already names;
        // the option at fault is the object holding it.
        if reason.starts_with("unknown field") {
            path = match path.rsplit_once('.') {
                Some((parent, _)) => parent.to_owned(),
                None => String::new(),
            };
        }
        // serde_path_to_error renders the top level as "." and an unknown position as "?".
        match path.as_str() {
            "" | "." | "?" => PluginError::invalid_options(format!("options: {reason}")),
            _ => PluginError::invalid_options(format!("option `{path}`: {reason}")),
        }
    })?;
    deserializer.end().map_err(|error| {
        PluginError::invalid_options(format!("options: {}", without_position(&error)))
    })?;
    Ok(options)
}

/// The JSON Schema (draft 2020-12) of the options struct `T`, for
/// [`crate::FormatInfo::with_options`].
///
/// It is what schemars derives, with the options' subschemas inlined (the host's form reads an
/// option's `enum`, `type`, bounds and `default` from the option itself), and two readings that
/// options need:
///
/// - an `Option<_>` field is an option that may be left out, not one that may be `null`: the
///   schema says the field's type alone (a field left out has no `default` when its default is
///   `None` and it is `#[serde(skip_serializing_if = "Option::is_none")]`);
/// - doc comments are Markdown, so lines are joined as Markdown joins them: a line break
///   within a paragraph is a space, paragraphs stay apart.
///
/// `T: Serialize` is what lets schemars write each option's `default` from `T::default()`.
///
/// ```
/// #[derive(serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
/// #[serde(default, deny_unknown_fields)]
/// struct Options {
///     /// Whether the first line holds the
///     /// column names.
///     #[schemars(title = "Header row")]
///     header: bool,
///     /// At most this many rows.
///     #[schemars(range(min = 1))]
///     #[serde(skip_serializing_if = "Option::is_none")]
///     limit: Option<u32>,
/// }
///
/// impl Default for Options {
///     fn default() -> Self {
///         Options { header: true, limit: None }
///     }
/// }
///
/// let schema: serde_json::Value =
///     serde_json::from_str(&tessera_plugin_sdk::options_schema::<Options>()).unwrap();
/// assert_eq!(schema["additionalProperties"], false);
/// let header = &schema["properties"]["header"];
/// assert_eq!(header["title"], "Header row");
/// assert_eq!(header["description"], "Whether the first line holds the column names.");
/// assert_eq!(header["default"], true);
/// let limit = &schema["properties"]["limit"];
/// assert_eq!(limit["type"], "integer");
/// assert_eq!(limit["minimum"], 1);
/// assert!(limit.get("default").is_none());
/// ```
pub fn options_schema<T>() -> String
where
    T: JsonSchema + Serialize + DeserializeOwned + Default,
{
    schema_of::<T>()
}

/// The schema [`options_schema`] derives, for any struct: a notifier's settings have required
/// fields and no defaults.
pub(crate) fn schema_of<T: JsonSchema>() -> String {
    let generator = SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for property in properties.values_mut() {
            if let Some(property) = property.as_object_mut() {
                without_null(property);
            }
        }
    }
    join_doc_lines(&mut schema);
    schema.to_string()
}

/// Takes `null` out of what an option accepts, where schemars let it in for an `Option<_>`:
/// from its `type` and `enum`, or the `{"anyOf": [schema, {"type": "null"}]}` around it.
fn without_null(property: &mut Map<String, Value>) {
    let null_type = Value::from("null");
    if let Some(Value::Array(any_of)) = property.get("anyOf")
        && any_of.len() == 2
        && any_of[1].get("type") == Some(&null_type)
        && let Some(Value::Object(inner)) = property
            .remove("anyOf")
            .and_then(|mut any_of| any_of.as_array_mut().map(|any_of| any_of.swap_remove(0)))
    {
        for (key, value) in inner {
            property.entry(key).or_insert(value);
        }
    }
    if let Some(Value::Array(types)) = property.get_mut("type") {
        types.retain(|kind| *kind != null_type);
        if let [single] = &types[..] {
            let single = single.clone();
            property.insert("type".into(), single);
        }
    }
    if let Some(Value::Array(values)) = property.get_mut("enum") {
        values.retain(|value| !value.is_null());
    }
}

/// Joins the lines of every `title` and `description` within a paragraph with a space, as
/// Markdown renders a doc comment.
fn join_doc_lines(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                match value {
                    Value::String(text) if key == "title" || key == "description" => {
                        *text = text
                            .split("\n\n")
                            .map(|paragraph| {
                                paragraph
                                    .lines()
                                    .map(str::trim)
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            })
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    }
                    // `default` and `enum` hold values, not schemas: a value is left as it is.
                    _ if key == "default" || key == "enum" || key == "const" => {}
                    other => join_doc_lines(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(join_doc_lines),
        _ => {}
    }
}

/// serde_json's message without its " at line L column C" suffix, which only makes sense to
/// someone looking at the raw JSON.
pub(crate) fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&suffix) {
        Some(reason) => reason.to_owned(),
        None => message,
    }
}

#[cfg(all(test, feature = "exporter"))]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Options as a format declares them, with every kind of field the export form knows.
    #[derive(Deserialize, Serialize, JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    #[schemars(title = "Example options")]
    struct Described {
        /// Last in the alphabet, first in the form.
        zone: Shape,
        /// A line that goes on
        /// to a second line.
        ///
        /// A second paragraph.
        #[schemars(title = "Left out or not")]
        #[serde(skip_serializing_if = "Option::is_none")]
        maybe: Option<Shape>,
        #[schemars(range(min = 1, max = 9))]
        #[serde(skip_serializing_if = "Option::is_none")]
        level: Option<u8>,
        #[schemars(extend("default" = "none"))]
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        /// A plain flag.
        alpha: bool,
    }

    #[derive(Clone, Copy, Deserialize, Serialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    enum Shape {
        Round,
        Square,
    }

    impl Default for Described {
        fn default() -> Self {
            Described {
                zone: Shape::Square,
                maybe: None,
                level: None,
                text: None,
                alpha: true,
            }
        }
    }

    fn described() -> Value {
        serde_json::from_str(&options_schema::<Described>()).unwrap()
    }

    #[test]
    fn the_schema_is_draft_2020_12_closed_and_titled() {
        let schema = described();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["title"], "Example options");
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["additionalProperties"], false);
        assert!(
            schema.get("required").is_none(),
            "every option has a default"
        );
        assert!(schema.get("$defs").is_none(), "subschemas are inlined");
    }

    #[test]
    fn properties_keep_the_structs_order() {
        // The export form lists the options in this order.
        let schema = described();
        let names: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["zone", "maybe", "level", "text", "alpha"]);
    }

    #[test]
    fn each_option_carries_its_choices_default_and_help() {
        let schema = described();
        let zone = &schema["properties"]["zone"];
        assert_eq!(zone["enum"], serde_json::json!(["round", "square"]));
        assert_eq!(zone["default"], "square");
        assert_eq!(
            zone["description"],
            "Last in the alphabet, first in the form."
        );
        let alpha = &schema["properties"]["alpha"];
        assert_eq!(
            (&alpha["type"], &alpha["default"]),
            (&"boolean".into(), &true.into())
        );
    }

    // Issue 15 (the plugin platform): an option that may be left out is not one that may be
    // null, and its type stays one word, which is what the export form reads.
    #[test]
    fn options_that_may_be_left_out_do_not_take_null() {
        let schema = described();
        let maybe = &schema["properties"]["maybe"];
        assert_eq!(maybe["type"], "string");
        assert_eq!(maybe["enum"], serde_json::json!(["round", "square"]));
        assert!(maybe.get("default").is_none(), "{maybe}");
        let level = &schema["properties"]["level"];
        assert_eq!(level["type"], "integer");
        assert_eq!(
            (&level["minimum"], &level["maximum"]),
            (&1.into(), &9.into())
        );
        let text = &schema["properties"]["text"];
        assert_eq!(
            (&text["type"], &text["default"]),
            (&"string".into(), &"none".into())
        );
    }

    #[test]
    fn doc_comment_lines_join_as_markdown_does() {
        let maybe = &described()["properties"]["maybe"];
        assert_eq!(maybe["title"], "Left out or not");
        assert_eq!(
            maybe["description"],
            "A line that goes on to a second line.\n\nA second paragraph."
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Options {
        delimiter: char,
        header: bool,
        nested: Nested,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Nested {
        depth: u8,
    }

    impl Default for Options {
        fn default() -> Self {
            Options {
                delimiter: ',',
                header: true,
                nested: Nested::default(),
            }
        }
    }

    fn message(json: &str) -> String {
        match parse_options::<Options>(json) {
            Err(PluginError::InvalidOptions(message)) => message,
            other => panic!("expected invalid options, got {other:?}"),
        }
    }

    #[test]
    fn empty_and_null_options_mean_defaults() {
        for json in ["", "  ", "null", "{}"] {
            assert_eq!(
                parse_options::<Options>(json).unwrap(),
                Options::default(),
                "{json:?}"
            );
        }
    }

    #[test]
    fn given_options_override_defaults() {
        let options: Options =
            parse_options(r#"{"delimiter": ";", "nested": {"depth": 2}}"#).unwrap();
        assert_eq!(options.delimiter, ';');
        assert!(options.header);
        assert_eq!(options.nested.depth, 2);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            message(r#"{"header": 1}"#),
            "option `header`: invalid type: integer `1`, expected a boolean"
        );
        assert_eq!(
            message(r#"{"delimiter": ";;"}"#),
            "option `delimiter`: invalid value: string \";;\", expected a character"
        );
        assert_eq!(
            message(r#"{"nested": {"depth": 300}}"#),
            "option `nested.depth`: invalid value: integer `300`, expected u8"
        );
        assert_eq!(
            message(r#"{"colour": "red"}"#),
            "options: unknown field `colour`, expected one of `delimiter`, `header`, `nested`"
        );
        assert_eq!(
            message(r#"{"nested": {"width": 1}}"#),
            "option `nested`: unknown field `width`, expected `depth`"
        );
    }

    #[test]
    fn malformed_json_is_invalid_options() {
        assert!(message("{").starts_with("options: EOF while parsing"));
        assert_eq!(message("{} {}"), "options: trailing characters");
        for not_an_object in ["[]", "1", "\"header\""] {
            assert_eq!(message(not_an_object), "options: expected a JSON object");
        }
    }
}
